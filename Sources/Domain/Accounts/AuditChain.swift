import Foundation
import Logging
import Postgres
import ServiceLifecycle

/// The hash chains over the audit log and the published snapshots (sql/0080): each row's `row_hash` is SHA-256 of the
/// previous row's hash and the row's own content, and `chain_seq` numbers the rows 1, 2, 3 … with no gap.
///
/// `verify` recomputes every hash in the database and reports the first problem: a changed row (its stored hash no
/// longer matches its content), a broken link (its `prev_hash` is not the previous row's hash), a gap (rows missing
/// between two entries), or a chain whose first entry is missing. Rows deleted from the end of a chain leave no trace
/// in the database itself; the head (the last entry's number and hash) is printed and logged so that it can be kept
/// elsewhere and compared (`expectedHead`).
public enum AuditChain {
    /// One chained table.
    public enum Table: String, Sendable, CaseIterable {
        case auditLog = "audit_event"
        case snapshots = "report_snapshot"

        /// What an operator calls the rows.
        var noun: String { self == .auditLog ? "audit entry" : "snapshot" }
        /// The column that identifies a row.
        var idColumn: String { self == .auditLog ? "id" : "inspection_id" }
        /// The SQL that recomputes a row's hash from `prev` and its columns.
        var hashExpression: String {
            switch self {
            case .auditLog:
                "audit_event_hash(prev_hash, id, chain_seq, occurred_at, event, actor_user_id, client_address, subject_type, subject_id, details)"
            case .snapshots:
                "report_snapshot_hash(prev_hash, inspection_id, chain_seq, published_on, published_by, published_at, format_version, report)"
            }
        }
    }

    /// The last entry of a chain: its number and hash (hex).
    public struct Head: Sendable, Equatable, CustomStringConvertible {
        public let sequence: Int64
        public let hash: String
        public var description: String { "\(sequence):\(hash)" }

        public init(sequence: Int64, hash: String) {
            self.sequence = sequence
            self.hash = hash
        }

        /// Reads `SEQ:HEX` as `audit verify` prints it; nil when malformed.
        public init?(parsing text: String) {
            let parts = text.split(separator: ":")
            guard parts.count == 2, let sequence = Int64(parts[0]), sequence > 0, parts[1].count == 64,
                parts[1].allSatisfy({ $0.isHexDigit })
            else { return nil }
            self.init(sequence: sequence, hash: parts[1].lowercased())
        }
    }

    /// What went wrong first, naming the row.
    public enum Problem: Sendable, Equatable, CustomStringConvertible {
        /// The first row is not entry 1 (entries before it were deleted).
        case firstEntryMissing(table: Table, firstSequence: Int64, id: String)
        /// Entries between `after` and `sequence` are missing.
        case gap(table: Table, after: Int64, sequence: Int64, id: String)
        /// The row's prev_hash is not the previous row's hash.
        case brokenLink(table: Table, sequence: Int64, id: String)
        /// The row's content no longer gives its stored hash: it was edited.
        case changed(table: Table, sequence: Int64, id: String)
        /// The chain does not reach the head recorded earlier (entries deleted from the end, or the chain rewritten).
        case headMismatch(table: Table, expected: Head, found: String?)

        public var description: String {
            switch self {
            case .firstEntryMissing(let table, let first, let id):
                "\(table.rawValue): the chain's first entry is missing: it starts at entry \(first) (\(table.idColumn) \(id)), "
                    + "so entries 1 to \(first - 1) were deleted"
            case .gap(let table, let after, let sequence, let id):
                "\(table.rawValue): gap before \(table.idColumn) \(id): entries \(after + 1) to \(sequence - 1) are missing (deleted)"
            case .brokenLink(let table, let sequence, let id):
                "\(table.rawValue): broken link at \(table.idColumn) \(id) (entry \(sequence)): its previous hash is not the hash of entry \(sequence - 1)"
            case .changed(let table, let sequence, let id):
                "\(table.rawValue): \(table.noun) \(table.idColumn) \(id) (entry \(sequence)) was changed after it was written: its content no longer matches its hash"
            case .headMismatch(let table, let expected, let found):
                "\(table.rawValue): entry \(expected.sequence) "
                    + (found.map { "has hash \($0), not the \(expected.hash) recorded earlier: the chain was rewritten" }
                        ?? "recorded earlier is no longer there: entries were deleted from the end")
            }
        }
    }

    /// The result for one table.
    public struct Report: Sendable, Equatable {
        public let table: Table
        public let entries: Int
        public let head: Head?
        public let problem: Problem?

        /// The line `audit verify` prints.
        public var line: String {
            if let problem { return "broken: \(problem)" }
            guard let head else { return "\(table.rawValue): intact (no entries yet)" }
            return "\(table.rawValue): intact, \(entries) entries, head \(head)"
        }
    }

