import Foundation
import Postgres

/// Counts attempts per client address in fixed windows, in PostgreSQL so the limit holds across restarts and
/// several instances.
struct RateLimiter: Sendable {
    let database: PostgresClient
    let bucket: String
    let limit: Int
    let window: TimeInterval

    /// Records one attempt and returns false when the client is over the limit for the current window.
    func allow(_ client: String, now: Date) async throws -> Bool {
        let start = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / window).rounded(.down) * window)
        let rows = try await database.query(
            """
            INSERT INTO rate_limit_hit (bucket, client, window_start, hits) VALUES (\(bucket), \(client), \(start), 1)
            ON CONFLICT (bucket, client, window_start) DO UPDATE SET hits = rate_limit_hit.hits + 1
            RETURNING hits
            """
        )
        return try rows[0].decode("hits", as: Int.self) <= limit
    }

    /// True when the client is already over the limit, without recording an attempt.
    func isBlocked(_ client: String, now: Date) async throws -> Bool {
        let start = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / window).rounded(.down) * window)
        let rows = try await database.query(
            "SELECT hits FROM rate_limit_hit WHERE bucket = \(bucket) AND client = \(client) AND window_start = \(start)"
        )
        return try (rows.first?.decode("hits", as: Int.self) ?? 0) >= limit
    }
}
