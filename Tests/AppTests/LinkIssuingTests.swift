import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

@testable import Domain
@testable import Operations
@testable import Web

extension TestApp {
    /// A browser signed in as a VLO (or another provider role: a survey coordinator) of `provider` (its organisation is
    /// created on first use).
    func vlo(_ client: any TestClientProtocol, provider: Int, email: String, role: Role = .vlo) async throws -> StaffBrowser {
        let existing = try await db.query("SELECT id FROM organisation WHERE provider_id = \(provider)")
        let organisation: Int64 =
            if let row = existing.first {
                try row.decode("id")
            } else {
                try await db.query(
                    "INSERT INTO organisation (kind, name, provider_id) SELECT 'provider', name, id FROM provider WHERE id = \(provider) RETURNING id"
                )[0].decode("id")
            }
        let new = AccountStore.NewUser(
            email: email,
            displayName: "\(role == .vlo ? "VLO" : "Coordinator") \(email)",
            role: role,
            organisationID: organisation,
            passwordHash: try await accounts.hasher.hash(Self.password),
            mustChangePassword: false
        )
        _ = try await accounts.store.create(new, audit: accounts.audit, actor: .commandLine).get()
        let browser = StaffBrowser(client)
        try await browser.signIn(email, Self.password)
        return browser
    }
}

