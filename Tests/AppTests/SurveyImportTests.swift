import Domain
import Forms
import Foundation
import Logging
import Operations
import Postgres
import Synchronization
import TestSupport
import Testing
import Web

/// A migrated schema, the importer on it and a scratch folder for files.
struct ImportFixture {
    let db: PostgresClient
    let importer: SurveyImporter
    let codebook: FormDefinition
    let folder: String

    static func run(auditHook: @escaping SurveyImportAuditHook = { _, _ in }, _ body: (ImportFixture) async throws -> Void) async throws {
        try await withTestDatabase { client, _ in
            try await Migrator(directory: projectRoot + "/sql").migrate(client, logger: quietLogger)
            let folder = NSTemporaryDirectory() + "sv-import-test-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let codebook = try SurveyImportCommand.resolveCodebook(nil, formsDirectory: projectRoot + "/forms")
            try await body(
                ImportFixture(
                    db: client,
                    importer: SurveyImporter(database: client, logger: quietLogger, auditHook: auditHook),
                    codebook: codebook,
                    folder: folder
                )
            )
        }
    }

    var variables: [CodebookVariable] { codebook.codebook?.variables ?? [] }

    /// A valid row for respondent `id` (2013, trust 1), with `changes` applied, as CSV fields in codebook order.
    func row(_ id: Int, _ changes: [String: String] = [:]) -> [String] {
        variables.map { variable in
            if let value = changes[variable.id] { return value }
            switch variable.id {
            case "survey_year": return "2013"
            case "trust_code": return "1"
            case "trust_name": return "Avon and Somerset Probation Trust"
            case "ldu_code": return "L1-1"
            case "resp_id": return String(id)
            case "weight": return "1"
            default:
                switch variable.type {
                case .flag: return "0"
                case .code: return variable.codes.first?.code ?? ""
                default: return ""
                }
            }
        }
    }

    var header: [String] { variables.map(\.id) }

    /// Writes CSV lines (fields quoted when needed) and returns the path.
    func write(_ name: String, header: [String]? = nil, rows: [[String]], lineEnding: String = "\n") throws -> String {
        let lines = ([header ?? self.header] + rows).map { fields in
            fields.map { field in
                field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                    ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
            }.joined(separator: ",")
        }
        return try write(name, bytes: Array((lines.joined(separator: lineEnding) + lineEnding).utf8))
    }

    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let path = folder + "/" + name
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { throw CocoaError(.fileWriteUnknown) }
        return path
    }

    /// A generated file of `rows` rows.
    func generate(_ name: String, rows: Int, year: Int = 2013, seed: UInt64 = 7, errorRate: Double = 0) throws -> String {
        let path = folder + "/" + name
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CocoaError(.fileWriteUnknown)
        }
        let options = SurveyGenerator.Options(rows: rows, year: year, seed: seed, errorRate: errorRate)
        try SurveyGenerator(codebook: try #require(codebook.codebook), options: options).write(to: handle)
        try handle.close()
        return path
    }

    func request(_ path: String, year: Int = 2013, maxBytes: Int = 1 << 30) -> SurveyImportRequest {
        SurveyImportRequest(path: path, year: year, codebook: codebook, maxBytes: maxBytes, actor: SurveyImportActor(userID: nil, name: "test"))
    }

    func run(_ request: SurveyImportRequest) async throws -> SurveyImportOutcome {
        try await importer.run(request)
    }

    func count(_ sql: PostgresQuery) async throws -> Int {
        let rows = try await db.query(sql)
        return try #require(rows.first).decode(0, as: Int.self)
    }

    var batchCount: Int { get async throws { try await count("SELECT count(*)::int FROM service_user_import_batch") } }
    var responseCount: Int { get async throws { try await count("SELECT count(*)::int FROM service_user_response") } }

    /// Expects `request` to fail with `code` and a message containing `text`, and nothing to be written.
    func expectRefused(_ request: SurveyImportRequest, _ code: SurveyImportFailure.Code, _ text: String) async throws {
        do {
            let outcome = try await run(request)
            Issue.record("expected \(code), got \(outcome.summary)")
        } catch let failure as SurveyImportFailure {
            #expect(failure.code == code)
            #expect(failure.description.contains(text), "\(failure.description)")
        }
        #expect(try await batchCount == 0)
        #expect(try await responseCount == 0)
    }
}

