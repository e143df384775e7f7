import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

@testable import Domain
@testable import Operations
@testable import Web

/// Issue 20 item 5: a VLO with hundreds of links pages, filters, searches and sorts them, prints reminders with the
/// same codes and downloads a CSV, always within their own provider and never seeing answers.
@Suite("VLOs at scale: paged links, filters, reminders and the CSV")
struct LinkPagingTests {
    /// Issues `count` links for provider A as the VLO `email`, one second apart, with references `prefix1`, `prefix2`….
    static func issue(
        _ app: TestApp,
        _ fixtures: Fixtures,
        count: Int,
        by email: String,
        prefix: String = "case ",
        provider: Int? = nil
    ) async throws -> [IssuedLink] {
        let user = try await app.db.query("SELECT id FROM staff_user WHERE email = \(email)")[0].decode("id", as: Int.self)
        let store = InvitationStore(database: app.db, secrets: testLinkSecrets)
        var links: [IssuedLink] = []
        for number in 1...count {
            app.clock.advance(by: 1)
            links += try await store.issue(
                inspectionID: fixtures.inspectionID,
                providerID: provider ?? fixtures.providerA,
                issuedBy: user,
                count: 1,
                reference: "\(prefix)\(number)",
                language: "en",
                now: app.clock.now
            )
        }
        return links
    }

    /// The references in the links table of a page, in order.
    static func references(_ html: String) -> [String] {
        html.components(separatedBy: "<tr id=\"link-").dropFirst().compactMap { row in
            row.components(separatedBy: "<td class=\"govuk-table__cell\">").dropFirst(2).first?.components(separatedBy: "</td>").first
        }
    }

    @Test("120 links come 50 a page with counts per status at the top; a page past the end or not a number says so")
    func paging() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let vlo = try await app.vlo(client, provider: fixtures.providerA, email: "vlo.a@example.gov.uk")
            let links = try await Self.issue(app, fixtures, count: 120, by: "vlo.a@example.gov.uk")
            try await app.db.execute(
                "UPDATE invitation SET status = 'submitted', submitted_at = issued_at WHERE id = ANY(\(links.prefix(7).map(\.id)))"
            )
            let first = try await vlo.get("/links/\(fixtures.inspectionID)")
            #expect(first.status == .ok)
            #expect(Self.references(first.text).count == 50)
            #expect(Self.references(first.text).first == "case 120")
            #expect(first.text.contains("Showing 1 to 50 of 120 links."))
            #expect(first.text.contains("<td class=\"govuk-table__cell\">113</td>"))  // issued
            #expect(first.text.contains("<td class=\"govuk-table__cell\">7</td>"))  // submitted
            #expect(first.text.contains("Issued: 120. Submitted: 7."))
            #expect(first.text.contains("class=\"govuk-pagination\""))
            #expect(first.text.contains("href=\"/links/\(fixtures.inspectionID)?page=2\" rel=\"next\""))
            let last = try await vlo.get("/links/\(fixtures.inspectionID)?page=3")
            #expect(Self.references(last.text).count == 20)
            #expect(last.text.contains("Showing 101 to 120 of 120 links."))
            #expect(!last.text.contains("rel=\"next\""))

