import Foundation
import HummingbirdTesting
import Postgres
import Testing

@testable import Domain
@testable import Operations
@testable import Web

/// Helpers shared by the publication and retention tests.
extension TestApp {
    /// Submits `count` complete online questionnaires through the victims' pages (the window must be open).
    func submitResponses(_ client: any TestClientProtocol, _ fixtures: Fixtures, count: Int, provider: Int? = nil) async throws {
        for link in try await fixtures.issue(self, count: count, provider: provider) {
            var victim = VictimBrowser(client)
            try await VictimQuestionnaireTests.complete(&victim, token: link.token)
            let done = try await victim.post("/questionnaire/submit", [])
            #expect(done.status == .seeOther)
        }
    }

    /// Stores a paper questionnaire for `inspectionID` as the paper-return page does (one response, one return row).
    func enterPaperResponse(inspectionID: Int, provider: Int, enteredBy: Int) async throws {
        try await db.execute(
            """
            INSERT INTO victim_response (inspection_id, provider_id, form_id, form_version, channel, answers)
            VALUES (\(inspectionID), \(provider), 'victim-questionnaire', 1, 'paper',
                    '{"v2_completed_by": {"codes": ["victim"]}, "v5_named_vlo": {"codes": ["no"]}}')
            """
        )
        try await db.execute(
            "INSERT INTO paper_return (inspection_id, provider_id, entered_by, entered_at) VALUES (\(inspectionID), \(provider), \(enteredBy), \(clock.now))"
        )
    }

    /// Moves the clock to 10:00 UTC on `date` (YYYY-MM-DD).
    func moveClock(to date: String) throws {
        let formatter = ISO8601DateFormatter()
        clock.set(try #require(formatter.date(from: date + "T10:00:00Z")))
    }

    /// Marks every inspection published on `date` with a placeholder snapshot, as retention needs (it never reads it).
    func markAllPublished(on date: String) async throws {
        try await db.execute("UPDATE inspection SET published_on = \(try #require(LocalDate(iso: date)))")
        try await db.execute(
            """
            INSERT INTO report_snapshot (inspection_id, published_on, published_at, format_version, report)
            SELECT id, published_on, now(), 1, '{}' FROM inspection
            """
        )
    }

    func count(_ sql: PostgresQuery) async throws -> Int {
        try await db.query(sql)[0].decode(0, as: Int.self)
    }
}

extension InspectionDates {
    /// Dates from YYYY-MM-DD strings.
    static func make(_ announced: String, _ fieldwork: String, _ weekPlusTwo: String, _ opens: String, _ closes: String) throws -> InspectionDates {
        InspectionDates(
            announcedOn: try #require(LocalDate(iso: announced)),
            fieldworkStartsOn: try #require(LocalDate(iso: fieldwork)),
            weekPlusTwoOn: try #require(LocalDate(iso: weekPlusTwo)),
            victimWindowOpensOn: try #require(LocalDate(iso: opens)),
            victimWindowClosesOn: try #require(LocalDate(iso: closes))
        )
    }
}

/// A page with its CSRF token (which differs per session) blanked, for comparing pages across sign-ins.
func withoutCSRF(_ html: String) -> String {
    html.replacingOccurrences(of: #"name="csrf_token" value="[^"]*""#, with: "name=\"csrf_token\" value=\"\"", options: .regularExpression)
}

@Suite("Publishing a report freezes it")
struct PublicationTests {
    @Test("after publication, adding and deleting raw answers leaves the report page and both exports byte-identical")
    func frozen() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            try await app.submitResponses(client, fixtures, count: 12)
            try app.moveClock(to: "2026-12-22")
            #expect(try await app.release().total == 12)
            let admin = try await app.signedIn(client, as: .admin)
            let adminID = try await app.count("SELECT id FROM staff_user WHERE email = 'admin@example.gov.uk'")
            let id = fixtures.inspectionID

            let confirm = try await admin.get("/inspections/\(id)/publish")
            #expect(confirm.status == .ok)
            #expect(confirm.text.contains("Publish the report"))
            #expect(try await admin.get("/inspections/\(id)").text.contains("/inspections/\(id)/publish"))
            // The confirmation step: without the box ticked nothing happens.
            let unconfirmed = try await admin.post("/inspections/\(id)/publish", [])
            #expect(unconfirmed.status == .unprocessableContent)
            #expect(unconfirmed.text.contains("Confirm that the figures are ready"))
            #expect(try await app.count("SELECT count(*) FROM report_snapshot") == 0)

            let published = try await admin.post("/inspections/\(id)/publish", [("confirm", "yes")])
            #expect(published.status == .seeOther)
            #expect(published.headers[.location] == "/inspections/\(id)/report")
            #expect(try await InspectionStore(database: app.db).find(id)?.publishedOn == LocalDate(iso: "2026-12-22"))
            #expect(try await app.count("SELECT count(*) FROM audit_event WHERE event = 'report.published' AND subject_id = \(String(id))") == 1)

            let page = try await admin.get("/inspections/\(id)/report").text
            let csv = try await admin.get("/inspections/\(id)/report.csv").text
            let json = try await admin.get("/inspections/\(id)/report.json").text
            // Pages write the date as GOV.UK does; the exports keep ISO 8601.
            #expect(page.contains("Published on 22 December 2026 — these figures are frozen"))
            #expect(page.contains("12 victim responses."))
            #expect(csv.hasPrefix("# Published on 2026-12-22 — these figures are frozen\r\n# table: victims_links"))
            #expect(json.contains(#""notice":"Published on 2026-12-22 — these figures are frozen""#))
            #expect(json.contains(#""published_on":"2026-12-22""#))
            #expect(try await admin.get("/inspections/\(id)").text.contains("/inspections/\(id)/publish") == false)

            // Raw answers change under the published report: some deleted, a paper one added.
            let before = try await StakeholderReport.load(
                inspection: try #require(try await ReportStore(database: app.db).inspection(id)),
                store: ReportStore(database: app.db),
                forms: app.dependencies.forms,
                rules: app.dependencies.configuration.disclosureRules
            )
            try await app.db.execute("DELETE FROM victim_response WHERE id IN (SELECT id FROM victim_response LIMIT 3)")
            try await app.enterPaperResponse(inspectionID: id, provider: fixtures.providerB, enteredBy: adminID)
            let live = try await StakeholderReport.load(
                inspection: try #require(try await ReportStore(database: app.db).inspection(id)),
                store: ReportStore(database: app.db),
                forms: app.dependencies.forms,
                rules: app.dependencies.configuration.disclosureRules
            )
            // The live figures did change (so the comparison below can fail) ...
            #expect(ReportExport.csv(live.tables) != ReportExport.csv(before.tables))
            // ... but what is shown and exported did not.
            #expect(try await admin.get("/inspections/\(id)/report").text == page)
            #expect(try await admin.get("/inspections/\(id)/report.csv").text == csv)
            #expect(try await admin.get("/inspections/\(id)/report.json").text == json)
            // The command line's export gives the same frozen text.
            for (format, text) in [(ReportExportCommand.Format.csv, csv), (.json, json)] {
                let exported = try await ReportExportCommand.export(
                    app.db,
                    inspectionID: id,
                    format: format,
                    forms: app.dependencies.forms,
                    rules: app.dependencies.configuration.disclosureRules
                )
                #expect(exported == text)
            }
            // The frozen exports are the report as it stood at publication.
            #expect(csv == "# Published on 2026-12-22 — these figures are frozen\r\n" + ReportExport.csv(before.tables))
        }
    }

