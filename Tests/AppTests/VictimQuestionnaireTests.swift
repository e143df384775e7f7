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

@Suite("The victim's questionnaire over HTTP")
struct VictimQuestionnaireTests {
    /// Answers for every page of the current form, so a journey can reach the check page.
    static let answers: [String: [(String, String)]] = [
        "completed_by": [("v2_completed_by", "victim")],
        "named_vlo": [("v5_named_vlo", "yes")],
        "helped_most": [("v19_helped_most", "Roedd hi’n garedig iawn 🙂\r\nline two")],
    ]

    /// Starts from the link and answers pages until the check page.
    static func complete(_ browser: inout VictimBrowser, token: String) async throws {
        try await browser.get("/q/\(token)")
        let started = try await browser.post("/q/\(token)", [("lang", "en")], withCSRF: false)
        #expect(started.status == .seeOther)
        var page = try await browser.follow("/questionnaire")
        var guard_ = 0
        while let location = browser.location ?? Optional(""), !page.html.contains("Check your answers"), guard_ < 40 {
            _ = location
            guard let action = page.html.range(of: "action=\"/questionnaire/page/") else {
                Issue.record("no question form on the page")
                return
            }
            let pageID = String(page.html[action.upperBound...].prefix { $0 != "\"" })
            let fields = answers[pageID] ?? []
            let posted = try await browser.post("/questionnaire/page/\(pageID)", fields + [("action", "continue")])
            #expect(posted.status == .seeOther, "page \(pageID)")
            page = try await browser.follow(posted.location ?? "/questionnaire")
            guard_ += 1
        }
    }

