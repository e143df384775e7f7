import Forms
import Foundation
import Logging
import Postgres
import ServiceLifecycle
import Synchronization

/// Runs the upload page's imports in the background, one at a time per instance, for the life of the application.
///
/// A ServiceLifecycle `Service` (add it with `app.addServices`). Job state lives in PostgreSQL (`survey_import_job`),
/// not in this process, so the job page, the problem list and the "import" button work through any instance behind a
/// load balancer. The uploaded file is on the disk of the instance that received it, so that instance runs the job:
/// it claims its queued work, writes progress and a heartbeat about once a second, and stores the outcome and the
/// full problem list. A live job whose heartbeat is older than `staleAfter` is shown as interrupted (its instance
/// stopped; an import is one transaction, so nothing of it was stored). Graceful shutdown cancels an import in
/// progress (its transaction is rolled back). No detached tasks. The newest `keep` jobs are kept.
public final class SurveyImportJobs: Service, Sendable {
    /// Where a job has got to.
    public enum Phase: String, Sendable {
        case queued
        case checking
        case checked
        case importQueued = "import_queued"
        case importing
        case imported
        case failed
        /// Not stored: a job its instance stopped beating for before it finished.
        case interrupted

        /// Phases in which the job's instance still has work to do or holds its file.
        static let live: [Phase] = [.queued, .checking, .checked, .importQueued, .importing]
    }

    /// The counts, first problems and batch numbers of a check or import, as the page shows them.
    public struct Summary: Sendable, Codable, Equatable {
        public struct Problem: Sendable, Codable, Equatable {
            public let line: Int
            public let column: String?
            public let value: String?
            public let reason: String
        }

        public var rowsRead: Int
        public var rowsValid: Int
        public var rowsRejected: Int
        public var problemCount: Int
        /// The first problems (at most 100).
        public var problems: [Problem]
        public var notes: [String]
        public var batchID: Int64?
        public var replacedBatchID: Int64?

        init(_ outcome: SurveyImportOutcome) {
            rowsRead = outcome.rowsRead
            rowsValid = outcome.rowsValid
            rowsRejected = outcome.rowsRejected
            problemCount = outcome.problemCount
            problems = outcome.problems.map { Problem(line: $0.line, column: $0.column, value: $0.value, reason: $0.reason) }
            notes = outcome.notes
            batchID = outcome.batchID
            replacedBatchID = outcome.replacedBatchID
        }
    }

    /// One upload and what has been done with it.
    public struct Job: Sendable {
        public let id: String
        public let fileName: String
        public let year: Int
        /// The instance that holds the file and runs the job.
        public let instanceID: String
        public var phase: Phase
        public var acceptValidRows: Bool
        public var progress: SurveyImportProgress?
        /// The check's outcome, then the import's.
        public var outcome: Summary?
        /// Why the check or import stopped.
        public var failure: String?
        public let actor: SurveyImportActor
    }

    /// What the page says about a job whose instance stopped.
    public static let interruptedMessage =
        "The service stopped while it was handling this file. Nothing from it was stored: upload the file again."
    /// A live job whose heartbeat is older than this is shown as interrupted.
    public static let staleAfter: Duration = .seconds(30)
    static let keep = 50
    /// The size of the stored problem list's parts.
    static let problemPartBytes = 1 << 20

    private let database: PostgresClient
    private let importer: SurveyImporter
    private let codebookID: String
    private let formsDirectory: String
    /// The definitions checked at start (nil: read from `formsDirectory` for each job, as tests without a server do).
    private let forms: FormRegistry?
    private let maxBytes: Int
    /// The folder uploads and problem lists are written to.
    public let directory: String
    /// This instance's name in `survey_import_job.instance_id` (random per start).
    public let instanceID: String
    /// The job this instance is running and its latest progress, written to the database by the heartbeat.
    private let running = Mutex<(id: UUID, progress: SurveyImportProgress?)?>(nil)
    /// Jobs registered on this instance so far, and that count when a heartbeat last found none of them live: while
    /// the two are equal this instance holds no live job and its beat skips the database.
    private let registered = Atomic<Int>(0)
    private let registeredWhenIdle = Atomic<Int>(0)
    private let wake: AsyncStream<Void>
    private let wakeContinuation: AsyncStream<Void>.Continuation
    private let beatInterval: Duration
    private let logger: Logger
    private let metrics: AppMetrics?

