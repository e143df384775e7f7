import Forms
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

@testable import Domain
@testable import Operations
@testable import Web

/// Random and malformed input on every form POST: never a 5xx, always a page that says what is wrong, and nothing
/// stored from a refused request. `SV_FUZZ_SEED` and `SV_FUZZ_ITERATIONS` repeat or lengthen a run.
@Suite("Fuzzing: random and malformed input", .serialized)
struct FuzzTests {
    /// The `name` attributes of the inputs in `html`, without the CSRF token.
    static func fieldNames(in html: String) -> [String] {
        var names: [String] = []
        var rest = html[...]
        while let range = rest.range(of: "name=\"") {
            let name = String(rest[range.upperBound...].prefix { $0 != "\"" })
            if name != "csrf_token" && !names.contains(name) && !["viewport", "robots"].contains(name) { names.append(name) }
            rest = rest[range.upperBound...]
        }
        return names
    }

    /// Sends every kind of malformed body once, then `iterations` random ones, to `uri`; returns the number of cases.
    static func fuzz(
        _ label: String,
        _ uri: String,
        fields: [String],
        token: () -> [(String, String)],
        iterations: Int,
        app: TestApp,
        send: ([UInt8]) async throws -> (HTTPResponse.Status, String),
        refusalChangesNothing: Bool = true
    ) async throws -> Int {
        var random = FuzzSettings.random(for: label)
        var cases = 0
        let kinds = FuzzBodies.Kind.allCases + (0..<iterations).map { _ in random.pick(FuzzBodies.Kind.allCases) }
        for (index, kind) in kinds.enumerated() {
            let body = FuzzBodies.make(kind, fields: fields, extra: token(), random: &random)
            let before = refusalChangesNothing ? try await StoredState.fingerprint(app.db) : ""
            let (status, html) = try await send(body)
            let name = "seed \(FuzzSettings.seed) \(label) case \(index) (\(kind.rawValue))"
            Verdict.expectClear(status, html, name)
            if kind == .oversizedBody { #expect(status == .contentTooLarge || status == .badRequest, "\(name): \(status)") }
            if refusalChangesNothing && status.code >= 400 {
                #expect(try await StoredState.fingerprint(app.db) == before, "\(name): a refused request changed stored data")
            }
            cases += 1
        }
        return cases
    }

    @Test("every staff form POST survives malformed bodies")
    func staffForms() async throws {
        let folder = NSTemporaryDirectory() + "sv-fuzz-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await TestApp.run(configure: ProbeWorld.configure(folder: folder)) { client, app in
            let world = try await ProbeWorld.make(client, app)
            let routes = app.dependencies.staffRoutes.all
            var counts: [String: Int] = [:]
            for route in routes where route.method == .post && route.path != "/sign-out" {
                let uri = world.path(route)
                let browser = world.browser(for: route)
                // The form's own field names, from the page of the same address (or the meeting's first page).
                let formPage = routes.contains { $0.method == .get && $0.path == route.path } ? uri : nil
                var fields = ["revision", "action", "inspector", "lead"]
                if let formPage { fields = Self.fieldNames(in: try await browser.get(formPage).text) }
                counts[route.path] = try await Self.fuzz(
                    "staff POST \(route.path)",
                    uri,
                    fields: fields,
                    token: { route.tokenInAddress ? [] : [("csrf_token", browser.csrfToken ?? "")] },
                    iterations: FuzzSettings.iterations(12),
                    app: app
                ) { body in
                    let response = try await browser.raw(
                        ProbeWorld.address(route, uri, token: browser.csrfToken),
                        body: body,
                        contentType: "application/x-www-form-urlencoded"
                    )
                    return (response.status, response.text)
                }
                // Still signed in and the app still answers.
                #expect(try await browser.get("/staff").status == .ok, "after fuzzing \(route.path)")
            }
            #expect(counts.count >= 20)
            print("fuzz: staff forms: \(counts.values.reduce(0, +)) cases over \(counts.count) routes: \(counts.sorted { $0.key < $1.key })")
        }
    }