@Suite("Survey import: bad input is refused with a message and writes nothing")
struct SurveyImportBadInputTests {
    @Test("an empty file")
    func emptyFile() async throws {
        try await ImportFixture.run { f in
            try await f.expectRefused(f.request(try f.write("empty.csv", bytes: [])), .emptyFile, "the file is empty")
        }
    }

    @Test("a file holding only a byte-order mark or blank lines is empty")
    func onlyBOM() async throws {
        try await ImportFixture.run { f in
            try await f.expectRefused(f.request(try f.write("bom.csv", bytes: [0xEF, 0xBB, 0xBF])), .emptyFile, "the file is empty")
            try await f.expectRefused(f.request(try f.write("blank.csv", bytes: Array("\n\n".utf8))), .emptyFile, "the file is empty")
        }
    }

    @Test("a header with no data rows")
    func headerOnly() async throws {
        try await ImportFixture.run { f in
            try await f.expectRefused(f.request(try f.write("header.csv", rows: [])), .headerOnly, "header row but no data rows")
        }
    }

    @Test("binary junk")
    func binaryJunk() async throws {
        try await ImportFixture.run { f in
            var random = SystemRandomNumberGenerator()
            let junk = (0..<20_000).map { _ in UInt8.random(in: 0...255, using: &random) }
            try await f.expectRefused(f.request(try f.write("junk.csv", bytes: junk)), .binaryFile, "not CSV text")
            // A zip archive (an .xlsx workbook) starts with PK\3\4 and holds zero bytes.
            let zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00] + Array("[Content_Types].xml".utf8)
            try await f.expectRefused(f.request(try f.write("book.xlsx", bytes: zip)), .binaryFile, "not CSV text")
        }
    }

    @Test("a truncated last line")
    func truncatedLastLine() async throws {
        try await ImportFixture.run { f in
            let full = try f.write("full.csv", rows: [f.row(1), f.row(2)])
            var bytes = Array(try #require(FileManager.default.contents(atPath: full)))
            bytes.removeLast(30)
            try await f.expectRefused(f.request(try f.write("cut.csv", bytes: bytes)), .truncatedLastLine, "the last line (line 3) is cut short")
            // Cut inside a quoted field.
            let quotedPath = try f.write("q.csv", rows: [f.row(1, ["trust_name": "Avon, North"])])
            let text = String(decoding: try #require(FileManager.default.contents(atPath: quotedPath)), as: UTF8.self)
            let range = try #require(text.range(of: "Avon, No"))
            let cut = String(text[..<range.upperBound])
            try await f.expectRefused(f.request(try f.write("qcut.csv", bytes: Array(cut.utf8))), .truncatedLastLine, "ends inside a quoted field")
        }
    }

    @Test("an unknown codebook")
    func unknownCodebook() async throws {
        #expect(throws: SurveyImportFailure.self) {
            try SurveyImportCommand.resolveCodebook("no-such-codebook", formsDirectory: projectRoot + "/forms")
        }
        do {
            _ = try SurveyImportCommand.resolveCodebook("no-such-codebook", formsDirectory: projectRoot + "/forms")
        } catch {
            #expect(error.code == .unknownCodebook)
            #expect(error.description.contains("unknown codebook 'no-such-codebook'"))
        }
        do {
            _ = try SurveyImportCommand.resolveCodebook(projectRoot + "/forms/victim-questionnaire.yaml", formsDirectory: projectRoot + "/forms")
            Issue.record("a questionnaire was accepted as a codebook")
        } catch {
            #expect(error.code == .unknownCodebook)
            #expect(error.description.contains("not a codebook"))
        }
        do {
            _ = try SurveyImportCommand.resolveCodebook("/nonexistent/codebook.yaml", formsDirectory: projectRoot + "/forms")
            Issue.record("a missing codebook file was accepted")
        } catch {
            #expect(error.code == .unknownCodebook)
        }
    }

    @Test("a --year the codebook does not describe")
    func wrongYear() async throws {
        try await ImportFixture.run { f in
            let path = try f.write("ok.csv", rows: [f.row(1)])
            try await f.expectRefused(
                f.request(path, year: 2019),
                .yearNotInCodebook,
                "--year 2019 is not a year that codebook service-user-survey v1 describes"
            )
        }
    }

    @Test("a --year the rows do not have: every row is refused and nothing is written")
    func yearDiffersFromRows() async throws {
        try await ImportFixture.run { f in
            let path = try f.write("2013.csv", rows: [f.row(1), f.row(2)])
            let outcome = try await f.run(f.request(path, year: 2014))
            #expect(outcome.failure?.code == .invalidRows)
            #expect(outcome.problems.first?.reason == "the survey year is 2013, not 2014 (--year)")
            var accept = f.request(path, year: 2014)
            accept.acceptValidRows = true
            let second = try await f.run(accept)
            #expect(second.failure?.code == .noValidRows)
            #expect(try await f.batchCount == 0)
        }
    }

    @Test("a file larger than the limit")
    func tooLarge() async throws {
        try await ImportFixture.run { f in
            let path = try f.write("big.csv", rows: (1...50).map { f.row($0) })
            try await f.expectRefused(f.request(path, maxBytes: 1000), .fileTooLarge, "more than the limit of 1000 bytes")
        }
    }

    @Test("a missing required column stops the import before any row")
    func missingColumn() async throws {
        try await ImportFixture.run { f in
            let header = f.header.filter { $0 != "trust_code" }
            let rows = [f.row(1)].map { row in zip(f.header, row).filter { $0.0 != "trust_code" }.map(\.1) }
            try await f.expectRefused(
                f.request(try f.write("nocol.csv", header: header, rows: rows)),
                .missingColumns,
                "no column for the required variable trust_code"
            )
        }
    }

    @Test("a first line that is not a header")
    func notAHeader() async throws {
        try await ImportFixture.run { f in
            let path = try f.write("noheader.csv", header: f.row(1), rows: [f.row(2)])
            try await f.expectRefused(f.request(path), .notAHeader, "not a header")
        }
    }

    @Test("UTF-16 text")
    func utf16() async throws {
        try await ImportFixture.run { f in
            let text = f.header.joined(separator: ",") + "\n"
            let bytes: [UInt8] = [0xFF, 0xFE] + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
            try await f.expectRefused(f.request(try f.write("u16.csv", bytes: bytes)), .unsupportedEncoding, "UTF-16")
        }
    }
}

