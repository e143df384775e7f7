import Postgres

/// The health check's question to the database, so that `/healthz` runs no SQL of its own.
package enum DatabaseHealth {
    /// Returns when the database answers a trivial query; throws what the pool or the server threw otherwise.
    package static func check(_ database: PostgresClient) async throws {
        _ = try await database.query("SELECT 1")
    }
}
