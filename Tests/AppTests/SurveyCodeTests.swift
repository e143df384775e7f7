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

/// Issue 21: codes for people on probation, issued by a provider's survey coordinator and answered at `/p/CODE`.
@Suite("Survey codes for people on probation")
struct SurveyCodeTests {
    /// Issues a batch through the coordinator's page and returns the CSV's rows (header first).
    static func issue(_ coordinator: StaffBrowser, inspection: Int, count: String, language: String = "both") async throws -> TestResponse {
        try await coordinator.get("/survey-codes/\(inspection)")
        return try await coordinator.post("/survey-codes/\(inspection)", [("count", count), ("language", language)])
    }

    /// The fixtures and a signed-in survey coordinator of provider A.
    static func world(_ client: any TestClientProtocol, _ app: TestApp) async throws -> (Fixtures, StaffBrowser) {
        let fixtures = try await Fixtures.make(app.db)
        return (fixtures, try await app.vlo(client, provider: fixtures.providerA, email: "c@example.gov.uk", role: .surveyCoordinator))
    }

    /// One code issued through the coordinator's page.
    static func oneCode(_ coordinator: StaffBrowser, _ fixtures: Fixtures) async throws -> String {
        try #require(rows(try await issue(coordinator, inspection: fixtures.inspectionID, count: "1")).last.map(code))
    }

    static func rows(_ response: TestResponse) -> [[String]] {
        // The header is bare; every other field is quoted (the messages hold commas) and holds no quote.
        response.text.split(separator: "\r\n").map { line in
            line.hasPrefix("\"") ? String(line.dropFirst().dropLast()).components(separatedBy: "\",\"") : line.split(separator: ",").map(String.init)
        }
    }

    /// The code of a CSV row, without its hyphen.
    static func code(_ row: [String]) -> String { row[0].replacingOccurrences(of: "-", with: "") }

    /// Starts from `/p/CODE` and continues through every page (all optional) to the check page.
    static func complete(_ browser: inout VictimBrowser, path: String) async throws -> VictimBrowser.Page {
        let started = try await browser.post(path, [("lang", "en")], withCSRF: false)
        #expect(started.status == .seeOther)
        var page = try await browser.follow("/questionnaire")
        var pages = 0
        while !page.html.contains("Check your answers"), pages < 20 {
            guard let action = page.html.range(of: "action=\"/questionnaire/page/") else {
                Issue.record("no question form on the page")
                break
            }
            let pageID = String(page.html[action.upperBound...].prefix { $0 != "\"" })
            let fields: [(String, String)] = pageID == "respect" ? [("su1_treated_with_respect", "agree")] : []
            let posted = try await browser.post("/questionnaire/page/\(pageID)", fields + [("action", "continue")])
            #expect(posted.status == .seeOther, "page \(pageID)")
            page = try await browser.follow(posted.location ?? "/questionnaire")
            pages += 1
        }
        #expect(pages == 10, "one page per question")
        return page
    }

