import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Operations
import Postgres
import Testing
import Web

/// Script, markup, template, formula and SQL payloads in every free-text input, then every page and export where
/// they can appear: markup escaped, CSV cells neutralised, JSON valid, and the database holding exactly what was typed.
@Suite("Injection probes", .serialized)
struct InjectionProbeTests {
    static let formulas = ["=HYPERLINK(\"x\")", "+1+1", "-1-1", "@SUM(1)"]
    static let markup = "<script>alert(1)</script>\"><img src=x onerror=alert(1)>{{x}}"
    static let sql = "'; DROP TABLE x;-- \\ % _"

    /// Payload number `n`: a formula start, a marker `PXnX` to find it by, SQL metacharacters and markup; shorter
    /// variants for fields that take fewer than `maximum` characters.
    static func payload(_ n: Int, maximum: Int = 4000) -> String {
        let candidates = [
            "\(formulas[n % 4]) PX\(n)X \(sql) \(markup)",
            "\(formulas[n % 4]) PX\(n)X '; -- \\ % _ <script>alert(1)</script>\"><img src=x onerror=alert(1)>",
            "\(formulas[n % 4].prefix(1))PX\(n)X'%_\\<img src=x onerror=alert(1)>",
        ]
        return candidates.first { $0.count <= maximum } ?? candidates[2]
    }

    static func marker(_ n: Int) -> String { "PX\(n)X" }

    /// What one probe typed and where the database keeps it.
    struct Entry {
        let field: String
        let n: Int
        let text: String
        let stored: PostgresQuery
    }

