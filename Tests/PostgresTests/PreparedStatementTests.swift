import Foundation
import Postgres
import Synchronization
import TestSupport
import Testing

/// What the server says it holds for the connection that runs this: the statement's executions, or nil when it holds
/// no prepared statement with that text.
private func executions(of sql: String, on connection: PostgresConnection) async throws -> Int? {
    let rows = try await connection.query(
        "SELECT (generic_plans + custom_plans)::int AS runs FROM pg_prepared_statements WHERE statement = \(sql)"
    )
    return try rows.first?.decode("runs", as: Int.self)
}

@Suite("Prepared statements: one per statement text and connection, reused, and prepared again when the server forgets them")
struct PreparedStatementTests {
    @Test("a statement run three times on a connection is prepared once and executed three times")
    func reused() async throws {
        try await withTestDatabase(poolSize: 1) { db, _ in
            let sql = "SELECT $1::int + 1 AS n"
            try await db.withConnection { connection throws in
                for value in 1...3 {
                    let rows = try await connection.query("SELECT \(value)::int + 1 AS n")
                    #expect(try rows[0].decode("n", as: Int.self) == value + 1)
                }
                #expect(try await executions(of: sql, on: connection) == 3)
                let copies = try await connection.query("SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = \(sql)")
                #expect(try copies[0].decode("n", as: Int.self) == 1)
            }
        }
    }

    @Test("a statement with a syntax error fails as before, leaves nothing prepared, and the connection goes on")
    func syntaxError() async throws {
        try await withTestDatabase(poolSize: 1) { db, _ in
            await #expect(throws: PostgresError.self) { try await db.query("SELEC 1") }
            try await db.withConnection { connection throws in
                #expect(try await executions(of: "SELEC 1", on: connection) == nil)
                #expect(try await connection.query("SELECT 2 AS n")[0].decode("n", as: Int.self) == 2)
            }
        }
    }

    @Test("after DEALLOCATE ALL, the next statement is prepared again and succeeds, outside a transaction")
    func deallocatedOutsideTransaction() async throws {
        try await withTestDatabase(poolSize: 1) { db, _ in
            try await db.execute("CREATE TABLE item (id int PRIMARY KEY)")
            try await db.withConnection { connection throws in
                try await connection.execute("INSERT INTO item VALUES (\(1))")
                try await connection.unsafeExecuteScript("DEALLOCATE ALL")
                try await connection.execute("INSERT INTO item VALUES (\(2))")
                #expect(try await executions(of: "INSERT INTO item VALUES ($1)", on: connection) == 1)
            }
            #expect(try await db.query("SELECT count(*)::int AS n FROM item")[0].decode("n", as: Int.self) == 2)
        }
    }

    @Test("after DISCARD ALL, statements already prepared on the connection run again")
    func discardAll() async throws {
        try await withTestDatabase(poolSize: 1) { db, _ in
            try await db.withConnection { connection throws in
                #expect(try await connection.query("SELECT \(20)::int + 1 AS n")[0].decode("n", as: Int.self) == 21)
                try await connection.unsafeExecuteScript("DISCARD ALL")
                #expect(try await connection.query("SELECT \(40)::int + 1 AS n")[0].decode("n", as: Int.self) == 41)
            }
        }
    }

    @Test("statements that vanish inside a transaction: the transaction runs again and its work is stored once")
    func deallocatedInsideTransaction() async throws {
        try await withTestDatabase(poolSize: 1) { db, _ in
            try await db.execute("CREATE TABLE item (id int PRIMARY KEY)")
            try await db.execute("INSERT INTO item VALUES (\(1))")
            try await db.withConnection { connection in try await connection.unsafeExecuteScript("DEALLOCATE ALL") }
            let attempts = Mutex(0)
            try await db.withTransaction { connection throws in
                attempts.withLock { $0 += 1 }
                try await connection.execute("INSERT INTO item VALUES (\(2))")
            }
            #expect(attempts.withLock { $0 } == 2)
            let ids = try await db.query("SELECT id FROM item ORDER BY id").map { try $0.decode("id", as: Int.self) }
            #expect(ids == [1, 2])
        }
    }

