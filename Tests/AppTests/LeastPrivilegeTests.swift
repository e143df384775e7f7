import Domain
import Foundation
import Logging
import Operations
import Postgres
import TestSupport
import Testing
import Web

/// A schema migrated by a non-superuser owner role, and the service role granted by `migrate`: the two roles of
/// production (issue 18), made for one test in the test cluster.
struct TwoRoles {
    let database: TestDatabase
    /// The owner role's pool (not a superuser): it owns every table, as the role that runs migrations does.
    let owner: PostgresClient
    /// The service role's pool: owns nothing, holds `DatabaseRoles.tables`' privileges.
    let service: PostgresClient

    static func run(_ body: (TwoRoles) async throws -> Void) async throws {
        let database = try await TestDatabase.create()
        do {
            let roles = try await TwoRoles.setup(database)
            do {
                try await body(roles)
            } catch {
                await roles.owner.shutdown()
                await roles.service.shutdown()
                throw error
            }
            await roles.owner.shutdown()
            await roles.service.shutdown()
        } catch {
            try? await database.drop()
            throw error
        }
        try await database.drop()
    }

    private static func setup(_ database: TestDatabase) async throws -> TwoRoles {
        try await TestDatabase.withAdmin(database.connectionString) { admin in
            try await admin.execute(PostgresQuery(unsafeSQL: "CREATE ROLE \"\(database.ownerRole)\" LOGIN"))
            try await admin.execute(PostgresQuery(unsafeSQL: "CREATE ROLE \"\(database.serviceRole)\" LOGIN"))
            try await admin.execute(PostgresQuery(unsafeSQL: "ALTER SCHEMA \"\(database.schema)\" OWNER TO \"\(database.ownerRole)\""))
            try await admin.execute(PostgresQuery(unsafeSQL: "GRANT USAGE ON SCHEMA \"\(database.schema)\" TO \"\(database.serviceRole)\""))
        }
        let owner = database.client(role: database.ownerRole, poolSize: 2)
        let service = database.client(role: database.serviceRole, poolSize: 8)
        try await Migrator(directory: projectRoot + "/sql").migrate(owner, logger: quietLogger, grantingTo: database.serviceRole)
        return TwoRoles(database: database, owner: owner, service: service)
    }

    /// Runs `sql` and returns the SQLSTATE it failed with (nil when it succeeded).
    static func refusal(_ client: PostgresClient, _ sql: String) async -> String? {
        do {
            try await client.execute(PostgresQuery(unsafeSQL: sql))
            return nil
        } catch let error as PostgresError {
            return error.code.rawValue
        } catch {
            return "other: \(error)"
        }
    }

    /// Writes `count` audit entries through the service role, as the app does.
    func writeAudit(_ count: Int) async throws {
        let log = AuditLog(database: service, now: { Date(timeIntervalSince1970: 1_795_687_200) })
        for index in 0..<count {
            try await log.record("sign_in.failed", actor: AuditActor(userID: nil, address: "192.0.2.\(index)"), details: ["n": .int(Int64(index))])
        }
    }

    /// The audit entries' ids in chain order.
    func auditIDs() async throws -> [Int64] {
        try await owner.query("SELECT id FROM audit_event ORDER BY chain_seq").map { try $0.decode("id") }
    }

    /// The owner role doing what the service cannot: switching off the append-only trigger, then running `sql`.
    func ownerTampers(_ sql: String, table: String = "audit_event") async throws {
        let trigger = table == "audit_event" ? "audit_event_no_update_or_delete" : "report_snapshot_frozen"
        try await owner.withTransaction { connection in
            try await connection.execute(PostgresQuery(unsafeSQL: "ALTER TABLE \(table) DISABLE TRIGGER \(trigger)"))
            try await connection.execute(PostgresQuery(unsafeSQL: sql))
            try await connection.execute(PostgresQuery(unsafeSQL: "ALTER TABLE \(table) ENABLE TRIGGER \(trigger)"))
        }
    }

    /// `count` published inspections, each with a snapshot written through the service role.
    func publishSnapshots(_ count: Int) async throws -> [Int] {
        let fixtures = try await Fixtures.make(owner)
        var ids = [fixtures.inspectionID]
        let dates = InspectionDates(
            announcedOn: try #require(LocalDate(iso: "2026-10-01")),
            fieldworkStartsOn: try #require(LocalDate(iso: "2026-12-07")),
            weekPlusTwoOn: try #require(LocalDate(iso: "2026-12-21")),
            victimWindowOpensOn: try #require(LocalDate(iso: "2026-11-09")),
            victimWindowClosesOn: try #require(LocalDate(iso: "2026-12-21"))
        )
        while ids.count < count {
            ids.append(
                try await InspectionStore(database: owner).create(
                    title: "Wales \(ids.count)",
                    areaID: fixtures.areaID,
                    providerIDs: [fixtures.providerA],
                    dates: dates
                )
            )
        }
        for id in ids {
            try await owner.execute("UPDATE inspection SET published_on = '2026-12-22' WHERE id = \(id)")
            try await service.execute(
                """
                INSERT INTO report_snapshot (inspection_id, published_on, published_at, format_version, report)
                VALUES (\(id), '2026-12-22', now(), 1, '{"figures": [1, 2, 3]}'::jsonb)
                """
            )
        }
        return ids
    }
}

