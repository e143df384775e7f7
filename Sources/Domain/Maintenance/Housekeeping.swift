import Foundation
import Logging
import Postgres
import ServiceLifecycle

/// Regular clean-up of short-lived data, so that nothing about a victim's visit outlives its purpose:
/// expired victim sessions, links whose questionnaire window has closed (marked expired, with their drafts and
/// sessions deleted), rate-limit counters from past windows, and survey-upload jobs older than a week (their problem
/// lists quote values from the uploaded files). Runs under an advisory lock, so with several instances one does the
/// work.
public struct Housekeeping: Sendable {
    let database: PostgresClient
    let now: @Sendable () -> Date

    public init(database: PostgresClient, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.now = now
    }

    /// What one run removed or changed.
    public struct Outcome: Sendable, Equatable {
        public var victimSessions = 0
        public var linksExpired = 0
        public var drafts = 0
        public var rateLimitRows = 0
        public var importJobs = 0
        /// False when another instance held the lock and this run did nothing.
        public var ran = true
    }

    static let lockKey: Int64 = 7_215_003_010
    /// How long a survey-upload job and its problem list are kept (a live job, which beats every second, never goes).
    static let importJobAge: TimeInterval = 7 * 86_400

    /// Does one round of clean-up now.
    public func run() async throws -> Outcome {
        let now = now()
        let today = LocalDate(now, timeZone: TimeZone.london)
        return try await database.withTransaction { connection in
            let locked = try await connection.query("SELECT pg_try_advisory_xact_lock(\(Self.lockKey)) AS locked")
            guard try locked[0].decode("locked", as: Bool.self) else { return Outcome(ran: false) }
            var outcome = Outcome()
            outcome.victimSessions = try await connection.execute("DELETE FROM victim_session WHERE expires_at <= \(now)")
            let expired = try await InvitationStore.expireUnused(inspectionsWhere: "n.victim_window_closes_on < \(today)", now: now, on: connection)
            outcome.linksExpired = expired.links
            outcome.drafts = expired.drafts
            outcome.rateLimitRows = try await connection.execute(
                "DELETE FROM rate_limit_hit WHERE window_start < \(now.addingTimeInterval(-86_400))"
            )
            let old = now.addingTimeInterval(-Self.importJobAge)
            outcome.importJobs = try await connection.execute(
                "DELETE FROM survey_import_job WHERE created_at < \(old) AND heartbeat_at < \(now.addingTimeInterval(-3600))"
            )
            return outcome
        }
    }
}

/// Runs `Housekeeping` every `interval` until graceful shutdown (a ServiceLifecycle service, not a detached task).
package struct HousekeepingService: Service {
    let housekeeping: Housekeeping
    let interval: Duration
    let logger: Logger

    package init(housekeeping: Housekeeping, interval: Duration, logger: Logger) {
        self.housekeeping = housekeeping
        self.interval = interval
        self.logger = logger
    }

    package func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let outcome = try await housekeeping.run()
                if outcome.ran {
                    logger.info(
                        "housekeeping done",
                        metadata: [
                            "housekeeping.victim_sessions": "\(outcome.victimSessions)", "housekeeping.links_expired": "\(outcome.linksExpired)",
                            "housekeeping.drafts": "\(outcome.drafts)", "housekeeping.rate_limit_rows": "\(outcome.rateLimitRows)",
                            "housekeeping.import_jobs": "\(outcome.importJobs)",
                        ]
                    )
                }
            } catch {
                logger.warning("housekeeping failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
