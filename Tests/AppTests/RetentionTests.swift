import Foundation
import HummingbirdTesting
import Postgres
import TestSupport
import Testing

@testable import Domain
@testable import Operations
@testable import Web

/// Holds the retention run that took the lock until the test lets it go; counts the runs that took it.
actor RetentionGate {
    private(set) var lockedRuns = 0
    private var released = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func holdUntilReleased() async {
        lockedRuns += 1
        // A second run holding the lock at the same time is the fault under test: let both go so the test fails, not hangs.
        if lockedRuns > 1 { release() }
        if released { return }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        released = true
        for continuation in waiting { continuation.resume() }
        waiting = []
    }
}

/// A final sentencer meeting with notes, a quote and two revisions, inserted as the meeting pages store one.
func insertSentencerMeeting(_ db: PostgresClient, inspectionID: Int, staffID: Int) async throws {
    let answers = """
        {"court_name": {"text": "Cardiff Magistrates' Court"}, "meeting_format": {"codes": ["bench_group"]},
         "t1_rating": {"codes": ["very_confident"]}, "t1_evidence": {"text": "Reports are clear and on time"},
         "t1_quote": {"text": "The reports are very helpful"}, "t2_rating": {"codes": ["fairly_confident"]}}
        """
    let meeting = try await db.query(
        """
        INSERT INTO sentencer_meeting (inspection_id, form_id, form_version, status, revision, answers, meeting_date, meeting_format,
                                       meeting_mode, court_type, court_name, week_plus_two, created_by, created_at, updated_by,
                                       updated_at, finalised_by, finalised_at)
        VALUES (\(inspectionID), 'sentencer-interview', 1, 'final', 2, \(PostgresJSON(text: answers)), '2026-11-20', 'bench_group',
                'in_person', 'magistrates', 'Cardiff Magistrates'' Court', false, \(staffID), now(), \(staffID), now(), \(staffID), now())
        RETURNING id
        """
    )[0].decode("id", as: Int.self)
    try await db.execute(
        """
        INSERT INTO sentencer_meeting_topic (meeting_id, topic, rating, evidence, quote, quote_role) VALUES
            (\(meeting), 't1', 'very_confident', 'Reports are clear and on time', 'The reports are very helpful', 'bench_chair'),
            (\(meeting), 't2', 'fairly_confident', NULL, NULL, NULL)
        """
    )
    try await db.execute(
        """
        INSERT INTO sentencer_meeting_revision (meeting_id, revision, status, answers, changed_fields, saved_by, saved_at) VALUES
            (\(meeting), 1, 'draft', \(PostgresJSON(text: answers)), '{}', \(staffID), now()),
            (\(meeting), 2, 'final', \(PostgresJSON(text: answers)), '{}', \(staffID), now())
        """
    )
}

@Suite("Retention deletes raw data on time, once, and audited")
struct RetentionTests {
    @Test(
        "window closed: unused links lose token, code and reference with counts unchanged; RETENTION_MONTHS after publication: answers and notes go, the published report does not change"
    )
    func lifecycle() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let id = fixtures.inspectionID
            let staffID = Int(try await app.createUser("lead@example.gov.uk", role: .inspector, name: "Lead"))
            try await app.submitResponses(client, fixtures, count: 2)
            let unused = try await fixtures.issue(app, count: 2, provider: fixtures.providerB)
            var started = VictimBrowser(client)
            try await started.begin(unused[0].token)
            try await started.post("/questionnaire/page/completed_by", [("v2_completed_by", "victim"), ("action", "continue")])
            try await app.enterPaperResponse(inspectionID: id, provider: fixtures.providerA, enteredBy: staffID)
            try await insertSentencerMeeting(app.db, inspectionID: id, staffID: staffID)
            // Another inspection, never published: nothing of it is ever deleted.
            let other = try await InspectionStore(database: app.db).create(
                title: "Unpublished",
                areaID: fixtures.areaID,
                providerIDs: [fixtures.providerA],
                dates: try .make("2026-10-01", "2026-12-07", "2026-12-21", "2026-11-09", "2026-12-21")
            )
            try await app.enterPaperResponse(inspectionID: other, provider: fixtures.providerA, enteredBy: staffID)
            let retention = Retention(database: app.db, months: 12, now: { app.clock.now })
            func run(dryRun: Bool = false) async throws -> RetentionOutcome {
                try await retention.run(today: app.dependencies.today, now: app.clock.now, dryRun: dryRun, actor: .commandLine)
            }
            func kinds(_ outcome: RetentionOutcome) -> [RetentionOutcome.Kind: Int] { outcome.totals }
            let invitations = InvitationStore(database: app.db, secrets: testLinkSecrets)

