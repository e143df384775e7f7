import Foundation
import Postgres
import Testing

@testable import Domain
@testable import Operations
@testable import Web

/// Serialized: the tests share the cluster's database, and with it the housekeeping advisory lock, which one of them
/// holds while it checks that a second instance backs off.
@Suite("Housekeeping removes short-lived victim data on time", .serialized)
struct HousekeepingTests {
    @Test("expired sessions go; links past their window expire with their drafts; one instance works at a time")
    func housekeeping() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let links = try await fixtures.issue(app, count: 3)
            var victim = VictimBrowser(client)
            try await victim.begin(links[0].token)
            try await victim.post("/questionnaire/page/completed_by", [("v2_completed_by", "victim"), ("action", "continue")])
            var done = VictimBrowser(client)
            try await VictimQuestionnaireTests.complete(&done, token: links[1].token)
            try await done.post("/questionnaire/submit", [])
            let housekeeping = Housekeeping(database: app.db, now: { app.clock.now })

            // While the window is open nothing but expired sessions goes.
            var outcome = try await housekeeping.run()
            #expect(outcome == Housekeeping.Outcome())
            app.clock.advance(by: 2 * 3600)
            outcome = try await housekeeping.run()
            #expect(outcome.victimSessions == 2)
            #expect(outcome.linksExpired == 0)

            // After the window closes, unused links expire and their drafts go; the submitted one is untouched.
            app.clock.advance(by: 30 * 86_400)
            outcome = try await housekeeping.run()
            #expect(outcome.linksExpired == 2)
            #expect(outcome.drafts == 1)
            let statuses = try await app.db.query("SELECT status FROM invitation ORDER BY id").map { try $0.decode("status", as: String.self) }
            #expect(statuses == ["expired", "submitted", "expired"])
            #expect(try await app.db.query("SELECT count(*) AS n FROM sealed_response")[0].decode("n", as: Int.self) == 1)

            // With another instance holding the lock, a run does nothing.
            try await app.db.withConnection { connection in
                try await connection.execute("SELECT pg_advisory_lock(\(Housekeeping.lockKey))")
                let skipped = try await housekeeping.run()
                #expect(skipped.ran == false)
                try await connection.execute("SELECT pg_advisory_unlock(\(Housekeeping.lockKey))")
            }
        }
    }

    @Test("survey-upload jobs and their problem lists go after a week, unless their instance is still beating")
    func importJobsAge() async throws {
        try await TestApp.run { _, app in
            let now = app.clock.now
            func job(_ name: String, created: TimeInterval, beat: TimeInterval) async throws {
                try await app.db.execute(
                    """
                    INSERT INTO survey_import_job (id, file_name, survey_year, actor_name, instance_id, phase, created_at, heartbeat_at)
                    VALUES (gen_random_uuid(), \(name), 2013, 'web', 'instance-a', 'checked',
                            \(now.addingTimeInterval(-created)), \(now.addingTimeInterval(-beat)))
                    """
                )
            }
            let day: TimeInterval = 86_400
            try await job("old.csv", created: 8 * day, beat: 8 * day)
            try await job("old-but-live.csv", created: 8 * day, beat: 1)
            try await job("recent.csv", created: 6 * day, beat: 6 * day)
            try await app.db.execute(
                """
                INSERT INTO survey_import_job_problems (job_id, part, content)
                SELECT id, 0, '\\x6c696e65'::bytea FROM survey_import_job WHERE file_name = 'old.csv'
                """
            )
            let outcome = try await Housekeeping(database: app.db, now: { app.clock.now }).run()
            #expect(outcome.importJobs == 1)
            let left = try await app.db.query("SELECT file_name FROM survey_import_job ORDER BY file_name").map {
                try $0.decode("file_name", as: String.self)
            }
            #expect(left == ["old-but-live.csv", "recent.csv"])
            #expect(try await app.db.query("SELECT count(*) AS n FROM survey_import_job_problems")[0].decode("n", as: Int.self) == 0)
        }
    }

    @Test("two instances (two pools) at once: while one is cleaning up, the other's run does nothing", .timeLimit(.minutes(1)))
    func twoInstances() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let links = try await fixtures.issue(app, count: 2)
            for link in links {
                var victim = VictimBrowser(client)
                try await victim.begin(link.token)
            }
            app.clock.advance(by: 2 * 3600)
            let poolA = app.database.client(poolSize: 2)
            let poolB = app.database.client(poolSize: 2)
            let instanceA = Housekeeping(database: poolA, now: { app.clock.now })
            let instanceB = Housekeeping(database: poolB, now: { app.clock.now })
            // Holding the sessions' rows makes instance A stop inside its run, with its lock taken.
            try await app.db.withTransaction { blocker in
                try await blocker.execute("SELECT 1 FROM victim_session FOR UPDATE")
                let blockerPID = try await blocker.query("SELECT pg_backend_pid() AS pid")[0].decode("pid", as: Int.self)
                async let runA = instanceA.run()
                // Watched from another connection: inside a transaction pg_stat_activity is a snapshot.
                while try await app.db.query(
                    "SELECT count(*) AS n FROM pg_stat_activity WHERE \(blockerPID) = ANY(pg_blocking_pids(pid))"
                )[0].decode("n", as: Int.self) == 0 {
                    try await Task.sleep(for: .milliseconds(20))
                }
                let outcomeB = try await instanceB.run()
                #expect(outcomeB.ran == false)
                try await blocker.execute("COMMIT")
                try await blocker.execute("BEGIN")
                let outcomeA = try await runA
                #expect(outcomeA.ran)
                #expect(outcomeA.victimSessions == 2)
            }
            #expect(try await app.db.query("SELECT count(*) AS n FROM victim_session")[0].decode("n", as: Int.self) == 0)
            let again = try await instanceB.run()
            #expect(again.ran && again.victimSessions == 0)
            await poolA.shutdown()
            await poolB.shutdown()
        }
    }
}