            let beyond = try await vlo.get("/links/\(fixtures.inspectionID)?page=9")
            #expect(beyond.status == .badRequest)
            #expect(beyond.text.contains("There are 3 pages of links, so page 9 is shown as page 3"))
            #expect(Self.references(beyond.text).count == 20)
            for bad in ["abc", "0", "-1", "99999999999999999999", "1.5"] {
                let refused = try await vlo.get("/links/\(fixtures.inspectionID)?page=\(bad)")
                #expect(refused.status == .badRequest, "page=\(bad)")
                #expect(refused.text.contains("Page numbers are whole numbers from 1"), "page=\(bad)")
                #expect(Self.references(refused.text).count == 50)
            }
        }
    }

    @Test("the status filter shows only links of that status (expired ones as of today) and refuses a status not in the list")
    func statusFilter() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let vlo = try await app.vlo(client, provider: fixtures.providerA, email: "vlo.a@example.gov.uk")
            let links = try await Self.issue(app, fixtures, count: 12, by: "vlo.a@example.gov.uk")
            try await app.db.execute(
                "UPDATE invitation SET status = 'submitted', submitted_at = issued_at WHERE id = ANY(\(links.prefix(3).map(\.id)))"
            )
            try await app.db.execute("UPDATE invitation SET status = 'revoked', revoked_at = issued_at WHERE id = \(links[3].id)")
            let submitted = try await vlo.get("/links/\(fixtures.inspectionID)?status=submitted")
            #expect(submitted.status == .ok)
            #expect(Self.references(submitted.text) == ["case 3", "case 2", "case 1"])
            #expect(submitted.text.contains("Showing 1 to 3 of 3 links that match."))
            let unused = try await vlo.get("/links/\(fixtures.inspectionID)?status=issued")
            #expect(Self.references(unused.text).count == 8)
            // The download has the same filter.
            let csv = try await vlo.get("/links/\(fixtures.inspectionID)/links.csv?status=revoked")
            #expect(csv.text.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == 2)
            #expect(csv.text.contains("case 4,English,Revoked,"))

            for bad in ["answered", "SUBMITTED", "<script>", "' OR 1=1 --"] {
                let refused = try await vlo.get("/links/\(fixtures.inspectionID)?status=\(VictimBrowser.encode(bad))")
                #expect(refused.status == .badRequest)
                #expect(refused.text.contains("Choose a status from the list"))
                #expect(Self.references(refused.text).count == 12)
                #expect(!refused.text.contains("<script>"))
                #expect(try await vlo.get("/links/\(fixtures.inspectionID)/links.csv?status=\(VictimBrowser.encode(bad))").status == .badRequest)
            }
            // After the window closes, unused links count and filter as expired.
            app.clock.set(try #require(ISO8601DateFormatter().date(from: "2026-12-22T10:00:00Z")))
            try await vlo.signIn("vlo.a@example.gov.uk", TestApp.password)  // the session ended with the clock's move
            let expired = try await vlo.get("/links/\(fixtures.inspectionID)?status=expired")
            #expect(Self.references(expired.text).count == 8)
        }
    }

    @Test("searching by reference matches the text literally, ignoring case; markup and SQL are text, too long is refused")
    func search() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let vlo = try await app.vlo(client, provider: fixtures.providerA, email: "vlo.a@example.gov.uk")
            _ = try await Self.issue(app, fixtures, count: 12, by: "vlo.a@example.gov.uk")
            _ = try await Self.issue(app, fixtures, count: 1, by: "vlo.a@example.gov.uk", prefix: "100% <b>bold</b> O'Neil_")
            let found = try await vlo.get("/links/\(fixtures.inspectionID)?search=CASE%201")
            #expect(Self.references(found.text) == ["case 12", "case 11", "case 10", "case 1"])
            #expect(found.text.contains("value=\"CASE 1\""))
            let percent = try await vlo.get("/links/\(fixtures.inspectionID)?search=\(VictimBrowser.encode("0%"))")
            #expect(Self.references(percent.text).count == 1)
            let underscore = try await vlo.get("/links/\(fixtures.inspectionID)?search=\(VictimBrowser.encode("e_1"))")
            #expect(Self.references(underscore.text).isEmpty)
            #expect(underscore.text.contains("No links match."))
            let markup = try await vlo.get("/links/\(fixtures.inspectionID)?search=\(VictimBrowser.encode("<b>bold</b>"))")
            #expect(markup.status == .ok)
            #expect(Self.references(markup.text).count == 1)
            #expect(markup.text.contains("&lt;b&gt;bold&lt;/b&gt;"))
            #expect(!markup.text.contains("<b>bold</b>"))
            for sql in ["' OR '1'='1", "'; DROP TABLE invitation; --", "\\", "%"] {
                let page = try await vlo.get("/links/\(fixtures.inspectionID)?search=\(VictimBrowser.encode(sql))")
                #expect(page.status == .ok, "\(sql)")
            }
            #expect(try await app.db.query("SELECT count(*) AS n FROM invitation")[0].decode("n", as: Int.self) == 13)
            let long = try await vlo.get("/links/\(fixtures.inspectionID)?search=\(String(repeating: "x", count: 41))")
            #expect(long.status == .badRequest)
            #expect(long.text.contains("Search for a reference of 40 characters or fewer"))
            let control = try await vlo.get("/links/\(fixtures.inspectionID)?search=a%00b")
            #expect(control.status == .badRequest)
            #expect(control.text.contains("letters, numbers and punctuation only"))
        }
    }

    @Test("sorting by issue date: newest first by default, oldest first when asked, and the order survives paging")
    func sorting() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let vlo = try await app.vlo(client, provider: fixtures.providerA, email: "vlo.a@example.gov.uk")
            _ = try await Self.issue(app, fixtures, count: 60, by: "vlo.a@example.gov.uk")
            let oldest = try await vlo.get("/links/\(fixtures.inspectionID)?sort=oldest")
            #expect(Self.references(oldest.text).prefix(2) == ["case 1", "case 2"])
            #expect(oldest.text.contains("href=\"/links/\(fixtures.inspectionID)?sort=oldest&amp;page=2\" rel=\"next\""))
            let second = try await vlo.get("/links/\(fixtures.inspectionID)?sort=oldest&page=2")
            #expect(Self.references(second.text) == (51...60).map { "case \($0)" })
            let refused = try await vlo.get("/links/\(fixtures.inspectionID)?sort=reference")
            #expect(refused.status == .badRequest)
            #expect(refused.text.contains("Choose newest first or oldest first"))
            #expect(Self.references(refused.text).first == "case 60")
        }
    }

    @Test("reminder letters carry the same codes, spend and change nothing, and the links still work")
    func reminders() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let vlo = try await app.vlo(client, provider: fixtures.providerA, email: "vlo.a@example.gov.uk")
            let links = try await Self.issue(app, fixtures, count: 3, by: "vlo.a@example.gov.uk")
            let page = try await vlo.get("/links/\(fixtures.inspectionID)")
            #expect(page.text.contains("id=\"remind-\(links[0].id)\""))
            let before = try await app.db.query("SELECT row_to_json(i)::text AS r FROM invitation i ORDER BY id").map {
                try $0.decode("r", as: String.self)
            }
            let printed = try await vlo.post("/links/\(fixtures.inspectionID)/reminders", [("link", "\(links[0].id)"), ("link", "\(links[2].id)")])
            #expect(printed.status == .ok)
            #expect(printed.text.components(separatedBy: "class=\"sv-letter\"").count - 1 == 2)
            #expect(printed.text.contains(LinkSecrets.display(code: links[0].code)))
            #expect(printed.text.contains(LinkSecrets.display(code: links[2].code)))
            #expect(!printed.text.contains(LinkSecrets.display(code: links[1].code)))
            #expect(!printed.text.contains(links[0].token))
            #expect(printed.text.contains("A reminder: tell HM Inspectorate"))
            let after = try await app.db.query("SELECT row_to_json(i)::text AS r FROM invitation i ORDER BY id").map {
                try $0.decode("r", as: String.self)
            }
            #expect(before == after)
            let audited = try await app.db.query("SELECT details::text AS d FROM audit_event WHERE event = 'links.reminded'")
            #expect(try audited.map { try $0.decode("d", as: String.self) } == ["{\"count\": 2}"])
            // The reminder's code still starts the questionnaire.
            var victim = VictimBrowser(client)
            let started = try await victim.post("/start", [("code", links[0].code.lowercased())], withCSRF: false)
            #expect(started.location == "/questionnaire")
        }
    }

    @Test("no reminder for a link answered, revoked or expired, or one issued before reminders; another provider's is a 404")
    func reminderRefusals() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let vlo = try await app.vlo(client, provider: fixtures.providerA, email: "vlo.a@example.gov.uk")
            let links = try await Self.issue(app, fixtures, count: 4, by: "vlo.a@example.gov.uk")
            _ = try await app.vlo(client, provider: fixtures.providerB, email: "vlo.b@example.gov.uk")
            let theirs = try await Self.issue(app, fixtures, count: 1, by: "vlo.b@example.gov.uk", prefix: "B ", provider: fixtures.providerB)
            try await vlo.get("/links/\(fixtures.inspectionID)")
            #expect(try await vlo.post("/links/\(fixtures.inspectionID)/reminders", []).text.contains("Choose at least one unanswered link"))
            #expect(try await vlo.post("/links/\(fixtures.inspectionID)/reminders", [("link", "\(theirs[0].id)")]).status == .notFound)
            #expect(try await vlo.post("/links/\(fixtures.inspectionID)/reminders", [("link", "x")]).status == .badRequest)

            // Submitted through the ballot box: the same statement that spends the link clears its code.
            let form = try #require(app.dependencies.forms.current(id: VictimRoutes.formID))
            let outcome = try await InvitationStore(database: app.db, secrets: testLinkSecrets).submit(
                links[0].id,
                form: form,
                answers: ["v2_completed_by": .codes(["victim"])],
                language: .en,
                secret: LinkSecrets.newResumeCode(),
                today: app.dependencies.today,
                now: app.clock.now
            )
            #expect(outcome == .stored)
            try await vlo.post("/links/\(fixtures.inspectionID)/\(links[1].id)/revoke", [])
            try await app.db.execute("UPDATE invitation SET reminder_code = NULL WHERE id = \(links[2].id)")  // as before migration 0100
            let codes = try await app.db.query("SELECT id FROM invitation WHERE reminder_code IS NOT NULL ORDER BY id").map {
                try $0.decode("id", as: Int.self)
            }
            #expect(codes == [links[3].id, theirs[0].id])
            try await vlo.get("/links/\(fixtures.inspectionID)")
            for (link, message) in [
                (links[0], "The link ‘case 1’ has been answered, so it needs no reminder"),
                (links[1], "The link ‘case 2’ was revoked, so a reminder would not work"),
                (links[2], "The link ‘case 3’ was issued before reminders could be printed"),
            ] {
                let refused = try await vlo.post("/links/\(fixtures.inspectionID)/reminders", [("link", "\(link.id)"), ("link", "\(links[3].id)")])
                #expect(refused.status == .conflict)
                #expect(refused.text.contains(message))
                #expect(!refused.text.contains("class=\"sv-letter\""))
                #expect(!refused.text.contains(LinkSecrets.display(code: links[3].code)))
            }
            // After the window closes every unused link has expired: no reminders.
            app.clock.set(try #require(ISO8601DateFormatter().date(from: "2026-12-22T10:00:00Z")))
            try await vlo.signIn("vlo.a@example.gov.uk", TestApp.password)  // the session ended with the clock's move
            try await vlo.get("/links/\(fixtures.inspectionID)")
            let late = try await vlo.post("/links/\(fixtures.inspectionID)/reminders", [("link", "\(links[3].id)")])
            #expect(late.status == .conflict)
            #expect(late.text.contains("has expired"))
            #expect(try await app.db.query("SELECT count(*) AS n FROM audit_event WHERE event = 'links.reminded'")[0].decode("n", as: Int.self) == 0)
        }
    }

    @Test("the database keeps a reminder code only sealed, only while the link is unused, and it opens only in its own row")
    func sealedCodes() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let links = try await fixtures.issue(app, count: 6)
            let rows = try await app.db.query("SELECT id, code_hash, reminder_code, row_to_json(i)::text AS r FROM invitation i ORDER BY id")
            for (row, link) in zip(rows, links) {
                let text = try row.decode("r", as: String.self)
                #expect(!text.contains(link.code) && !text.contains(link.code.lowercased()) && !text.contains(LinkSecrets.display(code: link.code)))
                let sealed = try #require(try row.decode("reminder_code", as: PostgresBytes?.self)).bytes
                #expect(!sealed.isEmpty && !String(decoding: sealed, as: UTF8.self).contains(link.code))
                let hash = try row.decode("code_hash", as: PostgresBytes.self).bytes
                #expect(testLinkSecrets.openReminder(sealed, codeHash: hash) == link.code)
                #expect(LinkSecrets(secret: Array(repeating: 8, count: 32)).openReminder(sealed, codeHash: hash) == nil)
            }
            // Moved to another row, a sealed code does not open there.
            let first = try rows[0].decode("reminder_code", as: PostgresBytes.self).bytes
            #expect(testLinkSecrets.openReminder(first, codeHash: try rows[1].decode("code_hash", as: PostgresBytes.self).bytes) == nil)
            // Every way a link stops being answerable clears the code, whatever statement does it; and the schema refuses one kept.
            for (index, status) in ["submitted", "withdrawn", "expired", "revoked"].enumerated() {
                try await app.db.execute("UPDATE invitation SET status = \(status) WHERE id = \(links[index].id)")
            }
            try await app.db.execute(
                "UPDATE invitation SET token_hash = NULL, code_hash = NULL, reference = NULL, erased_at = now() WHERE id = \(links[4].id)"
            )
            let kept = try await app.db.query("SELECT id FROM invitation WHERE reminder_code IS NOT NULL").map { try $0.decode("id", as: Int.self) }
            #expect(kept == [links[5].id])
            try await app.db.execute("ALTER TABLE invitation DISABLE TRIGGER invitation_clear_reminder_code")
            await #expect(throws: PostgresError.self) {
                try await app.db.execute(
                    "UPDATE invitation SET status = 'submitted', reminder_code = \(PostgresBytes(first)) WHERE id = \(links[5].id)"
                )
            }
            _ = client
        }
    }

    @Test("the CSV holds the provider's links (reference, language, status, dates), neutralised, never answers or who issued them")
    func csv() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let vlo = try await app.vlo(client, provider: fixtures.providerA, email: "vlo.a@example.gov.uk")
            _ = try await Self.issue(app, fixtures, count: 2, by: "vlo.a@example.gov.uk")
            _ = try await Self.issue(app, fixtures, count: 1, by: "vlo.a@example.gov.uk", prefix: "=HYPERLINK(\"x\")")
            let vloB = try await app.vlo(client, provider: fixtures.providerB, email: "vlo.b@example.gov.uk")
            _ = try await Self.issue(app, fixtures, count: 1, by: "vlo.b@example.gov.uk", prefix: "B only ", provider: fixtures.providerB)
            try await app.submitResponses(client, fixtures, count: 1)
            let download = try await vlo.get("/links/\(fixtures.inspectionID)/links.csv")
            #expect(download.status == .ok)
            #expect(download.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(download.headers[.contentDisposition] == "attachment; filename=\"links-\(fixtures.inspectionID).csv\"")
            let lines = download.text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(lines.first == "reference,language,status,issued,last_change")
            #expect(lines.count == 5)  // 3 of this VLO's, 1 submitted by the helper (provider A), header
            #expect(lines.contains { $0.hasPrefix("case 1,English,Issued,2026-11-26 10:00,") })
            #expect(lines.contains { $0.hasPrefix("\"'=HYPERLINK(\"\"x\"\")1\",") })
            #expect(!download.text.contains("B only"))
            #expect(!download.text.contains("vlo.a") && !download.text.lowercased().contains("victim"))
            let theirs = try await vloB.get("/links/\(fixtures.inspectionID)/links.csv").text
            #expect(theirs.contains("B only 1") && !theirs.contains("case 1"))
            #expect(try await app.db.query("SELECT count(*) AS n FROM audit_event WHERE event = 'links.exported'")[0].decode("n", as: Int.self) == 2)
        }
    }

    @Test("a VLO's own figures appear from 10 links up, never under")
    func perVLOThreshold() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let vlo = try await app.vlo(client, provider: fixtures.providerA, email: "vlo.a@example.gov.uk")
            _ = try await fixtures.issue(app, count: 20)  // issued by no one: the provider's, not this VLO's
            let links = try await Self.issue(app, fixtures, count: 9, by: "vlo.a@example.gov.uk")
            #expect(!(try await vlo.get("/links/\(fixtures.inspectionID)").text.contains("Links you issued")))
            try await vlo.post("/links/\(fixtures.inspectionID)/\(links[0].id)/revoke", [])
            _ = try await Self.issue(app, fixtures, count: 1, by: "vlo.a@example.gov.uk")
            #expect(!(try await vlo.get("/links/\(fixtures.inspectionID)").text.contains("Links you issued")))
            _ = try await Self.issue(app, fixtures, count: 1, by: "vlo.a@example.gov.uk")
            #expect(try await vlo.get("/links/\(fixtures.inspectionID)").text.contains("Links you issued: 10; submitted: 0"))
        }
    }
}