    /// Posts the check page's submit `times` times at once from copies of `ready` (one session); returns where each
    /// was sent.
    static func submitConcurrently(_ ready: VictimBrowser, times: Int) async throws -> [String?] {
        try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<times {
                group.addTask {
                    var copy = ready
                    var page = try await copy.post("/questionnaire/submit", [])
                    // Beyond MAX_CONCURRENT_REQUESTS a post is shed with 503 "please try again": the person
                    // presses the button again.
                    for _ in 0..<200 where page.status == .serviceUnavailable {
                        page = try await copy.post("/questionnaire/submit", [])
                    }
                    return page.location
                }
            }
            return try await group.reduce(into: [String?]()) { $0.append($1) }
        }
    }

    @Test("opening a link with GET spends nothing: the start page shows again and the link still works")
    func getSpendsNothing() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let link = try #require(try await fixtures.issue(app).first)
            var browser = VictimBrowser(client)
            for _ in 0..<3 {
                let page = try await browser.get("/q/\(link.token)")
                #expect(page.status == .ok)
                #expect(page.html.contains("Tell us about the victim contact service"))
                #expect(page.html.contains("Your Victim Liaison Officer will not see your answers."))
                #expect(page.html.contains("href=\"/exit\""))
            }
            #expect(browser.cookie == nil)
            let status = try await app.db.query("SELECT status FROM invitation WHERE id = \(link.id)")[0].decode("status", as: String.self)
            #expect(status == "opened")
        }
    }

    @Test("a victim answers, checks and submits; the response has no link to the invitation and the draft is gone")
    func fullJourney() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let link = try #require(try await fixtures.issue(app).first)
            var browser = VictimBrowser(client)
            try await Self.complete(&browser, token: link.token)
            let check = try await browser.get("/questionnaire/check")
            #expect(check.html.contains("I am the victim"))
            #expect(check.html.contains("Roedd hi’n garedig iawn 🙂"))
            let submitted = try await browser.post("/questionnaire/submit", [])
            #expect(submitted.location == "/questionnaire/done")
            let done = try await browser.get("/questionnaire/done")
            #expect(done.html.contains("Answers sent"))

            // In the ballot box: sealed, a whole number of 16 KiB blocks, the answers unreadable.
            let sealed = try await app.db.query("SELECT * FROM sealed_response")
            #expect(sealed.count == 1)
            let box = try #require(sealed.first)
            #expect(box.columns.names.sorted() == ["form_id", "id", "inspection_id", "invitation_id", "provider_id", "sealed"])
            let bytes = try box.decode("sealed", as: PostgresBytes.self).bytes
            #expect(bytes.count == 16_384)
            #expect(!String(decoding: bytes, as: UTF8.self).contains("garedig"))
            #expect(try await app.db.query("SELECT * FROM victim_response").isEmpty)
            let drafts = try await app.db.query("SELECT count(*) AS n FROM victim_draft")[0].decode("n", as: Int.self)
            #expect(drafts == 0)
            let language = try await app.db.query("SELECT submitted_language FROM invitation WHERE id = \(link.id)")[0]
            #expect(try language.decode("submitted_language", as: String.self) == "en")

            // Released (the window has closed with fewer than 10): no link, no language, no time.
            try app.moveClock(to: "2026-12-22")
            #expect(try await BallotBox(database: app.db, secrets: testLinkSecrets).release(today: app.dependencies.today).total == 1)
            let responses = try await app.db.query("SELECT * FROM victim_response")
            #expect(responses.count == 1)
            let row = try #require(responses.first)
            #expect(
                row.columns.names.sorted() == [
                    "answers", "channel", "form_id", "form_version", "id", "inspection_id", "provider_id", "withdrawal_key",
                ]
            )
            #expect(try row.decode("provider_id", as: Int.self) == fixtures.providerA)
            let answers = try row.decode("answers", as: PostgresJSON.self).text
            #expect(answers.contains("Roedd hi’n garedig iawn 🙂\\nline two"))
            let status = try await app.db.query("SELECT status FROM invitation WHERE id = \(link.id)")[0].decode("status", as: String.self)
            #expect(status == "submitted")
            let versions = try await app.db.query("SELECT form_id FROM form_version")
            #expect(try versions.map { try $0.decode("form_id", as: String.self) } == ["victim-questionnaire"])
        }
    }

    @Test("50 concurrent submissions of the same link store exactly one response, and every one sees the confirmation")
    func singleUseUnderConcurrency() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let link = try #require(try await fixtures.issue(app).first)
            var browser = VictimBrowser(client)
            try await Self.complete(&browser, token: link.token)
            let ready = browser
            let locations = try await Self.submitConcurrently(ready, times: 50)
            #expect(locations.allSatisfy { $0 == "/questionnaire/done" })
            #expect(try await app.db.query("SELECT count(*) AS n FROM sealed_response")[0].decode("n", as: Int.self) == 1)
            // Refresh and back-button resubmits see the confirmation too.
            var again = ready
            #expect(try await again.post("/questionnaire/submit", []).location == "/questionnaire/done")
            #expect(try await again.follow("/questionnaire/page/completed_by").html.contains("Answers sent"))
        }
    }

    @Test("answers are saved as the person goes, and the link resumes them on another device")
    func resumeOnAnotherDevice() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let link = try #require(try await fixtures.issue(app).first)
            var phone = VictimBrowser(client)
            let first = try await phone.begin(link.token)
            let code = try #require(AnonymityAttackTests.resumeCode(in: first.html))
            try await phone.post("/questionnaire/page/completed_by", [("v2_completed_by", "helper"), ("action", "continue")])
            var laptop = VictimBrowser(client)
            try await laptop.post("/q/\(link.token)", [("action", "resume"), ("resume_code", code)], withCSRF: false)
            #expect(laptop.cookie != phone.cookie)
            let resumed = try await laptop.follow("/questionnaire")
            #expect(resumed.html.contains("action=\"/questionnaire/page/first_contact_method\""))
            let again = try await laptop.get("/questionnaire/page/completed_by")
            #expect(again.html.contains("value=\"helper\" checked"))
        }
    }

    @Test("switching language on a question page keeps what was typed and shows the page in Welsh")
    func languageSwitchKeepsAnswers() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let link = try #require(try await fixtures.issue(app).first)
            var browser = VictimBrowser(client)
            try await browser.begin(link.token)
            let switched = try await browser.post(
                "/questionnaire/page/completed_by",
                [("v2_completed_by", "bereaved_family"), ("action", "switch-language")]
            )
            #expect(switched.status == .ok)
            #expect(switched.html.contains("<html lang=\"cy\""))
            #expect(switched.html.contains("llenwi"))
            #expect(switched.html.contains("value=\"bereaved_family\" checked"))
            let later = try await browser.get("/questionnaire/page/completed_by")
            #expect(later.html.contains("<html lang=\"cy\""))
        }
    }

    @Test("the access code from the letter opens the same questionnaire, typed in any case with spaces")
    func accessCode() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let link = try #require(try await fixtures.issue(app).first)
            var browser = VictimBrowser(client)
            let typed = LinkSecrets.display(code: link.code).lowercased().replacingOccurrences(of: "-", with: " ")
            let started = try await browser.post("/start", [("code", typed), ("lang", "cy")], withCSRF: false)
            #expect(started.location == "/questionnaire")
            let page = try await browser.follow("/questionnaire")
            #expect(page.html.contains("<html lang=\"cy\""))
            var stranger = VictimBrowser(client)
            let wrong = try await stranger.post("/start", [("code", "ABCDE")], withCSRF: false)
            #expect(wrong.status == .unprocessableContent)
            #expect(wrong.html.contains("govuk-error-summary"))
        }
    }

    @Test("unknown, revoked and expired links get the same plain page; guessing is rate-limited per address")
    func linksThatDoNotWork() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let links = try await fixtures.issue(app, count: 2)
            try await app.db.execute("UPDATE invitation SET status = 'revoked' WHERE id = \(links[0].id)")
            var browser = VictimBrowser(client)
            let revoked = try await browser.get("/q/\(links[0].token)")
            let unknown = try await browser.get("/q/\(LinkSecrets.newToken())")
            #expect(revoked.status == .notFound)
            #expect(unknown.status == .notFound)
            #expect(revoked.html == unknown.html)
            app.clock.advance(by: 40 * 86_400)
            let expired = try await browser.get("/q/\(links[1].token)")
            #expect(expired.status == .notFound)
            #expect(expired.html == unknown.html)
            var last = unknown
            for _ in 0..<40 { last = try await browser.get("/q/\(LinkSecrets.newToken())") }
            #expect(last.status == .tooManyRequests)
        }
    }

    @Test("a victim withdraws a submitted response with the resume code; the sealed copy is deleted and the link stops working")
    func withdrawal() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let links = try await fixtures.issue(app, count: 2)
            var codes: [String] = []
            for link in links {
                var browser = VictimBrowser(client)
                try await Self.complete(&browser, token: link.token)
                try await browser.post("/questionnaire/submit", [])
                codes.append(try #require(AnonymityAttackTests.resumeCode(in: try await browser.get("/questionnaire/done").html)))
            }
            #expect(try await app.db.query("SELECT count(*) AS n FROM sealed_response")[0].decode("n", as: Int.self) == 2)
            var later = VictimBrowser(client)
            let start = try await later.get("/q/\(links[0].token)")
            #expect(start.html.contains("You have already sent your answers"))
            try await later.post("/q/\(links[0].token)", [("action", "withdraw"), ("resume_code", codes[0])], withCSRF: false)
            try await later.follow("/questionnaire/withdraw")
            let withdrawn = try await later.post("/questionnaire/withdraw", [])
            #expect(withdrawn.html.contains("Your answers have been withdrawn"))
            #expect(try await app.db.query("SELECT count(*) AS n FROM sealed_response")[0].decode("n", as: Int.self) == 1)
            var afterwards = VictimBrowser(client)
            #expect(try await afterwards.get("/q/\(links[0].token)").status == .notFound)
        }
    }

    @Test("bad input changes nothing: invalid UTF-8, a missing CSRF token, an unknown page, a code not in the options")
    func badInput() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let link = try #require(try await fixtures.issue(app).first)
            var browser = VictimBrowser(client)
            try await browser.begin(link.token)
            // Starting saved an empty draft under the new resume code; nothing below may change it.
            func drafts() async throws -> [PostgresBytes] {
                try await app.db.query("SELECT sealed FROM victim_draft").map { try $0.decode("sealed", as: PostgresBytes.self) }
            }
            let started = try await drafts()
            #expect(started.count == 1)
            var invalid = ByteBuffer(string: "v2_completed_by=victim&csrf_token=\(browser.csrf ?? "")&x=")
            invalid.writeBytes([0xC3, 0x28])
            #expect(try await browser.send("/questionnaire/page/completed_by", method: .post, body: invalid).status == .badRequest)
            #expect(try await browser.post("/questionnaire/page/completed_by", [("v2_completed_by", "victim")], withCSRF: false).status == .forbidden)
            #expect(try await browser.post("/questionnaire/page/no_such_page", [("x", "y")]).status == .notFound)
            let wrongCode = try await browser.post("/questionnaire/page/completed_by", [("v2_completed_by", "alien"), ("action", "continue")])
            #expect(wrongCode.status == .unprocessableContent)
            #expect(wrongCode.html.contains("govuk-error-summary"))
            let oversized = try await browser.post("/questionnaire/page/helped_most", [("v19_helped_most", String(repeating: "a", count: 2001))])
            #expect(oversized.status == .unprocessableContent)
            #expect(try await drafts() == started)
        }
    }

    @Test("Exit this page ends the session and leaves for a neutral site")
    func exitPage() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let link = try #require(try await fixtures.issue(app).first)
            var browser = VictimBrowser(client)
            try await browser.post("/q/\(link.token)", [], withCSRF: false)
            let exited = try await browser.get("/exit")
            #expect(exited.location == "https://www.bbc.co.uk/weather")
            #expect(browser.cookie == nil)
            #expect(try await app.db.query("SELECT count(*) AS n FROM victim_session")[0].decode("n", as: Int.self) == 0)
        }
    }

    @Test("only hashes of tokens and codes are stored, and tokens carry 128 random bits")
    func onlyHashesStored() async throws {
        try await TestApp.run { _, app in
            let fixtures = try await Fixtures.make(app.db)
            let links = try await fixtures.issue(app, count: 200)
            #expect(Set(links.map(\.token)).count == 200)
            #expect(Set(links.map(\.code)).count == 200)
            #expect(links.allSatisfy { $0.token.count == 26 && $0.code.count == 10 })
            let dump = try await app.db.query("SELECT row_to_json(i)::text AS r FROM invitation i").map { try $0.decode("r", as: String.self) }
            for link in links.prefix(20) {
                #expect(!dump.contains { $0.contains(link.token) || $0.contains(link.code) })
            }
        }
    }
}