    @Test("a column added under a prepared SELECT *: the statement is prepared again and returns the new column")
    func schemaChange() async throws {
        try await withTestDatabase(poolSize: 1) { db, _ in
            try await db.execute("CREATE TABLE item (id int PRIMARY KEY)")
            try await db.execute("INSERT INTO item VALUES (\(1))")
            #expect(try await db.query("SELECT * FROM item")[0].columns.names == ["id"])
            try await db.execute("ALTER TABLE item ADD COLUMN label text NOT NULL DEFAULT 'x'")
            let rows = try await db.query("SELECT * FROM item")
            #expect(rows[0].columns.names == ["id", "label"])
            #expect(try rows[0].decode("label", as: String.self) == "x")
            // The same inside a transaction: it is rolled back and run again.
            try await db.execute("ALTER TABLE item ADD COLUMN size int")
            let names = try await db.withTransaction { connection in try await connection.query("SELECT * FROM item")[0].columns.names }
            #expect(names == ["id", "label", "size"])
        }
    }

    @Test("a connection whose statements vanish twice (a pooler in transaction mode) stops preparing and goes on working")
    func fallsBack() async throws {
        try await withTestDatabase(poolSize: 1) { db, _ in
            try await db.withConnection { connection throws in
                for round in 1...2 {
                    _ = try await connection.query("SELECT \(round)::int AS n")
                    try await connection.unsafeExecuteScript("DEALLOCATE ALL")
                }
                _ = try await connection.query("SELECT \(3)::int AS n")
                for value in 1...2 {
                    #expect(try await connection.query("SELECT \(value)::int * 7 AS n")[0].decode("n", as: Int.self) == value * 7)
                }
                #expect(try await executions(of: "SELECT $1::int * 7 AS n", on: connection) == nil)
            }
        }
    }

    @Test("a cache of three statements deallocates the least recently used one when a fourth comes")
    func bounded() async throws {
        let database = try await TestDatabase.create()
        var configuration = database.configuration(poolSize: 1)
        configuration.statementCacheCapacity = 3
        let db = PostgresClient(configuration: configuration, logger: quietLogger)
        func held(_ connection: PostgresConnection) async throws -> [String] {
            try await connection.query("SELECT statement FROM pg_prepared_statements ORDER BY statement")
                .map { try $0.decode("statement", as: String.self) }
        }
        do {
            try await db.withConnection { connection throws in
                _ = try await connection.query("SELECT 1 AS a")
                _ = try await connection.query("SELECT 2 AS b")
                // Full now: these two and the listing itself.
                #expect(try await held(connection).count == 3)
                _ = try await connection.query("SELECT 2 AS b")
                _ = try await connection.query("SELECT 3 AS c")
                let after = try await held(connection)
                #expect(after.count == 3)
                #expect(!after.contains("SELECT 1 AS a"))
                #expect(after.contains("SELECT 2 AS b"))
                #expect(after.contains("SELECT 3 AS c"))
            }
        } catch {
            await db.shutdown()
            try? await database.drop()
            throw error
        }
        await db.shutdown()
        try await database.drop()
    }

    @Test("with a statement cache of 0 nothing is prepared and statements run as before")
    func disabled() async throws {
        let database = try await TestDatabase.create()
        var configuration = database.configuration(poolSize: 1)
        configuration.statementCacheCapacity = 0
        let db = PostgresClient(configuration: configuration, logger: quietLogger)
        do {
            try await db.withConnection { connection throws in
                #expect(try await connection.query("SELECT \(5)::int AS n")[0].decode("n", as: Int.self) == 5)
                let held = try await connection.query("SELECT count(*)::int AS n FROM pg_prepared_statements")
                #expect(try held[0].decode("n", as: Int.self) == 0)
            }
        } catch {
            await db.shutdown()
            try? await database.drop()
            throw error
        }
        await db.shutdown()
        try await database.drop()
    }