@Suite("Survey import: files as people have them")
struct SurveyImportFileFormatTests {
    @Test("a UTF-8 byte-order mark is skipped and the first column still matches")
    func byteOrderMark() async throws {
        try await ImportFixture.run { f in
            let plain = try f.write("plain.csv", rows: [f.row(1), f.row(2)])
            let bytes = [0xEF, 0xBB, 0xBF] + Array(try #require(FileManager.default.contents(atPath: plain)))
            let outcome = try await f.run(f.request(try f.write("bom.csv", bytes: bytes)))
            #expect(outcome.succeeded, "\(outcome.summary)")
            #expect(outcome.rowsImported == 2)
            #expect(outcome.encoding == .utf8)
            #expect(outcome.notes.contains("skipped the UTF-8 byte-order mark"))
            #expect(try await f.count("SELECT count(*)::int FROM service_user_response WHERE survey_year = 2013") == 2)
        }
    }

    @Test("CRLF line ends, quoted fields with commas, quotes and line breaks, and a header in any case with spaces")
    func crlfAndQuoting() async throws {
        try await ImportFixture.run { f in
            let header = f.header.map { $0 == "trust_name" ? "  Trust_Name " : $0.uppercased() }
            let path = try f.write(
                "crlf.csv",
                header: header,
                rows: [f.row(1, ["trust_name": "Avon, \"North\"\r\nand Somerset"]), f.row(2)],
                lineEnding: "\r\n"
            )
            let outcome = try await f.run(f.request(path))
            #expect(outcome.succeeded, "\(outcome.summary)")
            #expect(outcome.rowsImported == 2)
            let rows = try await f.db.query("SELECT provider_name, line_number FROM service_user_response ORDER BY line_number")
            #expect(try rows[0].decode("provider_name", as: String.self) == "Avon, \"North\"\r\nand Somerset")
            // The second record starts on line 4: the quoted field spans two lines.
            #expect(try rows[1].decode("line_number", as: Int.self) == 4)
        }
    }

    @Test("a Windows-1252 file is detected and its text stored as Unicode")
    func windows1252() async throws {
        try await ImportFixture.run { f in
            let path = try f.write("utf8.csv", rows: [f.row(1, ["trust_name": "Cymru ’Wales’ Môn"])])
            let utf8 = String(decoding: try #require(FileManager.default.contents(atPath: path)), as: UTF8.self)
            var bytes: [UInt8] = []
            for scalar in utf8.unicodeScalars {
                switch scalar {
                case "’": bytes.append(0x92)
                case "ô": bytes.append(0xF4)
                default: bytes.append(UInt8(scalar.value))
                }
            }
            let outcome = try await f.run(f.request(try f.write("cp1252.csv", bytes: bytes)))
            #expect(outcome.succeeded, "\(outcome.summary)")
            #expect(outcome.encoding == .windows1252)
            let name = try await f.db.query("SELECT provider_name FROM service_user_response")
            #expect(try name.first?.decode("provider_name", as: String.self) == "Cymru ’Wales’ Môn")
            // Chosen explicitly, UTF-8 is refused for the same bytes.
            var strict = f.request(try f.write("cp1252-again.csv", bytes: bytes + Array("\n".utf8)))
            strict.encoding = .utf8
            await #expect(throws: SurveyImportFailure.self) { try await f.run(strict) }
        }
    }

    @Test("old Mac line ends (CR only), quoted codes and empty quoted fields, no line break after the last row")
    func crOnlyAndQuotedCodes() async throws {
        try await ImportFixture.run { f in
            let rows = [f.row(1), f.row(2)].map { fields in
                zip(f.header, fields).map { name, value in
                    name == "ldu_code" ? "\"\"" : name == "q01" ? "\"\(value)\"" : value
                }.joined(separator: ",")
            }
            let text = ([f.header.joined(separator: ",")] + rows).joined(separator: "\r")
            let outcome = try await f.run(f.request(try f.write("cr.csv", bytes: Array(text.utf8))))
            #expect(outcome.succeeded, "\(outcome.summary)")
            #expect(outcome.rowsImported == 2)
            #expect(try await f.count("SELECT count(*)::int FROM service_user_response WHERE subarea_code IS NULL AND line_number = 3") == 1)
        }
    }

    @Test("an extra column is reported and ignored")
    func extraColumn() async throws {
        try await ImportFixture.run { f in
            let path = try f.write("extra.csv", header: f.header + ["notes"], rows: [f.row(1) + ["free text"]])
            let outcome = try await f.run(f.request(path))
            #expect(outcome.succeeded)
            #expect(outcome.notes.contains("ignored 1 column not in the codebook: notes"))
        }
    }
}

@Suite("Survey import: rows, batches and replacement")
struct SurveyImportBatchTests {
    @Test("row problems name line, column and reason; the default is all or nothing")
    func allOrNothing() async throws {
        try await ImportFixture.run { f in
            let path = try f.write(
                "faults.csv",
                rows: [
                    f.row(1), f.row(2, ["trust_code": "99"]), f.row(3, ["q01": "7"]), f.row(4, ["trust_code": ""]), f.row(5, ["survey_year": "2012"]),
                    f.row(1), f.row(6, ["weight": "heavy"]), f.row(7),
                ]
            )
            let outcome = try await f.run(f.request(path))
            #expect(outcome.failure?.code == .invalidRows)
            #expect(outcome.rowsRead == 8)
            #expect(outcome.rowsRejected == 6)
            let found = outcome.problems.map { "\($0.line) \($0.column ?? "-"): \($0.reason)" }
            #expect(
                found == [
                    "3 trust_code: unknown provider code (not in the codebook's trust_code codes)",
                    "4 q01: not a value of q01: expected one of 1, 2, 3, 4, 5 or a missing code (8, 9)",
                    "5 trust_code: the provider code is required",
                    "6 survey_year: the survey year is 2012, not 2013 (--year)",
                    "7 resp_id: this respondent id is repeated: it was used on an earlier line",
                    "8 weight: the weight is not a number of at least 0 (such as 1 or 0.85)",
                ]
            )
            let problemsPath = try #require(outcome.problemsPath)
            let csv = String(decoding: try #require(FileManager.default.contents(atPath: problemsPath)), as: UTF8.self)
            #expect(csv.hasPrefix("line,column,value,reason\n3,trust_code,99,unknown provider code"))
            #expect(try await f.batchCount == 0)
            #expect(try await f.responseCount == 0)
        }
    }

    @Test("--accept-valid-rows imports the valid rows and records the rejected ones with the batch")
    func acceptValidRows() async throws {
        try await ImportFixture.run { f in
            let path = try f.write("faults.csv", rows: [f.row(1), f.row(2, ["trust_code": "99"]), f.row(3, ["q02": "6"])])
            var request = f.request(path)
            request.acceptValidRows = true
            let outcome = try await f.run(request)
            #expect(outcome.succeeded, "\(outcome.summary)")
            #expect(outcome.rowsImported == 1)
            #expect(outcome.rowsRejected == 2)
            let batch = try #require(outcome.batchID)
            #expect(try await f.count("SELECT rows_rejected FROM service_user_import_batch WHERE id = \(batch)") == 2)
            let problems = try await f.db.query(
                "SELECT line_number, column_name, value, reason FROM service_user_import_problem WHERE batch_id = \(batch) ORDER BY line_number"
            )
            #expect(problems.count == 2)
            #expect(try problems[0].decode("line_number", as: Int.self) == 3)
            #expect(try problems[0].decode("value", as: String.self) == "99")
            #expect(try problems[1].decode("column_name", as: String.self) == "q02")
        }
    }

    @Test("missing-value codes are stored as such and never counted as answers")
    func missingCodes() async throws {
        try await ImportFixture.run { f in
            let path = try f.write("missing.csv", rows: [f.row(1, ["q01": "8", "q02": "9", "q03": "2", "q04": ""])])
            let outcome = try await f.run(f.request(path))
            #expect(outcome.succeeded, "\(outcome.summary)")
            let rows = try await f.db.query(
                """
                SELECT service_user_answer(r.codes[array_position(b.variables, 'q01')]) AS q01_answer,
                       service_user_missing_code(r.codes[array_position(b.variables, 'q01')]) AS q01_missing,
                       service_user_missing_code(r.codes[array_position(b.variables, 'q02')]) AS q02_missing,
                       service_user_answer(r.codes[array_position(b.variables, 'q03')]) AS q03_answer,
                       r.codes[array_position(b.variables, 'q04')] IS NULL AS q04_empty,
                       b.codebook_id, b.codebook_version
                FROM service_user_response r JOIN service_user_import_batch b ON b.id = r.batch_id
                """
            )
            let row = try #require(rows.first)
            #expect(row.isNull("q01_answer"))
            #expect(try row.decode("q01_missing", as: Int.self) == 8)
            #expect(try row.decode("q02_missing", as: Int.self) == 9)
            #expect(try row.decode("q03_answer", as: Int.self) == 2)
            #expect(try row.decode("q04_empty", as: Bool.self))
            #expect(try row.decode("codebook_id", as: String.self) == "service-user-survey")
            #expect(try row.decode("codebook_version", as: Int.self) == 1)
        }
    }

    @Test("an area code outside a coded subarea variable is refused")
    func unknownAreaCode() async throws {
        try await ImportFixture.run { f in
            let yaml = String(
                decoding: try #require(FileManager.default.contents(atPath: projectRoot + "/forms/service-user-survey.yaml")),
                as: UTF8.self
            )
            let coded = yaml.replacingOccurrences(
                of: "    type: text\n    role: subarea\n",
                with: "    type: code\n    role: subarea\n    codes:\n      - {code: L1, label: {en: LDU one, cy: UGL un}}\n"
            )
            #expect(coded != yaml)
            let folder = f.folder + "/forms"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: folder + "/service-user-survey.yaml", contents: Data(coded.utf8))
            var request = f.request(try f.write("areas.csv", rows: [f.row(1, ["ldu_code": "L1"]), f.row(2, ["ldu_code": "L9"])]))
            request.codebook = try SurveyImportCommand.resolveCodebook(folder + "/service-user-survey.yaml", formsDirectory: folder)
            request.dryRun = true
            let outcome = try await f.run(request)
            #expect(outcome.rowsRejected == 1)
            #expect(outcome.problems.first?.reason == "unknown area code (not in the codebook's ldu_code codes)")
            #expect(outcome.problems.first?.line == 3)
        }
    }

    @Test("a dry run reports and writes nothing")
    func dryRun() async throws {
        try await ImportFixture.run { f in
            var request = f.request(try f.write("ok.csv", rows: [f.row(1), f.row(2, ["q05": "x"])]))
            request.dryRun = true
            let outcome = try await f.run(request)
            #expect(outcome.dryRun)
            #expect(outcome.rowsRead == 2)
            #expect(outcome.rowsRejected == 1)
            #expect(try await f.batchCount == 0)
        }
    }

    @Test("the same file imported again is refused, naming the earlier batch")
    func reimportRefused() async throws {
        try await ImportFixture.run { f in
            let path = try f.write("a.csv", rows: [f.row(1), f.row(2)])
            let first = try await f.run(f.request(path))
            let batch = try #require(first.batchID)
            let copy = try f.write("renamed.csv", bytes: Array(try #require(FileManager.default.contents(atPath: path))))
            do {
                _ = try await f.run(f.request(copy))
                Issue.record("the same file was imported twice")
            } catch let failure as SurveyImportFailure {
                #expect(failure.code == .alreadyImported)
                #expect(failure.description.contains("already imported as batch \(batch) (a.csv, year 2013"))
            }
            #expect(try await f.batchCount == 1)
            #expect(try await f.responseCount == 2)
        }
    }

    @Test("a corrected file replaces the year's batch atomically and the replaced batch stays recorded")
    func replacement() async throws {
        let failAudit = Mutex(false)
        let hook: SurveyImportAuditHook = { _, _ in
            if failAudit.withLock({ $0 }) { throw CancellationError() }
        }
        try await ImportFixture.run(auditHook: hook) { f in
            let first = try await f.run(f.request(try f.write("v1.csv", rows: [f.row(1), f.row(2), f.row(3)])))
            let old = try #require(first.batchID)

            // A corrected file with a bad row: refused, the old batch untouched.
            let bad = try await f.run(f.request(try f.write("v2-bad.csv", rows: [f.row(1), f.row(2, ["q01": "0"])])))
            #expect(bad.failure?.code == .invalidRows)
            #expect(try await f.count("SELECT count(*)::int FROM service_user_response_current") == 3)

            // A failure at the last moment (the audit hook throws) rolls the whole replacement back.
            failAudit.withLock { $0 = true }
            let v2 = try f.write("v2.csv", rows: [f.row(1), f.row(2)])
            await #expect(throws: CancellationError.self) { try await f.run(f.request(v2)) }
            failAudit.withLock { $0 = false }
            #expect(try await f.count("SELECT count(*)::int FROM service_user_import_batch WHERE status = 'current' AND id = \(old)") == 1)
            #expect(try await f.count("SELECT count(*)::int FROM service_user_response_current") == 3)
            #expect(try await f.batchCount == 1)

            let second = try await f.run(f.request(v2))
            let new = try #require(second.batchID)
            #expect(second.replacedBatchID == old)
            let statuses = try await f.db.query("SELECT id, status, replaced_by FROM service_user_import_batch ORDER BY id")
            #expect(statuses.count == 2)
            #expect(try statuses[0].decode("status", as: String.self) == "replaced")
            #expect(try statuses[0].decode("replaced_by", as: Int64.self) == new)
            #expect(try statuses[1].decode("status", as: String.self) == "current")
            #expect(try await f.count("SELECT count(*)::int FROM service_user_response_current") == 2)
            // The replaced batch's rows stay, under its batch.
            #expect(try await f.count("SELECT count(*)::int FROM service_user_response WHERE batch_id = \(old)") == 3)
        }
    }

    @Test("a generated 100,000-row file imports whole, and the generator's faults are found")
    func hundredThousandRows() async throws {
        try await ImportFixture.run { f in
            let path = try f.generate("100k.csv", rows: 100_000)
            var seen: [SurveyImportProgress] = []
            let collected = Mutex<[SurveyImportProgress]>([])
            let outcome = try await f.importer.run(f.request(path)) { progress in collected.withLock { $0.append(progress) } }
            seen = collected.withLock { $0 }
            #expect(outcome.succeeded, "\(outcome.summary)")
            #expect(outcome.rowsImported == 100_000)
            #expect(try await f.responseCount == 100_000)
            #expect(try await f.count("SELECT count(DISTINCT respondent_id)::int FROM service_user_response") == 100_000)
            #expect(seen.count >= 5)
            #expect(seen.last?.rows == 100_000)
            #expect(seen.last?.fraction == 1)

            var dry = f.request(try f.generate("faulty.csv", rows: 5_000, seed: 9, errorRate: 0.1))
            dry.dryRun = true
            let faulty = try await f.run(dry)
            #expect(faulty.rowsRejected > 300 && faulty.rowsRejected < 700, "\(faulty.rowsRejected)")
            #expect(faulty.problems.count == 100)
            #expect(faulty.problemCount >= faulty.rowsRejected)
        }
    }

    @Test("the generator is deterministic for a seed")
    func generatorDeterministic() async throws {
        try await ImportFixture.run { f in
            let a = FileManager.default.contents(atPath: try f.generate("a.csv", rows: 500, seed: 3, errorRate: 0.05))
            let b = FileManager.default.contents(atPath: try f.generate("b.csv", rows: 500, seed: 3, errorRate: 0.05))
            let c = FileManager.default.contents(atPath: try f.generate("c.csv", rows: 500, seed: 4, errorRate: 0.05))
            #expect(a == b)
            #expect(a != c)
        }
    }

    @Test("the progress line shows rows, rows per second, percent and time left")
    func progressLine() {
        let line = SurveyImportProgressDisplay.line(
            SurveyImportProgress(rows: 250_000, bytesRead: 25, totalBytes: 100, elapsed: .seconds(2))
        )
        #expect(line == "250,000 rows · 125,000 rows/s · 25% · about 6 s left")
    }
}
