import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

@testable import Domain
@testable import Operations
@testable import Web

/// The probe world could not be built.
struct ProbeWorldFailure: Error, CustomStringConvertible {
    let description: String
}

/// Settings for the fuzz and probe tests: the seed (`SV_FUZZ_SEED`: a number, or `random`) and the number of random
/// cases per target (`SV_FUZZ_ITERATIONS`). The defaults keep each test well under a minute; every failure message
/// names the seed, target and case so a run can be repeated exactly.
enum FuzzSettings {
    static let defaultSeed: UInt64 = 0x5EED_2026

    static let seed: UInt64 = {
        let text = ProcessInfo.processInfo.environment["SV_FUZZ_SEED"] ?? ""
        if text == "random" { return UInt64.random(in: 1...UInt64.max) }
        return UInt64(text) ?? defaultSeed
    }()

    /// Random cases per target: `SV_FUZZ_ITERATIONS`, or `standard`.
    static func iterations(_ standard: Int) -> Int {
        ProcessInfo.processInfo.environment["SV_FUZZ_ITERATIONS"].flatMap(Int.init).map { max(1, $0) } ?? standard
    }

    /// A generator for one target, so each target's cases depend only on the seed and its name.
    static func random(for target: String) -> FuzzRandom {
        // FNV-1a of the name, mixed with the seed.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in target.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return FuzzRandom(seed: seed ^ hash)
    }
}

/// The generator the survey generator uses (SplitMix64): small, fast and reproducible from its seed.
struct FuzzRandom: RandomNumberGenerator {
    private var inner: SplitMix64

    init(seed: UInt64) { inner = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { inner.next() }

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &self)] }

    mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &self) < probability }

    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) } }
}

/// Malformed and hostile form bodies.
enum FuzzBodies {
    /// Awkward values: wrong types, wrong codes, markup, SQL, formula, control and unusual Unicode characters.
    static let palette: [String] = [
        "", " ", "\t\n", "0", "-1", "1.5", "999999", "2147483648", "9223372036854775807", "99999999999999999999", "1e309", "NaN", "null", "[]", "{}",
        "true",
        "2026-02-30", "2026-13-01", "0000-00-00", "31", "alien", "yes", "no", "both", "cy", "en", "xx",
        "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "{{x}}", "=HYPERLINK(\"http://x\")", "+1", "-1+1", "@SUM(1)",
        "'; DROP TABLE x;--", "\\", "%", "_", "%00", "../../etc/passwd", "Ysgrifennodd hi’n garedig iawn ŵ ŷ", "😀👍🏽", "\u{202E}gnp.exe",
        "a\u{0301}\u{0301}\u{0301}", "\u{FEFF}", "\r\n\r\n", String(repeating: "x", count: 2_001), String(repeating: "ŵ", count: 600),
    ]

    /// The ways a body can be wrong.
    enum Kind: String, CaseIterable {
        case empty, randomBytes, rawInvalidUTF8, percentInvalidUTF8, brokenPercent, oversizedValue, oversizedBody, tooManyFields
        case repeatedFields, unknownFields, wrongValues, hugeName, controlCharacters, nulByte, mixed
    }

    /// A body of `kind` using `fields` (the form's real field names), with `extra` (the CSRF token) appended where the
    /// body is still a form.
    static func make(_ kind: Kind, fields: [String], extra: [(String, String)], random: inout FuzzRandom) -> [UInt8] {
        let names = fields.isEmpty ? ["value"] : fields
        func form(_ pairs: [(String, String)]) -> [UInt8] { StaffBrowser.encode(pairs + extra) }
        func raw(_ text: String) -> [UInt8] { Array(text.utf8) + (extra.isEmpty ? [] : Array("&".utf8) + StaffBrowser.encode(extra)) }
        switch kind {
        case .empty:
            return []
        case .randomBytes:
            return random.bytes(Int.random(in: 1...2_000, using: &random))
        case .rawInvalidUTF8:
            let bad: [[UInt8]] = [[0xFF], [0xC3, 0x28], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xC0, 0xAF]]
            return Array("\(random.pick(names))=".utf8) + random.pick(bad) + (extra.isEmpty ? [] : Array("&".utf8) + StaffBrowser.encode(extra))
        case .percentInvalidUTF8:
            return raw("\(random.pick(names))=" + random.pick(["%FF", "%C3%28", "%E2%82", "%ED%A0%80", "%C0%AF", "a%FEb"]))
        case .brokenPercent:
            return raw("\(random.pick(names))=" + random.pick(["%", "%G1", "%%", "%2", "abc%zz"]))
        case .oversizedValue:
            return form([(random.pick(names), String(repeating: random.pick(["a", "ŵ", "<"]), count: 20_001))])
        case .oversizedBody:
            return form([(random.pick(names), String(repeating: "a", count: 1_100_000))])
        case .tooManyFields:
            return form((0..<500).map { _ in (random.pick(names), random.pick(palette)) })
        case .repeatedFields:
            return form(names.flatMap { name in (0..<Int.random(in: 2...5, using: &random)).map { _ in (name, random.pick(palette)) } })
        case .unknownFields:
            return form(
                (0..<Int.random(in: 1...20, using: &random)).map { index in ("unknown_\(index)_\(random.next() % 1000)", random.pick(palette)) }
            )
        case .wrongValues:
            return form(names.map { ($0, random.pick(palette)) })
        case .hugeName:
            return form([(String(repeating: "n", count: 30_000), "x")] + names.map { ($0, random.pick(palette)) })
        case .controlCharacters:
            return form(names.map { ($0, "a\u{1}b\u{7}c\u{1B}[31m\u{7F}") })
        case .nulByte:
            return form(names.map { ($0, "before\u{0}after") })
        case .mixed:
            var pairs = names.filter { _ in random.chance(0.7) }.map { ($0, random.pick(palette)) }
            if random.chance(0.3) { pairs.append(("extra_\(random.next() % 100)", random.pick(palette))) }
            pairs.shuffle(using: &random)
            return form(pairs)
        }
    }
}