    @Test("every staff form with one field wrong at a time: a field error or a clear refusal, never an error page")
    func staffFormsOneFieldWrong() async throws {
        let folder = NSTemporaryDirectory() + "sv-fuzz-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await TestApp.run(configure: ProbeWorld.configure(folder: folder)) { client, app in
            let world = try await ProbeWorld.make(client, app)
            let f = world.fixtures
            let inspection = "/inspections/\(f.inspectionID)"
            let dates = dateInputs([
                ("announced_on", "2027-01-01"), ("fieldwork_starts_on", "2027-03-08"), ("week_plus_two_on", "2027-03-22"),
                ("victim_window_opens_on", "2027-02-08"), ("victim_window_closes_on", "2027-03-22"),
            ])
            let validFrom = [("valid-from-day", "1"), ("valid-from-month", "6"), ("valid-from-year", "2014")]
            // Valid forms, each posted with one field replaced by an awkward value (or left out, or repeated).
            let forms: [(StaffBrowser, String, [(String, String)])] = [
                (world.admin, "/admin/areas/new", [("code", "FUZZ"), ("name", "Fuzz area"), ("country", "wales")] + validFrom),
                (
                    world.admin, "/admin/organisations/new",
                    [("code", "FUZZP"), ("name", "Fuzz provider"), ("kind", "crc"), ("area", String(f.areaID))] + validFrom
                ),
                (
                    world.admin, "/admin/users/new",
                    [("display-name", "Fuzz Person"), ("email", "fuzz@example.gov.uk"), ("role", "inspector"), ("organisation", "")]
                ),
                (world.admin, "/admin/users/\(world.userID)", [("display-name", "Target Person"), ("role", "inspector"), ("organisation", "")]),
                (world.admin, "\(inspection)/inspectors", [("inspector", String(world.inspectorID)), ("lead", String(world.inspectorID))]),
                (world.inspector, "/inspections/new", [("title", "Fuzz"), ("area", String(f.areaID)), ("provider", String(f.providerA))] + dates),
                (
                    world.inspector, "\(inspection)/edit",
                    dateInputs([
                        ("title", "Wales 2026"), ("announced_on", "2026-10-01"), ("fieldwork_starts_on", "2026-12-07"),
                        ("week_plus_two_on", "2026-12-21"), ("victim_window_opens_on", "2026-11-09"), ("victim_window_closes_on", "2026-12-21"),
                    ])
                ),
                (world.vlo, "/links/\(f.inspectionID)", [("count", "1"), ("reference", "fuzz"), ("language", "en")]),
                (world.coordinator, "/survey-codes/\(f.inspectionID)", [("count", "1"), ("language", "en")]),
                (world.inspector, "\(inspection)/sentencer-meetings/new", SentencerWorld.meetingFields()),
                (
                    world.inspector, "\(inspection)/paper",
                    VictimQuestionnaireTests.answers.values.flatMap { $0 } + [("provider", String(f.providerA)), ("language", "en")]
                ),
                (world.inspector, SentencerWorld.pagePath(world.meetingID, "t1"), [("t1_rating", "fairly_confident"), ("t1_evidence", "notes")]),
                (
                    world.inspector, "\(inspection)/report/free-text",
                    [("response", UUID().uuidString), ("question", "v19_helped_most"), ("redact", "x")]
                ),
                (world.inspector, "/account/password", [("current-password", "wrong"), ("new-password", "x"), ("confirm-password", "y")]),
            ]
            var random = FuzzSettings.random(for: "one field wrong")
            var counts: [String: Int] = [:]
            let perField = FuzzSettings.iterations(6)
            for (browser, uri, fields) in forms {
                for (index, field) in fields.enumerated() {
                    var variants = (0..<perField).map { _ in random.pick(FuzzBodies.palette) }.map { value in
                        fields.enumerated().map { $0.offset == index ? (field.0, value) : $0.element }
                    }
                    variants.append(fields.enumerated().filter { $0.offset != index }.map(\.element))  // left out
                    variants.append(fields + [(field.0, random.pick(FuzzBodies.palette))])  // repeated
                    for variant in variants {
                        try await world.reassign()
                        // Sentencer pages need the current revision.
                        var posted = variant
                        if uri.hasPrefix("/sentencer-meetings/"), let revision = SentencerWorld.revision(in: try await browser.get(uri).text) {
                            posted.append(("revision", revision))
                        }
                        let before = try await StoredState.fingerprint(app.db)
                        let response = try await browser.post(uri, posted)
                        let label =
                            "seed \(FuzzSettings.seed) POST \(uri) with \(field.0) = \(variant.first { $0.0 == field.0 }?.1.prefix(40).debugDescription ?? "absent")"
                        Verdict.expectClear(response.status, response.text, label)
                        if response.status.code >= 400 {
                            #expect(try await StoredState.fingerprint(app.db) == before, "\(label): a refused request changed stored data")
                        }
                        counts[uri, default: 0] += 1
                    }
                }
            }
            print("fuzz: staff forms one field wrong: \(counts.values.reduce(0, +)) cases over \(counts.count) forms")
        }
    }

    @Test("the sign-in form survives malformed bodies")
    func signIn() async throws {
        try await TestApp.run { client, app in
            try await app.createUser("person@example.gov.uk", role: .inspector)
            let browser = StaffBrowser(client)
            try await browser.get("/sign-in")
            let cases = try await Self.fuzz(
                "sign-in",
                "/sign-in",
                fields: ["email", "password", "return"],
                token: { [("csrf_token", browser.csrfToken ?? "")] },
                iterations: FuzzSettings.iterations(40),
                app: app
            ) { body in
                let response = try await browser.raw("/sign-in", body: body, contentType: "application/x-www-form-urlencoded")
                #expect(response.headers[.location]?.hasPrefix("/staff") != true, "a malformed sign-in succeeded")
                return (response.status, response.text)
            }
            #expect(try await app.db.query("SELECT 1 FROM staff_session").isEmpty, "nobody was signed in")
            print("fuzz: sign-in: \(cases) cases")
        }
    }

    @Test(
        "every questionnaire form POST survives malformed bodies: start, each question page, check and submit, withdrawal",
        arguments: [InvitationAccess.victimFormID, InvitationAccess.serviceUserFormID]
    )
    func victimForms(formID: String) async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let form = try #require(app.dependencies.forms.current(id: formID))
            var victim = VictimBrowser(client)
            // Two invitations: one to answer, one whose start page is fuzzed.
            let starts: [String]
            if formID == InvitationAccess.victimFormID {
                let links = try await fixtures.issue(app, count: 2)
                try await victim.begin(links[0].token)
                starts = ["/q/\(links[1].token)", "/start"]
            } else {
                let codes = try await SurveyCodeStore(database: app.db, secrets: testLinkSecrets).issue(
                    inspectionID: fixtures.inspectionID,
                    providerID: fixtures.providerA,
                    issuedBy: nil,
                    count: 2,
                    language: "both",
                    now: app.clock.now
                ).codes
                try await victim.post("/p/\(codes[0])", [], withCSRF: false)
                try await victim.follow("/questionnaire")
                starts = ["/p/\(codes[1])"]
            }
            var counts: [String: Int] = [:]
            func send(_ uri: String, _ body: [UInt8]) async throws -> (HTTPResponse.Status, String) {
                var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
                if let cookie = victim.cookie { headers[.cookie] = "sv_q=\(cookie)" }
                let response = try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: body))
                return (response.status, response.text)
            }
            let csrf = try #require(victim.csrf)
            for page in form.pages {
                let uri = "/questionnaire/page/\(page.id)"
                let fields = page.questions.flatMap { [$0.id, "\($0.id)-day", "\($0.id)-month", "\($0.id)-year"] } + ["action", "return"]
                counts[uri] = try await Self.fuzz(
                    "victim \(uri)",
                    uri,
                    fields: fields,
                    token: { [("csrf_token", csrf)] },
                    iterations: FuzzSettings.iterations(12),
                    app: app
                ) { try await send(uri, $0) }
                // Switching language keeps whatever was typed: hostile text too.
                for value in FuzzBodies.palette + ["nul\u{0}byte"] {
                    let body = StaffBrowser.encode(page.questions.map { ($0.id, value) } + [("action", "switch-language"), ("csrf_token", csrf)])
                    let (status, html) = try await send(uri, body)
                    Verdict.expectClear(status, html, "switch language on \(uri) with \(value.debugDescription)")
                    counts[uri, default: 0] += 1
                }
            }
            for uri in ["/questionnaire/submit", "/questionnaire/withdraw"] + starts {
                counts[uri] = try await Self.fuzz(
                    "victim \(uri)",
                    uri,
                    fields: ["code", "lang", "action"],
                    token: { [("csrf_token", csrf)] },
                    iterations: FuzzSettings.iterations(12),
                    app: app,
                    send: { try await send(uri, $0) },
                    // Starting from a link records that it was started (not an answer); a refusal there is checked below.
                    refusalChangesNothing: !uri.hasPrefix("/q/") && !uri.hasPrefix("/p/")
                )
                app.clock.advance(by: 16 * 60)  // a fresh rate-limit window
            }
            let answers = try await app.db.query("SELECT count(*)::int AS n FROM victim_response")[0].decode("n", as: Int.self)
            #expect(answers == 0, "no malformed post submitted a response")
            print("fuzz: victim forms: \(counts.values.reduce(0, +)) cases over \(counts.count) addresses: \(counts.sorted { $0.key < $1.key })")
        }
    }

    @Test("random tokens, access codes, page names, languages and cookies get a clear page, never an error")
    func randomTokensAndCodes() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            _ = try await fixtures.issue(app)
            var random = FuzzSettings.random(for: "tokens")
            let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghjkmnpqrstvwxyz")
            func token() -> String {
                switch Int.random(in: 0..<8, using: &random) {
                case 0: return String((0..<26).map { _ in random.pick(alphabet) })
                case 1: return String((0..<Int.random(in: 1...60, using: &random)).map { _ in random.pick(alphabet) })
                case 2: return String(repeating: "A", count: 5_000)
                case 3: return random.pick(["%FF", "%00", "%C3%28", "..%2F..%2Fetc", "%252F", "%E2%80%AE", "%F0%9F%98%80"])
                case 4: return random.pick(["ﬁ", "Ⅻ", "ÅÅÅ", "𝔄𝔅", "\u{0130}"]).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "x"
                case 5: return SecretToken.generate()
                case 6: return "'%20OR%201=1--"
                default: return random.bytes(12).map { String(format: "%%%02X", $0) }.joined()
                }
            }
            let codes = [
                "", " ", "ABCDE-FGHJK", "0000000000", "OOOOO-IIIII", "abcde fghjk", String(repeating: "9", count: 300), "ŵŵŵŵŵŵŵŵŵŵ", "%", "\u{0}",
            ]
            var cases = 0
            let iterations = FuzzSettings.iterations(150)
            for index in 0..<iterations {
                let label = "seed \(FuzzSettings.seed) token case \(index)"
                let value = token()
                var cookie: HTTPFields = [:]
                if random.chance(0.3) { cookie[.cookie] = "sv_q=\(token()); \(Accounts.sessionCookie)=\(token())" }
                let requests: [(String, HTTPRequest.Method, ByteBuffer?)] = [
                    ("/q/\(value)", .get, nil),
                    ("/q/\(value)?lang=\(token())", .get, nil),
                    ("/q/\(value)", .post, ByteBuffer(string: "lang=\(token())")),
                    ("/start", .post, ByteBuffer(string: "code=\(VictimBrowser.encode(random.chance(0.5) ? random.pick(codes) : value))")),
                    ("/questionnaire/page/\(value)", .get, nil),
                    ("/questionnaire/language/\(value)?return=\(token())", .get, nil),
                    ("/sign-in?return=\(value)", .get, nil),
                    ("/inspections/\(value)/report", .get, nil),
                ]
                let (uri, method, body) = random.pick(requests)
                var headers = cookie
                if body != nil { headers[.contentType] = "application/x-www-form-urlencoded" }
                let response = try await client.execute(uri: uri, method: method, headers: headers, body: body)
                Verdict.expectClear(response.status, response.text, "\(label): \(method) \(uri.prefix(80))")
                if let location = response.headers[.location] {
                    #expect(
                        location.hasPrefix("/") && !location.hasPrefix("//") || location == VictimRoutes.neutralExit,
                        "\(label): redirect to \(location)"
                    )
                }
                cases += 1
                if index % 25 == 24 { app.clock.advance(by: 16 * 60) }
            }
            #expect(try await app.db.query("SELECT 1 FROM victim_session").isEmpty, "no random token or code started a session")
            print("fuzz: random tokens, codes and cookies: \(cases) cases")
        }
    }

    // MARK: Survey upload and import

    /// Malformed multipart bodies for the upload page.
    static func multipartCases(random: inout FuzzRandom) -> [(String, String?, [UInt8])] {
        let boundary = "sv-fuzz-boundary"
        let type = "multipart/form-data; boundary=\(boundary)"
        let good = SurveyImportWebTests.multipart(year: "2013", fileName: "survey.csv", file: Array("a,b\n1,2\n".utf8))
        let goodBytes = Array(good.1.readableBytesView)
        let goodType = good.0[.contentType]
        func part(_ headers: String, _ content: String) -> String { "--\(boundary)\r\n\(headers)\r\n\r\n\(content)\r\n" }
        let year = part("Content-Disposition: form-data; name=\"year\"", "2013")
        let file = part("Content-Disposition: form-data; name=\"file\"; filename=\"s.csv\"", "a,b\n1,2")
        let end = "--\(boundary)--\r\n"
        var cases: [(String, String?, [UInt8])] = [
            ("no content type", nil, goodBytes),
            ("form content type", "application/x-www-form-urlencoded", goodBytes),
            ("missing boundary", "multipart/form-data", goodBytes),
            ("empty boundary", "multipart/form-data; boundary=", goodBytes),
            ("boundary too long", "multipart/form-data; boundary=" + String(repeating: "b", count: 300), goodBytes),
            ("wrong boundary", "multipart/form-data; boundary=other", goodBytes),
            ("empty body", type, []),
            ("only the closing delimiter", type, Array(end.utf8)),
            ("truncated in the file", goodType, Array(goodBytes.prefix(goodBytes.count - 30))),
            ("truncated in the headers", type, Array("--\(boundary)\r\nContent-Disposition: form-da".utf8)),
            ("no final delimiter", type, Array((year + file).utf8)),
            ("no year", type, Array((file + end).utf8)),
            ("year not a number", type, Array((part("Content-Disposition: form-data; name=\"year\"", "twenty") + file + end).utf8)),
            ("year out of range", type, Array((part("Content-Disposition: form-data; name=\"year\"", "99999") + file + end).utf8)),
            ("no file", type, Array((year + end).utf8)),
            ("file without a name", type, Array((year + part("Content-Disposition: form-data; name=\"file\"; filename=\"\"", "a") + end).utf8)),
            (
                "file name only a path", type,
                Array((year + part("Content-Disposition: form-data; name=\"file\"; filename=\"../../\"", "a") + end).utf8)
            ),
            ("part without a disposition", type, Array((part("Content-Type: text/plain", "x") + year + file + end).utf8)),
            ("part without a name", type, Array((part("Content-Disposition: form-data", "x") + end).utf8)),
            (
                "huge field name", type,
                Array((part("Content-Disposition: form-data; name=\"\(String(repeating: "n", count: 20_000))\"", "x") + year + file + end).utf8)
            ),
            ("huge header block", type, Array(("--\(boundary)\r\nX-Pad: " + String(repeating: "p", count: 20_000) + "\r\n\r\nx\r\n" + end).utf8)),
            (
                "too many parts", type,
                Array((String(repeating: part("Content-Disposition: form-data; name=\"x\"", "1"), count: 30) + year + file + end).utf8)
            ),
            ("garbage after the delimiter", type, Array(("--\(boundary)XX\r\n" + year + file + end).utf8)),
            (
                "invalid UTF-8 year", type,
                Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"year\"\r\n\r\n".utf8) + [0xFF, 0xFE]
                    + Array(("\r\n" + file + end).utf8)
            ),
            ("LF-only line ends", type, Array((year + file + end).replacingOccurrences(of: "\r\n", with: "\n").utf8)),
            (
                "huge non-file field", type,
                Array((part("Content-Disposition: form-data; name=\"note\"", String(repeating: "z", count: 3_000_000)) + year + file + end).utf8)
            ),
            ("huge preamble without a delimiter", type, Array(String(repeating: "q", count: 3_000_000).utf8)),
        ]
        for index in 0..<FuzzSettings.iterations(20) {
            var bytes = goodBytes
            switch index % 4 {
            case 0: bytes = random.bytes(Int.random(in: 1...5_000, using: &random))
            case 1: for _ in 0..<5 { bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random) }
            case 2: bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)))
            default: bytes.insert(contentsOf: random.bytes(50), at: Int.random(in: 0..<bytes.count, using: &random))
            }
            cases.append(("random \(index)", goodType, bytes))
        }
        return cases
    }

    @Test("the survey upload survives malformed multipart bodies: a clear page, no batch, no file left behind")
    func multipartUploads() async throws {
        let folder = NSTemporaryDirectory() + "sv-fuzz-upload-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let configure: (inout AppConfiguration) -> Void = {
            $0.importDirectory = folder
            $0.importMaxUploadBytes = 1_000_000
        }
        try await TestApp.run(configure: configure) { client, app in
            let inspector = try await app.signedIn(client, as: .inspector)
            try await inspector.get(SurveyImportRoutes.basePath)
            let address = SurveyImportRoutes.basePath + "?csrf_token=\(inspector.csrfToken ?? "")"
            var random = FuzzSettings.random(for: "multipart")
            let cases = Self.multipartCases(random: &random)
            var accepted: [String] = []
            for (label, contentType, body) in cases {
                let name = "seed \(FuzzSettings.seed) multipart \(label)"
                let before = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
                let response = try await inspector.raw(address, body: body, contentType: contentType)
                Verdict.expectClear(response.status, response.text, name)
                if label.hasPrefix("huge non-file") || label.hasPrefix("huge preamble") {
                    // Bodies beyond the upload limit are cut off with 413, whatever they hold.
                    #expect(response.status == .contentTooLarge, "\(name): \(response.status)")
                }
                if response.status == .seeOther {
                    accepted.append(label)
                    continue
                }
                #expect(response.status.code >= 400, "\(name): \(response.status)")
                #expect(response.text.contains("govuk-error-summary"), "\(name): no error message")
                let after = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
                #expect(Set(after) == Set(before), "\(name): a refused upload left a file")
            }
            #expect(try await app.db.query("SELECT 1 FROM service_user_import_batch").isEmpty)
            // Only bodies that are still well formed are taken as uploads (a random change inside the file's bytes).
            #expect(accepted.allSatisfy { $0.hasPrefix("random") }, "seed \(FuzzSettings.seed): accepted \(accepted)")
            print("fuzz: multipart uploads: \(cases.count) cases, \(accepted.count) accepted as uploads")
        }
    }

    /// Malformed variations of a valid survey file.
    static func csvCases(valid: [UInt8], header: String, random: inout FuzzRandom) -> [(String, [UInt8])] {
        let text = String(decoding: valid, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var cases: [(String, [UInt8])] = [
            ("empty file", []),
            ("header only", Array((header + "\n").utf8)),
            ("header only, no line end", Array(header.utf8)),
            ("UTF-8 BOM", [0xEF, 0xBB, 0xBF] + valid),
            ("two BOMs", [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF] + valid),
            ("UTF-16 LE BOM", [0xFF, 0xFE] + valid.flatMap { [$0, 0] }),
            ("UTF-16 BE BOM", [0xFE, 0xFF] + valid.flatMap { [0, $0] }),
            ("CR-only line ends", Array(text.replacingOccurrences(of: "\n", with: "\r").utf8)),
            ("CRLF line ends", Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)),
            ("unbalanced quote", Array(text.replacingOccurrences(of: lines[1], with: "\"" + lines[1]).utf8)),
            (
                "quote inside a field",
                Array(
                    text.replacingOccurrences(of: lines[1], with: lines[1].replacingOccurrences(of: ",", with: ",a\"b", options: [], range: nil)).utf8
                )
            ),
            ("one column short", Array(text.replacingOccurrences(of: lines[1], with: String(lines[1].dropLast(2))).utf8)),
            ("extra columns", Array(text.replacingOccurrences(of: lines[1], with: lines[1] + ",x,y,z").utf8)),
            (
                "binary bytes in a row",
                Array(text.utf8.prefix(header.utf8.count + 5)) + [0x00, 0x01, 0xFF, 0xFE, 0x80] + Array(text.utf8.dropFirst(header.utf8.count + 5))
            ),
            ("a NUL in a field", Array(text.replacingOccurrences(of: lines[1], with: lines[1].replacingOccurrences(of: ",", with: ",\u{0}")).utf8)),
            ("invalid UTF-8", Array(text.utf8) + [0xC3, 0x28, 0x0A]),
            ("huge line", Array((text + String(repeating: "x", count: 3_000_000) + "\n").utf8)),
            ("huge quoted field", Array((text + "\"" + String(repeating: "y", count: 2_000_000) + "\"\n").utf8)),
            ("blank lines between rows", Array(text.replacingOccurrences(of: "\n", with: "\n\n").utf8)),
            (
                "duplicate header column",
                Array(text.replacingOccurrences(of: header, with: header + "," + (header.split(separator: ",").first.map(String.init) ?? "x")).utf8)
            ),
            ("header misspelt", Array(text.replacingOccurrences(of: header, with: header.uppercased()).utf8)),
            ("semicolon separated", Array(text.replacingOccurrences(of: ",", with: ";").utf8)),
            ("tab separated", Array(text.replacingOccurrences(of: ",", with: "\t").utf8)),
            (
                "formula and markup cells",
                Array(
                    text.replacingOccurrences(
                        of: lines[1],
                        with: lines[1].replacingOccurrences(of: "Avon", with: "=HYPERLINK(\"x\")<script>alert(1)</script>")
                    ).utf8
                )
            ),
            ("cut mid-row", Array(valid.prefix(valid.count - 7))),
            (
                "formula in a coded cell",
                Array(text.replacingOccurrences(of: lines[1], with: Self.replacingFirst(",1,", in: lines[1], with: ",=1+1,")).utf8)
            ),
            (
                "tab then formula in a coded cell",
                Array(text.replacingOccurrences(of: lines[1], with: Self.replacingFirst(",1,", in: lines[1], with: ",\t=1+1,")).utf8)
            ),
            (
                "CR then formula in a quoted cell",
                Array(text.replacingOccurrences(of: lines[1], with: Self.replacingFirst(",1,", in: lines[1], with: ",\"\r@SUM(1)\",")).utf8)
            ),
            ("only line breaks", Array("\n\r\n\r".utf8)),
        ]
        for index in 0..<FuzzSettings.iterations(24) {
            var bytes = valid
            switch index % 4 {
            case 0: for _ in 0..<3 { bytes[Int.random(in: 0..<bytes.count, using: &random)] = random.pick(Array("\",\n\r\u{0}ÿ".utf8)) }
            case 1: bytes.removeSubrange(Int.random(in: 0..<bytes.count / 2, using: &random)..<(bytes.count / 2))
            case 2: bytes = random.bytes(Int.random(in: 1...3_000, using: &random))
            default: bytes.insert(contentsOf: Array(random.pick(FuzzBodies.palette).utf8), at: Int.random(in: 0..<bytes.count, using: &random))
            }
            cases.append(("random \(index)", bytes))
        }
        return cases
    }

    static func replacingFirst(_ target: String, in text: String, with replacement: String) -> String {
        guard let range = text.range(of: target) else { return text + replacement }
        return text.replacingCharacters(in: range, with: replacement)
    }

    @Test("the importer (as the command line uses it) refuses malformed CSV files with a message and stores nothing")
    func csvImporter() async throws {
        try await ImportFixture.run { f in
            let validPath = try f.write("valid.csv", rows: (1...5).map { f.row($0) })
            let valid = Array(try #require(FileManager.default.contents(atPath: validPath)))
            var random = FuzzSettings.random(for: "csv")
            let cases = Self.csvCases(valid: valid, header: f.header.joined(separator: ","), random: &random)
            var outcomes: [String: Int] = [:]
            for (index, (label, bytes)) in cases.enumerated() {
                let name = "seed \(FuzzSettings.seed) csv \(label)"
                let path = try f.write("case-\(index).csv", bytes: bytes)
                do {
                    let outcome = try await f.run(f.request(path))
                    outcomes["imported", default: 0] += 1
                    #expect(outcome.rowsImported + outcome.rowsRejected == outcome.rowsRead || outcome.rowsRejected > 0, "\(name)")
                    // Clear it away so the next case is not refused as already imported.
                    for table in [
                        "service_user_import_problem", "service_user_summary_batch", "service_user_summary", "service_user_response",
                        "service_user_import_batch",
                    ] {
                        _ = try await f.db.query(PostgresQuery(unsafeSQL: "DELETE FROM \(table)"))
                    }
                } catch let failure as SurveyImportFailure {
                    outcomes[failure.code.rawValue, default: 0] += 1
                    #expect(!failure.description.isEmpty, "\(name)")
                    #expect(try await f.batchCount == 0, "\(name): a refused file stored a batch")
                    #expect(try await f.responseCount == 0, "\(name): a refused file stored rows")
                } catch {
                    Issue.record("\(name): not a SurveyImportFailure: \(String(describing: error).prefix(300))")
                }
            }
            print("fuzz: CSV importer: \(cases.count) cases: \(outcomes.sorted { $0.key < $1.key })")
        }
    }

    @Test("the upload page refuses malformed CSV files with a message on the job page")
    func csvUploads() async throws {
        try await SurveyImportWebTests.withUploadApp { client, testApp, _ in
            let generated = try SurveyImportWebTests.generatedCSV(testApp, rows: 5)
            let header = String(decoding: generated.prefix { $0 != 0x0A }, as: UTF8.self)
            var random = FuzzSettings.random(for: "csv-web")
            let cases = Self.csvCases(valid: generated, header: header, random: &random)
            var failures = 0
            var problemLists = 0
            for (label, bytes) in cases {
                let name = "seed \(FuzzSettings.seed) uploaded csv \(label)"
                let (headers, body) = SurveyImportWebTests.multipart(year: "2013", fileName: "\(label).csv", file: bytes)
                let posted = try await client.execute(uri: SurveyImportRoutes.basePath, method: .post, headers: headers, body: body)
                Verdict.expectClear(posted.status, posted.text, name)
                guard let location = posted.headers[.location] else { continue }
                let page = try await SurveyImportWebTests.settledPage(client, location)
                #expect(!page.isEmpty, "\(name)")
                if page.contains("The file was not imported") {
                    failures += 1
                    #expect(page.contains("govuk-error-summary") || page.contains("govuk-warning-text") || page.contains("govuk-body"), "\(name)")
                }
                Verdict.expectEscaped(page, name)
                // The problem list download: no cell a spreadsheet would run as a formula.
                if let range = page.range(of: "href=\"\(SurveyImportRoutes.basePath)/jobs/") {
                    let href = String(page[page.index(range.lowerBound, offsetBy: 6)...].prefix { $0 != "\"" })
                    if href.hasSuffix("problems.csv") {
                        let csv = try await client.execute(uri: href, method: .get) { $0.text }
                        for cell in InjectionProbeTests.csvCells(csv) {
                            #expect(
                                !["=", "+", "-", "@", "\t", "\r"].contains(cell.first.map(String.init) ?? ""),
                                "\(name): formula cell \(cell.debugDescription)"
                            )
                        }
                        problemLists += 1
                    }
                }
            }
            #expect(failures > 5)
            #expect(problemLists > 0, "some files had a problem list to download")
            #expect(try await testApp.db.query("SELECT 1 FROM service_user_import_batch").isEmpty, "checking a file stores no batch")
            print("fuzz: uploaded CSV files: \(cases.count) cases, \(failures) refused on the job page, \(problemLists) problem lists checked")
        }
    }
}