    @Test("bytea goes as a binary parameter and comes back byte for byte, every byte value, empty and 64 KiB")
    func byteaBinary() async throws {
        try await withTestDatabase(poolSize: 1) { db, _ in
            try await db.execute("CREATE TABLE blob (id int PRIMARY KEY, data bytea)")
            let all = (0...255).map(UInt8.init)
            let large = (0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            for (id, bytes) in [(1, all), (2, []), (3, large), (4, [0, 0, 0])] {
                try await db.execute("INSERT INTO blob VALUES (\(id), \(PostgresBytes(bytes)))")
                let row = try await db.query("SELECT data, length(data) AS n, md5(data) AS digest FROM blob WHERE id = \(id)")[0]
                #expect(try row.decode("data", as: PostgresBytes.self).bytes == bytes)
                #expect(try row.decode("n", as: Int.self) == bytes.count)
            }
            try await db.execute("INSERT INTO blob VALUES (\(5), \(PostgresBytes?.none))")
            #expect(try await db.query("SELECT data FROM blob WHERE id = 5")[0].decode("data", as: PostgresBytes?.self) == nil)
            // The server received the bytes, not their hex text: its own literal compares equal.
            let equal = try await db.query("SELECT data = '\\x000102'::bytea AS same FROM blob WHERE id = \(1)")
            #expect(try equal[0].decode("same", as: Bool.self) == false)
            let prefix = try await db.query("SELECT substring(data FROM 1 FOR 3) = '\\x000102'::bytea AS same FROM blob WHERE id = \(1)")
            #expect(try prefix[0].decode("same", as: Bool.self))
            // A bytea column read as text gives its hex form, as before.
            #expect(try await db.query("SELECT data FROM blob WHERE id = 4")[0].decode("data", as: String.self) == "\\x000000")
        }
    }
}

/// Through a real pooler in transaction mode (PgBouncer before 1.21 knows nothing of prepared statements, so a
/// statement prepared through one server session is missing from the next): `scripts/test-pooler` starts one in front
/// of the test cluster and sets `SV_TEST_POOLER_URL`; without it these tests are skipped.
@Suite(
    "Prepared statements through PgBouncer in transaction mode",
    .enabled(if: ProcessInfo.processInfo.environment["SV_TEST_POOLER_URL"] != nil, "run by scripts/test-pooler")
)
struct PoolerTests {
    @Test("statements and transactions from eight connections over two server sessions all succeed, each stored once")
    func transactionMode() async throws {
        let url = ProcessInfo.processInfo.environment["SV_TEST_POOLER_URL"] ?? ""
        let schema = "pooler_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased())"
        let table = "\(schema).item"
        // The pooler does not pass `options` through: statements name the schema.
        let db = PostgresClient(configuration: PostgresConfiguration(connectionString: url, poolSize: 8), logger: quietLogger)
        do {
            try await db.execute("CREATE SCHEMA \(identifier: schema)")
            try await db.execute("CREATE TABLE \(unsafeRaw: table) (id int PRIMARY KEY, label text NOT NULL)")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 1...200 {
                    group.addTask {
                        if n % 2 == 0 {
                            try await db.execute("INSERT INTO \(unsafeRaw: table) VALUES (\(n), \("single"))")
                        } else {
                            try await db.withTransaction { connection throws in
                                try await connection.execute("INSERT INTO \(unsafeRaw: table) VALUES (\(n), \("in a transaction"))")
                                let rows = try await connection.query("SELECT label FROM \(unsafeRaw: table) WHERE id = \(n)")
                                #expect(try rows[0].decode("label", as: String.self) == "in a transaction")
                            }
                        }
                        _ = try await db.query("SELECT count(*) AS n FROM \(unsafeRaw: table) WHERE id <= \(n)")
                    }
                }
                try await group.waitForAll()
            }
            let count = try await db.query("SELECT count(*)::int AS n FROM \(unsafeRaw: table)")[0].decode("n", as: Int.self)
            #expect(count == 200)
            try await db.execute("DROP SCHEMA \(identifier: schema) CASCADE")
        } catch {
            _ = try? await db.execute("DROP SCHEMA \(identifier: schema) CASCADE")
            await db.shutdown()
            throw error
        }
        await db.shutdown()
    }
}