/// A fingerprint of every table that holds what people enter (not sessions, audit entries or rate-limit counters),
/// to show a refused request stored nothing.
enum StoredState {
    static let tables = [
        "area", "area_lineage", "provider", "organisation", "inspection", "inspection_provider", "inspection_inspector", "invitation",
        "victim_draft", "sealed_response", "victim_response", "paper_return", "victim_free_text_review", "victim_free_text_review_revision",
        "service_user_import_batch",
        "service_user_response", "service_user_import_problem", "sentencer_meeting", "sentencer_meeting_attendance",
        "sentencer_meeting_topic", "sentencer_meeting_revision", "form_version",
    ]

    /// One md5 over the tables' rows (and over staff accounts, without the columns sign-in attempts change).
    static func fingerprint(_ db: PostgresClient) async throws -> String {
        let parts = tables.map { "(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \($0) t)" }
        let users =
            "(SELECT md5(coalesce(string_agg(concat_ws(',', id, email, display_name, role, organisation_id, active, password_hash, must_change_password), '|' ORDER BY id), '')) FROM staff_user)"
        let sql = "SELECT md5(concat_ws(',', " + (parts + [users]).joined(separator: ", ") + ")) AS state"
        return try await db.query(PostgresQuery(unsafeSQL: sql))[0].decode("state", as: String.self)
    }
}

/// Checks on every answer to a hostile request.
enum Verdict {
    /// No 5xx; a refusal is a page that says what is wrong (a heading, and an error summary or message for 422).
    static func expectClear(_ status: HTTPResponse.Status, _ html: String, _ label: @autoclosure () -> String) {
        #expect(status.code < 500, "\(label()): \(status)")
        guard status.code >= 400 else { return }
        #expect(html.contains("<h1"), "\(label()): a \(status.code) page without a heading")
        if status == .unprocessableContent {
            #expect(html.contains("govuk-error-summary") || html.contains("govuk-error-message"), "\(label()): 422 without an error message")
        }
    }

    /// HTML that shows hostile text only escaped: no live tag or attribute from a payload.
    static func expectEscaped(_ html: String, _ label: @autoclosure () -> String) {
        for live in ["<script>alert(1)", "<img src=x", "onerror=alert(1)>"] {
            #expect(!html.contains(live), "\(label()): raw \(live)")
        }
    }
}

/// An inspection with everything the staff routes act on: an assigned lead inspector, a VLO of one of its providers,
/// an administrator, another user, a sentencer meeting, issued links and a survey upload job.
struct ProbeWorld {
    let app: TestApp
    let client: any TestClientProtocol
    let fixtures: Fixtures
    let admin: StaffBrowser
    let inspector: StaffBrowser
    let vlo: StaffBrowser
    /// A provider survey coordinator of the same provider as the VLO.
    let coordinator: StaffBrowser
    /// The assigned (lead) inspector's id.
    let inspectorID: Int
    let userID: StaffUser.ID
    let meetingID: Int64
    let linkID: Int
    let jobID: String
    /// A programme with the world's inspection and a published one, and a frozen report of it.
    let programmeID: Int
    let snapshotID: Int

    /// A folder for uploads; pass `configure` to `TestApp.run`.
    static func configure(folder: String) -> (inout AppConfiguration) -> Void {
        { $0.importDirectory = folder }
    }

