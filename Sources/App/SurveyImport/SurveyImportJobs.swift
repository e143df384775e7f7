import Forms
import Foundation
import Logging
import Postgres
import ServiceLifecycle
import Synchronization

/// Runs the upload page's imports in the background, one at a time, for the life of the application.
///
/// A ServiceLifecycle `Service` (add it with `app.addServices`): `run()` takes work from an `AsyncStream` queue
/// until graceful shutdown, which cancels an import in progress (its transaction is rolled back). No detached tasks.
/// Job state is kept in memory for the page (the last 50 jobs); batches themselves are in the database.
public final class SurveyImportJobs: Service, Sendable {
    /// Where a job has got to.
    public enum Phase: String, Sendable {
        case queued
        case checking
        case checked
        case importing
        case imported
        case failed
    }

    /// One upload and what has been done with it.
    public struct Job: Sendable {
        public let id: String
        public let fileName: String
        public let year: Int
        /// The uploaded file, kept until the job is forgotten.
        let storedPath: String
        let problemsPath: String
        public var phase: Phase = .queued
        public var acceptValidRows = false
        public var progress: SurveyImportProgress?
        /// The dry run's outcome, then the import's.
        public var outcome: SurveyImportOutcome?
        /// Why the check or import stopped.
        public var failure: String?
        public let actor: SurveyImportActor
    }

    enum Work: Sendable {
        case check(String)
        case commit(String)
    }

    private let importer: SurveyImporter
    private let codebookID: String
    private let formsDirectory: String
    private let maxBytes: Int
    /// The folder uploads and problem lists are written to.
    public let directory: String
    private let jobs = Mutex<[String: Job]>([:])
    private let order = Mutex<[String]>([])
    private let stream: AsyncStream<Work>
    private let continuation: AsyncStream<Work>.Continuation
    private let logger: Logger
    private let metrics: AppMetrics?
    static let keep = 50

    /// Makes the job runner. The upload folder (IMPORT_DIR) is created when the first upload arrives.
    public init(
        database: PostgresClient,
        configuration: AppConfiguration,
        logger: Logger,
        auditHook: @escaping SurveyImportAuditHook = { _, _ in },
        metrics: AppMetrics? = nil
    ) {
        importer = SurveyImporter(database: database, logger: logger, auditHook: auditHook)
        codebookID = SurveyImportCommand.defaultCodebookID
        formsDirectory = configuration.formsDirectory
        maxBytes = configuration.importMaxUploadBytes
        directory = configuration.resolvedImportDirectory
        self.logger = logger
        self.metrics = metrics
        (stream, continuation) = AsyncStream.makeStream(of: Work.self)
    }

    /// The largest file accepted.
    public var maxUploadBytes: Int { maxBytes }

    /// A new path in the upload folder for an incoming file.
    func newUploadPath() -> (id: String, path: String) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            logger.error("cannot create the upload folder", metadata: ["import.directory": "\(directory)", "error": "\(error)"])
        }
        let id = UUID().uuidString.lowercased()
        return (id, directory + "/\(id).csv")
    }

    /// Registers an uploaded file and queues its check (a dry run).
    func submit(id: String, storedPath: String, fileName: String, year: Int, actor: SurveyImportActor) {
        let job = Job(
            id: id,
            fileName: fileName,
            year: year,
            storedPath: storedPath,
            problemsPath: directory + "/\(id).problems.csv",
            actor: actor
        )
        jobs.withLock { $0[id] = job }
        let forgotten: [Job] = order.withLock { order in
            order.append(id)
            guard order.count > Self.keep else { return [] }
            let old = order.prefix(order.count - Self.keep)
            order.removeFirst(old.count)
            return jobs.withLock { jobs in old.compactMap { jobs.removeValue(forKey: $0) } }
        }
        for job in forgotten { removeFiles(job) }
        continuation.yield(.check(id))
    }

    /// Queues the import of a checked job. Returns false when the job is not waiting for it.
    func commit(id: String, acceptValidRows: Bool) -> Bool {
        let queued = jobs.withLock { jobs -> Bool in
            guard var job = jobs[id], job.phase == .checked else { return false }
            job.phase = .queued
            job.acceptValidRows = acceptValidRows
            job.progress = nil
            jobs[id] = job
            return true
        }
        if queued { continuation.yield(.commit(id)) }
        return queued
    }

    /// The job's current state.
    public func job(id: String) -> Job? {
        jobs.withLock { $0[id] }
    }

    /// Processes queued work until graceful shutdown or cancellation.
    public func run() async throws {
        removeLeftovers()
        await cancelWhenGracefulShutdown {
            for await work in self.stream {
                if Task.isCancelled { break }
                await self.process(work)
            }
        }
        continuation.finish()
    }

    func process(_ work: Work) async {
        let (id, dryRun) =
            switch work {
            case .check(let id): (id, true)
            case .commit(let id): (id, false)
            }
        guard let job = update(id, { $0.phase = dryRun ? .checking : .importing }) else { return }
        do {
            let codebook = try SurveyImportCommand.resolveCodebook(codebookID, formsDirectory: formsDirectory)
            var request = SurveyImportRequest(
                path: job.storedPath,
                fileName: job.fileName,
                year: job.year,
                codebook: codebook,
                maxBytes: maxBytes,
                actor: job.actor
            )
            request.dryRun = dryRun
            request.acceptValidRows = dryRun || job.acceptValidRows
            request.problemsPath = job.problemsPath
            let outcome = try await importer.run(request) { progress in
                _ = self.update(id) { $0.progress = progress }
            }
            if !dryRun { metrics?.recordImport(outcome: outcome.succeeded ? .imported : .rejected, rowsImported: outcome.rowsImported) }
            _ = update(id) { job in
                job.outcome = outcome
                if let failure = outcome.failure {
                    job.phase = .failed
                    job.failure = failure.description
                } else {
                    job.phase = dryRun ? .checked : .imported
                }
            }
        } catch let failure as SurveyImportFailure {
            if !dryRun { metrics?.recordImport(outcome: .failed, rowsImported: 0) }
            _ = update(id) { job in
                job.phase = .failed
                job.failure = failure.description
            }
        } catch {
            logger.error("survey import job failed", metadata: ["import.job": "\(id)", "error": "\(error)"])
            if !dryRun { metrics?.recordImport(outcome: .failed, rowsImported: 0) }
            _ = update(id) { job in
                job.phase = .failed
                job.failure = "the import stopped because of a problem with the service; nothing was imported"
            }
        }
    }

    @discardableResult
    private func update(_ id: String, _ change: (inout Job) -> Void) -> Job? {
        jobs.withLock { jobs in
            guard var job = jobs[id] else { return nil }
            change(&job)
            jobs[id] = job
            return job
        }
    }

    /// Removes uploads and problem lists left by an earlier run (jobs live in memory only). Only files named as this
    /// type names them (`UUID.csv`, `UUID.problems.csv`) are touched.
    private func removeLeftovers() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let known = jobs.withLock { Set($0.keys) }
        for name in names {
            let stem =
                name.hasSuffix(".problems.csv")
                ? String(name.dropLast(".problems.csv".count)) : name.hasSuffix(".csv") ? String(name.dropLast(4)) : ""
            guard UUID(uuidString: stem) != nil, !known.contains(stem) else { continue }
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
    }

    private func removeFiles(_ job: Job) {
        try? FileManager.default.removeItem(atPath: job.storedPath)
        try? FileManager.default.removeItem(atPath: job.problemsPath)
    }
}
