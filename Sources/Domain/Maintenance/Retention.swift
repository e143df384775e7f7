import Foundation
import Logging
import Postgres
import ServiceLifecycle

extension AuditEvent {
    /// Retention deleted data of an inspection (details: `kind`, `count`; never any content).
    public static let retentionDeleted: AuditEvent = "retention.deleted"
}

/// What one retention run deleted (or, in a dry run, would delete), per inspection and kind. This is the value to
/// feed a metrics counter from (`totals`, labelled by `Kind.rawValue`).
public struct RetentionOutcome: Sendable, Equatable {
    /// A kind of data retention deletes. The raw values are the audit log's and the command's names.
    public enum Kind: String, CaseIterable, Sendable, Comparable {
        /// When the window has closed: every link (submitted and withdrawn ones too) loses its token hash, code hash
        /// and VLO's reference. Rows, statuses and times stay, so counts and response rates do not change.
        case linkCredentials = "link_credentials"
        /// Answers in progress (drafts) of links whose window has closed.
        case drafts
        /// Victims' browser sessions of links whose window has closed.
        case victimSessions = "victim_sessions"
        /// Once the window has closed: the keys that let a victim withdraw a released response (HMACs of their
        /// resume code). Nothing can be withdrawn after the window.
        case withdrawalKeys = "withdrawal_keys"
        /// Online victim responses: the answers, free text included.
        case victimResponses = "victim_responses"
        /// Paper questionnaires' answers (the `paper_return` rows that count them stay).
        case paperResponses = "paper_responses"
        /// Inspectors' reviews of free text (the redacted text and safeguarding flags).
        case freeTextReviews = "free_text_reviews"
        /// Sentencer meeting topics' evidence notes, quotes and quote roles.
        case sentencerNotes = "sentencer_notes"
        /// Sentencer meetings' stored answers: every text answer except the court's name (ratings, attendance
        /// and the meeting header stay).
        case sentencerMeetingTexts = "sentencer_meeting_texts"
        /// Every saved revision of a sentencer meeting (each holds a full copy of the answers).
        case sentencerRevisions = "sentencer_revisions"

        public static func < (lhs: Kind, rhs: Kind) -> Bool {
            allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
        }
    }

    /// Rows of one kind for one inspection.
    public struct Item: Sendable, Equatable {
        public let inspectionID: Int
        public let kind: Kind
        public let count: Int
    }

    /// Only kinds with a count above zero, ordered by inspection then kind.
    public var items: [Item] = []
    /// False when another instance held the lock, so this run did nothing.
    public var ran = true
    /// True when nothing was kept: the counts say what would have gone.
    public var dryRun = false

    /// Counts by kind over every inspection.
    public var totals: [Kind: Int] {
        items.reduce(into: [:]) { $0[$1.kind, default: 0] += $1.count }
    }
}

/// Deletes what the service must not keep: per inspection, a link's credentials once its window has closed, and the
/// raw victim answers, paper answers and sentencer notes `RETENTION_MONTHS` after publication. Only inspections with
/// a published snapshot lose answers or notes, so the published figures never change. One run is one transaction
/// under an advisory lock: with several instances one does the work, and every deletion is audited in the same
/// transaction (kind, count, inspection; never content).
public struct Retention: Sendable {
    let database: PostgresClient
    let months: Int
    let audit: AuditLog

    /// Why a run was refused before it touched anything.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// `months` must be at least 1 (`RETENTION_MONTHS`); a run with less is refused.
    public init(database: PostgresClient, months: Int, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.months = months
        self.audit = AuditLog(database: database, now: now)
    }

    /// The advisory lock every instance's retention runs take: this class number with a hash of the schema's name,
    /// so runs against one schema exclude each other and runs against different schemas (tests, or two services in
    /// one database) do not.
    static let lockClass = 721_500_311
    static let lockQuery: PostgresQuery = "SELECT pg_try_advisory_xact_lock(\(lockClass)::int4, hashtext(current_schema())) AS locked"

