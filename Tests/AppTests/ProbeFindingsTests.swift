import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Testing

@testable import Domain
@testable import Operations
@testable import Web

/// One test per thing the fuzz and security probes found, each failing before its fix.
@Suite("Probe findings", .serialized)
struct ProbeFindingsTests {
    @Test("a null character in a victim's answer gets a field error, on continue and on switching language, and saves nothing")
    func nullCharacterInAnswer() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let link = try #require(try await fixtures.issue(app).first)
            var browser = VictimBrowser(client)
            try await browser.begin(link.token)
            try await browser.post("/questionnaire/page/completed_by", [("v2_completed_by", "victim"), ("action", "continue")])
            let before = try await StoredState.fingerprint(app.db)
            for action in ["continue", "switch-language"] {
                let page = try await browser.post("/questionnaire/page/helped_most", [("v19_helped_most", "kind\u{0}ly"), ("action", action)])
                #expect(page.status == .unprocessableContent, "\(action)")
                #expect(page.html.contains("cannot be saved (a null character)"), "\(action)")
                #expect(page.html.contains("govuk-error-summary"), "\(action)")
            }
            #expect(try await StoredState.fingerprint(app.db) == before)
            // In Welsh too, and the answer without the character is then taken.
            try await browser.get("/questionnaire/language/cy?return=/questionnaire/page/helped_most")
            let welsh = try await browser.post("/questionnaire/page/helped_most", [("v19_helped_most", "\u{0}"), ("action", "continue")])
            #expect(welsh.html.contains("nod na ellir ei gadw"))
            let fixed = try await browser.post("/questionnaire/page/helped_most", [("v19_helped_most", "kindly"), ("action", "continue")])
            #expect(fixed.status == .seeOther)
        }
    }

    @Test("a victim's post larger than the limit gets a 413 page saying so, in the page's language, and changes nothing")
    func oversizedVictimPosts() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let links = try await fixtures.issue(app, count: 2)
            var browser = VictimBrowser(client)
            try await browser.begin(links[0].token)
            let before = try await StoredState.fingerprint(app.db)
            let huge = String(repeating: "a", count: 1_100_000)
            for uri in [
                "/q/\(links[1].token)?lang=cy", "/start?lang=cy", "/questionnaire/page/completed_by", "/questionnaire/submit",
                "/questionnaire/withdraw",
            ] {
                let page = try await browser.post(uri, [("v2_completed_by", huge)])
                #expect(page.status == .contentTooLarge, "\(uri): \(page.status)")
                #expect(page.html.contains(uri.hasSuffix("cy") ? "Mae’r hyn a anfonwyd yn rhy fawr" : "What was sent is too large"), "\(uri)")
            }
            #expect(try await StoredState.fingerprint(app.db) == before)
        }
    }

    @Test("the import's problem list neutralises a cell starting with a carriage return or tab, like every other CSV download")
    func problemListNeutralised() async throws {
        try await ImportFixture.run { f in
            let problems = f.folder + "/problems.csv"
            var request = f.request(
                try f.write("bad.csv", rows: [f.row(1, ["mode": "\r@SUM(1)"]), f.row(2, ["mode": "\t=1+1"]), f.row(3, ["mode": "=1"])])
            )
            request.problemsPath = problems
            request.dryRun = true
            _ = try await f.run(request)
            let text = try String(contentsOfFile: problems, encoding: .utf8)
            let cells = InjectionProbeTests.csvCells(text)
            #expect(cells.contains("'\r@SUM(1)"), "\(cells)")
            #expect(cells.contains("'=1+1"), "\(cells)")  // (the importer trims the tab before it records the value)
            #expect(cells.contains("'=1"), "\(cells)")
            for cell in cells { #expect(!["=", "+", "-", "@", "\t", "\r"].contains(cell.first.map(String.init) ?? ""), "\(cell.debugDescription)") }
        }
    }

    @Test("an upload body beyond the limit is cut off with 413 even when it holds no file; long part headers and a file named '..' are refused")
    func uploadLimits() async throws {
        let folder = NSTemporaryDirectory() + "sv-findings-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let configure: (inout AppConfiguration) -> Void = {
            $0.importDirectory = folder
            $0.importMaxUploadBytes = 100_000
        }
        try await TestApp.run(configure: configure) { client, app in
            let inspector = try await app.signedIn(client, as: .inspector)
            try await inspector.get(SurveyImportRoutes.basePath)
            let address = SurveyImportRoutes.basePath + "?csrf_token=\(inspector.csrfToken ?? "")"
            let type = "multipart/form-data; boundary=b"
            let file =
                "--b\r\nContent-Disposition: form-data; name=\"year\"\r\n\r\n2013\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.csv\"\r\n\r\na\r\n--b--\r\n"
            // No delimiter at all: read to the end before; now refused once past the limit and its allowance.
            let endless = try await inspector.raw(
                address,
                body: Array(repeating: UInt8(ascii: "q"), count: 100_000 + MultipartFileReceiver.allowance + 1),
                contentType: type
            )
            #expect(endless.status == .contentTooLarge)
            #expect(endless.text.contains("larger than the limit"))
            // A field that is not the file, however long.
            let field =
                "--b\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n"
                + String(repeating: "z", count: 100_000 + MultipartFileReceiver.allowance) + "\r\n"
            #expect(try await inspector.raw(address, body: Array((field + file).utf8), contentType: type).status == .contentTooLarge)
            // Headers over 16 KiB, arriving in one piece.
            let header = "--b\r\nContent-Disposition: form-data; name=\"\(String(repeating: "n", count: 17_000))\"\r\n\r\nx\r\n"
            let long = try await inspector.raw(address, body: Array((header + file).utf8), contentType: type)
            #expect(long.status == .badRequest)
            #expect(long.text.contains("could not be read"))
            // A file name that is only dots names no file.
            let dots = try await inspector.raw(address, body: Array(file.replacingOccurrences(of: "s.csv", with: "../..").utf8), contentType: type)
            #expect(dots.status == .badRequest)
            #expect(dots.text.contains("Choose a CSV file"))
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).isEmpty, "nothing left in the upload folder")
        }
    }

    @Test("behind a trusted proxy, the link and code guessing limit counts each forwarded address on its own")
    func guessingLimitPerForwardedAddress() async throws {
        let behindProxy: (inout AppConfiguration) -> Void = { $0.trustForwardedFor = true }
        try await TestApp.run(configure: behindProxy) { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let link = try #require(try await fixtures.issue(app).first)
            func get(_ uri: String, from address: String) async throws -> HTTPResponse.Status {
                try await client.execute(uri: uri, method: .get, headers: [HTTPField.Name("X-Forwarded-For")!: address]).status
            }
            for _ in 0..<30 { _ = try await get("/q/\(SecretToken.generate())", from: "203.0.113.7") }
            #expect(try await get("/q/\(link.token)", from: "203.0.113.7") == .tooManyRequests)
            // Another victim behind the same proxy is not locked out by someone else's guessing.
            #expect(try await get("/q/\(link.token)", from: "198.51.100.20") == .ok)
            let code = try await client.execute(
                uri: "/start",
                method: .post,
                headers: [HTTPField.Name("X-Forwarded-For")!: "198.51.100.20", .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "code=\(link.code)")
            )
            #expect(code.status == .seeOther)
        }
    }

    @Test("an inspection's announcement cannot move past its recorded sentencer meetings, which stay editable")
    func inspectionDatesKeepMeetings() async throws {
        try await TestApp.run { client, app in
            let world = try await SentencerWorld.make(client, app)
            let inspector = try await world.assignedInspector()
            let meeting = try await world.startMeeting(inspector)  // dated 2026-11-20
            let edit = "/inspections/\(world.fixtures.inspectionID)/edit"
            try await inspector.get(edit)
            let before = try await StoredState.fingerprint(app.db)
            let refused = try await inspector.post(
                edit,
                dateInputs([
                    ("title", "Wales 2026"), ("announced_on", "2026-11-21"), ("fieldwork_starts_on", "2026-12-07"),
                    ("week_plus_two_on", "2026-12-21"),
                    ("victim_window_opens_on", "2026-11-21"), ("victim_window_closes_on", "2026-12-21"),
                ])
            )
            #expect(refused.status == .unprocessableContent)
            #expect(refused.text.contains("Sentencer meetings are recorded before this date"))
            #expect(try await StoredState.fingerprint(app.db) == before)
            // The meeting can still be saved.
            let saved = try await world.savePage(inspector, meeting, "t1", [("t1_rating", "fairly_confident")])
            #expect(saved.status == .seeOther)
            // The database holds the rule too, whatever writes the dates.
            await #expect(throws: PostgresError.self) {
                try await app.db.query("UPDATE inspection SET announced_on = '2026-11-21' WHERE id = \(world.fixtures.inspectionID)")
            }
        }
    }
}
