import Domain
import Foundation
import Hummingbird

/// The upload page for the service-user survey: upload → check (a dry run in the background, with progress) →
/// review counts and problems (the full list as CSV) → import, all or nothing or the valid rows only.
///
/// Registers absolute paths under `/import/service-user-survey` on the group it is given, so the lead can mount it
/// behind the inspector/admin permission: `SurveyImportRoutes(…).register(on: router.group().add(middleware: …))`.
/// The actor recorded is `web` with no user id until staff accounts exist (`actor(for:)`).
public struct SurveyImportRoutes: Sendable {
    public static let basePath = "/import/service-user-survey"
    static let jobPath = basePath + "/jobs/:id"
    static let problemsPath = jobPath + "/problems.csv"
    static let importPath = jobPath + "/import"
    /// Every route `register` adds, for the staff route catalogue (the security tests check none is missing).
    public static let routes: [(HTTPRequest.Method, String)] = [
        (.get, basePath), (.post, basePath), (.get, jobPath), (.get, problemsPath), (.post, importPath),
    ]
    let dependencies: AppDependencies
    let jobs: SurveyImportJobs

    public init(dependencies: AppDependencies, jobs: SurveyImportJobs) {
        self.dependencies = dependencies
        self.jobs = jobs
    }

    /// `?csrf_token=…` for forms posting to the upload routes (their bodies are streamed, so the token travels in the
    /// address), or "" when there is no session (the bare routes in tests).
    static func csrfQuery(_ token: String?) -> String {
        token.map { "?csrf_token=" + $0 } ?? ""
    }

    /// Who is importing: the signed-in user.
    func actor(for context: AppRequestContext) -> SurveyImportActor {
        SurveyImportActor(userID: context.staff?.user.id, name: context.staff.map { "web:user:\($0.user.id)" } ?? "web")
    }

    /// Whether the signed-in user may see (and act on) `job`: its uploader and administrators only; to anyone else it
    /// is a 404, as if it did not exist (issue 18). The problem list quotes values from the file. Without a staff
    /// session (the bare routes tests mount) there is no one to compare with.
    func visible(_ job: SurveyImportJobs.Job, _ context: AppRequestContext) -> Bool {
        guard let staff = context.staff else { return true }
        return staff.user.role == .admin || (job.actor.userID != nil && job.actor.userID == staff.user.id)
    }

    /// Adds the routes to `group`.
    public func register(on group: some RouterMethods<AppRequestContext>) {
        let base = RouterPath(stringLiteral: Self.basePath)
        group.get(base) { _, context in
            try await uploadPage(error: nil, year: nil, status: .ok, context: context)
        }
        group.post(base) { request, context in
            try await receiveUpload(request, context: context)
        }
        group.get(RouterPath(stringLiteral: Self.jobPath)) { _, context in
            guard let id = context.parameters.get("id"), let job = try await jobs.job(id: id), visible(job, context) else {
                throw HTTPError(.notFound)
            }
            return dependencies.templates.page(
                "import/job",
                SurveyImportJobPage(job: job, maxProblems: 100, csrfToken: context.staff?.csrfToken)
            )
        }
        group.get(RouterPath(stringLiteral: Self.problemsPath)) { _, context in
            // The list is in the database, in parts, so any instance can send it.
            guard let id = context.parameters.get("id"), let job = try await jobs.job(id: id), visible(job, context),
                let list = try await jobs.problemList(id: id)
            else { throw HTTPError(.notFound) }
            let body = ResponseBody(contentLength: list.bytes) { writer in
                for part in 0..<list.parts {
                    try await writer.write(ByteBuffer(bytes: try await jobs.problemPart(id: id, part: part)))
                }
                try await writer.finish(nil)
            }
            return Response(
                status: .ok,
                headers: [
                    .contentType: "text/csv; charset=utf-8",
                    .contentDisposition: "attachment; filename=\"import-problems.csv\"",
                    .cacheControl: "no-store",
                ],
                body: body
            )
        }
        group.post(RouterPath(stringLiteral: Self.importPath)) { request, context in
            guard let id = context.parameters.get("id"), let job = try await jobs.job(id: id), visible(job, context) else {
                throw HTTPError(.notFound)
            }
            let form = String(buffer: try await request.body.collect(upTo: 4096))
            let accept = form.split(separator: "&").contains { $0 == "accept_valid_rows=yes" }
            _ = try await jobs.commit(id: id, acceptValidRows: accept)
            return Response(status: .seeOther, headers: [.location: Self.basePath + "/jobs/\(id)"])
        }
    }

    private func uploadPage(error: String?, year: String?, status: HTTPResponse.Status, context: AppRequestContext) async throws -> Response {
        let batches = try await SurveyImportStore.recentBatches(limit: 20, database: dependencies.database)
        return dependencies.templates.page(
            "import/upload",
            SurveyImportUploadPage(
                error: error,
                year: year,
                maxBytes: jobs.maxUploadBytes,
                batches: batches,
                csrfToken: context.staff?.csrfToken
            ),
            status: status
        )
    }