    private struct DryRunRollback: Error {
        let outcome: RetentionOutcome
    }

    /// Runs retention as of `today`. With `dryRun`, counts what would go and keeps everything (nothing is audited
    /// then). `onLocked` runs after the lock is taken and before anything is deleted (tests use it to hold a run).
    public func run(
        today: LocalDate,
        now: Date,
        dryRun: Bool = false,
        actor: AuditActor,
        onLocked: @Sendable () async -> Void = {}
    ) async throws -> RetentionOutcome {
        guard months >= 1 else {
            throw Invalid(description: "RETENTION_MONTHS must be a whole number from 1 to 1200, not '\(months)': nothing was deleted")
        }
        do {
            return try await database.withTransaction { connection in
                let locked = try await connection.query(Self.lockQuery)
                guard try locked[0].decode("locked", as: Bool.self) else { return RetentionOutcome(ran: false, dryRun: dryRun) }
                await onLocked()
                var outcome = RetentionOutcome(dryRun: dryRun)
                outcome.items = try await delete(today: today, now: now, on: connection)
                for item in outcome.items where !dryRun {
                    try await audit.record(
                        .retentionDeleted,
                        actor: actor,
                        subject: .inspection(item.inspectionID),
                        details: ["kind": .code(item.kind.rawValue), "count": .int(Int64(item.count))],
                        on: connection
                    )
                }
                if dryRun { throw DryRunRollback(outcome: outcome) }
                return outcome
            }
        } catch let rollback as DryRunRollback {
            return rollback.outcome
        }
    }

