import Domain
import Forms
import Foundation
import Logging
import Postgres

/// `stakeholder-views report export`: the report's CSV or JSON export for one inspection, the same text the web
/// exports send, written without a server (for scripted exports and for checking a restored backup). The export is
/// recorded in the audit log with the command line as its actor.
public enum ReportExportCommand {
    /// The two export formats.
    public enum Format: String, Sendable, CaseIterable {
        case csv
        case json
    }

    /// A report that cannot be exported, named.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Exports inspection `inspectionID`'s report in `format` from the configured database.
    public static func run(_ configuration: AppConfiguration, inspectionID: Int, format: Format, logger: Logger) async throws -> String {
        let forms = try FormRegistry.load(directory: configuration.formsDirectory)
        return try await CommandDatabase.with(configuration, autoMigrate: false, logger: logger) { client in
            try await export(client, inspectionID: inspectionID, format: format, forms: forms, rules: configuration.disclosureRules)
        }
    }

    /// Exports through `client` (tests call this directly).
    public static func export(
        _ client: PostgresClient,
        inspectionID: Int,
        format: Format,
        forms: FormRegistry,
        rules: DisclosureRules
    ) async throws -> String {
        let store = ReportStore(database: client)
        guard let inspection = try await store.inspection(inspectionID) else {
            throw Failure(description: "there is no inspection \(inspectionID)")
        }
        // A published inspection exports its frozen snapshot, as the page's downloads do.
        let text: String
        if let published = try await PublicationStore(database: client).snapshot(inspectionID) {
            text = format == .csv ? published.csv : published.json
        } else {
            let report = try await StakeholderReport.load(inspection: inspection, store: store, forms: forms, rules: rules)
            text = format == .csv ? ReportExport.csv(report.tables) : ReportExport.json(report.tables, meta: report.meta)
        }
        try await AuditLog(database: client, now: { Date() }).record(
            .reportExported,
            actor: .commandLine,
            subject: .inspection(inspectionID),
            details: ["format": .code(format.rawValue)]
        )
        return text
    }
}