@Suite("Least privilege: the service role is refused what the service must never do")
struct LeastPrivilegeTests {
    @Test("the service role cannot disable, drop or replace the triggers that keep the audit log and snapshots append-only")
    func triggersOutOfReach() async throws {
        try await TwoRoles.run { roles in
            try await roles.writeAudit(3)
            for table in ["audit_event", "report_snapshot"] {
                for statement in [
                    "ALTER TABLE \(table) DISABLE TRIGGER ALL",
                    "ALTER TABLE \(table) DISABLE TRIGGER USER",
                    "ALTER TABLE \(table) DISABLE TRIGGER zz_\(table)_chain",
                    "ALTER TABLE \(table) OWNER TO CURRENT_USER",
                    "DROP TRIGGER zz_\(table)_chain ON \(table)",
                    "CREATE TRIGGER sneaky BEFORE INSERT ON \(table) FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()",
                    "DROP TABLE \(table)",
                ] {
                    #expect(await TwoRoles.refusal(roles.service, statement) == "42501", "\(statement) was not refused with 42501")
                }
            }
            // Replacing the trigger's function needs ownership of it too.
            let replace = """
                CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END; $$
                """
            #expect(await TwoRoles.refusal(roles.service, replace) == "42501")
            // Triggers off for the whole session is a superuser's setting.
            #expect(await TwoRoles.refusal(roles.service, "SET session_replication_role = replica") == "42501")
            // It cannot become the owner.
            #expect(await TwoRoles.refusal(roles.service, "SET ROLE \"\(roles.database.ownerRole)\"") == "42501")
            let intact = try await AuditChain.verify(.auditLog, database: roles.owner)
            #expect(intact.problem == nil && intact.entries == 3)
        }
    }

    @Test("the service role cannot delete, update or truncate audit rows or snapshots, and nothing changes")
    func appendOnlyByPrivilege() async throws {
        try await TwoRoles.run { roles in
            try await roles.writeAudit(4)
            let published = try await roles.publishSnapshots(2)
            let before = try await AuditChain.verifyAll(database: roles.owner)
            for statement in [
                "DELETE FROM audit_event",
                "DELETE FROM audit_event WHERE id = (SELECT min(id) FROM audit_event)",
                "UPDATE audit_event SET event = 'sign_in.succeeded'",
                "UPDATE audit_event SET chain_seq = chain_seq + 100",
                "TRUNCATE audit_event",
                "DELETE FROM report_snapshot WHERE inspection_id = \(published[0])",
                "UPDATE report_snapshot SET report = '{\"figures\": [9]}'::jsonb",
                "TRUNCATE report_snapshot",
                "INSERT INTO schema_migration (version, file_name, sha256) VALUES (9999, '9999_x.sql', 'x')",
            ] {
                #expect(await TwoRoles.refusal(roles.service, statement) == "42501", "\(statement) was not refused with 42501")
            }
            #expect(try await AuditChain.verifyAll(database: roles.owner) == before, "a refused statement changed a chain")
        }
    }

    @Test("the service role can create no table, function, schema or type anywhere (no DDL)")
    func noDDL() async throws {
        try await TwoRoles.run { roles in
            for statement in [
                "CREATE TABLE stolen (x int)",
                "CREATE TABLE public.stolen (x int)",
                "CREATE FUNCTION nothing() RETURNS int LANGUAGE sql AS 'SELECT 1'",
                "CREATE SCHEMA elsewhere",
                "CREATE TYPE mood AS ENUM ('a')",
                "CREATE INDEX ON audit_event (event)",
                "ALTER TABLE invitation ADD COLUMN leak text",
                "CREATE VIEW everything AS SELECT * FROM victim_response",
                "CREATE ROLE accomplice",
            ] {
                let code = await TwoRoles.refusal(roles.service, statement)
                #expect(code == "42501", "\(statement) was not refused (\(code ?? "it succeeded"))")
            }
        }
    }

