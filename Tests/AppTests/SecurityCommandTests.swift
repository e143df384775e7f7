import Domain
import Foundation
import Operations
import Postgres
import TestSupport
import Testing
import Web

/// The commands of issue 18 as an operator runs them: the built binary, its exit status and its lines.
@Suite("Least privilege and tamper evidence: the commands", .serialized)
struct SecurityCommandTests {
    /// Runs the binary against `database`'s schema (as the test cluster's superuser unless `environment` says
    /// otherwise); a process still running after `timeout` is killed, so a refusal that fails cannot hang the suite.
    static func run(
        _ arguments: [String],
        database: TestDatabase,
        environment extra: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) async throws -> SurveyImportCLITests.Run {
        let folder = NSTemporaryDirectory() + "sv-command-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let environment = ["DATA_DIR": folder + "/data", "LINK_SECRET": String(repeating: "07", count: 32), "PORT": "0"]
        return try await SurveyImportCLITests.run(
            arguments,
            database: database,
            environment: environment.merging(extra) { $1 },
            timeout: timeout
        )
    }

    static func tableCount(_ db: PostgresClient) async throws -> Int {
        try await db.query("SELECT count(*) AS n FROM pg_tables WHERE schemaname = current_schema()")[0].decode("n")
    }

    @Test("serve refuses to start as a superuser (a DATABASE_URL that can bypass the triggers): one line, exit 1, nothing created")
    func serveRefusesSuperuser() async throws {
        try await withTestDatabase { db, database in
            let run = try await Self.run(["serve"], database: database)
            #expect(run.status == 1)
            let line = run.errors.split(separator: "\n").last.map(String.init) ?? ""
            #expect(line.hasPrefix("stakeholder-views: error: the database role 'postgres' that serve connects as (DATABASE_URL) is too powerful"))
            #expect(line.contains("superuser"))
            #expect(line.contains("DATABASE_ALLOW_PRIVILEGED_ROLE=true"))
            #expect(try await Self.tableCount(db) == 0, "serve changed the database before refusing")
        }
    }

    @Test("serve refuses a link secret file with mode 0644: one line naming the file and the chmod, exit 1, database untouched")
    func serveRefusesReadableSecret() async throws {
        try await withTestDatabase { db, database in
            let folder = NSTemporaryDirectory() + "sv-secret-serve-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let path = folder + "/link-secret"
            let text = String(repeating: "5a", count: 32)
            #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o644]))
            let run = try await Self.run(
                ["serve"],
                database: database,
                environment: ["LINK_SECRET": "", "DATA_DIR": folder, "DATABASE_ALLOW_PRIVILEGED_ROLE": "true"]
            )
            #expect(run.status == 1)
            let line = run.errors.split(separator: "\n").last.map(String.init) ?? ""
            #expect(line.hasPrefix("stakeholder-views: error: \(path) has mode 644"), "\(run.errors)")
            #expect(line.contains("chmod 600 \(path)"))
            #expect(try await Self.tableCount(db) == 0, "serve touched the database before refusing")
            #expect(try String(contentsOfFile: path, encoding: .utf8) == text)
        }
    }