    /// Recomputes `table`'s chain and reports its first problem (or none). `expectedHead`, when given, must still be
    /// in the chain with the same hash.
    public static func verify(_ table: Table, database: PostgresClient, expectedHead: Head? = nil) async throws -> Report {
        let id = table.idColumn
        // One pass in chain order; only the first problem row comes back.
        let first = try await database.query(
            PostgresQuery(
                unsafeSQL: """
                    WITH chain AS (
                        SELECT \(id)::text AS id, chain_seq, prev_hash, row_hash, \(table.hashExpression) AS computed,
                               lag(chain_seq) OVER (ORDER BY chain_seq) AS previous_seq,
                               lag(row_hash) OVER (ORDER BY chain_seq) AS previous_hash,
                               row_number() OVER (ORDER BY chain_seq) AS position
                        FROM \(table.rawValue)
                    )
                    SELECT id, chain_seq, previous_seq,
                           CASE
                               WHEN position = 1 AND chain_seq <> 1 THEN 'first'
                               WHEN position > 1 AND chain_seq <> previous_seq + 1 THEN 'gap'
                               WHEN computed IS DISTINCT FROM row_hash THEN 'changed'
                               WHEN position = 1 AND prev_hash <> '\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea THEN 'link'
                               WHEN position > 1 AND prev_hash IS DISTINCT FROM previous_hash THEN 'link'
                           END AS problem
                    FROM chain
                    WHERE (position = 1 AND chain_seq <> 1) OR (position > 1 AND chain_seq <> previous_seq + 1)
                       OR computed IS DISTINCT FROM row_hash
                       OR (position = 1 AND prev_hash <> '\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
                       OR (position > 1 AND prev_hash IS DISTINCT FROM previous_hash)
                    ORDER BY chain_seq LIMIT 1
                    """
            )
        )
        let summary = try await database.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT count(*) AS n,
                           (SELECT chain_seq FROM \(table.rawValue) ORDER BY chain_seq DESC LIMIT 1) AS head_seq,
                           (SELECT encode(row_hash, 'hex') FROM \(table.rawValue) ORDER BY chain_seq DESC LIMIT 1) AS head_hash
                    FROM \(table.rawValue)
                    """
            )
        )[0]
        let entries = try summary.decode("n", as: Int.self)
        let head: Head? =
            if let sequence = try summary.decode("head_seq", as: Int64?.self), let hash = try summary.decode("head_hash", as: String?.self) {
                Head(sequence: sequence, hash: hash)
            } else { nil }
        var problem: Problem?
        if let row = first.first {
            let rowID = try row.decode("id", as: String.self)
            let sequence = try row.decode("chain_seq", as: Int64.self)
            switch try row.decode("problem", as: String.self) {
            case "first": problem = .firstEntryMissing(table: table, firstSequence: sequence, id: rowID)
            case "gap": problem = .gap(table: table, after: try row.decode("previous_seq", as: Int64.self), sequence: sequence, id: rowID)
            case "changed": problem = .changed(table: table, sequence: sequence, id: rowID)
            default: problem = .brokenLink(table: table, sequence: sequence, id: rowID)
            }
        }
        if problem == nil, let expectedHead {
            let found = try await database.query(
                PostgresQuery(
                    unsafeSQL: "SELECT encode(row_hash, 'hex') AS hash FROM \(table.rawValue) WHERE chain_seq = \(expectedHead.sequence)"
                )
            ).first.map { try $0.decode("hash", as: String.self) }
            if found != expectedHead.hash { problem = .headMismatch(table: table, expected: expectedHead, found: found) }
        }
        return Report(table: table, entries: entries, head: head, problem: problem)
    }

    /// Both chains.
    public static func verifyAll(database: PostgresClient, expectedHeads: [Table: Head] = [:]) async throws -> [Report] {
        var reports: [Report] = []
        for table in Table.allCases {
            reports.append(try await verify(table, database: database, expectedHead: expectedHeads[table]))
        }
        return reports
    }
}

/// The daily check in `serve`: verifies both chains, logs the result (an error naming the first problem when a chain
/// is broken, the heads otherwise, so they can be kept outside the database) and counts it in the metrics
/// (`audit_chain_checks_total{table, outcome}`). A check that cannot run (database down) is logged and tried at the
/// next interval.
package struct AuditChainCheck: Service {
    let database: PostgresClient
    let metrics: AppMetrics
    let logger: Logger
    let interval: Duration

    package init(database: PostgresClient, metrics: AppMetrics, logger: Logger, interval: Duration) {
        self.database = database
        self.metrics = metrics
        self.logger = logger
        self.interval = interval
    }

    /// Checks at once, then every `interval`, until cancelled or the service shuts down gracefully (the wait ends at
    /// once then, so SIGTERM is not held up for a day).
    package func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await checkOnce()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// One check of both chains; returns the reports (empty when the check failed to run).
    @discardableResult
    func checkOnce() async -> [AuditChain.Report] {
        do {
            let reports = try await AuditChain.verifyAll(database: database)
            for report in reports {
                metrics.auditChainChecked(table: report.table.rawValue, intact: report.problem == nil)
                if let problem = report.problem {
                    logger.error(
                        "tamper evidence: a hash chain is broken; run `stakeholder-views audit verify` and restore from a backup",
                        metadata: ["audit.table": "\(report.table.rawValue)", "audit.problem": "\(problem)"]
                    )
                } else {
                    logger.info(
                        "tamper evidence: hash chain intact",
                        metadata: [
                            "audit.table": "\(report.table.rawValue)", "audit.entries": "\(report.entries)",
                            "audit.head": "\(report.head?.description ?? "none")",
                        ]
                    )
                }
            }
            return reports
        } catch {
            logger.warning("tamper evidence: the hash chains could not be checked", metadata: ["error": "\(error)"])
            return []
        }
    }
}
