import Foundation
import Logging
import Postgres

/// A schema of its own for one test, in the throwaway cluster that `scripts/test` starts.
///
/// The cluster's connection string comes from `SV_TEST_DATABASE_URL`; a test run without it fails with a message
/// saying to use the test command (tests never fall back to a mock).
public struct TestDatabase: Sendable {
    public let schema: String
    public let connectionString: String

    public struct Missing: Error, CustomStringConvertible {
        public let description = "SV_TEST_DATABASE_URL is not set: run the tests with scripts/test, which starts a throwaway PostgreSQL"
    }

    /// The test cluster's connection string.
    public static func clusterConnectionString() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["SV_TEST_DATABASE_URL"], !url.isEmpty else { throw Missing() }
        return url
    }

    /// Creates a fresh schema and returns a database whose connections use it first on their search path.
    public static func create(label: String = "t") async throws -> TestDatabase {
        let url = try clusterConnectionString()
        let schema = "\(label)_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased())"
        try await withAdmin(url) { admin in try await admin.execute("CREATE SCHEMA \(identifier: schema)") }
        return TestDatabase(schema: schema, connectionString: url)
    }

    /// Pool settings pointing at this schema.
    public func configuration(
        poolSize: Int = 4,
        acquireTimeout: Duration = .seconds(10),
        statementTimeout: Duration? = .seconds(30)
    )
        -> PostgresConfiguration
    {
        PostgresConfiguration(
            connectionString: connectionString,
            overrides: [("options", "-c search_path=\(schema),public")],
            poolSize: poolSize,
            acquireTimeout: acquireTimeout,
            statementTimeout: statementTimeout
        )
    }

    /// A pool on this schema.
    public func client(
        poolSize: Int = 4,
        acquireTimeout: Duration = .seconds(10),
        statementTimeout: Duration? = .seconds(30)
    )
        -> PostgresClient
    {
        PostgresClient(
            configuration: configuration(poolSize: poolSize, acquireTimeout: acquireTimeout, statementTimeout: statementTimeout),
            logger: quietLogger
        )
    }

    /// Drops the schema and everything in it, then the roles a test made for it (`<schema>_svc`, `<schema>_own`).
    public func drop() async throws {
        try await Self.withAdmin(connectionString) { admin in
            try await admin.execute("DROP SCHEMA \(identifier: schema) CASCADE")
            for role in [schema + "_svc", schema + "_own"] {
                _ = try? await admin.execute("DROP ROLE IF EXISTS \(identifier: role)")
            }
        }
    }

    /// A one-connection pool on the cluster's default schema, shut down after `body`.
    public static func withAdmin(_ url: String, _ body: (PostgresClient) async throws -> Void) async throws {
        let admin = PostgresClient(configuration: PostgresConfiguration(connectionString: url, poolSize: 1), logger: quietLogger)
        do {
            try await body(admin)
        } catch {
            await admin.shutdown()
            throw error
        }
        await admin.shutdown()
    }
}

/// Runs `body` with a pool on a fresh schema, then shuts the pool and drops the schema.
public func withTestDatabase(
    poolSize: Int = 4,
    acquireTimeout: Duration = .seconds(10),
    statementTimeout: Duration? = .seconds(30),
    _ body: (PostgresClient, TestDatabase) async throws -> Void
) async throws {
    let database = try await TestDatabase.create()
    let client = database.client(poolSize: poolSize, acquireTimeout: acquireTimeout, statementTimeout: statementTimeout)
    do {
        try await body(client, database)
    } catch {
        await client.shutdown()
        try? await database.drop()
        throw error
    }
    await client.shutdown()
    try await database.drop()
}

public let quietLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    return logger
}()
