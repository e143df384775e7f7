import Domain
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Operations
import Postgres
import TestSupport
import Testing
import Web

/// The upload page, its background job and the import it starts, through the router.
@Suite("Survey import: the upload page")
struct SurveyImportWebTests {
    /// Runs `body` with a router holding only the import routes and a running job service.
    static func withUploadApp(
        maxBytes: Int = 1 << 30,
        _ body: @escaping @Sendable (any TestClientProtocol, TestApp, SurveyImportJobs) async throws -> Void
    ) async throws {
        let folder = NSTemporaryDirectory() + "sv-upload-test-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let configure: (inout AppConfiguration) -> Void = { configuration in
            configuration.importMaxUploadBytes = maxBytes
            configuration.importDirectory = folder
        }
        try await TestApp.run(configure: configure) { _, testApp in
            let jobs = SurveyImportJobs(
                database: testApp.db,
                configuration: testApp.dependencies.configuration,
                logger: quietLogger,
                metrics: testApp.dependencies.metrics
            )
            let router = Router(context: AppRequestContext.self)
            SurveyImportRoutes(dependencies: testApp.dependencies, jobs: jobs).register(on: router.group())
            let app = Application(router: router, logger: quietLogger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await jobs.run() }
                try await app.test(.router) { client in try await body(client, testApp, jobs) }
                group.cancelAll()
            }
        }
    }

    static func multipart(year: String, fileName: String, file: [UInt8]) -> (HTTPFields, ByteBuffer) {
        let boundary = "----sv-boundary-7MA4YWxkTrZu0gW"
        var body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"year\"\r\n\r\n\(year)\r\n".utf8)
        body += Array(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(fileName)\"\r\nContent-Type: text/csv\r\n\r\n".utf8
        )
        body += file
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        return ([.contentType: "multipart/form-data; boundary=\(boundary)"], ByteBuffer(bytes: body))
    }

    /// Polls the job page until it stops refreshing itself.
    static func settledPage(_ client: any TestClientProtocol, _ location: String) async throws -> String {
        for _ in 0..<200 {
            let page = try await client.execute(uri: location, method: .get) { $0.text }
            if !page.contains("http-equiv=\"refresh\"") { return page }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the job did not finish")
        return ""
    }

    @Test("upload, check, review the problems, import the valid rows: recorded as a batch by 'web'")
    func uploadCheckImport() async throws {
        try await Self.withUploadApp { client, testApp, jobs in
            let page = try await client.execute(uri: SurveyImportRoutes.basePath, method: .get) { $0 }
            #expect(page.status == .ok)
            #expect(page.text.contains("enctype=\"multipart/form-data\""))

            // 2,000 rows (well over the 32 KiB chunks the test client sends), one of them invalid.
            let (headers, body) = Self.multipart(
                year: "2013",
                fileName: "C:\\Users\\me\\survey 2013.csv",
                file: try Self.csvWithUnknownProvider(testApp, rows: 2_000, onLine: 11)
            )
            let posted = try await client.execute(uri: SurveyImportRoutes.basePath, method: .post, headers: headers, body: body) { $0 }
            #expect(posted.status == .seeOther)
            let location = try #require(posted.headers[.location])

            let checked = try await Self.settledPage(client, location)
            #expect(checked.contains("Check the results before importing"))
            #expect(checked.contains("survey 2013.csv"))
            #expect(checked.contains("<dd class=\"govuk-summary-list__value\">1999</dd>"))
            #expect(checked.contains("unknown provider code"))
            #expect(checked.contains("Import the 1999 valid rows"))
            #expect(try await testApp.db.query("SELECT 1 FROM service_user_import_batch").isEmpty)

            let csv = try await client.execute(uri: location + "/problems.csv", method: .get) { $0 }
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(csv.text.hasPrefix("line,column,value,reason\n11,trust_code,99,"))

            let committed = try await Self.pressImport(client, location, acceptValidRows: true)
            #expect(committed.status == .seeOther)
            let done = try await Self.settledPage(client, location)
            #expect(done.contains("Import complete"), "\(done)")
            let batches = try await testApp.db.query(
                "SELECT actor, actor_user_id IS NULL AS anonymous, rows_imported, rows_rejected, file_name FROM service_user_import_batch"
            )
            let batch = try #require(batches.first)
            #expect(try batch.decode("actor", as: String.self) == "web")
            #expect(try batch.decode("anonymous", as: Bool.self))
            #expect(try batch.decode("rows_imported", as: Int.self) == 1999)
            #expect(try batch.decode("rows_rejected", as: Int.self) == 1)
            #expect(try batch.decode("file_name", as: String.self) == "survey 2013.csv")
            #expect(try await jobs.job(id: String(location.split(separator: "/").last ?? ""))?.phase == .imported)

            let listing = try await client.execute(uri: SurveyImportRoutes.basePath, method: .get) { $0.text }
            #expect(listing.contains("Imports so far"))
            #expect(listing.contains("survey 2013.csv"))
        }
    }

    @Test("a file over the upload limit is refused with 413 and nothing is kept or written")
    func tooLarge() async throws {
        try await Self.withUploadApp(maxBytes: 50_000) { client, testApp, jobs in
            let (headers, body) = Self.multipart(year: "2013", fileName: "big.csv", file: try Self.generatedCSV(testApp, rows: 2_000))
            let response = try await client.execute(uri: SurveyImportRoutes.basePath, method: .post, headers: headers, body: body) { $0 }
            #expect(response.status == .contentTooLarge)
            #expect(response.text.contains("larger than the limit of 48.8 KB"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: jobs.directory).isEmpty)
            #expect(try await testApp.db.query("SELECT 1 FROM service_user_import_batch").isEmpty)
        }
    }

    @Test("an upload with no year is refused and the form says what to do")
    func missingYear() async throws {
        try await Self.withUploadApp { client, testApp, _ in
            let (headers, body) = Self.multipart(year: "", fileName: "s.csv", file: try Self.generatedCSV(testApp, rows: 5))
            let response = try await client.execute(uri: SurveyImportRoutes.basePath, method: .post, headers: headers, body: body) { $0 }
            #expect(response.status == .badRequest)
            #expect(response.text.contains("Enter the survey year as four digits"))
        }
    }

    @Test("an empty file is reported on the job page and nothing is written")
    func emptyFileUpload() async throws {
        try await Self.withUploadApp { client, testApp, _ in
            let (headers, body) = Self.multipart(year: "2013", fileName: "empty.csv", file: [])
            let posted = try await client.execute(uri: SurveyImportRoutes.basePath, method: .post, headers: headers, body: body) { $0 }
            let page = try await Self.settledPage(client, try #require(posted.headers[.location]))
            #expect(page.contains("The file was not imported"))
            #expect(page.contains("the file is empty"))
            #expect(try await testApp.db.query("SELECT 1 FROM service_user_import_batch").isEmpty)
        }
    }

    /// Runs `body` with two "instances": two job runners and two routers on one database, as two processes behind a
    /// load balancer would be.
    static func withTwoInstances(
        _ body: @escaping @Sendable (any TestClientProtocol, any TestClientProtocol, TestApp, SurveyImportJobs, SurveyImportJobs) async throws -> Void
    ) async throws {
        let folder = NSTemporaryDirectory() + "sv-upload-test-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let configure: (inout AppConfiguration) -> Void = { $0.importDirectory = folder }
        try await TestApp.run(configure: configure) { _, testApp in
            let jobsA = SurveyImportJobs(database: testApp.db, configuration: testApp.dependencies.configuration, logger: quietLogger)
            let poolB = testApp.database.client(poolSize: 4)
            let jobsB = SurveyImportJobs(database: poolB, configuration: testApp.dependencies.configuration, logger: quietLogger)
            let routerA = Router(context: AppRequestContext.self)
            SurveyImportRoutes(dependencies: testApp.dependencies, jobs: jobsA).register(on: routerA.group())
            let routerB = Router(context: AppRequestContext.self)
            SurveyImportRoutes(dependencies: testApp.dependencies, jobs: jobsB).register(on: routerB.group())
            let appA = Application(router: routerA, logger: quietLogger)
            let appB = Application(router: routerB, logger: quietLogger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await jobsA.run() }
                group.addTask { try await jobsB.run() }
                try await appA.test(.router) { clientA in
                    try await appB.test(.router) { clientB in try await body(clientA, clientB, testApp, jobsA, jobsB) }
                }
                group.cancelAll()
            }
            await poolB.shutdown()
        }
    }

    @Test("a file uploaded through one instance is checked, listed and imported through another; the batch is stored once")
    func jobMovesBetweenInstances() async throws {
        try await Self.withTwoInstances { clientA, clientB, testApp, jobsA, jobsB in
            #expect(jobsA.instanceID != jobsB.instanceID)
            let file = try Self.csvWithUnknownProvider(testApp, rows: 500, onLine: 4)
            let (headers, body) = Self.multipart(year: "2013", fileName: "moved.csv", file: file)
            let posted = try await clientA.execute(uri: SurveyImportRoutes.basePath, method: .post, headers: headers, body: body) { $0 }
            let location = try #require(posted.headers[.location])
            let id = String(location.split(separator: "/").last ?? "")

            // The page, polled through B, follows A's check; the job stays A's.
            let checked = try await Self.settledPage(clientB, location)
            #expect(checked.contains("Check the results before importing"))
            #expect(checked.contains("Import the 499 valid rows"))
            #expect(try await jobsB.job(id: id)?.instanceID == jobsA.instanceID)
            let csv = try await clientB.execute(uri: location + "/problems.csv", method: .get) { $0 }
            #expect(csv.status == .ok)
            #expect(csv.text.hasPrefix("line,column,value,reason\n4,trust_code,99,"))

            // "Import" pressed on B: A, which holds the file, does it.
            let committed = try await Self.pressImport(clientB, location, acceptValidRows: true)
            #expect(committed.status == .seeOther)
            let done = try await Self.settledPage(clientB, location)
            #expect(done.contains("Import complete"), "\(done)")
            #expect(try await Self.settledPage(clientA, location).contains("Import complete"))
            let batches = try await testApp.db.query("SELECT rows_imported FROM service_user_import_batch")
            #expect(batches.count == 1)
            #expect(try batches.first?.decode("rows_imported", as: Int.self) == 499)
            // The upload is gone from A's folder once imported.
            #expect(!FileManager.default.fileExists(atPath: jobsA.directory + "/\(id).csv"))
        }
    }

    @Test("a job whose instance stopped shows as interrupted, says to upload again, and cannot be imported")
    func interruptedJob() async throws {
        try await Self.withUploadApp { client, testApp, jobs in
            let (headers, body) = Self.multipart(year: "2013", fileName: "lost.csv", file: try Self.generatedCSV(testApp, rows: 50))
            let posted = try await client.execute(uri: SurveyImportRoutes.basePath, method: .post, headers: headers, body: body) { $0 }
            let location = try #require(posted.headers[.location])
            let id = String(location.split(separator: "/").last ?? "")
            #expect(try await Self.settledPage(client, location).contains("Check the results before importing"))

            // Another instance's job, checked, whose heartbeat stopped 31 seconds ago.
            try await testApp.db.execute(
                "UPDATE survey_import_job SET instance_id = 'gone', heartbeat_at = clock_timestamp() - interval '31 seconds' WHERE id = \(UUID(uuidString: id))"
            )
            let page = try await client.execute(uri: location, method: .get) { $0.text }
            #expect(page.contains("The file was not imported"))
            #expect(page.contains("Nothing from it was stored: upload the file again."))
            #expect(!page.contains("http-equiv=\"refresh\""))
            #expect(try await jobs.job(id: id)?.phase == .interrupted)

            let refused = try await Self.pressImport(client, location, acceptValidRows: false)
            #expect(refused.status == .seeOther)
            #expect(try await testApp.db.query("SELECT phase FROM survey_import_job")[0].decode("phase", as: String.self) == "checked")
            #expect(try await testApp.db.query("SELECT 1 FROM service_user_import_batch").isEmpty)

            // A job interrupted while importing reads the same.
            try await testApp.db.execute("UPDATE survey_import_job SET phase = 'importing' WHERE id = \(UUID(uuidString: id))")
            #expect(try await client.execute(uri: location, method: .get) { $0.text }.contains("upload the file again"))
        }
    }

    @Test("an unknown or malformed job id is 404")
    func unknownJob() async throws {
        try await Self.withUploadApp { client, _, _ in
            for id in [UUID().uuidString.lowercased(), "not-a-job", "1"] {
                let page = try await client.execute(uri: SurveyImportRoutes.basePath + "/jobs/\(id)", method: .get) { $0 }
                #expect(page.status == .notFound)
                let csv = try await client.execute(uri: SurveyImportRoutes.basePath + "/jobs/\(id)/problems.csv", method: .get) { $0 }
                #expect(csv.status == .notFound)
            }
        }
    }

    /// A generated file whose line `line` (1 is the header) has the unknown provider code 99.
    static func csvWithUnknownProvider(_ testApp: TestApp, rows: Int, onLine line: Int) throws -> [UInt8] {
        let generated = try generatedCSV(testApp, rows: rows)
        var lines = String(decoding: generated, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var fields = lines[line - 1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[1] = "99"
        lines[line - 1] = fields.joined(separator: ",")
        return Array(lines.joined(separator: "\n").utf8)
    }

    /// Presses the job page's import button.
    static func pressImport(_ client: any TestClientProtocol, _ location: String, acceptValidRows: Bool) async throws -> TestResponse {
        try await client.execute(
            uri: location + "/import",
            method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: acceptValidRows ? "accept_valid_rows=yes" : "")
        ) { $0 }
    }

    static func generatedCSV(_ testApp: TestApp, rows: Int) throws -> [UInt8] {
        let path = NSTemporaryDirectory() + "sv-gen-\(UUID().uuidString).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let definition = try SurveyImportCommand.resolveCodebook(nil, formsDirectory: testApp.dependencies.configuration.formsDirectory)
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CocoaError(.fileWriteUnknown)
        }
        try SurveyGenerator(codebook: try #require(definition.codebook), options: .init(rows: rows, year: 2013, seed: 11)).write(to: handle)
        try handle.close()
        return Array(try #require(FileManager.default.contents(atPath: path)))
    }
}
