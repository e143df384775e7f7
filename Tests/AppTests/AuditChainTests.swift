import Foundation
import Logging
import Postgres
import ServiceLifecycle
import TestSupport
import Testing

@testable import Domain
@testable import Operations
@testable import Web

/// The hash chains (sql/0080) attacked as the owner role would: rows edited, deleted, forged and the chain rewritten;
/// `audit verify` (here `AuditChain.verify`, and the command itself) must name the row every time.
@Suite("Tamper evidence: the audit log's and snapshots' hash chains name the row an owner changed")
struct AuditChainTests {
    @Test("entries written by the service role form an intact chain numbered 1…n, also when written concurrently")
    func intactChain() async throws {
        try await TwoRoles.run { roles in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<6 { group.addTask { try await roles.writeAudit(5) } }
                try await group.waitForAll()
            }
            let report = try await AuditChain.verify(.auditLog, database: roles.service)
            #expect(report.problem == nil)
            #expect(report.entries == 30)
            #expect(report.head?.sequence == 30)
            let numbers = try await roles.owner.query("SELECT chain_seq FROM audit_event ORDER BY chain_seq").map {
                try $0.decode("chain_seq", as: Int64.self)
            }
            #expect(numbers == Array(1...30))
            #expect(report.line.hasPrefix("audit_event: intact, 30 entries, head 30:"))
        }
    }

    @Test("the chain columns cannot be forged by the inserting statement: the trigger overwrites them")
    func forgedChainValuesIgnored() async throws {
        try await TwoRoles.run { roles in
            try await roles.writeAudit(2)
            try await roles.service.execute(
                """
                INSERT INTO audit_event (occurred_at, event, chain_seq, prev_hash, row_hash)
                VALUES (now(), 'sign_in.failed', 1, '\\x00'::bytea, '\\x00'::bytea)
                """
            )
            let report = try await AuditChain.verify(.auditLog, database: roles.owner)
            #expect(report.problem == nil && report.entries == 3 && report.head?.sequence == 3)
        }
    }

    @Test("an owner who edits an entry (triggers off) is named: that entry's id, as changed")
    func editedEntry() async throws {
        try await TwoRoles.run { roles in
            try await roles.writeAudit(5)
            let ids = try await roles.auditIDs()
            try await roles.ownerTampers("UPDATE audit_event SET client_address = '203.0.113.9' WHERE id = \(ids[2])")
            let report = try await AuditChain.verify(.auditLog, database: roles.owner)
            #expect(report.problem == .changed(table: .auditLog, sequence: 3, id: String(ids[2])))
            #expect(report.line.contains("id \(ids[2])") && report.line.contains("changed"))
        }
    }

    @Test("an owner who edits an entry and recomputes its hash breaks the next link, which is named")
    func editedAndRehashed() async throws {
        try await TwoRoles.run { roles in
            try await roles.writeAudit(5)
            let ids = try await roles.auditIDs()
            try await roles.ownerTampers(
                """
                UPDATE audit_event SET event = 'sign_in.succeeded',
                    row_hash = audit_event_hash(prev_hash, id, chain_seq, occurred_at, 'sign_in.succeeded', actor_user_id,
                                                client_address, subject_type, subject_id, details)
                WHERE id = \(ids[1])
                """
            )
            let report = try await AuditChain.verify(.auditLog, database: roles.owner)
            #expect(report.problem == .brokenLink(table: .auditLog, sequence: 3, id: String(ids[2])))
        }
    }

    @Test("an owner who deletes an entry leaves a gap, named by the next entry's id")
    func deletedEntry() async throws {
        try await TwoRoles.run { roles in
            try await roles.writeAudit(5)
            let ids = try await roles.auditIDs()
            try await roles.ownerTampers("DELETE FROM audit_event WHERE id = \(ids[2])")
            let report = try await AuditChain.verify(.auditLog, database: roles.owner)
            #expect(report.problem == .gap(table: .auditLog, after: 2, sequence: 4, id: String(ids[3])))
            #expect(report.line.contains("entries 3 to 3 are missing"))
        }
    }

    @Test("a chain whose first entry is missing says so, with the id it now starts at")
    func firstEntryMissing() async throws {
        try await TwoRoles.run { roles in
            try await roles.writeAudit(3)
            let ids = try await roles.auditIDs()
            try await roles.ownerTampers("DELETE FROM audit_event WHERE id = \(ids[0])")
            let report = try await AuditChain.verify(.auditLog, database: roles.owner)
            #expect(report.problem == .firstEntryMissing(table: .auditLog, firstSequence: 2, id: String(ids[1])))
            #expect(report.line.contains("first entry is missing"))
        }
    }

    @Test("a row slipped in with the chain trigger off is named (its stored hash does not match)")
    func insertedWithTriggerOff() async throws {
        try await TwoRoles.run { roles in
            try await roles.writeAudit(2)
            let head = try #require(try await AuditChain.verify(.auditLog, database: roles.owner).head)
            try await roles.owner.withTransaction { connection in
                try await connection.execute("ALTER TABLE audit_event DISABLE TRIGGER zz_audit_event_chain")
                try await connection.execute(
                    PostgresQuery(
                        unsafeSQL: """
                            INSERT INTO audit_event (occurred_at, event, chain_seq, prev_hash, row_hash)
                            VALUES (now(), 'user.created', 3, '\\x\(head.hash)'::bytea, sha256('made up'::bytea))
                            """
                    )
                )
                try await connection.execute("ALTER TABLE audit_event ENABLE TRIGGER zz_audit_event_chain")
            }
            let report = try await AuditChain.verify(.auditLog, database: roles.owner)
            guard case .changed(.auditLog, 3, _) = report.problem else {
                Issue.record("not named: \(String(describing: report.problem))")
                return
            }
        }
    }

    @Test("a rewrite of the whole chain, or entries cut from its end, shows against a head kept from an earlier run")
    func rewrittenChainAgainstKeptHead() async throws {
        try await TwoRoles.run { roles in
            try await roles.writeAudit(4)
            let kept = try #require(try await AuditChain.verify(.auditLog, database: roles.owner).head)
            // Cut the last entry: the chain left is self-consistent, so only the kept head shows it.
            try await roles.ownerTampers("DELETE FROM audit_event WHERE chain_seq = 4")
            let cut = try await AuditChain.verify(.auditLog, database: roles.owner)
            #expect(cut.problem == nil, "a shorter chain is consistent on its own: this is the limit docs/security.md states")
            let checked = try await AuditChain.verify(.auditLog, database: roles.owner, expectedHead: kept)
            #expect(checked.problem == .headMismatch(table: .auditLog, expected: kept, found: nil))
            // Edit entry 2 and recompute every later hash, as an owner who read sql/0080 would.
            try await roles.writeAudit(1)
            let kept2 = try #require(try await AuditChain.verify(.auditLog, database: roles.owner).head)
            try await roles.ownerTampers(
                """
                DO $$
                DECLARE r record; prev bytea;
                BEGIN
                    UPDATE audit_event SET event = 'user.created' WHERE chain_seq = 2;
                    FOR r IN SELECT * FROM audit_event WHERE chain_seq >= 2 ORDER BY chain_seq LOOP
                        SELECT row_hash INTO prev FROM audit_event WHERE chain_seq = r.chain_seq - 1;
                        UPDATE audit_event SET prev_hash = prev,
                            row_hash = audit_event_hash(prev, r.id, r.chain_seq, r.occurred_at, r.event, r.actor_user_id,
                                                        r.client_address, r.subject_type, r.subject_id, r.details)
                        WHERE id = r.id;
                    END LOOP;
                END;
                $$
                """
            )
            #expect(try await AuditChain.verify(.auditLog, database: roles.owner).problem == nil)
            let rewritten = try await AuditChain.verify(.auditLog, database: roles.owner, expectedHead: kept2)
            guard case .headMismatch(.auditLog, kept2, .some(let found)) = rewritten.problem else {
                Issue.record("the rewrite was not noticed: \(String(describing: rewritten.problem))")
                return
            }
            #expect(found != kept2.hash)
        }
    }

    @Test("snapshots: an owner's edit and an owner's deletion are named by inspection id")
    func snapshotsTampered() async throws {
        try await TwoRoles.run { roles in
            let inspections = try await roles.publishSnapshots(3)
            #expect(try await AuditChain.verify(.snapshots, database: roles.owner).problem == nil)
            try await roles.ownerTampers(
                "UPDATE report_snapshot SET report = '{\"figures\": [1, 2, 4]}'::jsonb WHERE inspection_id = \(inspections[1])",
                table: "report_snapshot"
            )
            let edited = try await AuditChain.verify(.snapshots, database: roles.owner)
            #expect(edited.problem == .changed(table: .snapshots, sequence: 2, id: String(inspections[1])))
            #expect(edited.line.contains("inspection_id \(inspections[1])"))
            try await roles.ownerTampers(
                "UPDATE report_snapshot SET report = '{\"figures\": [1, 2, 3]}'::jsonb WHERE inspection_id = \(inspections[1])",
                table: "report_snapshot"
            )
            #expect(try await AuditChain.verify(.snapshots, database: roles.owner).problem == nil, "restoring the content restores the chain")
            try await roles.ownerTampers("DELETE FROM report_snapshot WHERE inspection_id = \(inspections[0])", table: "report_snapshot")
            let deleted = try await AuditChain.verify(.snapshots, database: roles.owner)
            #expect(deleted.problem == .firstEntryMissing(table: .snapshots, firstSequence: 2, id: String(inspections[1])))
        }
    }

    @Test("rows written before migration 0080 are chained by it in the order they were written")
    func migrationChainsExistingRows() async throws {
        try await withTestDatabase { db, _ in
            let migrator = try Migrator(directory: projectRoot + "/sql")
            // Migrate to just before 0080 by applying a copy of the folder without it.
            let folder = NSTemporaryDirectory() + "sv-sql-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            for migration in migrator.migrations where migration.version < 80 {
                try migration.sql.write(toFile: folder + "/" + migration.fileName, atomically: true, encoding: .utf8)
            }
            try await Migrator(directory: folder).migrate(db, logger: quietLogger)
            for index in 0..<5 {
                try await db.execute(
                    "INSERT INTO audit_event (occurred_at, event, details) VALUES (now(), 'sign_in.failed', jsonb_build_object('n', \(index)::int))"
                )
            }
            try await migrator.migrate(db, logger: quietLogger)
            let report = try await AuditChain.verify(.auditLog, database: db)
            #expect(report.problem == nil && report.entries == 5)
            let order = try await db.query("SELECT (details->>'n')::int AS n FROM audit_event ORDER BY chain_seq").map {
                try $0.decode("n", as: Int.self)
            }
            #expect(order == [0, 1, 2, 3, 4])
            // And new entries carry on from there.
            try await db.execute("INSERT INTO audit_event (occurred_at, event) VALUES (now(), 'sign_out')")
            #expect(try await AuditChain.verify(.auditLog, database: db).head?.sequence == 6)
        }
    }

    @Test("the daily check in serve logs a broken chain as an error and counts it in the metrics")
    func dailyCheckCountsBrokenChain() async throws {
        try await TwoRoles.run { roles in
            try await roles.writeAudit(3)
            let metrics = AppMetrics()
            let log = CapturedLog()
            let check = AuditChainCheck(database: roles.service, metrics: metrics, logger: log.logger(), interval: .seconds(86_400))
            #expect(await check.checkOnce().allSatisfy { $0.problem == nil })
            let ids = try await roles.auditIDs()
            try await roles.ownerTampers("DELETE FROM audit_event WHERE id = \(ids[1])")
            let reports = await check.checkOnce()
            #expect(reports.first { $0.table == .auditLog }?.problem == .gap(table: .auditLog, after: 1, sequence: 3, id: String(ids[2])))
            var buffer: [UInt8] = []
            metrics.registry.emit(into: &buffer)
            let text = String(decoding: buffer, as: UTF8.self)
            #expect(text.contains(#"audit_chain_checks_total{table="audit_event",outcome="broken"} 1"#), "\(text)")
            #expect(text.contains(#"audit_chain_checks_total{table="audit_event",outcome="intact"} 1"#))
            #expect(text.contains(#"audit_chain_checks_total{table="report_snapshot",outcome="intact"} 2"#))
            let errors = log.messages.filter { $0.hasPrefix("error ") }
            #expect(errors.count == 1)
            #expect(errors.first?.contains("id \(ids[2])") == true)
        }
    }

    @Test("the daily check ends at once on graceful shutdown, so SIGTERM is not held up until the next day's check")
    func dailyCheckStopsOnShutdown() async throws {
        try await TwoRoles.run { roles in
            let check = AuditChainCheck(database: roles.service, metrics: AppMetrics(), logger: quietLogger, interval: .seconds(86_400))
            let group = ServiceGroup(configuration: .init(services: [.init(service: check)], logger: quietLogger))
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await Task.sleep(for: .milliseconds(500))
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            // Not held for the day's interval; generous, as the suite runs beside heavy work (a run took 20.7 s then).
            #expect(ContinuousClock.now - started < .seconds(300))
        }
    }
}