    /// Makes the job runner. The upload folder (IMPORT_DIR) is created when the first upload arrives.
    public init(
        database: PostgresClient,
        configuration: AppConfiguration,
        forms: FormRegistry? = nil,
        logger: Logger,
        auditHook: @escaping SurveyImportAuditHook = { _, _ in },
        beatInterval: Duration = .seconds(1),
        metrics: AppMetrics? = nil
    ) {
        self.database = database
        importer = SurveyImporter(database: database, logger: logger, auditHook: auditHook)
        codebookID = SurveyCodebook.defaultID
        formsDirectory = configuration.formsDirectory
        self.forms = forms
        maxBytes = configuration.importMaxUploadBytes
        directory = configuration.resolvedImportDirectory
        instanceID = "\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8).lowercased())"
        self.beatInterval = beatInterval
        self.logger = logger
        (wake, wakeContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.metrics = metrics
    }

    /// The largest file accepted.
    public var maxUploadBytes: Int { maxBytes }

    func uploadPath(_ id: UUID) -> String { directory + "/\(id.uuidString.lowercased()).csv" }
    func problemsPath(_ id: UUID) -> String { directory + "/\(id.uuidString.lowercased()).problems.csv" }

    /// A new path in the upload folder for an incoming file.
    package func newUploadPath() -> (id: String, path: String) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            logger.error("cannot create the upload folder", metadata: ["import.directory": "\(directory)", "error": "\(error)"])
        }
        let id = UUID()
        return (id.uuidString.lowercased(), uploadPath(id))
    }

    /// Registers an uploaded file (already at `uploadPath(id)`) and queues its check (a dry run) on this instance.
    package func submit(id: String, fileName: String, year: Int, actor: SurveyImportActor) async throws {
        guard let uuid = UUID(uuidString: id) else { return }
        try await database.execute(
            """
            INSERT INTO survey_import_job (id, file_name, survey_year, actor_user_id, actor_name, instance_id)
            VALUES (\(uuid), \(fileName), \(year), \(actor.userID), \(actor.name), \(instanceID))
            """
        )
        registered.add(1, ordering: .sequentiallyConsistent)
        try await database.execute(
            "DELETE FROM survey_import_job WHERE id IN (SELECT id FROM survey_import_job ORDER BY created_at DESC, id OFFSET \(Self.keep))"
        )
        wakeContinuation.yield()
        await removeLeftovers()
    }

    /// Queues the import of a checked job, from any instance. Returns false when the job is not waiting for it (or
    /// its instance has stopped).
    package func commit(id: String, acceptValidRows: Bool) async throws -> Bool {
        guard let uuid = UUID(uuidString: id) else { return false }
        let rows = try await database.query(
            """
            UPDATE survey_import_job SET phase = 'import_queued', accept_valid_rows = \(acceptValidRows),
                progress_rows = NULL, progress_bytes = NULL, progress_total_bytes = NULL, progress_elapsed_ms = NULL
            WHERE id = \(uuid) AND phase = 'checked'
              AND heartbeat_at >= clock_timestamp() - make_interval(secs => \(Self.staleAfter.seconds))
            RETURNING instance_id
            """
        )
        guard let row = rows.first else { return false }
        if try row.decode("instance_id", as: String.self) == instanceID { wakeContinuation.yield() }
        return true
    }

    /// The job's current state, from the database (nil for an unknown or malformed id).
    public func job(id: String) async throws -> Job? {
        guard let uuid = UUID(uuidString: id) else { return nil }
        let rows = try await database.query(
            """
            SELECT *, heartbeat_at < clock_timestamp() - make_interval(secs => \(Self.staleAfter.seconds)) AS stale
            FROM survey_import_job WHERE id = \(uuid)
            """
        )
        return try rows.first.map(Self.job(from:))
    }

    static func job(from row: PostgresRow) throws -> Job {
        let stored = try row.decode("phase", as: String.self)
        guard var phase = Phase(rawValue: stored) else { throw PostgresDecodingFailure("unknown import job phase") }
        var failure: String? = try row.decode("failure")
        if Phase.live.contains(phase), try row.decode("stale", as: Bool.self) {
            phase = .interrupted
            failure = interruptedMessage
        }
        var progress: SurveyImportProgress?
        if let rows: Int = try row.decode("progress_rows"), let bytes: Int = try row.decode("progress_bytes"),
            let total: Int = try row.decode("progress_total_bytes"), let elapsed: Int = try row.decode("progress_elapsed_ms")
        {
            progress = SurveyImportProgress(rows: rows, bytesRead: bytes, totalBytes: total, elapsed: .milliseconds(Int64(elapsed)))
        }
        let outcome = try row.decode("outcome", as: PostgresJSON?.self).map { try $0.decode(Summary.self) }
        return Job(
            id: try row.decode("id", as: UUID.self).uuidString.lowercased(),
            fileName: try row.decode("file_name"),
            year: try row.decode("survey_year"),
            instanceID: try row.decode("instance_id"),
            phase: phase,
            acceptValidRows: try row.decode("accept_valid_rows"),
            progress: progress,
            outcome: outcome,
            failure: failure,
            actor: SurveyImportActor(userID: try row.decode("actor_user_id"), name: try row.decode("actor_name"))
        )
    }

    /// The full problem list of a job as stored parts (nil when there is none), and its size in bytes.
    package func problemList(id: String) async throws -> (parts: Int, bytes: Int)? {
        guard let uuid = UUID(uuidString: id) else { return nil }
        let rows = try await database.query(
            "SELECT count(*) AS parts, coalesce(sum(length(content)), 0)::bigint AS bytes FROM survey_import_job_problems WHERE job_id = \(uuid)"
        )
        let parts = try rows[0].decode("parts", as: Int.self)
        return parts == 0 ? nil : (parts, try rows[0].decode("bytes", as: Int.self))
    }

    /// One part of a job's problem list.
    package func problemPart(id: String, part: Int) async throws -> [UInt8] {
        guard let uuid = UUID(uuidString: id) else { return [] }
        let rows = try await database.query("SELECT content FROM survey_import_job_problems WHERE job_id = \(uuid) AND part = \(part)")
        return try rows.first?.decode("content", as: PostgresBytes.self).bytes ?? []
    }

    /// Processes this instance's queued work until graceful shutdown or cancellation, beating its live jobs' heartbeat.
    public func run() async throws {
        await removeLeftovers()
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.beat() }
                group.addTask {
                    for await _ in self.wake {
                        if Task.isCancelled { break }
                        await self.drain()
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
        wakeContinuation.finish()
    }

    /// Every `beatInterval`: marks this instance's live jobs as alive, records the running job's progress, and looks
    /// for work queued here through another instance. An instance holding no live job (the usual case) skips all
    /// three: only jobs registered here can be queued here.
    private func beat() async {
        while !Task.isCancelled {
            let seen = registered.load(ordering: .sequentiallyConsistent)
            if seen != registeredWhenIdle.load(ordering: .sequentiallyConsistent) {
                do {
                    let live = try await heartbeat()
                    // A job registered during the heartbeat changes `registered`, so it is never mistaken for idle.
                    if live == 0 && running.withLock({ $0 == nil }) { registeredWhenIdle.store(seen, ordering: .sequentiallyConsistent) }
                } catch {
                    logger.warning("survey import heartbeat failed", metadata: ["error": "\(error)"])
                }
                wakeContinuation.yield()
            }
            try? await Task.sleep(for: beatInterval)
        }
    }

    /// Beats the heartbeat of this instance's live jobs and returns how many there are.
    @discardableResult
    func heartbeat() async throws -> Int {
        let live = try await database.execute(
            """
            UPDATE survey_import_job SET heartbeat_at = clock_timestamp()
            WHERE instance_id = \(instanceID) AND phase IN ('queued', 'checking', 'checked', 'import_queued', 'importing')
            """
        )
        guard let current = running.withLock({ $0 }), let progress = current.progress else { return live }
        let id = current.id
        try await database.execute(
            """
            UPDATE survey_import_job SET progress_rows = \(progress.rows), progress_bytes = \(progress.bytesRead),
                progress_total_bytes = \(progress.totalBytes), progress_elapsed_ms = \(Int(progress.elapsed.seconds * 1000))
            WHERE id = \(id) AND instance_id = \(instanceID)
            """
        )
        return live
    }

    /// Runs every job queued on this instance, oldest first.
    private func drain() async {
        while !Task.isCancelled {
            do {
                guard let claimed = try await claimNext() else { return }
                await process(claimed.job, dryRun: claimed.dryRun)
            } catch {
                logger.warning("cannot read the survey import queue", metadata: ["error": "\(error)"])
                return
            }
        }
    }

    /// Moves this instance's oldest queued job to checking or importing and returns it.
    private func claimNext() async throws -> (job: Job, dryRun: Bool)? {
        let rows = try await database.query(
            """
            UPDATE survey_import_job j SET phase = CASE j.phase WHEN 'queued' THEN 'checking' ELSE 'importing' END,
                heartbeat_at = clock_timestamp(),
                progress_rows = NULL, progress_bytes = NULL, progress_total_bytes = NULL, progress_elapsed_ms = NULL
            WHERE j.id = (SELECT id FROM survey_import_job WHERE instance_id = \(instanceID) AND phase IN ('queued', 'import_queued')
                          ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING j.*, false AS stale
            """
        )
        guard let row = rows.first else { return nil }
        let job = try Self.job(from: row)
        return (job, job.phase == .checking)
    }

    func process(_ job: Job, dryRun: Bool) async {
        guard let id = UUID(uuidString: job.id) else { return }
        running.withLock { $0 = (id, nil) }
        defer { running.withLock { $0 = nil } }
        var phase: Phase
        var summary: Summary?
        var failure: String?
        var problemsFile: String?
        do {
            let codebook =
                try forms.map { try SurveyCodebook.current(codebookID, in: $0, formsDirectory: formsDirectory) }
                ?? SurveyCodebook.resolve(codebookID, formsDirectory: formsDirectory)
            var request = SurveyImportRequest(
                path: uploadPath(id),
                fileName: job.fileName,
                year: job.year,
                codebook: codebook,
                maxBytes: maxBytes,
                actor: job.actor
            )
            request.dryRun = dryRun
            request.acceptValidRows = dryRun || job.acceptValidRows
            request.problemsPath = problemsPath(id)
            let outcome = try await importer.run(request) { progress in
                self.running.withLock { if $0?.id == id { $0?.progress = progress } }
            }
            if !dryRun { metrics?.recordImport(outcome: outcome.succeeded ? .imported : .rejected, rowsImported: outcome.rowsImported) }
            summary = Summary(outcome)
            problemsFile = outcome.problemCount > 0 ? outcome.problemsPath ?? problemsPath(id) : nil
            if let refused = outcome.failure {
                phase = .failed
                failure = refused.description
            } else {
                phase = dryRun ? .checked : .imported
            }
        } catch let refused as SurveyImportFailure {
            if !dryRun { metrics?.recordImport(outcome: .failed, rowsImported: 0) }
            phase = .failed
            failure = refused.description
        } catch {
            logger.error("survey import job failed", metadata: ["import.job": "\(job.id)", "error": "\(error)"])
            if !dryRun { metrics?.recordImport(outcome: .failed, rowsImported: 0) }
            phase = .failed
            failure = "the import stopped because of a problem with the service; nothing was imported"
        }
        do {
            try await finish(id, phase: phase, summary: summary, failure: failure, problemsFile: problemsFile)
        } catch {
            logger.error("cannot record the survey import job's outcome", metadata: ["import.job": "\(job.id)", "error": "\(error)"])
        }
        try? FileManager.default.removeItem(atPath: problemsPath(id))
        if phase != .checked { try? FileManager.default.removeItem(atPath: uploadPath(id)) }
    }

    /// Records a job's outcome and its full problem list in one transaction.
    private func finish(_ id: UUID, phase: Phase, summary: Summary?, failure: String?, problemsFile: String?) async throws {
        let json = try summary.map { try PostgresJSON(encoding: $0) }
        let handle = problemsFile.flatMap { FileHandle(forReadingAtPath: $0) }
        defer { try? handle?.close() }
        try await database.withTransaction { connection in
            try await connection.execute(
                """
                UPDATE survey_import_job SET phase = \(phase.rawValue), outcome = \(json), failure = \(failure),
                    heartbeat_at = clock_timestamp()
                WHERE id = \(id) AND instance_id = \(instanceID)
                """
            )
            try await connection.execute("DELETE FROM survey_import_job_problems WHERE job_id = \(id)")
            guard let handle else { return }
            var part = 0
            while let data = try handle.read(upToCount: Self.problemPartBytes), !data.isEmpty {
                try await connection.execute(
                    """
                    INSERT INTO survey_import_job_problems (job_id, part, content)
                    SELECT \(id), \(part), \(PostgresBytes(Array(data))) WHERE EXISTS (SELECT 1 FROM survey_import_job WHERE id = \(id))
                    """
                )
                part += 1
            }
        }
    }

    /// Removes uploads and problem lists in the upload folder that no live job needs: files named as this type names
    /// them (`UUID.csv`, `UUID.problems.csv`) whose job is finished, interrupted or forgotten. A file with no job that
    /// changed in the last hour is kept (it may be an upload still arriving, on this or another instance sharing the
    /// folder).
    func removeLeftovers() async {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var stems: [String: [String]] = [:]
        for name in names {
            let stem =
                name.hasSuffix(".problems.csv")
                ? String(name.dropLast(".problems.csv".count)) : name.hasSuffix(".csv") ? String(name.dropLast(4)) : ""
            guard UUID(uuidString: stem) != nil else { continue }
            stems[stem, default: []].append(name)
        }
        guard !stems.isEmpty else { return }
        let ids = Array(stems.keys)
        let known: [String: Bool]
        do {
            let rows = try await database.query(
                """
                SELECT id::text AS id,
                       phase IN ('queued', 'checking', 'checked', 'import_queued', 'importing')
                         AND heartbeat_at >= clock_timestamp() - make_interval(secs => \(Self.staleAfter.seconds)) AS live
                FROM survey_import_job WHERE id::text = ANY(\(ids))
                """
            )
            known = Dictionary(uniqueKeysWithValues: try rows.map { (try $0.decode("id", as: String.self), try $0.decode("live", as: Bool.self)) })
        } catch {
            logger.warning("cannot check the upload folder against the import jobs", metadata: ["error": "\(error)"])
            return
        }
        let hourAgo = Date().addingTimeInterval(-3600)
        for (stem, files) in stems {
            if known[stem] == true { continue }
            for name in files {
                let path = directory + "/" + name
                if known[stem] == nil {
                    let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate]) as? Date
                    if let modified, modified > hourAgo { continue }
                }
                try? FileManager.default.removeItem(atPath: path)
            }
        }
    }
}