            // While the window is open nothing goes but nothing is due either.
            #expect(try await run().items.isEmpty)

            // The window has closed: the release job empties the ballot box; every link loses what made it usable or
            // identifying; counts stay.
            try app.moveClock(to: "2026-12-22")
            // The two online ones (the paper ones were stored as released by the helper).
            #expect(try await app.release().total == 2)
            try await app.db.execute(
                """
                INSERT INTO victim_free_text_review (response_id, question_id, redacted_text, redactions, reviewed_by, reviewed_at)
                SELECT id, 'v19_helped_most', 'She was kind', 0, \(staffID), now() FROM victim_response WHERE channel = 'online' LIMIT 1
                """
            )
            let admin = try await app.signedIn(client, as: .admin)
            let inspectionPage = try await admin.get("/inspections/\(id)").text
            let reportPage = try await admin.get("/inspections/\(id)/report").text
            let reportCSV = try await admin.get("/inspections/\(id)/report.csv").text
            let summary = try await invitations.summary(inspectionID: id, today: app.dependencies.today)
            let closed = try await run()
            #expect(closed.items.filter { $0.inspectionID != id }.isEmpty)
            #expect(kinds(closed)[.linkCredentials] == 4)
            #expect(kinds(closed)[.drafts] == 1)
            #expect(kinds(closed)[.victimResponses] == nil)
            #expect(try await invitations.find(token: unused[1].token) == nil)
            #expect(try await invitations.find(code: unused[1].code) == nil)
            #expect(
                try await app.count("SELECT count(*) FROM invitation WHERE erased_at IS NOT NULL AND reference IS NULL AND token_hash IS NULL") == 4
            )
            #expect(try await invitations.summary(inspectionID: id, today: app.dependencies.today) == summary)
            #expect(try await admin.get("/inspections/\(id)").text == inspectionPage)
            #expect(try await admin.get("/inspections/\(id)/report").text == reportPage)
            #expect(try await admin.get("/inspections/\(id)/report.csv").text == reportCSV)

            // Publish; until RETENTION_MONTHS have passed nothing more goes.
            #expect(try await admin.post("/inspections/\(id)/publish", [("confirm", "yes")]).status == .seeOther)
            let published = withoutCSRF(try await admin.get("/inspections/\(id)/report").text)
            let publishedJSON = try await admin.get("/inspections/\(id)/report.json").text
            try app.moveClock(to: "2027-12-21")
            #expect(try await run().items.isEmpty)

            // Due: a dry run says what would go and deletes nothing (and audits nothing).
            try app.moveClock(to: "2027-12-22")
            let audited = try await app.count("SELECT count(*) FROM audit_event WHERE event = 'retention.deleted'")
            let dry = try await run(dryRun: true)
            #expect(dry.dryRun)
            let expected: [RetentionOutcome.Kind: Int] = [
                .victimResponses: 2, .paperResponses: 1, .freeTextReviews: 1, .sentencerNotes: 1,
                .sentencerMeetingTexts: 1, .sentencerRevisions: 2,
            ]
            #expect(kinds(dry) == expected)
            #expect(dry.items.allSatisfy { $0.inspectionID == id })
            #expect(try await app.count("SELECT count(*) FROM victim_response") == 4)
            #expect(try await app.count("SELECT count(*) FROM sentencer_meeting_revision") == 2)
            #expect(try await app.count("SELECT count(*) FROM audit_event WHERE event = 'retention.deleted'") == audited)

            let done = try await run()
            #expect(done.items == dry.items)
            #expect(done.dryRun == false)
            #expect(try await app.count("SELECT count(*) FROM victim_response WHERE inspection_id = \(id)") == 0)
            #expect(try await app.count("SELECT count(*) FROM victim_response WHERE inspection_id = \(other)") == 1)
            #expect(try await app.count("SELECT count(*) FROM victim_free_text_review") == 0)
            #expect(try await app.count("SELECT count(*) FROM paper_return WHERE inspection_id = \(id)") == 1)
            #expect(try await app.count("SELECT count(*) FROM sentencer_meeting_revision") == 0)
            #expect(try await app.count("SELECT count(*) FROM sentencer_meeting_topic WHERE evidence IS NOT NULL OR quote IS NOT NULL") == 0)
            #expect(try await app.count("SELECT count(*) FROM sentencer_meeting_topic WHERE rating IS NOT NULL") == 2)
            let answers = try await app.db.query("SELECT answers::text AS a FROM sentencer_meeting")[0].decode("a", as: String.self)
            #expect(answers.contains("Cardiff Magistrates' Court") && answers.contains("t1_rating"))
            #expect(!answers.contains("t1_evidence") && !answers.contains("helpful"))
            #expect(try await app.count("SELECT count(*) FROM invitation WHERE erased_at IS NULL") == 0)
            // Audited: one event per inspection and kind, holding the kind and the count and nothing else.
            let events = try await app.db.query(
                "SELECT subject_id, details::text AS details FROM audit_event WHERE event = 'retention.deleted' ORDER BY id OFFSET \(audited)"
            ).map { (try $0.decode("subject_id", as: String.self), try $0.decode("details", as: String.self)) }
            #expect(events.map(\.0) == Array(repeating: String(id), count: done.items.count))
            #expect(events.map(\.1) == done.items.map { "{\"kind\": \"\($0.kind.rawValue)\", \"count\": \($0.count)}" })

            // What was published is what is shown, and the inspection's counts are unchanged.
            let reader = try await app.signedIn(client, as: .admin, email: "reader@example.gov.uk")
            #expect(withoutCSRF(try await reader.get("/inspections/\(id)/report").text) == published)
            #expect(try await reader.get("/inspections/\(id)/report.json").text == publishedJSON)
            #expect(try await invitations.summary(inspectionID: id, today: app.dependencies.today) == summary)

            // Nothing is deleted twice.
            #expect(try await run().items.isEmpty)
        }
    }

    @Test("a retention period of zero or less is refused and nothing is deleted", arguments: [0, -1, -12])
    func badPeriod(months: Int) async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            try await app.submitResponses(client, fixtures, count: 1)
            try await app.markAllPublished(on: "2026-12-22")
            try app.moveClock(to: "2030-01-01")
            let retention = Retention(database: app.db, months: months, now: { app.clock.now })
            let error = await #expect(throws: Retention.Invalid.self) {
                try await retention.run(today: app.dependencies.today, now: app.clock.now, actor: .commandLine)
            }
            #expect(error?.description.contains("RETENTION_MONTHS must be a whole number from 1 to 1200, not '\(months)'") == true)
            #expect(try await app.count("SELECT count(*) FROM sealed_response") == 1)
            #expect(try await app.count("SELECT count(*) FROM invitation WHERE erased_at IS NOT NULL") == 0)
            #expect(try await app.count("SELECT count(*) FROM audit_event WHERE event = 'retention.deleted'") == 0)
        }
    }

    @Test("two instances run retention at once on separate pools: one does the work, the other nothing, and nothing is deleted twice")
    func twoInstances() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            try await app.submitResponses(client, fixtures, count: 3)
            try app.moveClock(to: "2026-12-22")
            #expect(try await app.release().total == 3)
            try await app.markAllPublished(on: "2026-12-22")
            try app.moveClock(to: "2027-12-22")
            let today = app.dependencies.today
            let now = app.clock.now
            let pools = [app.database.client(poolSize: 2), app.database.client(poolSize: 2)]
            let gate = RetentionGate()
            let outcomes = try await withThrowingTaskGroup(of: RetentionOutcome.self) { group in
                for pool in pools {
                    group.addTask {
                        try await Retention(database: pool, months: 12, now: { now }).run(
                            today: today,
                            now: now,
                            actor: RetentionService.actor,
                            onLocked: { await gate.holdUntilReleased() }
                        )
                    }
                }
                var outcomes: [RetentionOutcome] = []
                for try await outcome in group {
                    outcomes.append(outcome)
                    // The run that found the lock taken has finished: let the one holding it go on.
                    if !outcome.ran { await gate.release() }
                }
                return outcomes
            }
            for pool in pools { await pool.shutdown() }
            #expect(await gate.lockedRuns == 1)
            #expect(outcomes.filter(\.ran).count == 1)
            #expect(outcomes.first { !$0.ran }?.items.isEmpty == true)
            #expect(outcomes.first(where: \.ran)?.totals[.victimResponses] == 3)
            #expect(try await app.count("SELECT count(*) FROM victim_response") == 0)
            #expect(
                try await app.count("SELECT count(*) FROM audit_event WHERE event = 'retention.deleted' AND details ->> 'kind' = 'victim_responses'")
                    == 1
            )
            #expect(try await app.count("SELECT sum((details ->> 'count')::int) FROM audit_event WHERE details ->> 'kind' = 'victim_responses'") == 3)
        }
    }

    @Test("the command prints what would go and what went, per inspection, and refuses RETENTION_MONTHS=0 without deleting")
    func command() async throws {
        try await withTestDatabase { client, database in
            try await Migrator(directory: projectRoot + "/sql").migrate(client, logger: quietLogger)
            let fixtures = try await Fixtures.make(client)
            let old = try await InspectionStore(database: client).create(
                title: "Published in 2024",
                areaID: fixtures.areaID,
                providerIDs: [fixtures.providerA],
                dates: try .make("2024-01-01", "2024-02-05", "2024-02-19", "2024-01-08", "2024-02-19")
            )
            try await client.execute(
                """
                INSERT INTO victim_response (inspection_id, provider_id, form_id, form_version, channel, answers)
                VALUES (\(old), \(fixtures.providerA), 'victim-questionnaire', 1, 'paper', '{"v5_named_vlo": {"codes": ["no"]}}')
                """
            )
            try await client.execute("UPDATE inspection SET published_on = '2024-03-01' WHERE id = \(old)")
            try await client.execute(
                "INSERT INTO report_snapshot (inspection_id, published_on, published_at, format_version, report) VALUES (\(old), '2024-03-01', now(), 1, '{}')"
            )
            func responses() async throws -> Int { try await client.query("SELECT count(*) FROM victim_response")[0].decode(0, as: Int.self) }

            let refused = try await SurveyImportCLITests.run(["retention", "run"], database: database, environment: ["RETENTION_MONTHS": "0"])
            #expect(refused.status == 1)
            #expect(refused.errors == "stakeholder-views: error: RETENTION_MONTHS must be a whole number from 1 to 1200, not '0'\n")
            #expect(try await responses() == 1)

            let dry = try await SurveyImportCLITests.run(["retention", "run", "--dry-run"], database: database)
            #expect(dry.status == 0, "\(dry.errors)")
            #expect(dry.output.contains("inspection \(old): would delete 1 paper_responses\n"))
            #expect(dry.output.contains("retention (RETENTION_MONTHS=12, dry run, nothing deleted): 1 rows over 1 inspection\n"))
            #expect(try await responses() == 1)

            let run = try await SurveyImportCLITests.run(["retention", "run"], database: database)
            #expect(run.status == 0, "\(run.errors)")
            #expect(run.output == "inspection \(old): deleted 1 paper_responses\nretention (RETENTION_MONTHS=12, done): 1 rows over 1 inspection\n")
            #expect(try await responses() == 0)
            let audit = try await client.query(
                "SELECT client_address, subject_id FROM audit_event WHERE event = 'retention.deleted'"
            ).map { (try $0.decode("client_address", as: String.self), try $0.decode("subject_id", as: String.self)) }
            #expect(audit.count == 1 && audit.first?.0 == "command-line" && audit.first?.1 == String(old))

            let again = try await SurveyImportCLITests.run(["retention", "run"], database: database)
            #expect(again.output == "retention (RETENTION_MONTHS=12, done): nothing to delete\n")
        }
    }
}
