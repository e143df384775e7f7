import Foundation
import Postgres

extension AuditEvent {
    /// An inspection's report was published and frozen (details: `published_on`, `tables`).
    public static let reportPublished: AuditEvent = "report.published"
}

/// Publishing an inspection's report and reading the frozen snapshot back (sql/0060).
public struct PublicationStore: Sendable {
    let database: PostgresClient

    public init(database: PostgresClient) {
        self.database = database
    }

    /// Why a report cannot be published, or a snapshot cannot be had. Nothing has changed when one is thrown.
    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case notFound(inspectionID: Int)
        case alreadyPublished(inspectionID: Int, on: LocalDate)
        case windowOpen(inspectionID: Int, closesOn: LocalDate)
        case beforeWeekPlusTwo(inspectionID: Int, weekPlusTwoOn: LocalDate)
        case notPublished(inspectionID: Int)

        public var description: String {
            switch self {
            case .notFound(let id): "inspection \(id) does not exist"
            case .alreadyPublished(let id, let on): "inspection \(id) was already published on \(on); a report is published once"
            case .windowOpen(let id, let closes):
                "inspection \(id) cannot be published yet: its victim questionnaire window is open until \(closes) (close the window first)"
            case .beforeWeekPlusTwo(let id, let date):
                "inspection \(id) cannot be published before its week +2 meetings on \(date)"
            case .notPublished(let id): "inspection \(id) is not published, so it has no snapshot; publish its report first"
            }
        }

        /// The message for the publish page.
        public var pageMessage: String {
            switch self {
            case .notFound: "This inspection does not exist."
            case .alreadyPublished(_, let on): "This report was already published on \(on.govuk). A report is published once."
            case .windowOpen(_, let closes):
                "The report cannot be published while the victim questionnaire window is open (it closes on \(closes.govuk)). Close the window first."
            case .beforeWeekPlusTwo(_, let date): "The report cannot be published before the week +2 meetings on \(date.govuk)."
            case .notPublished: "This report has not been published."
            }
        }
    }

    /// Why `inspection` cannot be published on `today`, or nil when it can: it is published once, after its victim
    /// window has closed (the day after `victim_window_closes_on`) and not before its week +2 meetings (sql/0020).
    public static func refusal(_ inspection: Inspection, today: LocalDate) -> Refusal? {
        if let published = inspection.publishedOn { return .alreadyPublished(inspectionID: inspection.id, on: published) }
        if today <= inspection.victimWindowClosesOn { return .windowOpen(inspectionID: inspection.id, closesOn: inspection.victimWindowClosesOn) }
        if today < inspection.weekPlusTwoOn { return .beforeWeekPlusTwo(inspectionID: inspection.id, weekPlusTwoOn: inspection.weekPlusTwoOn) }
        return nil
    }

    /// Publishes: in one transaction, checks the rules again on the locked inspection row, sets `published_on` to
    /// `today`, stores `report` frozen as the snapshot, and records the audit event. Throws `Refusal` (nothing
    /// changed) when the inspection may not be published.
    package func publish(
        inspectionID: Int,
        report: StakeholderReport,
        publishedBy: Int?,
        today: LocalDate,
        now: Date,
        audit: AuditLog,
        actor: AuditActor
    ) async throws -> PublishedReport {
        let published = PublishedReport(report, publishedOn: today)
        let json = try PostgresJSON(encoding: published)
        return try await database.withTransaction { connection in
            let rows = try await connection.query("SELECT id FROM inspection WHERE id = \(inspectionID) FOR UPDATE")
            guard !rows.isEmpty else { throw Refusal.notFound(inspectionID: inspectionID) }
            var query = InspectionStore.selectInspections
            query.append(" WHERE i.id = \(inspectionID) GROUP BY i.id")
            guard let inspection = try await connection.query(query).first.map(InspectionStore.decode) else {
                throw Refusal.notFound(inspectionID: inspectionID)
            }
            if let refusal = Self.refusal(inspection, today: today) { throw refusal }
            try await connection.execute("UPDATE inspection SET published_on = \(today) WHERE id = \(inspectionID)")
            try await connection.execute(
                """
                INSERT INTO report_snapshot (inspection_id, published_on, published_by, published_at, format_version, report)
                VALUES (\(inspectionID), \(today), \(publishedBy), \(now), \(PublishedReport.formatVersion), \(json))
                """
            )
            // The published figures, kept for programme reports after retention has deleted the answers (sql/0090).
            var kinds: [Int: String] = [:]
            for row in try await connection.query(
                "SELECT p.id, p.kind FROM inspection_provider ip JOIN provider p ON p.id = ip.provider_id WHERE ip.inspection_id = \(inspectionID)"
            ) {
                kinds[try row.decode("id")] = try row.decode("kind")
            }
            try await InspectionEvidence(report, providerKinds: kinds).write(inspectionID: inspectionID, on: connection)
            try await audit.record(
                .reportPublished,
                actor: actor,
                subject: .inspection(inspectionID),
                details: ["tables": .int(Int64(published.tables.count)), "published_on": .code(today.description)],
                on: connection
            )
            return published
        }
    }

    /// The frozen report of a published inspection, or nil when it is not published.
    package func snapshot(_ inspectionID: Int) async throws -> PublishedReport? {
        guard let row = try await database.query("SELECT report FROM report_snapshot WHERE inspection_id = \(inspectionID)").first else {
            return nil
        }
        return try row.decode("report", as: PostgresJSON.self).decode(PublishedReport.self)
    }

    /// The date a published inspection's snapshot was taken, or nil when it is not published.
    package func publishedOn(_ inspectionID: Int) async throws -> LocalDate? {
        try await database.query("SELECT published_on FROM report_snapshot WHERE inspection_id = \(inspectionID)").first?.decode("published_on")
    }

    /// The frozen report; throws `Refusal.notPublished` for an inspection that is not published (or `notFound`).
    func requireSnapshot(_ inspectionID: Int) async throws -> PublishedReport {
        if let snapshot = try await snapshot(inspectionID) { return snapshot }
        let exists = try await !database.query("SELECT 1 FROM inspection WHERE id = \(inspectionID)").isEmpty
        throw exists ? Refusal.notPublished(inspectionID: inspectionID) : Refusal.notFound(inspectionID: inspectionID)
    }
}
