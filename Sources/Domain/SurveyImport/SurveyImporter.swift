import Forms
import Foundation
import Logging
import Postgres

/// Who ran an import: the staff account (once accounts exist) and a readable name such as `cli:alice` or `web`.
public struct SurveyImportActor: Sendable, Equatable {
    public let userID: Int64?
    public let name: String

    public init(userID: Int64?, name: String) {
        self.userID = userID
        self.name = name
    }
}

/// What to import and how.
public struct SurveyImportRequest: Sendable {
    /// The file to read.
    public var path: String
    /// The name recorded with the batch (the uploaded file's name, or the path's last component).
    public var fileName: String
    /// The survey year the file is for (`--year`); every row's year must match.
    public var year: Int
    /// The codebook definition (`kind: codebook`).
    public var codebook: FormDefinition
    public var encoding: SurveyEncodingChoice = .auto
    /// Check only: read and validate everything, write nothing to the database.
    public var dryRun = false
    /// Import the valid rows and record the rejected ones, instead of all or nothing.
    public var acceptValidRows = false
    /// Files larger than this are refused before they are read.
    public var maxBytes: Int
    public var actor: SurveyImportActor
    /// Where to write the full list of problems as CSV; nil for a temporary file.
    public var problemsPath: String?

    public init(path: String, fileName: String? = nil, year: Int, codebook: FormDefinition, maxBytes: Int, actor: SurveyImportActor) {
        self.path = path
        self.fileName = fileName ?? URL(fileURLWithPath: path).lastPathComponent
        self.year = year
        self.codebook = codebook
        self.maxBytes = maxBytes
        self.actor = actor
    }
}

/// How far an import has got.
public struct SurveyImportProgress: Sendable, Equatable {
    public var rows: Int
    public var bytesRead: Int
    public var totalBytes: Int
    public var elapsed: Duration

    public init(rows: Int, bytesRead: Int, totalBytes: Int, elapsed: Duration) {
        self.rows = rows
        self.bytesRead = bytesRead
        self.totalBytes = totalBytes
        self.elapsed = elapsed
    }

    public var fraction: Double { totalBytes == 0 ? 0 : min(1, Double(bytesRead) / Double(totalBytes)) }
    public var rowsPerSecond: Double {
        let seconds = elapsed.seconds
        return seconds > 0 ? Double(rows) / seconds : 0
    }
    /// The estimated time left, from the share of bytes read so far.
    public var remaining: Duration? {
        guard fraction > 0.01 else { return nil }
        return .milliseconds(Int64(elapsed.seconds * (1 - fraction) / fraction * 1000))
    }
}

/// The result of an import or dry run that read the whole file.
public struct SurveyImportOutcome: Sendable {
    public var dryRun: Bool
    public var fileName: String
    public var year: Int
    public var codebookID: String
    public var codebookVersion: Int
    public var sha256: String
    public var encoding: SurveyFileEncoding
    /// The batch written (nil for a dry run or a failure).
    public var batchID: Int64?
    /// The batch this import replaced (or, in a dry run, would replace).
    public var replacedBatchID: Int64?
    public var rowsRead: Int
    public var rowsValid: Int
    public var rowsRejected: Int
    public var rowsImported: Int
    public var problemCount: Int
    /// The first problems (at most 100).
    public var problems: [SurveyImportProblem]
    /// The CSV file holding every problem, when there were any.
    public var problemsPath: String?
    /// Things worth knowing that did not stop the import (extra columns, the encoding detected).
    public var notes: [String]
    public var elapsed: Duration
    /// Why nothing was imported, when the rows decided it (all-or-nothing with invalid rows, no valid row).
    public var failure: SurveyImportFailure?

    public var succeeded: Bool { failure == nil }

    /// One line saying what happened.
    public var summary: String {
        let time = String(format: "%.1f s", elapsed.seconds)
        let rate = elapsed.seconds > 0 ? " (\(Int(Double(rowsRead) / elapsed.seconds)) rows/s)" : ""
        if let failure { return "import failed: \(failure.description)" }
        if dryRun {
            let replace = replacedBatchID.map { "; importing it would replace batch \($0)" } ?? ""
            return "dry run: \(rowsRead) rows read, \(rowsValid) valid, \(rowsRejected) rejected in \(time)\(rate); nothing written\(replace)"
        }
        let replace = replacedBatchID.map { "; replaced batch \($0)" } ?? ""
        let rejected = rowsRejected > 0 ? ", \(rowsRejected) rejected rows recorded" : ""
        return "imported \(rowsImported) rows from \(fileName) as batch \(batchID.map(String.init) ?? "?") (year \(year), "
            + "\(codebookID) v\(codebookVersion), \(encoding.rawValue))\(rejected) in \(time)\(rate)\(replace)"
    }
}