    @Test("payloads in every free-text input render as text on every page and export, and are stored verbatim")
    func everyFreeTextInput() async throws {
        let folder = NSTemporaryDirectory() + "sv-inject-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await TestApp.run(configure: ProbeWorld.configure(folder: folder)) { client, app in
            let world = try await ProbeWorld.make(client, app)
            let fixtures = world.fixtures
            var entries: [Entry] = []
            var pages: [(label: String, type: String, text: String)] = []
            func record(_ label: String, _ response: TestResponse) {
                pages.append((label, response.headers[.contentType] ?? "", response.text))
            }

            // Administrator: an area, a provider, a user; an inspector: the inspection's title.
            let admin = world.admin
            try await admin.get("/admin/areas/new")
            let area = Self.payload(1, maximum: 200)
            record(
                "create area",
                try await admin.post(
                    "/admin/areas/new",
                    [
                        ("code", "XSSA"), ("name", area), ("country", "wales"), ("valid-from-day", "1"), ("valid-from-month", "6"),
                        ("valid-from-year", "2014"),
                    ]
                )
            )
            entries.append(Entry(field: "area name", n: 1, text: area, stored: "SELECT name AS value FROM area WHERE code = 'XSSA'"))
            let areaID = try await app.db.query("SELECT id FROM area WHERE code = 'XSSA'").first?.decode("id", as: Int.self)
            try await admin.get("/admin/organisations/new")
            let provider = Self.payload(2, maximum: 200)
            record(
                "create provider",
                try await admin.post(
                    "/admin/organisations/new",
                    [
                        ("code", "XSSP"), ("name", provider), ("kind", "crc"), ("area", String(areaID ?? 0)), ("valid-from-day", "1"),
                        ("valid-from-month", "6"), ("valid-from-year", "2014"),
                    ]
                )
            )
            entries.append(Entry(field: "provider name", n: 2, text: provider, stored: "SELECT name AS value FROM provider WHERE code = 'XSSP'"))
            try await admin.get("/admin/users/new")
            let person = Self.payload(3, maximum: 100)
            record(
                "create user",
                try await admin.post(
                    "/admin/users/new",
                    [("display-name", person), ("email", "payload@example.gov.uk"), ("role", "inspector"), ("organisation", "")]
                )
            )
            entries.append(
                Entry(
                    field: "user name",
                    n: 3,
                    text: person,
                    stored: "SELECT display_name AS value FROM staff_user WHERE email = 'payload@example.gov.uk'"
                )
            )
            let title = Self.payload(4, maximum: 200)
            let inspector = world.inspector
            try await inspector.get("/inspections/\(fixtures.inspectionID)/edit")
            record(
                "edit inspection",
                try await inspector.post(
                    "/inspections/\(fixtures.inspectionID)/edit",
                    dateInputs([
                        ("title", title), ("announced_on", "2026-10-01"), ("fieldwork_starts_on", "2026-12-07"), ("week_plus_two_on", "2026-12-21"),
                        ("victim_window_opens_on", "2026-11-09"), ("victim_window_closes_on", "2026-12-21"),
                    ])
                )
            )
            entries.append(
                Entry(
                    field: "inspection title",
                    n: 4,
                    text: title,
                    stored: "SELECT title AS value FROM inspection WHERE id = \(fixtures.inspectionID)"
                )
            )

            // The VLO: link references (40 characters at most), and the letters page the batch returns.
            for n in [5, 6] {
                let reference = Self.payload(n, maximum: InvitationStore.maximumReferenceLength)
                try await world.vlo.get("/links/\(fixtures.inspectionID)")
                record(
                    "issue links",
                    try await world.vlo.post("/links/\(fixtures.inspectionID)", [("count", "1"), ("reference", reference), ("language", "both")])
                )
                entries.append(
                    Entry(
                        field: "link reference",
                        n: n,
                        text: reference,
                        stored: "SELECT reference AS value FROM invitation WHERE reference LIKE \("%PX\(n)X%")"
                    )
                )
            }

            // The inspector: a sentencer meeting's court, evidence and quote, on the world's meeting.
            let meeting = world.meetingID
            let court = Self.payload(7, maximum: 100)
            let meetingPage = try await inspector.get(SentencerWorld.pagePath(meeting, "meeting"))
            if let revision = SentencerWorld.revision(in: meetingPage.text) {
                var fields = SentencerWorld.meetingFields().filter { $0.0 != "court_name" }
                fields += [("court_name", court), ("revision", revision)]
                record("meeting page", try await inspector.post(SentencerWorld.pagePath(meeting, "meeting"), fields))
            } else {
                Issue.record("no revision on the meeting page: \(meetingPage.status)")
            }
            entries.append(
                Entry(field: "court name", n: 7, text: court, stored: "SELECT court_name AS value FROM sentencer_meeting WHERE id = \(meeting)")
            )
            let sentencers = SentencerWorld(app: app, fixtures: fixtures, client: client)
            let evidence = Self.payload(8)
            let quote = Self.payload(9, maximum: 1000)
            record(
                "topic t1",
                try await sentencers.savePage(
                    inspector,
                    meeting,
                    "t1",
                    [("t1_rating", "fairly_confident"), ("t1_evidence", evidence), ("t1_quote", quote), ("t1_quote_role", "bench_chair")]
                )
            )
            entries.append(
                Entry(
                    field: "sentencer evidence",
                    n: 8,
                    text: evidence,
                    stored: "SELECT evidence AS value FROM sentencer_meeting_topic WHERE meeting_id = \(meeting) AND topic = 't1'"
                )
            )
            entries.append(
                Entry(
                    field: "sentencer quote",
                    n: 9,
                    text: quote,
                    stored: "SELECT quote AS value FROM sentencer_meeting_topic WHERE meeting_id = \(meeting) AND topic = 't1'"
                )
            )
            let other = Self.payload(10)
            record("topic t8", try await sentencers.savePage(inspector, meeting, "t8", [("t8_evidence", other)]))
            entries.append(
                Entry(
                    field: "sentencer other issues",
                    n: 10,
                    text: other,
                    stored: "SELECT evidence AS value FROM sentencer_meeting_topic WHERE meeting_id = \(meeting) AND topic = 't8'"
                )
            )

            // Victims, in English and in Welsh: both free-text answers, submitted.
            let links = try await fixtures.issue(app, count: 2)
            for (index, language) in ["en", "cy"].enumerated() {
                let helped = Self.payload(11 + 2 * index, maximum: 2000)
                let change = Self.payload(12 + 2 * index, maximum: 2000)
                var victim = VictimBrowser(client)
                let check = try await Self.answer(&victim, token: links[index].token, language: language, helped: helped, change: change)
                #expect(check.html.contains("PX\(11 + 2 * index)X"), "\(language): the check page shows the answer")
                pages.append(("victim check page (\(language))", "text/html", check.html))
                let submitted = try await victim.post("/questionnaire/submit", [])
                #expect(submitted.location == "/questionnaire/done", "\(language): \(submitted.status)")
                for (n, text) in [(11 + 2 * index, helped), (12 + 2 * index, change)] {
                    let question = n == 11 + 2 * index ? "v19_helped_most" : "v20_should_change"
                    entries.append(
                        Entry(
                            field: "victim free text (\(language))",
                            n: n,
                            text: text,
                            stored:
                                "SELECT answers -> \(question) ->> 'text' AS value FROM victim_response WHERE answers -> \(question) ->> 'text' LIKE \("%PX\(n)X%")"
                        )
                    )
                }
            }

            // A paper return keyed in by the inspector.
            let paper = Self.payload(15, maximum: 2000)
            try await inspector.get("/inspections/\(fixtures.inspectionID)/paper")
            let paperFields: [(String, String)] =
                VictimQuestionnaireTests.answers.values.flatMap { $0 }.filter { $0.0 != "v19_helped_most" }
                + [("provider", String(fixtures.providerA)), ("language", "en"), ("v19_helped_most", paper)]
            let paperResponse = try await inspector.post("/inspections/\(fixtures.inspectionID)/paper", paperFields)
            #expect(paperResponse.status == .created || paperResponse.status == .seeOther, "paper return: \(paperResponse.status)")
            record("paper return", paperResponse)
            entries.append(
                Entry(
                    field: "paper return free text",
                    n: 15,
                    text: paper,
                    stored: "SELECT answers -> 'v19_helped_most' ->> 'text' AS value FROM victim_response WHERE channel = 'paper'"
                )
            )

            // Answers are read once released: the window closes and the ballot box is emptied.
            try await app.closeWindowAndRelease(fixtures.inspectionID)

            // The lead inspector reviews one answer, redacting a payload phrase and flagging it for safeguarding.
            let review = try await inspector.get("/inspections/\(fixtures.inspectionID)/report/free-text")
            record("free-text review", review)
            if let response = Self.hidden("response", in: review.text), let question = Self.hidden("question", in: review.text) {
                record(
                    "review",
                    try await inspector.post(
                        "/inspections/\(fixtures.inspectionID)/report/free-text",
                        [("response", response), ("question", question), ("redact", "PX\n<script>"), ("safeguarding", "yes")]
                    )
                )
            } else {
                Issue.record("no answer to review")
            }

            // Stored verbatim: what the database holds is exactly what was typed.
            for entry in entries {
                let value = try await app.db.query(entry.stored).first?.decode("value", as: String?.self)
                #expect(value == entry.text, "\(entry.field): stored \(String(describing: value))")
            }
            #expect(
                try await app.db.query("SELECT to_regclass('inspection')::text AS t")[0].decode("t", as: String?.self) != nil,
                "no table was dropped"
            )