@Suite("Victim pages exist in English and Welsh")
struct VictimLanguageParityTests {
    @Test("every victim text has both an English and a Welsh version, and they differ")
    func everyTextInBothLanguages() {
        for key in VictimText.allCases {
            #expect(!key.en.isEmpty && !key.cy.isEmpty, "\(key)")
            if key != .phaseBanner { #expect(key.en != key.cy, "\(key) is the same in both languages") }
        }
    }

    @Test("the privacy notice and accessibility statement are served in both languages and linked from every victim page")
    func privacyAndAccessibility() async throws {
        try await TestApp.run { client, _ in
            for (path, english, welsh) in [
                ("/privacy", "Privacy notice", "Hysbysiad preifatrwydd"), ("/accessibility", "WCAG", "WCAG"),
            ] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.text.contains(english))
                }
                try await client.execute(uri: "\(path)?lang=cy", method: .get) { response in
                    #expect(response.text.contains("<html lang=\"cy\""))
                    #expect(response.text.contains(welsh))
                }
            }
            try await client.execute(uri: "/start", method: .get) { response in
                #expect(response.text.contains("href=\"/privacy?lang=en\""))
                #expect(response.text.contains("href=\"/accessibility?lang=en\""))
            }
        }
    }
}

@Suite("Welsh pages are Welsh throughout")
struct WelshTitleTests {
    @Test("a Welsh page's title is wholly Welsh, including the organisation's name")
    func welshTitle() async throws {
        try await TestApp.run { client, _ in
            try await client.execute(uri: "/start?lang=cy", method: .get) { response in
                #expect(response.text.contains("<title>Rhowch eich cod mynediad – Arolygiaeth Prawf EF</title>"))
            }
        }
    }
}