    static func make(_ client: any TestClientProtocol, _ app: TestApp) async throws -> ProbeWorld {
        let sentencers = try await SentencerWorld.make(client, app)
        let inspector = try await sentencers.assignedInspector()
        let inspectorID = try await app.db.query("SELECT id FROM staff_user WHERE email = 'ann@example.gov.uk'")[0].decode("id", as: Int.self)
        let meeting = try await sentencers.startMeeting(inspector)
        let admin = try await app.signedIn(client, as: .admin)
        let vlo = try await app.vlo(client, provider: sentencers.fixtures.providerA, email: "vlo@example.gov.uk")
        let coordinator = try await app.vlo(
            client,
            provider: sentencers.fixtures.providerA,
            email: "coordinator@example.gov.uk",
            role: .surveyCoordinator
        )
        let user = try await app.createUser("target@example.gov.uk", role: .inspector, name: "Target Person")
        let link = try #require(try await sentencers.fixtures.issue(app, count: 2).first)
        // An upload job (queued: the job service does not run under the router test client).
        try await inspector.get(SurveyImportRoutes.basePath)
        let (headers, body) = SurveyImportWebTests.multipart(year: "2013", fileName: "survey.csv", file: Array("a,b\n1,2\n".utf8))
        var uploadHeaders = headers
        uploadHeaders[.cookie] = "\(Accounts.sessionCookie)=\(inspector.cookies[Accounts.sessionCookie] ?? "")"
        let upload = try await client.execute(
            uri: SurveyImportRoutes.basePath + "?csrf_token=\(inspector.csrfToken ?? "")",
            method: .post,
            headers: uploadHeaders,
            body: body
        )
        let location = try #require(upload.headers[.location], "upload: \(upload.status)")
        let jobID = try #require(location.split(separator: "/").last.map(String.init))
        let published = try await ProgrammeTests.published(app, 90, shape: [("nps", 30, 20)])
        let store = ProgrammeStore(database: app.db)
        let audit = AuditLog(database: app.db, now: { app.clock.now })
        guard
            case .saved(let programmeID) = try await store.save(
                .init(name: "Probe programme", startsOn: LocalDate(iso: "2025-01-01"), endsOn: LocalDate(iso: "2029-12-31")),
                id: nil,
                audit: audit,
                actor: .commandLine
            ),
            let programme = try await store.programme(programmeID, userID: 0, all: true)
        else { throw ProbeWorldFailure(description: "the probe programme was not created") }
        for id in [sentencers.fixtures.inspectionID, published] {
            #expect(try await store.add(inspectionID: id, to: programme, audit: audit, actor: .commandLine) == nil)
        }
        let report = PublishedProgrammeReport(
            ProgrammeReport(
                programme: programme,
                members: try await store.members(programmeID),
                evidence: try await store.evidence(programmeID),
                rules: app.dependencies.configuration.disclosureRules
            ),
            publishedOn: app.dependencies.today,
            label: "Probe"
        )
        let snapshot = try await store.publish(
            programmeID: programmeID,
            label: "Probe",
            report: report,
            publishedBy: nil,
            today: app.dependencies.today,
            now: app.clock.now,
            audit: audit,
            actor: .commandLine
        ).get()
        return ProbeWorld(
            app: app,
            client: client,
            fixtures: sentencers.fixtures,
            admin: admin,
            inspector: inspector,
            vlo: vlo,
            coordinator: coordinator,
            inspectorID: inspectorID,
            userID: user,
            meetingID: meeting,
            linkID: link.id,
            jobID: jobID,
            programmeID: programmeID,
            snapshotID: snapshot
        )
    }

    /// Assigns the inspector (as lead) again, after a probe posted an empty list of inspectors.
    func reassign() async throws {
        try await InspectionStore(database: app.db).assign(inspectionID: fixtures.inspectionID, inspectors: [inspectorID], lead: inspectorID)
    }

    /// `route`'s path with its parameters filled in with this world's objects.
    func path(_ route: StaffRouteInfo) -> String {
        let id =
            route.path.hasPrefix("/admin/users")
            ? String(userID)
            : route.path.hasPrefix("/import") ? jobID : route.path.hasPrefix("/programmes") ? String(programmeID) : String(fixtures.inspectionID)
        return route.path
            .replacingOccurrences(of: ":snapshot", with: String(snapshotID))
            .replacingOccurrences(of: ":id", with: id)
            .replacingOccurrences(of: ":inspection", with: String(fixtures.inspectionID))
            .replacingOccurrences(of: ":link", with: String(linkID))
            .replacingOccurrences(of: ":meeting", with: String(meetingID))
            .replacingOccurrences(of: ":page", with: "t1")
    }

    /// A signed-in browser allowed to use `route`: the VLO for links, the administrator for accounts and the audit log,
    /// the assigned inspector otherwise.
    func browser(for route: StaffRouteInfo) -> StaffBrowser {
        switch route.permission {
        case .issueLinks: vlo
        case .issueSurveyCodes: coordinator
        case .manageUsers, .manageOrganisations, .viewAuditLog, .manageProgrammes: admin
        default: inspector
        }
    }

    /// `uri` with the CSRF token in the address when the route streams its body (the upload routes).
    static func address(_ route: StaffRouteInfo, _ uri: String, token: String?) -> String {
        route.tokenInAddress ? uri + "?csrf_token=" + (token ?? "") : uri
    }
}

extension StaffBrowser {
    /// Sends `body` as given to `uri` with `method` and this browser's cookies; returns status and text.
    func raw(_ uri: String, method: HTTPRequest.Method = .post, body: [UInt8], contentType: String? = nil) async throws -> TestResponse {
        var headers = self.headers
        if !cookies.isEmpty {
            headers[.cookie] = cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        }
        if let contentType { headers[.contentType] = contentType }
        return try await client.execute(uri: uri, method: method, headers: headers, body: ByteBuffer(bytes: body))
    }
}