    @Test("publishing is refused before the window closes, before week +2, a second time, and to an inspector who is not the lead")
    func refusals() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let id = fixtures.inspectionID
            let admin = try await app.signedIn(client, as: .admin)
            let lead = try await app.createUser("lead@example.gov.uk", role: .inspector, name: "Lead")
            let other = try await app.createUser("other@example.gov.uk", role: .inspector, name: "Other")
            try await InspectionStore(database: app.db).assign(inspectionID: id, inspectors: [Int(lead), Int(other)], lead: Int(lead))
            func nothingPublished() async throws {
                #expect(try await InspectionStore(database: app.db).find(id)?.publishedOn == nil)
                #expect(try await app.count("SELECT count(*) FROM report_snapshot") == 0)
            }

            // The window is open (it closes 2026-12-21).
            let open = try await admin.post("/inspections/\(id)/publish", [("confirm", "yes")])
            #expect(open.status == .conflict)
            #expect(open.text.contains("while the victim questionnaire window is open (it closes on 21 December 2026)"))
            try await nothingPublished()

            // Closed early, but week +2 (2026-12-21) has not come.
            try await admin.post("/inspections/\(id)/close-window", [])
            try app.moveClock(to: "2026-12-01")
            let admin2 = try await app.signedIn(client, as: .admin, email: "admin2@example.gov.uk")
            let early = try await admin2.post("/inspections/\(id)/publish", [("confirm", "yes")])
            #expect(early.status == .conflict)
            #expect(early.text.contains("cannot be published before the week +2 meetings on 21 December 2026"))
            try await nothingPublished()