    private func receiveUpload(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let contentType = request.headers[.contentType], let boundary = MultipartFileReceiver.boundary(contentType: contentType) else {
            return try await uploadPage(error: "Choose a CSV file to upload", year: nil, status: .badRequest, context: context)
        }
        let (id, path) = jobs.newUploadPath()
        let receiver = MultipartFileReceiver(boundary: Array(boundary.utf8), fileField: "file", destination: path, maxFileBytes: jobs.maxUploadBytes)
        let result: MultipartFileReceiver.Result
        do {
            result = try await receiver.receive(request.body)
        } catch MultipartFileReceiver.Failure.tooLarge {
            return try await uploadPage(
                error: "The file is larger than the limit of \(formatBytes(jobs.maxUploadBytes)); nothing was imported",
                year: nil,
                status: .contentTooLarge,
                context: context
            )
        } catch {
            return try await uploadPage(error: "The upload could not be read; try again", year: nil, status: .badRequest, context: context)
        }
        let yearText = result.fields["year"]?.trimmingCharacters(in: .whitespaces) ?? ""
        guard let year = Int(yearText), (1990...2100).contains(year) else {
            try? FileManager.default.removeItem(atPath: path)
            return try await uploadPage(
                error: "Enter the survey year as four digits, for example 2013",
                year: yearText,
                status: .badRequest,
                context: context
            )
        }
        guard let fileName = result.fileName, !fileName.isEmpty else {
            try? FileManager.default.removeItem(atPath: path)
            return try await uploadPage(error: "Choose a CSV file to upload", year: yearText, status: .badRequest, context: context)
        }
        context.logger.info("survey file uploaded", metadata: ["import.job": "\(id)", "import.bytes": "\(result.fileBytes)"])
        try await jobs.submit(id: id, fileName: String(fileName.prefix(255)), year: year, actor: actor(for: context))
        return Response(status: .seeOther, headers: [.location: Self.basePath + "/jobs/\(id)"])
    }
}

/// The upload page's view model.
struct SurveyImportUploadPage: Sendable {
    struct Batch: Sendable {
        let id: Int64
        let year: Int
        let fileName: String
        let rows: Int
        let rejected: Int
        let status: String
        let replacedBy: String
        let actor: String
        let finishedAt: String
        let codebook: String
    }

    let title = "Import the service-user survey"
    let action: String
    let error: String?
    let year: String?
    let maxSize: String
    let batches: [Batch]
    let hasBatches: Bool

    init(error: String?, year: String?, maxBytes: Int, batches: [SurveyImportBatch], csrfToken: String? = nil) {
        action = SurveyImportRoutes.basePath + SurveyImportRoutes.csrfQuery(csrfToken)
        self.error = error
        self.year = year
        maxSize = formatBytes(maxBytes)
        self.batches = batches.map {
            Batch(
                id: $0.id,
                year: $0.year,
                fileName: $0.fileName,
                rows: $0.rowsImported,
                rejected: $0.rowsRejected,
                status: $0.status,
                replacedBy: $0.replacedBy.map { "by batch \($0)" } ?? "",
                actor: $0.actor,
                finishedAt: $0.finishedAt,
                codebook: "\($0.codebookID) v\($0.codebookVersion)"
            )
        }
        hasBatches = !batches.isEmpty
    }
}

/// The job page's view model.
struct SurveyImportJobPage: Sendable {
    struct Problem: Sendable {
        let line: Int
        let column: String
        let value: String
        let reason: String
    }

    let title: String
    let fileName: String
    let year: Int
    let running: Bool
    let progressLine: String?
    let percent: Int
    let failure: String?
    let checked: Bool
    let imported: Bool
    let rowsRead: Int
    let rowsValid: Int
    let rowsRejected: Int
    let problemCount: Int
    let problems: [Problem]
    let moreProblems: Int
    let problemsURL: String?
    let notes: [String]
    let canImportAll: Bool
    let canImportValid: Bool
    let importAction: String
    let batchID: String?
    let replacedBatchID: String?
    let uploadURL = SurveyImportRoutes.basePath

    init(job: SurveyImportJobs.Job, maxProblems: Int, csrfToken: String? = nil) {
        fileName = job.fileName
        year = job.year
        running = [.queued, .checking, .importQueued, .importing].contains(job.phase)
        progressLine = job.progress.map(SurveyImportProgressDisplay.line)
        percent = Int((job.progress?.fraction ?? 0) * 100)
        failure = job.failure
        checked = job.phase == .checked
        imported = job.phase == .imported
        let outcome = job.outcome
        rowsRead = outcome?.rowsRead ?? 0
        rowsValid = outcome?.rowsValid ?? 0
        rowsRejected = outcome?.rowsRejected ?? 0
        problemCount = outcome?.problemCount ?? 0
        problems = (outcome?.problems ?? []).prefix(maxProblems).map {
            Problem(line: $0.line, column: $0.column ?? "", value: $0.value ?? "", reason: $0.reason)
        }
        moreProblems = max(0, problemCount - problems.count)
        problemsURL = problemCount > 0 ? SurveyImportRoutes.basePath + "/jobs/\(job.id)/problems.csv" : nil
        notes = outcome?.notes ?? []
        canImportAll = checked && rowsRejected == 0
        canImportValid = checked && rowsRejected > 0 && rowsValid > 0
        importAction = SurveyImportRoutes.basePath + "/jobs/\(job.id)/import" + SurveyImportRoutes.csrfQuery(csrfToken)
        batchID = outcome?.batchID.map(String.init)
        replacedBatchID = outcome?.replacedBatchID.map(String.init)
        title =
            switch job.phase {
            case .queued, .checking: "Checking the file"
            case .checked: "Check the results before importing"
            case .importQueued, .importing: "Importing"
            case .imported: "Import complete"
            case .failed, .interrupted: "The file was not imported"
            }
    }
}