    /// Every deletion, on the run's transaction; returns the counts per inspection and kind.
    private func delete(today: LocalDate, now: Date, on connection: PostgresConnection) async throws -> [RetentionOutcome.Item] {
        var counts: [RetentionOutcome.Item] = []
        // Runs `statement` (ending in "IN (") on the inspections `scope` selects, returning `column` per row changed.
        func collect(_ kind: RetentionOutcome.Kind, _ statement: PostgresQuery, in scope: PostgresQuery, returning column: String) async throws {
            var sql: PostgresQuery = "WITH gone AS ("
            sql.append(statement)
            sql.append(scope)
            sql.append(") RETURNING \(unsafeRaw: column) AS inspection_id) SELECT inspection_id, count(*) AS n FROM gone GROUP BY inspection_id")
            for row in try await connection.query(sql) {
                counts.append(.init(inspectionID: try row.decode("inspection_id"), kind: kind, count: try row.decode("n")))
            }
        }
        // Windows closed (victims can no longer answer).
        let closed: PostgresQuery = "SELECT id FROM inspection WHERE victim_window_closes_on < \(today)"
        // Published with a snapshot, and the retention period since publication is over.
        let due: PostgresQuery = """
            SELECT n.id FROM inspection n JOIN report_snapshot s ON s.inspection_id = n.id
            WHERE n.published_on IS NOT NULL AND (n.published_on + make_interval(months => \(months)::int))::date <= \(today)
            """

        var closedOrDue = closed
        closedOrDue.append(" UNION ")
        closedOrDue.append(due)
        try await collect(
            .drafts,
            "DELETE FROM victim_draft d USING invitation i WHERE i.id = d.invitation_id AND i.inspection_id IN (",
            in: closed,
            returning: "i.inspection_id"
        )
        try await collect(
            .victimSessions,
            "DELETE FROM victim_session v USING invitation i WHERE i.id = v.invitation_id AND i.inspection_id IN (",
            in: closed,
            returning: "i.inspection_id"
        )
        try await collect(
            .withdrawalKeys,
            "UPDATE victim_response SET withdrawal_key = NULL WHERE withdrawal_key IS NOT NULL AND inspection_id IN (",
            in: closed,
            returning: "inspection_id"
        )
        // Every link once its window has closed.
        try await collect(
            .linkCredentials,
            """
            UPDATE invitation SET token_hash = NULL, code_hash = NULL, reference = NULL, erased_at = \(now),
                status = CASE WHEN status IN ('issued', 'opened', 'in_progress') THEN 'expired' ELSE status END,
                expired_at = CASE WHEN status IN ('issued', 'opened', 'in_progress') THEN \(now) ELSE expired_at END
            WHERE erased_at IS NULL AND inspection_id IN (
            """,
            in: closedOrDue,
            returning: "inspection_id"
        )

        // Only inspections with a snapshot, RETENTION_MONTHS after publication. Reviews first: they would go with
        // their responses (ON DELETE CASCADE) without being counted.
        try await collect(
            .freeTextReviews,
            "DELETE FROM victim_free_text_review f USING victim_response r WHERE r.id = f.response_id AND r.inspection_id IN (",
            in: due,
            returning: "r.inspection_id"
        )
        try await collect(
            .victimResponses,
            "DELETE FROM victim_response WHERE channel = 'online' AND inspection_id IN (",
            in: due,
            returning: "inspection_id"
        )
        try await collect(
            .paperResponses,
            "DELETE FROM victim_response WHERE channel = 'paper' AND inspection_id IN (",
            in: due,
            returning: "inspection_id"
        )
        try await collect(
            .sentencerNotes,
            """
            UPDATE sentencer_meeting_topic t SET evidence = NULL, quote = NULL, quote_role = NULL
            FROM sentencer_meeting m
            WHERE m.id = t.meeting_id AND (t.evidence IS NOT NULL OR t.quote IS NOT NULL OR t.quote_role IS NOT NULL)
              AND m.inspection_id IN (
            """,
            in: due,
            returning: "m.inspection_id"
        )
        // Text answers are {"text": "..."}; the court's name is a place, not a note, and stays with the header.
        try await collect(
            .sentencerMeetingTexts,
            """
            UPDATE sentencer_meeting m
            SET answers = (SELECT coalesce(jsonb_object_agg(key, value), '{}') FROM jsonb_each(m.answers)
                           WHERE key = 'court_name' OR NOT (jsonb_typeof(value) = 'object' AND value ? 'text'))
            WHERE EXISTS (SELECT 1 FROM jsonb_each(m.answers)
                          WHERE key <> 'court_name' AND jsonb_typeof(value) = 'object' AND value ? 'text')
              AND m.inspection_id IN (
            """,
            in: due,
            returning: "m.inspection_id"
        )
        try await collect(
            .sentencerRevisions,
            "DELETE FROM sentencer_meeting_revision r USING sentencer_meeting m WHERE m.id = r.meeting_id AND m.inspection_id IN (",
            in: due,
            returning: "m.inspection_id"
        )
        return counts.sorted { ($0.inspectionID, $0.kind) < ($1.inspectionID, $1.kind) }
    }
}

/// Runs `Retention` once a day until graceful shutdown (a ServiceLifecycle service, not a detached task).
package struct RetentionService: Service {
    let retention: Retention
    let now: @Sendable () -> Date
    let interval: Duration
    let logger: Logger
    /// Called with every completed run's outcome: the hook for a metrics counter (counts by kind in `totals`).
    let onOutcome: @Sendable (RetentionOutcome) -> Void

    package init(
        retention: Retention,
        now: @escaping @Sendable () -> Date,
        interval: Duration,
        logger: Logger,
        onOutcome: @escaping @Sendable (RetentionOutcome) -> Void
    ) {
        self.retention = retention
        self.now = now
        self.interval = interval
        self.logger = logger
        self.onOutcome = onOutcome
    }

    static let actor = AuditActor(userID: nil, address: "retention-service")

    package func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let now = now()
                let outcome = try await retention.run(today: LocalDate(now, timeZone: TimeZone.london), now: now, actor: Self.actor)
                onOutcome(outcome)
                if outcome.ran {
                    var metadata: Logger.Metadata = [:]
                    for (kind, count) in outcome.totals { metadata["retention.\(kind.rawValue)"] = "\(count)" }
                    logger.info("retention done", metadata: metadata)
                }
            } catch {
                logger.warning("retention failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
