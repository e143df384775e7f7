import Domain
import Foundation
import Logging
import Postgres

/// `stakeholder-views retention run [--dry-run]`: one retention run now, as the daily service does it.
public enum RetentionCommandLine {
    /// Opens the configured database (migrating it like `serve` does), runs retention as of `now` and returns the
    /// lines to print. Throws when the database cannot be reached or the schema is outdated; nothing is deleted then.
    public static func run(_ configuration: AppConfiguration, dryRun: Bool, logger: Logger, now: Date = Date()) async throws -> [String] {
        try await CommandDatabase.with(configuration, logger: logger) { client in
            let retention = Retention(database: client, months: configuration.retentionMonths, now: { now })
            let outcome = try await retention.run(
                today: LocalDate(now, timeZone: TimeZone.london),
                now: now,
                dryRun: dryRun,
                actor: .commandLine
            )
            return lines(outcome, months: configuration.retentionMonths)
        }
    }

    /// One line per inspection and kind (what would go, or what went), then a summary line.
    public static func lines(_ outcome: RetentionOutcome, months: Int) -> [String] {
        guard outcome.ran else { return ["retention: another instance is running retention now; nothing was done"] }
        let verb = outcome.dryRun ? "would delete" : "deleted"
        var lines = outcome.items.map { "inspection \($0.inspectionID): \(verb) \($0.count) \($0.kind.rawValue)" }
        let inspections = Set(outcome.items.map(\.inspectionID)).count
        let rows = outcome.items.reduce(0) { $0 + $1.count }
        let mode = outcome.dryRun ? "dry run, nothing deleted" : "done"
        lines.append(
            rows == 0
                ? "retention (RETENTION_MONTHS=\(months), \(mode)): nothing to delete"
                : "retention (RETENTION_MONTHS=\(months), \(mode)): \(rows) rows over \(inspections) inspection\(inspections == 1 ? "" : "s")"
        )
        return lines
    }
}