            // An assigned inspector who is not the lead may not publish; the lead may.
            try app.moveClock(to: "2026-12-21")
            let otherBrowser = StaffBrowser(client)
            try await otherBrowser.signIn("other@example.gov.uk", TestApp.password)
            #expect(try await otherBrowser.get("/inspections/\(id)/publish").status == .forbidden)
            #expect(try await otherBrowser.post("/inspections/\(id)/publish", [("confirm", "yes")]).status == .forbidden)
            try await nothingPublished()
            let leadBrowser = StaffBrowser(client)
            try await leadBrowser.signIn("lead@example.gov.uk", TestApp.password)
            #expect(try await leadBrowser.get("/inspections/\(id)").text.contains("Publish the report"))
            #expect(try await otherBrowser.get("/inspections/\(id)").text.contains("Publish the report") == false)
            let done = try await leadBrowser.post("/inspections/\(id)/publish", [("confirm", "yes")])
            #expect(done.status == .seeOther)

            // Twice: refused, and the first publication stands.
            let again = try await leadBrowser.post("/inspections/\(id)/publish", [("confirm", "yes")])
            #expect(again.status == .conflict)
            #expect(again.text.contains("This report was already published on 21 December 2026"))
            #expect(try await app.count("SELECT count(*) FROM report_snapshot") == 1)
            #expect(try await app.count("SELECT count(*) FROM audit_event WHERE event = 'report.published'") == 1)
        }
    }

    @Test("the schema refuses a snapshot of an unpublished inspection, changing a snapshot, and re-dating a publication")
    func schemaRules() async throws {
        try await TestApp.run { _, app in
            let fixtures = try await Fixtures.make(app.db)
            let id = fixtures.inspectionID
            let store = PublicationStore(database: app.db)
            let refusal = await #expect(throws: PublicationStore.Refusal.self) { try await store.requireSnapshot(id) }
            #expect(refusal == .notPublished(inspectionID: id))
            #expect("\(refusal.map { "\($0)" } ?? "")".contains("inspection \(id) is not published, so it has no snapshot"))
            await #expect(throws: PostgresError.self) {
                try await app.db.execute(
                    """
                    INSERT INTO report_snapshot (inspection_id, published_on, published_at, format_version, report)
                    VALUES (\(id), '2026-12-22', now(), 1, '{}')
                    """
                )
            }
            try await app.markAllPublished(on: "2026-12-22")
            for statement: PostgresQuery in [
                "UPDATE report_snapshot SET report = '{\"changed\": true}'", "DELETE FROM report_snapshot",
                "UPDATE inspection SET published_on = '2026-12-23'", "UPDATE inspection SET published_on = NULL",
            ] {
                await #expect(throws: PostgresError.self, "\(statement)") { try await app.db.execute(statement) }
            }
            #expect(try await app.count("SELECT count(*) FROM report_snapshot WHERE report = '{}'") == 1)
        }
    }

    @Test("after publication free text can no longer be reviewed: the page says the report is frozen and a review is refused")
    func reviewClosed() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            try await app.submitResponses(client, fixtures, count: 1)
            let first = try await app.signedIn(client, as: .admin)
            let id = fixtures.inspectionID
            // Answers are read only once released: one response waits sealed until the window closes.
            #expect(!(try await first.get("/inspections/\(id)/report/free-text").text.contains("Roedd hi")))
            try await app.closeWindowAndRelease(fixtures.inspectionID)
            #expect(try await first.get("/inspections/\(id)/report/free-text").text.contains("Roedd hi"))
            try app.moveClock(to: "2026-12-22")
            let again = try await app.signedIn(client, as: .admin, email: "admin2@example.gov.uk")
            #expect(try await again.post("/inspections/\(id)/publish", [("confirm", "yes")]).status == .seeOther)
            let page = try await again.get("/inspections/\(id)/report/free-text")
            #expect(page.text.contains("Published on 22 December 2026 — these figures are frozen"))
            #expect(page.text.contains("Roedd hi") == false)
            let responseID = try await app.db.query("SELECT id::text AS id FROM victim_response")[0].decode("id", as: String.self)
            let review = try await again.post(
                "/inspections/\(id)/report/free-text",
                [("response", responseID), ("question", "v19_helped_most"), ("redact", "")]
            )
            #expect(review.status == .conflict)
            #expect(try await app.count("SELECT count(*) FROM victim_free_text_review") == 0)
        }
    }
}

extension TestApp {
    /// Closes the inspection's victim window yesterday (without moving the clock, so sessions stay) and runs a release,
    /// which then empties the ballot box for it.
    func closeWindowAndRelease(_ inspectionID: Int) async throws {
        try await db.execute(
            "UPDATE inspection SET victim_window_closes_on = \(dependencies.today.adding(days: -1)) WHERE id = \(inspectionID)"
        )
        try await release()
    }

    /// One release pass of the ballot box as of the test clock's date, as `serve` runs it every minute.
    @discardableResult
    func release() async throws -> BallotBox.ReleaseOutcome {
        try await BallotBox(database: db, secrets: testLinkSecrets).release(today: dependencies.today)
    }
}
