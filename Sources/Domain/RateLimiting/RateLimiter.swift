import Crypto
import Foundation
import Postgres

/// Counts attempts per client address in fixed windows, in PostgreSQL so the limit holds across restarts and
/// several instances. The address is stored only as an HMAC under a key from the service's secret that changes every
/// day (UTC), so a counter cannot be read back as an address, nor matched with another day's.
package struct RateLimiter: Sendable {
    let database: PostgresClient
    let secrets: LinkSecrets
    let bucket: String
    let limit: Int
    let window: TimeInterval

    package init(database: PostgresClient, secrets: LinkSecrets, bucket: String, limit: Int, window: TimeInterval) {
        self.database = database
        self.secrets = secrets
        self.bucket = bucket
        self.limit = limit
        self.window = window
    }

    /// What the table holds for `client` at `now`: hex of HMAC(day key, address).
    func stored(_ client: String, now: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        let parts = calendar.dateComponents([.year, .month, .day], from: now)
        let day = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
        let mac = HMAC<SHA256>.authenticationCode(for: Data(client.utf8), using: secrets.rateLimitKey(day: day))
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Records one attempt and returns false when the client is over the limit for the current window.
    package func allow(_ address: String, now: Date) async throws -> Bool {
        let client = stored(address, now: now)
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
    package func isBlocked(_ address: String, now: Date) async throws -> Bool {
        let client = stored(address, now: now)
        let start = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / window).rounded(.down) * window)
        let rows = try await database.query(
            "SELECT hits FROM rate_limit_hit WHERE bucket = \(bucket) AND client = \(client) AND window_start = \(start)"
        )
        return try (rows.first?.decode("hits", as: Int.self) ?? 0) >= limit
    }
}