/// What the audit log is told about a committed import.
public struct SurveyImportAuditEvent: Sendable, Equatable {
    public let batchID: Int64
    public let replacedBatchID: Int64?
    public let actor: SurveyImportActor
    public let codebookID: String
    public let codebookVersion: Int
    public let year: Int
    public let fileName: String
    public let sha256: String
    public let rowsImported: Int
    public let rowsRejected: Int
}

/// The audit-log hook: called inside the import's transaction, after the batch is recorded and before commit, so
/// that the audit entry and the batch are written together. Throwing rolls the import back.
public typealias SurveyImportAuditHook = @Sendable (SurveyImportAuditEvent, PostgresConnection) async throws -> Void

/// Imports a service-user survey file: the one engine behind `stakeholder-views import service-user-survey` and the
/// upload page.
///
/// One pass after a first pass that hashes the file and settles its encoding: each row is read, checked against the
/// codebook and, when valid, written to a COPY into a staging table; the staging table becomes the batch's partition
/// in the transaction that records the batch (and marks the year's earlier batch replaced). Any failure rolls
/// everything back. Memory does not grow with the file: one record, the first 100 problems and a bitmap of the
/// respondent ids seen.
public struct SurveyImporter: Sendable {
    public let database: PostgresClient
    public let logger: Logger
    /// Connect the audit log here (see `SurveyImportAuditHook`); the default records nothing beyond the batch row.
    public var auditHook: SurveyImportAuditHook

    public init(database: PostgresClient, logger: Logger, auditHook: @escaping SurveyImportAuditHook = { _, _ in }) {
        self.database = database
        self.logger = logger
        self.auditHook = auditHook
    }

