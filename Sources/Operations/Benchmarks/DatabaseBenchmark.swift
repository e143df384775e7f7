import Domain
import Foundation
import Logging
import NIOCore
import NIOPosix
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

    /// Where a statement's time goes between the caller and libpq, from one client, one statement at a time, for
    /// `duration` each: microseconds per `SELECT $1::int` through the pool as prepared statements, the same with the
    /// statement cache off (parsed and planned every time), and per call of an empty method on an actor whose executor
    /// is a one-thread event loop, as `PostgresConnection`'s is (the thread hop there and back, with no libpq call).
    /// scripts/bench-db sets these beside pgbench's latency for the same statement from one client.
    public static func latency(
        connectionString: String,
        duration: Duration,
        logger: Logger
    ) async throws -> (
        prepared: Double, unnamed: Double, hop: Double
    ) {
        func statements(cache: Int) async throws -> Double {
            let client = PostgresClient(
                configuration: PostgresConfiguration(
                    connectionString: connectionString,
                    poolSize: 1,
                    statementTimeout: nil,
                    statementCacheCapacity: cache
                ),
                logger: logger
            )
            client.observe(with: AppMetrics().poolObserver)
            _ = try await client.query("SELECT \(0)::int AS n")
            let clock = ContinuousClock()
            let start = clock.now
            let deadline = start + duration
            var count = 0
            while clock.now < deadline {
                _ = try await client.query("SELECT \(count)::int AS n")
                count += 1
            }
            let elapsed = clock.now - start
            await client.shutdown()
            return elapsed.seconds / Double(count) * 1_000_000
        }
        let prepared = try await statements(cache: 256)
        let unnamed = try await statements(cache: 0)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let probe = HopProbe(loop: group.next())
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + duration
        var calls = 0
        while clock.now < deadline {
            calls = await probe.touch(calls)
        }
        let hop = (clock.now - start).seconds / Double(calls) * 1_000_000
        try await group.shutdownGracefully()
        return (prepared, unnamed, hop)
    }

    /// An actor on its own one-thread event loop, as `PostgresConnection` is, with nothing to do.
    private actor HopProbe {
        private let loop: any EventLoop
        nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }
        init(loop: any EventLoop) { self.loop = loop }
        func touch(_ value: Int) -> Int { value + 1 }
    }

    struct BenchmarkError: Error, CustomStringConvertible {
        let description: String
    }

}
