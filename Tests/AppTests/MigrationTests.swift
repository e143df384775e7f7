import Domain
import Foundation
import Operations
import Postgres
import TestSupport
import Testing
import Web

@Suite("Migrations are applied once, in order, and never silently changed")
struct MigrationTests {
    /// A copy of sql/ in a temporary folder, for tests that change files.
    private func copyOfMigrations() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sv-sql-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: projectRoot + "/sql", toPath: folder)
        return folder
    }

    @Test("every file is applied once and recorded with its checksum; a second run applies nothing")
    func appliesOnce() async throws {
        try await withTestDatabase { db, _ in
            let migrator = try Migrator(directory: projectRoot + "/sql")
            let first = try await migrator.migrate(db, logger: quietLogger)
            #expect(first == migrator.migrations.map(\.fileName))
            #expect(!first.isEmpty)
            #expect(try await migrator.migrate(db, logger: quietLogger).isEmpty)
            let recorded = try await db.query("SELECT file_name, length(sha256) AS len FROM schema_migration ORDER BY version")
            #expect(try recorded.map { try $0.decode("file_name", as: String.self) } == first)
            #expect(try recorded.allSatisfy { try $0.decode("len", as: Int.self) == 64 })
        }
    }

    @Test("several instances migrating at once apply each file exactly once")
    func concurrentMigrations() async throws {
        try await withTestDatabase(poolSize: 4) { db, _ in
            let migrator = try Migrator(directory: projectRoot + "/sql")
            let applied = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 { group.addTask { try await migrator.migrate(db, logger: quietLogger) } }
                return try await group.reduce([], +)
            }
            #expect(applied.sorted() == migrator.migrations.map(\.fileName).sorted())
        }
    }

    @Test("an applied file that has since changed is refused by name, and nothing more is applied")
    func changedFileRefused() async throws {
        let folder = try copyOfMigrations()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await withTestDatabase { db, _ in
            let original = try Migrator(directory: folder)
            try await original.migrate(db, logger: quietLogger)
            let first = try #require(original.migrations.first)
            try (first.sql + "\n-- edited\n").write(toFile: "\(folder)/\(first.fileName)", atomically: true, encoding: .utf8)
            try "CREATE TABLE should_not_exist (id int);\n".write(toFile: "\(folder)/9999_later.sql", atomically: true, encoding: .utf8)
            let edited = try Migrator(directory: folder)
            await #expect {
                try await edited.migrate(db, logger: quietLogger)
            } throws: { error in
                "\(error)".contains(first.fileName) && "\(error)".contains("changed after it was applied")
            }
            let table = try await db.query("SELECT to_regclass('should_not_exist') IS NULL AS absent")
            #expect(try table[0].decode("absent", as: Bool.self))
        }
    }

    @Test("a failing migration is rolled back whole and named")
    func failingMigrationRollsBack() async throws {
        let folder = try copyOfMigrations()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;\n".write(
            toFile: "\(folder)/9998_broken.sql",
            atomically: true,
            encoding: .utf8
        )
        try await withTestDatabase { db, _ in
            await #expect {
                try await Migrator(directory: folder).migrate(db, logger: quietLogger)
            } throws: { error in
                "\(error)".contains("9998_broken.sql") && "\(error)".contains("rolled back")
            }
            let table = try await db.query("SELECT to_regclass('half_done') IS NULL AS absent")
            #expect(try table[0].decode("absent", as: Bool.self))
            let recorded = try await db.query("SELECT count(*) AS n FROM schema_migration WHERE version = 9998")
            #expect(try recorded[0].decode("n", as: Int.self) == 0)
        }
    }

    @Test("a missing directory, a badly named file and a repeated number are refused with the path")
    func badDirectories() throws {
        #expect {
            try Migrator(directory: "/nonexistent/sql")
        } throws: { "\($0)".contains("/nonexistent/sql") && "\($0)".contains("not found") }
        let folder = try copyOfMigrations()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "SELECT 1;".write(toFile: "\(folder)/extra.sql", atomically: true, encoding: .utf8)
        #expect {
            try Migrator(directory: folder)
        } throws: { "\($0)".contains("extra.sql") && "\($0)".contains("NNNN_description.sql") }
        try FileManager.default.removeItem(atPath: "\(folder)/extra.sql")
        try "SELECT 1;".write(toFile: "\(folder)/0001_again.sql", atomically: true, encoding: .utf8)
        #expect {
            try Migrator(directory: folder)
        } throws: { "\($0)".contains("0001_again.sql") && "\($0)".contains("also used by") }
    }
}
