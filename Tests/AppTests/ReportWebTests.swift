import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Operations
import Postgres
import Testing
import Web

/// Victim responses written straight into the table (paper returns need no withdrawal key).
func insertVictimResponses(_ app: TestApp, _ fixtures: Fixtures, provider: Int? = nil, count: Int, answers: String) async throws {
    try await app.db.execute(
        """
        INSERT INTO victim_response (inspection_id, provider_id, form_id, form_version, channel, answers)
        SELECT \(fixtures.inspectionID), \(provider ?? fixtures.providerA), 'victim-questionnaire', 1, 'paper', \(answers)::jsonb
        FROM generate_series(1, \(count))
        """
    )
}

@Suite("Report pages: access, audit, no data, disclosure control on the page and in exports")
struct ReportWebTests {
    func userID(_ app: TestApp, _ email: String) async throws -> Int {
        try await app.db.query("SELECT id FROM staff_user WHERE email = \(email)")[0].decode("id", as: Int.self)
    }

    @Test("administrators and assigned inspectors see the report; other inspectors and VLOs get 403; unknown inspections 404")
    func access() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let path = "/inspections/\(fixtures.inspectionID)/report"
            let admin = try await app.signedIn(client, as: .admin)
            let assigned = try await app.signedIn(client, as: .inspector)
            let other = try await app.signedIn(client, as: .inspector, email: "other@example.gov.uk")
            let vlo = try await app.signedIn(client, as: .vlo)
            try await InspectionStore(database: app.db).assign(
                inspectionID: fixtures.inspectionID,
                inspectors: [try await userID(app, "inspector@example.gov.uk")],
                lead: nil
            )
            for suffix in ["", ".csv", ".json"] {
                #expect(try await admin.get(path + suffix).status == .ok, "admin \(suffix)")
                #expect(try await assigned.get(path + suffix).status == .ok, "assigned \(suffix)")
                let refused = try await other.get(path + suffix)
                #expect(refused.status == .forbidden, "unassigned \(suffix)")
                #expect(try await vlo.get(path + suffix).status == .forbidden, "vlo \(suffix)")
                #expect(try await admin.get("/inspections/999999/report\(suffix)").status == .notFound)
                let anonymous = try await StaffBrowser(client).get(path + suffix)
                #expect(anonymous.status == .seeOther)
            }
        }
    }

    @Test("every view and export of the report is in the audit log, with the format")
    func audited() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let admin = try await app.signedIn(client, as: .admin)
            let path = "/inspections/\(fixtures.inspectionID)/report"
            _ = try await admin.get(path)
            _ = try await admin.get(path + ".csv")
            _ = try await admin.get(path + ".json")
            let rows = try await app.db.query(
                """
                SELECT event, subject_type, subject_id, coalesce(details ->> 'format', '') AS format, actor_user_id
                FROM audit_event WHERE event LIKE 'report.%' ORDER BY id
                """
            )
            #expect(rows.count == 3)
            let seen = try rows.map { "\(try $0.decode("event", as: String.self)) \(try $0.decode("format", as: String.self))" }
            #expect(seen == ["report.viewed ", "report.exported csv", "report.exported json"])
            for row in rows {
                #expect(try row.decode("subject_type", as: String.self) == "inspection")
                #expect(try row.decode("subject_id", as: String.self) == String(fixtures.inspectionID))
                #expect(try row.decode("actor_user_id", as: Int.self) == (try await userID(app, "admin@example.gov.uk")))
            }
        }
    }

    @Test("an inspection with no links and no responses says so plainly in each place, with no chart and no error")
    func noData() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let admin = try await app.signedIn(client, as: .admin)
            let page = try await admin.get("/inspections/\(fixtures.inspectionID)/report")
            #expect(page.status == .ok)
            #expect(page.text.contains("No victim responses yet."))
            #expect(page.text.contains("No chart: there are no responses yet."))
            #expect(page.text.contains("No answers to this question yet."))
            #expect(!page.text.contains("<svg"))
            #expect(page.text.contains("No final records of meetings with sentencers yet."))
            #expect(page.text.contains("No service-user survey has been imported yet."))
            #expect(!page.text.contains("NaN") && !page.text.contains("inf%") && !page.text.contains("nan%"))
            let csv = try await admin.get("/inspections/\(fixtures.inspectionID)/report.csv")
            #expect(csv.status == .ok)
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            // Both providers, no links: the response rate is not available.
            #expect(csv.text.contains("NPS Wales,0,0,0,0,0,0,[x]"))
            #expect(csv.text.contains("Wales CRC,0,0,0,0,0,0,[x]"))
        }
    }

    @Test("malformed stored answers (a null code, codes that are not a list) are left out rather than failing the page")
    func malformedAnswers() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            try await insertVictimResponses(
                app,
                fixtures,
                count: 12,
                answers: #"{"v5_named_vlo": {"codes": [null, "yes"]}, "v6_scheme_explained": {"codes": "agree"}}"#
            )
            let admin = try await app.signedIn(client, as: .admin)
            let page = try await admin.get("/inspections/\(fixtures.inspectionID)/report")
            #expect(page.status == .ok)
            #expect(page.text.contains("100% [u] positive"))
        }
    }

    @Test("the page and exports show % positive with its interval, hide small cells and anything that would reveal them")
    func figures() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            _ = try await fixtures.issue(app, count: 50)
            try await insertVictimResponses(
                app,
                fixtures,
                count: 30,
                answers: #"{"v5_named_vlo": {"codes": ["yes"]}, "v6_scheme_explained": {"codes": ["strongly_agree"]}}"#
            )
            try await insertVictimResponses(
                app,
                fixtures,
                count: 4,
                answers: #"{"v5_named_vlo": {"codes": ["no"]}, "v6_scheme_explained": {"codes": ["disagree"]}}"#
            )
            try await insertVictimResponses(
                app,
                fixtures,
                count: 6,
                answers:
                    #"{"v5_named_vlo": {"codes": ["not_sure"]}, "v6_scheme_explained": {"codes": ["agree"]}, "v19_helped_most": {"text": "secret words"}}"#
            )
            try await insertVictimResponses(app, fixtures, count: 10, answers: #"{"v6_scheme_explained": {"codes": ["neither"]}}"#)
            let admin = try await app.signedIn(client, as: .admin)
            let base = "/inspections/\(fixtures.inspectionID)/report"
            let page = try await admin.get(base)
            #expect(page.status == .ok)
            #expect(page.text.contains("50 victim responses."))
            #expect(page.text.contains("<svg"))
            // V6: 36 positive of 50 (30 strongly agree, 6 agree), 10 neither, 4 disagree.
            #expect(page.text.contains("72% positive (95% confidence interval 58% to 83%), base 50."))
            #expect(!page.text.contains("secret words"), "free text is never shown unreviewed")
            let csv = try await admin.get(base + ".csv").text
            // 50 links issued, 50 responses: 100%. The other provider has no links; then the total row.
            #expect(csv.contains("NPS Wales,50,0,0,0,0,50,100%"))
            #expect(csv.contains("Wales CRC,0,0,0,0,0,0,[x]"))
            #expect(csv.contains("All providers,50,0,0,0,0,50,100%"))
            #expect(csv.contains(",50,72%,58%,83%"))
            // The 6 agree are hidden, and strongly agree with them (36 positive less 30 would give 6); the 4
            // disagree, and neither with them (50 less 36 less 10 would give 4).
            #expect(csv.contains("v6_scheme_explained,agree,Agree,[c],[c]"))
            #expect(csv.contains("v6_scheme_explained,strongly_agree,Strongly agree,[c],[c]"))
            #expect(csv.contains("v6_scheme_explained,disagree,Disagree,[c],[c]"))
            #expect(csv.contains("v6_scheme_explained,neither,Neither agree nor disagree,[c],[c]"))
            // V5: 30 yes, 4 no, 6 not sure, 10 no answer. 30 of 34 would give the 4 away: no % positive, no base.
            #expect(csv.contains("v5_named_vlo,no,No,[c],[c]"))
            #expect(csv.contains("v5_named_vlo,not_sure,I am not sure,[c],[x]"))
            #expect(csv.contains(",contact,[c],[c],[c],[c]"))
            #expect(!csv.contains("secret words"))
            let json = try await admin.get(base + ".json")
            #expect(json.headers[.contentType] == "application/json")
            #expect(
                json.text.contains(
                    #""question_id":"v5_named_vlo","question":"Were you given the name of a Victim Liaison Officer (VLO) to contact?","outcome":"effective_work_for_victims","measure":"contact","base":{"flag":"c"}"#
                )
            )
            #expect(json.text.contains(#""percent_positive":{"flag":null,"percent":72.0}"#))
            #expect(!json.text.contains("secret words"))
        }
    }
}