            // Every page and export every role can open.
            for route in app.dependencies.staffRoutes.all where route.method == .get {
                for browser in [world.admin, world.inspector, world.vlo, world.coordinator] {
                    let uri = world.path(route)
                    let response = try await browser.get(uri)
                    if response.status == .ok { record("GET \(uri)", response) }
                }
            }
            for page in ["meeting", "attendees", "t1", "t8"] {
                record("meeting page \(page)", try await inspector.get(SentencerWorld.pagePath(meeting, page)))
            }
            var seen: Set<Int> = []
            var checked = (html: 0, csv: 0, json: 0)
            for (label, type, text) in pages {
                for entry in entries where text.contains(Self.marker(entry.n)) { seen.insert(entry.n) }
                if type.hasPrefix("text/html") {
                    Verdict.expectEscaped(text, label)
                    #expect(!text.contains("{{x}}") || text.contains("PX"), "\(label): template text shown")
                    checked.html += 1
                } else if type.hasPrefix("text/csv") {
                    for cell in Self.csvCells(text) where cell.contains("PX") {
                        #expect(!["=", "+", "-", "@", "\t", "\r"].contains(cell.first.map(String.init) ?? ""), "\(label): formula cell \(cell)")
                    }
                    checked.csv += 1
                } else if type.hasPrefix("application/json") {
                    #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8))) != nil, "\(label): not valid JSON")
                    checked.json += 1
                }
            }
            let shown = Set(entries.map(\.n))
            #expect(seen == shown, "payloads never shown on any page or export: \(shown.subtracting(seen).sorted())")
            print("injection probe: \(entries.count) inputs; \(checked.html) HTML pages, \(checked.csv) CSV and \(checked.json) JSON exports checked")
        }
    }

    /// Answers every page with valid choices and the two free-text payloads; returns the check page.
    static func answer(
        _ browser: inout VictimBrowser,
        token: String,
        language: String,
        helped: String,
        change: String
    ) async throws
        -> VictimBrowser.Page
    {
        try await browser.post("/q/\(token)", [("lang", language)], withCSRF: false)
        var page = try await browser.follow("/questionnaire")
        for _ in 0..<40 {
            guard let action = page.html.range(of: "action=\"/questionnaire/page/") else { break }
            let pageID = String(page.html[action.upperBound...].prefix { $0 != "\"" })
            var fields = VictimQuestionnaireTests.answers[pageID] ?? []
            if pageID == "helped_most" { fields = [("v19_helped_most", helped)] }
            if pageID == "should_change" { fields = [("v20_should_change", change)] }
            let posted = try await browser.post("/questionnaire/page/\(pageID)", fields + [("action", "continue")])
            #expect(posted.status == .seeOther, "page \(pageID): \(posted.status)")
            page = try await browser.follow(posted.location ?? "/questionnaire")
        }
        return page
    }

    /// The value of the first hidden input named `name`.
    static func hidden(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    /// The cells of a CSV text (RFC 4180 quoting).
    static func csvCells(_ text: String) -> [String] {
        var cells: [String] = []
        var cell = ""
        var quoted = false
        var iterator = Array(text).makeIterator()
        var pending: Character? = nil
        while let character = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if character == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" {
                            cell.append("\"")
                        } else {
                            quoted = false
                            pending = next
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    cell.append(character)
                }
            } else if character == "\"" && cell.isEmpty {
                quoted = true
            } else if character == "," || character == "\n" || character == "\r\n" || character == "\r" {
                cells.append(cell)
                cell = ""
            } else {
                cell.append(character)
            }
        }
        cells.append(cell)
        return cells
    }
}