@Suite("VLOs issue questionnaire links; inspectors follow them")
struct LinkIssuingTests {
    @Test("a VLO issues a batch: one letter per link with its code, only hashes stored, all in one transaction")
    func issueBatch() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let vlo = try await app.vlo(client, provider: fixtures.providerA, email: "vlo.a@example.gov.uk")
            let page = try await vlo.get("/links/\(fixtures.inspectionID)")
            #expect(page.status == .ok)
            #expect(page.text.contains("Do not use a victim’s name"))
            let issued = try await vlo.post("/links/\(fixtures.inspectionID)", [("count", "12"), ("reference", "Batch A"), ("language", "both")])
            #expect(issued.status == .created)
            let html = issued.text
            #expect(html.components(separatedBy: "class=\"sv-letter\"").count - 1 == 12)
            #expect(html.contains("lang=\"cy\""))
            let tokens = html.components(separatedBy: "/q/").dropFirst().map { String($0.prefix(26)) }
            #expect(Set(tokens).count == 12)
            let stored = try await app.db.query("SELECT row_to_json(i)::text AS r FROM invitation i").map { try $0.decode("r", as: String.self) }
            #expect(stored.count == 12)
            #expect(!stored.contains { row in tokens.contains { row.contains($0) } })
            // The tracking page lists them without ever showing a link again, and gives per-VLO figures from 10 links up.
            let tracking = try await vlo.get("/links/\(fixtures.inspectionID)").text
            #expect(!tokens.contains { tracking.contains($0) })
            #expect(tracking.contains("Links you issued: 12; submitted: 0"))
            #expect(tracking.contains("Issued: 12. Submitted: 0."))
        }
    }

    @Test(
        "bad batches are refused with a message and write nothing",
        arguments: [
            ("0", "ref", "en", "from 1 to 500"), ("501", "ref", "en", "from 1 to 500"), ("two", "ref", "en", "from 1 to 500"),
            ("1", String(repeating: "x", count: 41), "en", "40 characters or fewer"), ("1", "ref", "fr", "Choose the language"),
        ]
    )
    func badBatches(count: String, reference: String, language: String, message: String) async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let vlo = try await app.vlo(client, provider: fixtures.providerA, email: "vlo.a@example.gov.uk")
            try await vlo.get("/links/\(fixtures.inspectionID)")
            let refused = try await vlo.post("/links/\(fixtures.inspectionID)", [("count", count), ("reference", reference), ("language", language)])
            #expect(refused.status == .unprocessableContent)
            #expect(refused.text.contains(message))
            #expect(try await app.db.query("SELECT count(*) AS n FROM invitation")[0].decode("n", as: Int.self) == 0)
        }
    }

    @Test("a VLO of provider B cannot see or act on provider A's links, and no VLO page reaches answers")
    func organisationBoundaries() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let vloA = try await app.vlo(client, provider: fixtures.providerA, email: "vlo.a@example.gov.uk")
            try await vloA.get("/links/\(fixtures.inspectionID)")
            try await vloA.post("/links/\(fixtures.inspectionID)", [("count", "1"), ("reference", "provider A only"), ("language", "en")])
            let linkA = try await app.db.query("SELECT id FROM invitation")[0].decode("id", as: Int.self)

            let vloB = try await app.vlo(client, provider: fixtures.providerB, email: "vlo.b@example.gov.uk")
            let pageB = try await vloB.get("/links/\(fixtures.inspectionID)")
            #expect(pageB.status == .ok)
            #expect(!pageB.text.contains("provider A only"))
            #expect(try await vloB.post("/links/\(fixtures.inspectionID)/\(linkA)/revoke", []).status == .notFound)
            #expect(try await app.db.query("SELECT status FROM invitation")[0].decode("status", as: String.self) == "issued")
            // Inspection pages (with counts) and paper returns are not for VLOs.
            #expect(try await vloB.get("/inspections/\(fixtures.inspectionID)").status == .forbidden)
            #expect(try await vloB.get("/inspections/\(fixtures.inspectionID)/paper").status == .forbidden)
            // An inspection that does not cover the VLO's provider is refused.
            let other = try await InspectionStore(database: app.db).create(
                title: "Elsewhere",
                areaID: fixtures.areaID,
                providerIDs: [fixtures.providerB],
                dates: try #require(InspectionStore.testDates)
            )
            #expect(try await vloA.get("/links/\(other)").status == .forbidden)
            #expect(try await vloA.post("/links/\(other)", [("count", "1"), ("language", "en")]).status == .forbidden)
        }
    }

    @Test("revoking a link stops it working; reissuing gives a new letter with the same reference")
    func revokeAndReissue() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let links = try await fixtures.issue(app, count: 2)
            let vlo = try await app.vlo(client, provider: fixtures.providerA, email: "vlo.a@example.gov.uk")
            try await vlo.get("/links/\(fixtures.inspectionID)")
            let revoked = try await vlo.post("/links/\(fixtures.inspectionID)/\(links[0].id)/revoke", [])
            #expect(revoked.status == .seeOther)
            var victim = VictimBrowser(client)
            #expect(try await victim.get("/q/\(links[0].token)").status == .notFound)
            try await vlo.get("/links/\(fixtures.inspectionID)")
            let reissued = try await vlo.post("/links/\(fixtures.inspectionID)/\(links[1].id)/reissue", [])
            #expect(reissued.status == .created)
            #expect(reissued.text.components(separatedBy: "class=\"sv-letter\"").count - 1 == 1)
            let statuses = try await app.db.query("SELECT status, reference FROM invitation ORDER BY id").map {
                "\(try $0.decode("status", as: String.self)):\(try $0.decode("reference", as: String?.self) ?? "")"
            }
            #expect(statuses == ["revoked:ref", "revoked:ref", "issued:ref"])
            // A revoked link cannot be revoked again.
            try await vlo.get("/links/\(fixtures.inspectionID)")
            #expect(try await vlo.post("/links/\(fixtures.inspectionID)/\(links[0].id)/revoke", []).status == .conflict)
        }
    }

    @Test("closing the window expires every unused link at once; a VLO cannot issue links then")
    func closingTheWindow() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let links = try await fixtures.issue(app, count: 3)
            var victim = VictimBrowser(client)
            try await VictimQuestionnaireTests.complete(&victim, token: links[0].token)
            try await victim.post("/questionnaire/submit", [])
            let admin = try await app.signedIn(client, as: .admin)
            try await admin.get("/inspections/\(fixtures.inspectionID)")
            let closed = try await admin.post("/inspections/\(fixtures.inspectionID)/close-window", [])
            #expect(closed.status == .seeOther)
            let statuses = try await app.db.query("SELECT status FROM invitation ORDER BY id").map { try $0.decode("status", as: String.self) }
            #expect(statuses == ["submitted", "expired", "expired"])
            var late = VictimBrowser(client)
            #expect(try await late.get("/q/\(links[1].token)").status == .notFound)
            app.clock.advance(by: 86_400)
            let vlo = try await app.vlo(client, provider: fixtures.providerA, email: "vlo.a@example.gov.uk")
            try await vlo.get("/links/\(fixtures.inspectionID)")
            let refused = try await vlo.post("/links/\(fixtures.inspectionID)", [("count", "1"), ("language", "en")])
            #expect(refused.status == .forbidden || refused.status == .unprocessableContent)
            #expect(try await app.db.query("SELECT count(*) AS n FROM invitation")[0].decode("n", as: Int.self) == 3)
        }
    }

    @Test("the inspection page shows the report's protected links table per provider, never answers nor a small count")
    func inspectorTracking() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let links = try await fixtures.issue(app, count: 12)
            var victim = VictimBrowser(client)
            try await VictimQuestionnaireTests.complete(&victim, token: links[0].token)
            try await victim.post("/questionnaire/submit", [])
            let inspector = try await app.signedIn(client, as: .inspector)
            #expect(try await inspector.get("/inspections/\(fixtures.inspectionID)").status == .forbidden)
            let inspectorID = try await app.db.query("SELECT id FROM staff_user WHERE role = 'inspector'")[0].decode("id", as: Int.self)
            try await InspectionStore(database: app.db).assign(inspectionID: fixtures.inspectionID, inspectors: [inspectorID], lead: inspectorID)
            let page = try await inspector.get("/inspections/\(fixtures.inspectionID)")
            #expect(page.status == .ok)
            // 12 issued; the one opened, started and submitted is [c], and so is the total it would follow from.
            let row = try #require(page.text.range(of: "NPS Wales</th>").map { String(page.text[$0.upperBound...].prefix(900)) })
            let cells = row.components(separatedBy: "</tr>")[0]
            #expect(cells.contains(">12<"))
            #expect(cells.components(separatedBy: "[c]").count - 1 == 3, "opened, started and submitted: \(cells)")
            #expect(page.text.contains("All providers"))
            #expect(!page.text.contains(">1<"), "no count of one anywhere in the table")
            // Not yet released from the ballot box: no responses, so 0% of 12 (low reliability).
            #expect(page.text.contains("0% [u]"))
            #expect(!page.text.contains("Roedd hi’n garedig"))
        }
    }

    @Test("dates that contradict each other are refused with a message on the field, and nothing is stored")
    func contradictoryDates() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let admin = try await app.signedIn(client, as: .admin)
            try await admin.get("/inspections/new")
            let refused = try await admin.post(
                "/inspections/new",
                dateInputs([
                    ("title", "Backwards"), ("area", String(fixtures.areaID)), ("provider", String(fixtures.providerA)),
                    ("announced_on", "2027-03-01"), ("fieldwork_starts_on", "2027-02-01"), ("week_plus_two_on", "2027-02-15"),
                    ("victim_window_opens_on", "2027-03-02"), ("victim_window_closes_on", "2027-02-20"),
                ])
            )
            #expect(refused.status == .unprocessableContent)
            #expect(refused.text.contains("Fieldwork must start after the announcement date"))
            #expect(refused.text.contains("must close after it opens"))
            #expect(refused.text.contains("value=\"Backwards\""))
            // The dates are GOV.UK date inputs: a date that does not exist, or one left out, is named and kept as typed.
            try await admin.get("/inspections/new")
            let unreal = try await admin.post(
                "/inspections/new",
                dateInputs([
                    ("title", "Unreal"), ("area", String(fixtures.areaID)), ("provider", String(fixtures.providerA)),
                    ("announced_on-day", "31"), ("announced_on-month", "2"), ("announced_on-year", "2027"),
                    ("week_plus_two_on", "2027-02-15"), ("victim_window_opens_on", "2027-03-02"), ("victim_window_closes_on", "2027-03-20"),
                ])
            )
            #expect(unreal.status == .unprocessableContent)
            #expect(unreal.text.contains("Enter a real date, for example 15 3 2027"))
            #expect(unreal.text.contains("Enter the fieldwork week start date"))
            #expect(
                unreal.text.contains(
                    "id=\"announced_on-day\" name=\"announced_on-day\" type=\"text\" inputmode=\"numeric\" maxlength=\"2\" value=\"31\""
                )
            )
            #expect(try await app.db.query("SELECT count(*) AS n FROM inspection")[0].decode("n", as: Int.self) == 1)
            try await admin.get("/inspections/new")
            let created = try await admin.post(
                "/inspections/new",
                dateInputs([
                    ("title", "Forwards"), ("area", String(fixtures.areaID)), ("provider", String(fixtures.providerA)),
                    ("announced_on", "2027-01-01"), ("fieldwork_starts_on", "2027-03-08"), ("week_plus_two_on", "2027-03-22"),
                    ("victim_window_opens_on", "2027-02-08"), ("victim_window_closes_on", "2027-03-22"),
                ])
            )
            #expect(created.status == .seeOther)
            #expect(try await app.db.query("SELECT count(*) AS n FROM inspection")[0].decode("n", as: Int.self) == 2)
        }
    }

    @Test("an inspector keys in a paper questionnaire; it is stored as a paper response and counted for the provider")
    func paperReturn() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let inspector = try await app.signedIn(client, as: .inspector)
            let inspectorID = try await app.db.query("SELECT id FROM staff_user WHERE role = 'inspector'")[0].decode("id", as: Int.self)
            try await InspectionStore(database: app.db).assign(inspectionID: fixtures.inspectionID, inspectors: [inspectorID], lead: nil)
            let form = try await inspector.get("/inspections/\(fixtures.inspectionID)/paper")
            #expect(form.status == .ok)
            let missingProvider = try await inspector.post(
                "/inspections/\(fixtures.inspectionID)/paper",
                [("language", "en"), ("v2_completed_by", "victim")]
            )
            #expect(missingProvider.status == .unprocessableContent)
            let saved = try await inspector.post(
                "/inspections/\(fixtures.inspectionID)/paper",
                [
                    ("language", "cy"), ("provider", String(fixtures.providerB)), ("v2_completed_by", "helper"),
                    ("v19_helped_most", "Ysgrifennwyd â llaw"),
                ]
            )
            #expect(saved.status == .created)
            // Into the ballot box like an online answer; the language is counted on the paper return.
            #expect(try await app.count("SELECT count(*) FROM sealed_response WHERE invitation_id IS NULL") == 1)
            #expect(try await app.count("SELECT count(*) FROM paper_return WHERE language = 'cy'") == 1)
            try app.moveClock(to: "2026-12-22")
            #expect(try await BallotBox(database: app.db, secrets: testLinkSecrets).release(today: app.dependencies.today).total == 1)
            let rows = try await app.db.query("SELECT channel, provider_id, withdrawal_key IS NULL AS no_key FROM victim_response")
            #expect(rows.count == 1)
            #expect(try rows[0].decode("channel", as: String.self) == "paper")
            #expect(try rows[0].decode("provider_id", as: Int.self) == fixtures.providerB)
            #expect(try rows[0].decode("no_key", as: Bool.self))
            let counted = try await app.db.query("SELECT count(*) AS n FROM paper_return WHERE provider_id = \(fixtures.providerB)")
            #expect(try counted[0].decode("n", as: Int.self) == 1)
        }
    }
}