    @Test("serve on a port another process listens on: one line naming the port, exit 1, at once (it used to hang)")
    func servePortInUse() async throws {
        try await withTestDatabase { _, database in
            let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            try #require(socketFD >= 0)
            defer { close(socketFD) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = 0
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(socketFD, $0, length) == 0 && listen(socketFD, 1) == 0 && getsockname(socketFD, $0, &length) == 0
                }
            }
            try #require(bound)
            let port = Int(UInt16(bigEndian: address.sin_port))
            let started = Date()
            let run = try await Self.run(
                ["serve"],
                database: database,
                environment: ["PORT": String(port), "DATABASE_ALLOW_PRIVILEGED_ROLE": "true"],
                // Generous: under two test suites at once, serve's start-up (migrating a fresh schema) took over 60 s.
                timeout: .seconds(300)
            )
            #expect(run.status == 1)
            let line = run.errors.split(separator: "\n").last.map(String.init) ?? ""
            #expect(
                line
                    == "stakeholder-views: error: port \(port) on 127.0.0.1 is already in use by another process: stop it, or choose a free port with PORT or --port",
                "\(run.errors)"
            )
            #expect(Date().timeIntervalSince(started) < 290, "it ended on its own, not by the watchdog")
        }
    }

    @Test("serve refuses a DATABASE_URL whose (non-superuser) role owns the tables, naming them, and changes nothing")
    func serveRefusesOwner() async throws {
        try await TwoRoles.run { roles in
            let before = try await AuditChain.verifyAll(database: roles.owner)
            let migrations = try await roles.owner.query("SELECT count(*) AS n FROM schema_migration")[0].decode("n", as: Int.self)
            let url = roles.database.connectionString + " user=\(roles.database.ownerRole) options='-c search_path=\(roles.database.schema)'"
            let run = try await Self.run(["serve"], database: roles.database, environment: ["DATABASE_URL": url])
            #expect(run.status == 1)
            #expect(run.errors.contains("'\(roles.database.ownerRole)'") && run.errors.contains("owns"))
            #expect(run.errors.contains("audit_event"))
            #expect(try await AuditChain.verifyAll(database: roles.owner) == before)
            #expect(try await roles.owner.query("SELECT count(*) AS n FROM schema_migration")[0].decode("n", as: Int.self) == migrations)
        }
    }

    @Test("audit verify: exit 0 with each chain's head when intact; exit 1 naming the deleted or edited row when not")
    func auditVerify() async throws {
        try await TwoRoles.run { roles in
            try await roles.writeAudit(4)
            let url = roles.database.connectionString + " user=\(roles.database.serviceRole) options='-c search_path=\(roles.database.schema)'"
            let environment = ["DATABASE_URL": url]
            let intact = try await Self.run(["audit", "verify"], database: roles.database, environment: environment)
            #expect(intact.status == 0, "\(intact.errors)")
            #expect(intact.output.contains("audit_event: intact, 4 entries, head 4:"))
            #expect(intact.output.contains("report_snapshot: intact (no entries yet)"))
            let head = try #require(intact.output.split(separator: "\n").first { $0.hasPrefix("audit_event") }?.split(separator: " ").last)
            let kept = try await Self.run(
                ["audit", "verify", "--expect-head", "audit_event=\(head)"],
                database: roles.database,
                environment: environment
            )
            #expect(kept.status == 0, "\(kept.errors)")
            let ids = try await roles.auditIDs()
            try await roles.ownerTampers("DELETE FROM audit_event WHERE id = \(ids[1])")
            let gap = try await Self.run(["audit", "verify"], database: roles.database, environment: environment)
            #expect(gap.status == 1)
            #expect(gap.output.contains("broken: audit_event: gap before id \(ids[2]): entries 2 to 2 are missing"))
            #expect(gap.errors.hasPrefix("stakeholder-views: error: the audit_event hash chain is broken"))
            try await roles.ownerTampers("DELETE FROM audit_event WHERE id = \(ids[0])")
            let first = try await Self.run(["audit", "verify"], database: roles.database, environment: environment)
            #expect(first.status == 1)
            #expect(first.output.contains("first entry is missing") && first.output.contains("id \(ids[2])"))
            let bad = try await Self.run(
                ["audit", "verify", "--expect-head", "audit_event=banana"],
                database: roles.database,
                environment: environment
            )
            #expect(bad.status != 0)
            #expect(bad.errors.contains("--expect-head must be"))
        }
    }

    @Test("migrate --print-roles and --print-grants print the statements without connecting to anything")
    func printRoles() async throws {
        try await withTestDatabase { _, database in
            let run = try await Self.run(
                ["migrate", "--print-roles", "--service-role", "views"],
                database: database,
                environment: ["DATABASE_URL": "host=/nonexistent-socket-dir dbname=x"]
            )
            #expect(run.status == 0, "\(run.errors)")
            #expect(run.output.contains("CREATE ROLE \"stakeholder_views_owner\" LOGIN"))
            #expect(run.output.contains("CREATE ROLE \"views\" LOGIN"))
            let grants = try await Self.run(
                ["migrate", "--print-grants", "--service-role", "views"],
                database: database,
                environment: ["DATABASE_URL": "host=/nonexistent-socket-dir dbname=x"]
            )
            #expect(grants.status == 0, "\(grants.errors)")
            #expect(grants.output.contains("GRANT SELECT, INSERT ON audit_event TO \"views\";"))
        }
    }

    @Test("migrate with DATABASE_OWNER_URL migrates as the owner and grants DATABASE_URL's role exactly the catalogue")
    func migrateGrants() async throws {
        let database = try await TestDatabase.create()
        do {
            try await TestDatabase.withAdmin(database.connectionString) { admin in
                try await admin.execute(PostgresQuery(unsafeSQL: "CREATE ROLE \"\(database.ownerRole)\" LOGIN"))
                try await admin.execute(PostgresQuery(unsafeSQL: "CREATE ROLE \"\(database.serviceRole)\" LOGIN"))
                try await admin.execute(PostgresQuery(unsafeSQL: "ALTER SCHEMA \"\(database.schema)\" OWNER TO \"\(database.ownerRole)\""))
                try await admin.execute(PostgresQuery(unsafeSQL: "GRANT USAGE ON SCHEMA \"\(database.schema)\" TO \"\(database.serviceRole)\""))
            }
            let path = "options='-c search_path=\(database.schema)'"
            let run = try await Self.run(
                ["migrate"],
                database: database,
                environment: [
                    "DATABASE_URL": database.connectionString + " user=\(database.serviceRole) \(path)",
                    "DATABASE_OWNER_URL": database.connectionString + " user=\(database.ownerRole) \(path)",
                ]
            )
            #expect(run.status == 0, "\(run.errors)")
            #expect(run.output.contains("applied  0080_tamper_evidence.sql"))
            #expect(run.output.contains("granted the service role \(database.serviceRole) its privileges"))
            let service = database.client(role: database.serviceRole)
            #expect(try await DatabaseRoles.problems(service).isEmpty)
            #expect(await TwoRoles.refusal(service, "DELETE FROM audit_event") == "42501")
            #expect(await TwoRoles.refusal(service, "SELECT count(*) FROM audit_event") == nil)
            await service.shutdown()
        } catch {
            try? await database.drop()
            throw error
        }
        try await database.drop()
    }
}