    /// Runs the import (or dry run). File-level problems throw `SurveyImportFailure` and write nothing; row problems
    /// are in the outcome, whose `failure` is set when they stopped the import.
    public func run(
        _ request: SurveyImportRequest,
        progress: @escaping @Sendable (SurveyImportProgress) -> Void = { _ in }
    ) async throws -> SurveyImportOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        let startedAt = Date()
        let plan = try SurveyImportPlan(definition: request.codebook)
        if let codebook = request.codebook.codebook, !codebook.appliesToYears.contains(request.year) {
            throw SurveyImportFailure(
                .yearNotInCodebook,
                "--year \(request.year) is not a year that codebook \(plan.codebookID) v\(plan.codebookVersion) describes "
                    + "(\(codebook.appliesToYears.map(String.init).joined(separator: ", "))); a new year needs its own checked codebook"
            )
        }
        let inspection = try SurveyFileInspection.inspect(path: request.path, maxBytes: request.maxBytes, encoding: request.encoding)
        let metadata: Logger.Metadata = [
            "import.codebook": "\(plan.codebookID) v\(plan.codebookVersion)", "import.year": "\(request.year)",
            "import.bytes": "\(inspection.byteCount)", "import.encoding": "\(inspection.encoding.rawValue)",
        ]
        logger.info("survey import started", metadata: metadata.merging(["import.dry_run": "\(request.dryRun)"]) { $1 })
        if let earlier = try await database.withConnection({ try await SurveyImportStore.batch(sha256: inspection.sha256, on: $0) }) {
            throw Self.alreadyImported(earlier)
        }
        let problemsPath =
            request.problemsPath ?? NSTemporaryDirectory() + "sv-import-problems-\(UUID().uuidString.lowercased()).csv"
        let pass = try ImportPass(request: request, plan: plan, inspection: inspection, problemsPath: problemsPath)
        defer { pass.problems.close() }
        let report: @Sendable (ImportPass.Counts) -> Void = { counts in
            progress(
                SurveyImportProgress(rows: counts.rows, bytesRead: counts.bytesRead, totalBytes: inspection.byteCount, elapsed: clock.now - start)
            )
        }
        var outcome: SurveyImportOutcome
        if request.dryRun {
            try await pass.run(sink: nil, report: report)
            let current = try await database.withConnection {
                try await SurveyImportStore.currentBatch(codebookID: plan.codebookID, year: request.year, on: $0)
            }
            outcome = pass.outcome(batchID: nil, replaced: current?.id, elapsed: clock.now - start)
        } else {
            do {
                outcome = try await database.withTransaction { connection in
                    // One COPY of a whole year's file is a single long statement: the service's 30 s statement
                    // timeout is for requests, not for this; half an hour still ends a stuck import.
                    try await connection.execute("SET LOCAL statement_timeout = '30min'")
                    try await SurveyImportStore.lock(codebookID: plan.codebookID, year: request.year, on: connection)
                    if let earlier = try await SurveyImportStore.batch(sha256: inspection.sha256, on: connection) {
                        throw Self.alreadyImported(earlier)
                    }
                    let previous = try await SurveyImportStore.currentBatch(codebookID: plan.codebookID, year: request.year, on: connection)
                    let batchID = try await SurveyImportStore.insertLoading(
                        .init(
                            plan: plan,
                            year: request.year,
                            fileName: request.fileName,
                            inspection: inspection,
                            acceptValidRows: request.acceptValidRows,
                            actor: request.actor,
                            startedAt: startedAt
                        ),
                        on: connection
                    )
                    pass.batchID = batchID
                    try await SurveyImportStore.createStaging(batchID: batchID, on: connection)
                    _ = try await PostgresConnection.copyFrom(SurveyImportStore.copyStatement(batchID: batchID), into: connection) { writer in
                        // The file is parsed in a child task while this task sends what it produced: the server
                        // stores one chunk while the next is parsed.
                        let pipe = ChunkPipe()
                        let parser = HandedOver(pass)
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            group.addTask {
                                do {
                                    try await parser.value.run(sink: pipe, report: report)
                                    pipe.finish()
                                } catch {
                                    pipe.fail(error)
                                    throw error
                                }
                            }
                            do {
                                while let chunk = try await pipe.next() { try await writer.write(chunk) }
                            } catch {
                                pipe.fail(error)
                                throw error
                            }
                            try await group.waitForAll()
                        }
                        if let failure = pass.failure {
                            throw Abort(outcome: pass.outcome(batchID: nil, replaced: nil, elapsed: clock.now - start, failure: failure))
                        }
                    }
                    try await SurveyImportStore.commitBatch(
                        batchID,
                        replacing: previous?.id,
                        rowsRead: pass.counts.rows,
                        rowsImported: pass.counts.valid,
                        rowsRejected: pass.counts.rejected,
                        on: connection
                    )
                    if pass.problems.total > 0 {
                        pass.problems.flush()
                        try await SurveyImportStore.recordProblems(batchID: batchID, problemsPath: problemsPath, on: connection)
                    }
                    try await auditHook(
                        SurveyImportAuditEvent(
                            batchID: batchID,
                            replacedBatchID: previous?.id,
                            actor: request.actor,
                            codebookID: plan.codebookID,
                            codebookVersion: plan.codebookVersion,
                            year: request.year,
                            fileName: request.fileName,
                            sha256: inspection.sha256,
                            rowsImported: pass.counts.valid,
                            rowsRejected: pass.counts.rejected
                        ),
                        connection
                    )
                    return pass.outcome(batchID: batchID, replaced: previous?.id, elapsed: clock.now - start)
                }
            } catch let abort as Abort {
                outcome = abort.outcome
            } catch let error as PostgresError where error.code == .uniqueViolation {
                // Another import of the same file committed between our check and our insert.
                if let earlier = try await database.withConnection({ try await SurveyImportStore.batch(sha256: inspection.sha256, on: $0) }) {
                    throw Self.alreadyImported(earlier)
                }
                throw error
            }
        }
        pass.problems.close()
        if outcome.problemCount == 0 && request.problemsPath == nil {
            try? FileManager.default.removeItem(atPath: problemsPath)
            outcome.problemsPath = nil
        }
        logger.info(
            outcome.succeeded ? "survey import finished" : "survey import refused",
            metadata: metadata.merging(
                [
                    "import.rows": "\(outcome.rowsRead)", "import.rejected": "\(outcome.rowsRejected)",
                    "import.batch": "\(outcome.batchID.map(String.init) ?? "-")", "import.seconds": "\(outcome.elapsed.seconds)",
                ]
            ) { $1 }
        )
        return outcome
    }

    static func alreadyImported(_ batch: SurveyImportBatch) -> SurveyImportFailure {
        SurveyImportFailure(
            .alreadyImported,
            "this file was already imported as batch \(batch.id) (\(batch.fileName), year \(batch.year), \(batch.finishedAt), "
                + "by \(batch.actor)\(batch.status == "replaced" ? ", since replaced" : "")); nothing was imported"
        )
    }

    /// Hands the pass to the child task that parses the file. The parent does not touch it until the task group has
    /// finished (which orders the child's writes before the parent's reads), hence the unchecked conformance.
    struct HandedOver<Value>: @unchecked Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }

    /// Carries the outcome of a refused import out of the transaction, which it rolls back.
    struct Abort: Error {
        let outcome: SurveyImportOutcome
    }
}