    @Test("the grants are exactly DatabaseRoles.tables, and every table in the schema has an entry")
    func grantsMatchTheCatalogue() async throws {
        try await TwoRoles.run { roles in
            let tables = try await roles.owner.query(
                """
                SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
                """
            ).map { try $0.decode("name", as: String.self) }
            let catalogued = Set(DatabaseRoles.tables.keys)
            #expect(Set(tables).subtracting(catalogued).subtracting(["invitation_draft_unsealed"]).isEmpty, "tables with no privilege decision")
            #expect(catalogued.subtracting(tables).isEmpty, "catalogue entries for tables that do not exist")
            let granted = try await roles.owner.query(
                """
                SELECT table_name, string_agg(privilege_type, ',' ORDER BY privilege_type) AS privileges
                FROM information_schema.role_table_grants
                WHERE grantee = \(roles.database.serviceRole) AND table_schema = current_schema()
                GROUP BY table_name
                """
            )
            var found: [String: String] = [:]
            for row in granted { found[try row.decode("table_name")] = try row.decode("privileges", as: String.self) }
            for (table, privileges) in DatabaseRoles.tables {
                #expect(found[table] == privileges.keywords.sorted().joined(separator: ","), "\(table): \(found[table] ?? "nothing")")
            }
            #expect(found["audit_event"] == "INSERT,SELECT" && found["report_snapshot"] == "INSERT,SELECT")
            #expect(found.values.allSatisfy { !$0.contains("TRUNCATE") && !$0.contains("TRIGGER") && !$0.contains("REFERENCES") })
            // Nothing in the schema belongs to the service role.
            let owned = try await roles.owner.query(
                "SELECT count(*) AS n FROM pg_class WHERE relowner = \(roles.database.serviceRole)::regrole"
            )[0].decode("n", as: Int.self)
            #expect(owned == 0)
        }
    }

    @Test("serve's check passes the service role and refuses the owner and a superuser, naming the problem")
    func serveRefusesPowerfulRoles() async throws {
        try await TwoRoles.run { roles in
            #expect(try await DatabaseRoles.problems(roles.service).isEmpty)
            let ownerProblems = try await DatabaseRoles.problems(roles.owner)
            #expect(ownerProblems.contains { $0.contains("owns") && $0.contains("audit_event") })
            #expect(ownerProblems.contains { $0.contains("CREATE on the schema") })
            do {
                try await DatabaseRoles.checkServiceRole(roles.owner, allow: false, logger: quietLogger)
                Issue.record("the owner role was accepted")
            } catch let refused as DatabaseRoles.Refused {
                #expect(refused.description.contains("'\(roles.database.ownerRole)'"))
                #expect(refused.description.contains("DATABASE_ALLOW_PRIVILEGED_ROLE=true"))
                #expect(refused.description.contains("--print-roles"))
            }
            // The development setting lets it through (with a warning).
            try await DatabaseRoles.checkServiceRole(roles.owner, allow: true, logger: quietLogger)
            let superuser = roles.database.client()
            let superProblems = try await DatabaseRoles.problems(superuser)
            await superuser.shutdown()
            #expect(superProblems.contains { $0.contains("superuser") })
            // A role that may become the owner (a member of it) is refused too.
            try await TestDatabase.withAdmin(roles.database.connectionString) { admin in
                try await admin.execute(PostgresQuery(unsafeSQL: "GRANT \"\(roles.database.ownerRole)\" TO \"\(roles.database.serviceRole)\""))
            }
            #expect(try await DatabaseRoles.problems(roles.service).contains { $0.contains("member of the owner") })
            try await TestDatabase.withAdmin(roles.database.connectionString) { admin in
                try await admin.execute(PostgresQuery(unsafeSQL: "REVOKE \"\(roles.database.ownerRole)\" FROM \"\(roles.database.serviceRole)\""))
            }
        }
    }

    @Test("the survey import's DDL runs only through the owner's two functions, and only for a batch still loading")
    func importDDLThroughDefinerFunctions() async throws {
        try await TwoRoles.run { roles in
            #expect(await TwoRoles.refusal(roles.service, "SELECT survey_import_create_staging(424242)") == "23514")
            #expect(await TwoRoles.refusal(roles.service, "SELECT survey_import_attach_staging(424242)") == "23514")
            // Executing them is the service's alone: PUBLIC has no EXECUTE.
            let publicExecute = try await roles.owner.query(
                "SELECT has_function_privilege('public', 'survey_import_create_staging(bigint)', 'EXECUTE') AS allowed"
            )[0].decode("allowed", as: Bool.self)
            #expect(!publicExecute)
        }
    }

    @Test("migrate --print-roles prints CREATE ROLE; --print-grants a GRANT for every table and no privilege the catalogue lacks")
    func printedRoles() {
        let script = DatabaseRoles.setupScript(owner: "views_owner", service: "views", database: "views_db")
        #expect(script.contains("CREATE ROLE \"views_owner\" LOGIN"))
        #expect(script.contains("CREATE ROLE \"views\" LOGIN"))
        #expect(script.contains("CREATE DATABASE \"views_db\" OWNER \"views_owner\""))
        #expect(script.contains("REVOKE CREATE ON SCHEMA public FROM PUBLIC;"))
        let grants = DatabaseRoles.grantScript(service: "views")
        #expect(grants.contains("GRANT SELECT, INSERT ON audit_event TO \"views\";"))
        #expect(grants.contains("GRANT SELECT, INSERT ON report_snapshot TO \"views\";"))
        for table in DatabaseRoles.tables.keys { #expect(grants.contains(" ON \(table) TO \"views\";"), "\(table)") }
        #expect(!grants.contains("TRUNCATE") && !grants.contains("ALL PRIVILEGES"))
    }
}
