import Domain
import Forms
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Operations
import Postgres
import TestSupport
import Testing
import Web

@Suite("Report: the demo data, its golden JSON export, and the sentencers section")
struct ReportDemoTests {
    static let goldenPath = projectRoot + "/Tests/AppTests/Golden/report-demo.json"

    /// Seeds the demonstration data into the test app's schema, with a fixed password.
    static func seed(_ app: TestApp) async throws -> ReportDemo.Summary {
        try await ReportDemo.seed(
            app.db,
            configuration: app.dependencies.configuration,
            forms: app.dependencies.forms,
            policy: try PasswordPolicy.load(path: projectRoot + "/data/common-passwords.txt"),
            secrets: testLinkSecrets,
            logger: quietLogger,
            now: app.clock.now,
            passwords: { "demo password for tests" }
        )
    }

    @Test("seed-demo makes a full report whose JSON export matches the golden file (REPORT_UPDATE_GOLDEN=1 rewrites it)")
    func goldenExport() async throws {
        try await TestApp.run { client, app in
            let summary = try await Self.seed(app)
            #expect(summary.links == 100 && summary.responses == 60 && summary.surveyYears.count == 2)
            #expect(summary.accounts.map(\.role) == ["admin", "inspector", "vlo"])
            // Running it again reuses everything.
            let again = try await Self.seed(app)
            #expect(again.inspectionID == summary.inspectionID && again.links == 100 && again.responses == 60)

            let admin = try await app.signedIn(client, as: .admin)
            let page = try await admin.get("/inspections/\(summary.inspectionID)/report")
            #expect(page.status == .ok)
            #expect(page.text.contains("3 meetings with sentencers"))
            #expect(page.text.contains("Unpaid work starts quickly now."))
            #expect(page.text.contains("Results for 2014"))
            #expect(page.text.components(separatedBy: "<svg").count == 3, "victims and service-users charts")
            // The summary at the top: the figures an inspector quotes, as the sections below show them.
            let row = { (key: String, value: String) in
                "<dt class=\"govuk-summary-list__key\">\(key)</dt><dd class=\"govuk-summary-list__value\">\(value)</dd>"
            }
            #expect(page.text.contains(row("Victim responses", "60")))
            #expect(page.text.contains(row("Response rate (responses ÷ links issued)", "60%")))
            #expect(page.text.contains(row("Victims satisfied overall", "69% (base 55)")))
            #expect(page.text.contains(row("Meetings with sentencers", "3 (final records)")))
            #expect(page.text.contains(row("People on probation satisfied overall (2014)", "82% — no reliable difference from the national 77%")))
            let json = try await admin.get("/inspections/\(summary.inspectionID)/report.json").text
            #expect(!json.contains("%\""), "percentages are numbers in JSON")
            if ProcessInfo.processInfo.environment["REPORT_UPDATE_GOLDEN"] == "1" {
                try json.write(toFile: Self.goldenPath, atomically: true, encoding: .utf8)
            }
            let golden = try String(contentsOfFile: Self.goldenPath, encoding: .utf8)
            #expect(json == golden, "the JSON export differs from Tests/AppTests/Golden/report-demo.json")
        }
    }

    @Test("with REPORT_DATABASE_URL on a read-only connection the report and exports work: they only read through it")
    func readOnlyReportDatabase() async throws {
        let readOnly: (TestDatabase) -> PostgresClient = { database in
            PostgresClient(
                configuration: PostgresConfiguration(
                    connectionString: database.connectionString,
                    overrides: [("options", "-c search_path=\(database.schema),public -c default_transaction_read_only=on")],
                    poolSize: 2
                ),
                logger: quietLogger
            )
        }
        try await TestApp.run(reportDatabase: readOnly) { client, app in
            #expect(app.dependencies.reportDatabase !== app.db)
            // The second pool really refuses writes.
            await #expect(throws: PostgresError.self) {
                try await app.dependencies.reportDatabase.execute(
                    "INSERT INTO rate_limit_hit (bucket, client, window_start, hits) VALUES ('t', 't', now(), 1)"
                )
            }
            let summary = try await Self.seed(app)
            // The survey summary is written on the first request: make sure this one has to write it.
            try await app.db.execute("DELETE FROM service_user_summary")
            try await app.db.execute("DELETE FROM service_user_summary_batch")
            let admin = try await app.signedIn(client, as: .admin)
            let path = "/inspections/\(summary.inspectionID)/report"
            let page = try await admin.get(path)
            #expect(page.status == .ok)
            #expect(page.text.contains("Results for 2014"))
            #expect(try await admin.get(path + ".csv").status == .ok)
            let json = try await admin.get(path + ".json")
            #expect(json.status == .ok)
            #expect(json.text == (try String(contentsOfFile: Self.goldenPath, encoding: .utf8)), "the same export as from the main pool")
            #expect(try await app.db.query("SELECT count(*) AS n FROM service_user_summary_batch")[0].decode("n", as: Int.self) == 2)
            let audited = try await app.db.query("SELECT count(*) AS n FROM audit_event WHERE event LIKE 'report.%'")
            #expect(try audited[0].decode("n", as: Int.self) == 3)
        }
    }

    @Test("sentencer figures are counts of final meetings only, with no percentage")
    func sentencerCounts() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let admin = try await app.signedIn(client, as: .admin)
            let base = "/inspections/\(fixtures.inspectionID)/report"
            #expect(try await admin.get(base).text.contains("No final records of meetings with sentencers yet."))
            let author = try await app.db.query("SELECT id FROM staff_user WHERE email = 'admin@example.gov.uk'")[0].decode("id", as: Int.self)
            for (status, format) in [("final", "bench_group"), ("final", "one_to_one"), ("draft", "bench_group")] {
                let final = status == "final"
                let id = try await app.db.query(
                    """
                    INSERT INTO sentencer_meeting (inspection_id, form_id, form_version, status, revision, answers, meeting_date, meeting_format,
                        meeting_mode, court_type, court_name, week_plus_two, created_by, created_at, updated_by, updated_at, finalised_by, finalised_at)
                    VALUES (\(fixtures.inspectionID), 'sentencer-interview', 1, \(status), 1, '{}', '2026-11-20', \(format), 'in_person',
                        'magistrates', 'Court', false, \(author), now(), \(author), now(), \(final ? author : nil), \(final ? Date() : nil))
                    RETURNING id
                    """
                )[0].decode("id", as: Int.self)
                try await app.db.execute(
                    "INSERT INTO sentencer_meeting_attendance VALUES (\(id), 'lay_magistrate', 3)"
                )
                try await app.db.execute(
                    "INSERT INTO sentencer_meeting_topic (meeting_id, topic, rating) VALUES (\(id), 't1', 'fairly_confident')"
                )
            }
            let page = try await admin.get(base).text
            #expect(page.contains("2 meetings with sentencers (0 in week +2)"))
            #expect(page.contains("1 draft records are not included"))
            let csv = try await admin.get(base + ".csv").text
            #expect(
                csv.contains(
                    "# table: sentencers_meetings\r\nformat,meetings\r\nOne-to-one,1\r\nBench group,1\r\nLiaison meeting,0\r\nAll meetings,2"
                )
            )
            #expect(csv.contains("Lay magistrate,2,6"))
            let ratings = try #require(csv.components(separatedBy: "# table: sentencers_ratings").last?.components(separatedBy: "\r\n\r\n").first)
            #expect(ratings.contains("T1,"))
            #expect(ratings.contains(",0,2,0,0,0,0"), "two meetings fairly confident on T1")
            #expect(!ratings.contains("%"), "counts, never percentages")
        }
    }
}