    @Test("a coordinator issues a batch as CSV: one row per code, its /p/ link and the whole SMS in English and Welsh")
    func issueBatch() async throws {
        let configure: (inout AppConfiguration) -> Void = { $0.publicBaseURL = "https://stakeholder-views.justice.gov.uk" }
        try await TestApp.run(configure: configure) { client, app in
            let (fixtures, coordinator) = try await Self.world(client, app)
            let page = try await coordinator.get("/survey-codes/\(fixtures.inspectionID)")
            #expect(page.status == .ok)
            #expect(page.text.contains("Issue codes and download the file"))
            let names = Set(
                page.text.components(separatedBy: "<input").dropFirst().compactMap { tag -> String? in
                    guard let start = tag.range(of: "name=\"") else { return nil }
                    return String(tag[start.upperBound...].prefix { $0 != "\"" })
                }
            )
            #expect(names == ["csrf_token", "count", "language"], "nothing about the person is asked for: \(names)")
            let response = try await Self.issue(coordinator, inspection: fixtures.inspectionID, count: "25")
            #expect(response.status == .created)
            #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(response.headers[.contentDisposition]?.hasPrefix("attachment;") == true)
            #expect(response.headers[.cacheControl] == "no-store")
            let rows = Self.rows(response)
            #expect(rows.first == ["code", "link", "message_en", "message_cy"])
            let codes = rows.dropFirst()
            #expect(codes.count == 25)
            #expect(Set(codes.map { Self.code($0) }).count == 25)
            for row in codes {
                #expect(row[0].count == 11 && row[0].dropFirst(5).first == "-")
                #expect(row[1] == "https://stakeholder-views.justice.gov.uk/p/\(row[0])")
                for message in row[2...3] {
                    #expect(message.hasSuffix(row[1]))
                    let length = try #require(SurveyCodeMessage.gsmLength(message), "outside the GSM alphabet: \(message)")
                    #expect(length <= 160, "\(length): \(message)")
                }
            }
            // Stored: one batch and 25 invitations answering the service-user form, with no reference; only hashes.
            let batch = try await app.db.query("SELECT size, provider_id, language FROM survey_code_batch")
            #expect(batch.count == 1)
            #expect(try batch[0].decode("size", as: Int.self) == 25)
            #expect(try batch[0].decode("provider_id", as: Int.self) == fixtures.providerA)
            let invitations = try await app.db.query(
                "SELECT count(*) AS n, count(reference) AS refs FROM invitation WHERE form_id = 'service-user-questionnaire'"
            )[0]
            #expect(try invitations.decode("n", as: Int.self) == 25)
            #expect(try invitations.decode("refs", as: Int.self) == 0)
            let dump = try await app.db.query("SELECT row_to_json(i)::text AS j FROM invitation i").map { try $0.decode("j", as: String.self) }
            for row in codes { #expect(!dump.contains { $0.contains(Self.code(row)) }, "a code stored in clear") }
            let audit = try await app.db.query("SELECT details::text AS d FROM audit_event WHERE event = 'survey_codes.issued'")
            #expect(audit.count == 1)
            // The VLO's pages and the victim report's link counts do not see the codes.
            let summary = try await InvitationStore(database: app.db, secrets: testLinkSecrets).summary(
                inspectionID: fixtures.inspectionID,
                today: app.dependencies.today
            )
            #expect(summary.allSatisfy { $0.issued == 0 })
            let store = InvitationStore(database: app.db, secrets: testLinkSecrets)
            let today = app.dependencies.today
            let vloPage = try await store.linkPage(
                inspectionID: fixtures.inspectionID,
                providerID: fixtures.providerA,
                vlo: 0,
                filter: LinkFilter(),
                page: 1,
                today: today
            )
            #expect(vloPage.matching == 0 && vloPage.links.isEmpty && vloPage.counts.values.allSatisfy { $0 == 0 }, "codes on the VLO's links page")
            let csv = try await store.allLinks(
                inspectionID: fixtures.inspectionID,
                providerID: fixtures.providerA,
                filter: LinkFilter(),
                today: today
            )
            #expect(csv.isEmpty, "codes in the VLO's CSV")
            let links = try await ReportStore(database: app.db).providerLinks(inspectionID: fixtures.inspectionID)
            #expect(links.allSatisfy { $0.issued == 0 })
        }
    }

    @Test("a batch of 0, 100,001 or words is refused with a message, and nothing is issued")
    func badBatchSizes() async throws {
        try await TestApp.run { client, app in
            let (fixtures, coordinator) = try await Self.world(client, app)
            for count in ["0", "100001", "100,001", "-5", "ten", "", "1e3"] {
                let response = try await Self.issue(coordinator, inspection: fixtures.inspectionID, count: count)
                #expect(response.status == .unprocessableContent, "count \(count)")
                #expect(response.text.contains("Enter a number of codes from 1 to 100,000"), "count \(count)")
            }
            let badLanguage = try await Self.issue(coordinator, inspection: fixtures.inspectionID, count: "3", language: "fr")
            #expect(badLanguage.status == .unprocessableContent)
            #expect(try await app.db.query("SELECT 1 FROM survey_code_batch").isEmpty)
            #expect(try await app.db.query("SELECT 1 FROM invitation").isEmpty)
        }
    }

    @Test("the largest batch, 100,000 codes, is issued in one go, every code different")
    func largestBatch() async throws {
        try await TestApp.run { client, app in
            let (fixtures, coordinator) = try await Self.world(client, app)
            let response = try await Self.issue(coordinator, inspection: fixtures.inspectionID, count: "100,000")
            #expect(response.status == .created)
            let codes = Self.rows(response).dropFirst().map { Self.code($0) }
            #expect(codes.count == 100_000)
            #expect(Set(codes).count == 100_000)
            #expect(try await app.db.query("SELECT count(*) AS n FROM invitation")[0].decode("n", as: Int.self) == 100_000)
        }
    }

    @Test("a coordinator sees only their own provider's batches, and one of a provider not inspected gets 403 and issues nothing")
    func providerScope() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let coordinatorA = try await app.vlo(client, provider: fixtures.providerA, email: "a@example.gov.uk", role: .surveyCoordinator)
            let coordinatorB = try await app.vlo(client, provider: fixtures.providerB, email: "b@example.gov.uk", role: .surveyCoordinator)
            #expect(try await Self.issue(coordinatorA, inspection: fixtures.inspectionID, count: "12").status == .created)
            let pageA = try await coordinatorA.get("/survey-codes/\(fixtures.inspectionID)")
            let pageB = try await coordinatorB.get("/survey-codes/\(fixtures.inspectionID)")
            #expect(pageA.text.contains("govuk-table__cell--numeric\">12<"))
            #expect(pageB.text.contains("No codes have been issued for this inspection yet."))
            // A third provider, not inspected: refused, and nothing stored for it.
            let other = try await app.db.query(
                "INSERT INTO provider (code, name, kind, area_id, valid_from) VALUES ('OTH', 'Other', 'crc', \(fixtures.areaID), '2014-06-01') RETURNING id"
            )[0].decode("id", as: Int.self)
            let outsider = try await app.vlo(client, provider: other, email: "o@example.gov.uk", role: .surveyCoordinator)
            #expect(try await outsider.get("/survey-codes/\(fixtures.inspectionID)").status == .forbidden)
            let post = try await outsider.post("/survey-codes/\(fixtures.inspectionID)", [("count", "5"), ("language", "en")])
            #expect(post.status == .forbidden)
            #expect(try await app.db.query("SELECT count(*) AS n FROM survey_code_batch")[0].decode("n", as: Int.self) == 1)
            // VLOs cannot issue codes, and coordinators cannot issue victims' links.
            let vlo = try await app.vlo(client, provider: fixtures.providerA, email: "v@example.gov.uk")
            #expect(try await vlo.get("/survey-codes").status == .forbidden)
            #expect(try await coordinatorA.get("/links").status == .forbidden)
        }
    }

    @Test("a service address too long for one SMS is refused before any code is issued")
    func messageTooLong() async throws {
        let host = String(repeating: "a", count: 50)
        #expect(SurveyCodeMessage.problem(baseURL: "https://" + String(repeating: "a", count: 49)) == nil)
        #expect(SurveyCodeMessage.problem(baseURL: "https://" + host) != nil)
        #expect(SurveyCodeMessage.gsmLength("Mae’n") == nil, "a curly apostrophe would make the SMS UCS-2")
        #expect(SurveyCodeMessage.gsmLength("ŵ") == nil)
        #expect(SurveyCodeMessage.gsmLength("a€") == 3)
        let configure: (inout AppConfiguration) -> Void = { $0.publicBaseURL = "https://" + host }
        try await TestApp.run(configure: configure) { client, app in
            let (fixtures, coordinator) = try await Self.world(client, app)
            let response = try await Self.issue(coordinator, inspection: fixtures.inspectionID, count: "3")
            #expect(response.status == .unprocessableContent)
            #expect(response.text.contains("more than one text message"))
            #expect(try await app.db.query("SELECT 1 FROM invitation").isEmpty)
        }
    }

    @Test("GET /p/CODE spends nothing; the code works typed in lower case, with spaces and O for 0, I for 1")
    func codeOpensTheStartPage() async throws {
        try await TestApp.run { client, app in
            let (fixtures, coordinator) = try await Self.world(client, app)
            let code = try await Self.oneCode(coordinator, fixtures)
            var browser = VictimBrowser(client)
            for _ in 0..<3 {
                let page = try await browser.get("/p/\(LinkSecrets.display(code: code))")
                #expect(page.status == .ok)
                #expect(page.html.contains("Tell us what you think of probation"))
                #expect(!page.html.contains("Victim"))
                #expect(page.html.contains("href=\"/exit\""))
                #expect(page.html.contains("for=probation"))
            }
            #expect(browser.cookie == nil)
            #expect(try await app.db.query("SELECT status FROM invitation")[0].decode("status", as: String.self) == "opened")
            let mangled =
                String(code.prefix(5)).lowercased() + "%20"
                + String(code.suffix(5)).replacingOccurrences(of: "0", with: "O")
                .replacingOccurrences(of: "1", with: "I")
            #expect(try await browser.get("/p/\(mangled)").status == .ok)
            let welsh = try await browser.get("/p/\(code)?lang=cy")
            #expect(welsh.html.contains("Dywedwch wrthym beth yw eich barn am y gwasanaeth prawf"))
            // A code is not a victim link, and a victim's access code does not open /p/.
            let link = try #require(try await fixtures.issue(app).first)
            #expect(try await browser.get("/p/\(link.code)").status == .notFound)
            #expect(try await browser.post("/start", [("code", code), ("lang", "en")], withCSRF: false).status == .notFound)
            #expect(try await browser.get("/p/not-a-code").status == .notFound)
        }
    }

    @Test("guessing codes at /p/ counts against the per-address limit: the 30th wrong code is refused, then the real one too")
    func guessingIsLimited() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let code = try #require(
                try await SurveyCodeStore(database: app.db, secrets: testLinkSecrets).issue(
                    inspectionID: fixtures.inspectionID,
                    providerID: fixtures.providerA,
                    issuedBy: nil,
                    count: 1,
                    language: "en",
                    now: app.clock.now
                ).codes.first
            )
            var browser = VictimBrowser(client)
            var refusedAt: Int?
            for attempt in 1...35 {
                let guess = String(format: "%05dQQQQQ", attempt)
                let page =
                    attempt.isMultiple(of: 2) ? try await browser.get("/p/\(guess)") : try await browser.post("/p/\(guess)", [], withCSRF: false)
                #expect(page.status == .notFound || page.status == .tooManyRequests, "attempt \(attempt)")
                if page.status == .tooManyRequests { refusedAt = refusedAt ?? attempt }
            }
            #expect(refusedAt == 30)
            #expect(try await browser.get("/p/\(code)").status == .tooManyRequests)
            app.clock.advance(by: 16 * 60)
            #expect(try await browser.get("/p/\(code)").status == .ok)
        }
    }

    @Test("a person on probation answers one question a page, checks and submits; released apart from victims' answers")
    func fullJourney() async throws {
        try await TestApp.run { client, app in
            let (fixtures, coordinator) = try await Self.world(client, app)
            let code = try await Self.oneCode(coordinator, fixtures)
            var browser = VictimBrowser(client)
            let check = try await Self.complete(&browser, path: "/p/\(code)")
            #expect(check.html.contains("My probation worker treats me with respect."))
            #expect(!check.html.contains("Victim"))
            let submitted = try await browser.post("/questionnaire/submit", [])
            #expect(submitted.location == "/questionnaire/done")
            #expect(try await browser.get("/questionnaire/done").html.contains("Answers sent"))
            let sealed = try await app.db.query("SELECT form_id FROM sealed_response")
            #expect(try sealed.map { try $0.decode("form_id", as: String.self) } == ["service-user-questionnaire"])
            // The code is spent: the start page now says the answers were sent.
            var other = VictimBrowser(client)
            #expect(try await other.get("/p/\(code)").html.contains("You have already sent your answers"))
            // A victim's sealed copy waits in its own group: releasing nine victims' and this one together is not a batch.
            try app.moveClock(to: "2026-12-22")
            let outcome = try await BallotBox(database: app.db, secrets: testLinkSecrets).release(today: app.dependencies.today)
            #expect(outcome.total == 1)
            let row = try #require(try await app.db.query("SELECT * FROM victim_response").first)
            #expect(try row.decode("form_id", as: String.self) == "service-user-questionnaire")
            #expect(
                row.columns.names.sorted() == [
                    "answers", "channel", "form_id", "form_version", "id", "inspection_id", "provider_id", "withdrawal_key",
                ],
                "no column ties the response to its code or batch"
            )
            #expect(try row.decode("answers", as: PostgresJSON.self).text.contains("agree"))
            let versions = try await app.db.query("SELECT form_id FROM form_version").map { try $0.decode("form_id", as: String.self) }
            #expect(versions == ["service-user-questionnaire"])
        }
    }

    @Test("the box releases each form on its own: nine victims and one person on probation are two groups under ten")
    func releasedApart() async throws {
        try await TestApp.run { _, app in
            let fixtures = try await Fixtures.make(app.db)
            for form in Array(repeating: "victim-questionnaire", count: 9) + ["service-user-questionnaire"] {
                try await app.db.execute(
                    """
                    INSERT INTO sealed_response (inspection_id, provider_id, form_id, sealed)
                    VALUES (\(fixtures.inspectionID), \(fixtures.providerA), \(form), decode(repeat('00', 16384), 'hex'))
                    """
                )
            }
            let outcome = try await BallotBox(database: app.db, secrets: testLinkSecrets).release(today: app.dependencies.today)
            #expect(outcome.total == 0, "ten copies of two forms are not a batch of ten")
            #expect(try await app.db.query("SELECT count(*) AS n FROM sealed_response")[0].decode("n", as: Int.self) == 10)
        }
    }

    @Test("50 concurrent submissions with the same code store exactly one response")
    func singleUseUnderConcurrency() async throws {
        try await TestApp.run { client, app in
            let (fixtures, coordinator) = try await Self.world(client, app)
            let code = try await Self.oneCode(coordinator, fixtures)
            var browser = VictimBrowser(client)
            _ = try await Self.complete(&browser, path: "/p/\(code)")
            let locations = try await VictimQuestionnaireTests.submitConcurrently(browser, times: 50)
            #expect(locations.allSatisfy { $0 == "/questionnaire/done" })
            #expect(try await app.db.query("SELECT count(*) AS n FROM sealed_response")[0].decode("n", as: Int.self) == 1)
        }
    }

    @Test("tracking: issued, opened and answered per batch, never answers, and no figures for a batch under 10")
    func tracking() async throws {
        try await TestApp.run { client, app in
            let (fixtures, coordinator) = try await Self.world(client, app)
            let small = Self.rows(try await Self.issue(coordinator, inspection: fixtures.inspectionID, count: "5")).dropFirst().map(Self.code)
            let large = Self.rows(try await Self.issue(coordinator, inspection: fixtures.inspectionID, count: "12")).dropFirst().map(Self.code)
            var browser = VictimBrowser(client)
            try await browser.get("/p/\(try #require(small.first))")
            try await browser.get("/p/\(try #require(large.first))")
            var answering = VictimBrowser(client)
            _ = try await Self.complete(&answering, path: "/p/\(try #require(large.last))")
            #expect(try await answering.post("/questionnaire/submit", []).location == "/questionnaire/done")
            let page = try await coordinator.get("/survey-codes/\(fixtures.inspectionID)")
            #expect(page.status == .ok)
            let rows = page.text.components(separatedBy: "<tr>").dropFirst(2)
            #expect(rows.count == 2)
            let newest = try #require(rows.first)
            let oldest = try #require(rows.last)
            func numbers(_ row: String) -> [String] {
                row.components(separatedBy: "govuk-table__cell--numeric\">").dropFirst().map { String($0.prefix { $0 != "<" }) }
            }
            #expect(numbers(newest) == ["12", "2", "1"], "12 issued, 2 opened, 1 answered")
            #expect(numbers(oldest) == ["5", "Not shown", "Not shown"], "a batch of 5 shows no figures")
            #expect(!page.text.contains("agree"), "never an answer")
        }
    }

    @Test("the service-user pages speak to people on probation in both languages, with no victim words")
    func serviceUserWords() {
        for key in VictimText.allCases {
            let english = Audience.personOnProbation.text(key, .en)
            let welsh = Audience.personOnProbation.text(key, .cy)
            for word in ["Victim", "victim", "letter", "VLO"] { #expect(!english.contains(word), "\(key): \(english)") }
            for word in ["ioddef", "llythyr"] { #expect(!welsh.contains(word), "\(key): \(welsh)") }
            if let override = ServiceUserText.words(key) { #expect(override.en != override.cy, "\(key) has no Welsh of its own") }
        }
    }

    @Test("no column anywhere can hold a phone number, a name of a person on probation or a case reference")
    func noPersonalColumns() async throws {
        try await TestApp.run { _, app in
            let columns = try await app.db.query(
                """
                SELECT table_name || '.' || column_name AS c FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name IN ('survey_code_batch', 'invitation', 'sealed_response', 'victim_response')
                """
            ).map { try $0.decode("c", as: String.self) }
            #expect(columns.contains("survey_code_batch.size"), "the query sees the tables")
            for column in columns {
                for word in ["phone", "mobile", "msisdn", "name", "crn", "case", "nomis", "pnc", "birth", "address"] {
                    #expect(!column.split(separator: ".")[1].contains(word), "\(column)")
                }
            }
        }
    }
}
