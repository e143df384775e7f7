import App
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Postgres
import TestSupport
import Testing

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
            let generated = try Self.generatedCSV(testApp, rows: 2_000)
            var lines = String(decoding: generated, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            var fields = lines[10].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields[1] = "99"
            lines[10] = fields.joined(separator: ",")
            let (headers, body) = Self.multipart(
                year: "2013",
                fileName: "C:\\Users\\me\\survey 2013.csv",
                file: Array(lines.joined(separator: "\n").utf8)
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

            let committed = try await client.execute(
                uri: location + "/import",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "accept_valid_rows=yes")
            ) { $0 }
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
            #expect(jobs.job(id: String(location.split(separator: "/").last ?? ""))?.phase == .imported)

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