extension InspectionStore {
    static let testDates: InspectionDates? = {
        guard let a = LocalDate(iso: "2026-10-01"), let f = LocalDate(iso: "2026-12-07"), let w = LocalDate(iso: "2026-12-21"),
            let o = LocalDate(iso: "2026-11-09"), let c = LocalDate(iso: "2026-12-21")
        else { return nil }
        return InspectionDates(announcedOn: a, fieldworkStartsOn: f, weekPlusTwoOn: w, victimWindowOpensOn: o, victimWindowClosesOn: c)
    }()
}

@Suite("Issuing a batch is one transaction")
struct BatchAtomicityTests {
    @Test("a failure on the 7th link of a batch of 10 leaves no link at all")
    func failureMidBatchLeavesNothing() async throws {
        try await TestApp.run { _, app in
            let fixtures = try await Fixtures.make(app.db)
            try await app.db.withConnection { connection in
                try await connection.unsafeExecuteScript(
                    """
                    CREATE FUNCTION fail_seventh() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        IF (SELECT count(*) FROM invitation) >= 6 THEN RAISE EXCEPTION 'simulated failure'; END IF;
                        RETURN NEW;
                    END $$;
                    CREATE TRIGGER fail_seventh BEFORE INSERT ON invitation FOR EACH ROW EXECUTE FUNCTION fail_seventh();
                    """
                )
            }
            await #expect(throws: PostgresError.self) { try await fixtures.issue(app, count: 10) }
            #expect(try await app.db.query("SELECT count(*) AS n FROM invitation")[0].decode("n", as: Int.self) == 0)
        }
    }
}
