import Foundation
import Logging
import Postgres

/// The Swift side of `scripts/bench-db`: the same work pgbench and `psql \copy` do, through our libpq layer.
public enum DatabaseBenchmark {
    /// Runs single-row INSERT transactions (autocommit) from `clients` concurrent tasks for `duration`, each on its own
    /// pooled connection, and returns transactions per second. The statement matches the pgbench script in
    /// scripts/bench-db: `INSERT INTO bench_insert (v, payload) VALUES ($1, 'x')` with a random `v`.
    public static func inserts(connectionString: String, clients: Int, duration: Duration, logger: Logger) async throws -> Double {
        let client = PostgresClient(
            configuration: PostgresConfiguration(connectionString: connectionString, poolSize: clients, statementTimeout: nil),
            logger: logger
        )
        // Every lease is observed for the pool metrics, as in `serve`, so the figure includes their cost.
        client.observe(with: AppMetrics().poolObserver)
        // Open every connection before timing, as pgbench reports tps "without initial connection time".
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<clients { group.addTask { try await client.execute("SELECT pg_sleep(0.05)") } }
            try await group.waitForAll()
        }
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + duration
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    var generator = SystemRandomNumberGenerator()
                    var count = 0
                    while clock.now < deadline {
                        let value = Int.random(in: 1...1_000_000, using: &generator)
                        try await client.execute("INSERT INTO bench_insert (v, payload) VALUES (\(value), 'x')")
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = clock.now - start
        await client.shutdown()
        return Double(total) / elapsed.seconds
    }

    /// Streams `file` into `COPY table FROM STDIN (FORMAT csv)` in 64 KiB reads and returns rows per second.
    public static func copy(connectionString: String, file: String, table: String, logger: Logger) async throws -> (rows: Int, perSecond: Double) {
        guard let handle = FileHandle(forReadingAtPath: file) else {
            throw BenchmarkError(description: "cannot open \(file)")
        }
        defer { try? handle.close() }
        let client = PostgresClient(
            configuration: PostgresConfiguration(connectionString: connectionString, poolSize: 1, statementTimeout: nil),
            logger: logger
        )
        _ = try await client.query("SELECT 1")
        let clock = ContinuousClock()
        let start = clock.now
        let rows = try await client.withConnection { connection in
            try await PostgresConnection.copyFrom("COPY \(identifier: table) FROM STDIN (FORMAT csv)", into: connection) { writer in
                while let chunk = try handle.read(upToCount: 64 * 1024), !chunk.isEmpty {
                    try await writer.write(chunk)
                }
            }
        }
        let elapsed = clock.now - start
        await client.shutdown()
        return (rows, Double(rows) / elapsed.seconds)
    }

    struct BenchmarkError: Error, CustomStringConvertible {
        let description: String
    }

}
