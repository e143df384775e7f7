import Foundation
import Postgres

/// Limits on failed sign-ins, kept in PostgreSQL so they hold across restarts and instances.
public struct ThrottlePolicy: Sendable, Equatable {
    /// Failures on one account before each further failure locks it.
    public var accountFreeFailures = 5
    /// The first lock; each further failure doubles it, up to `accountMaximumDelay`.
    public var accountBaseDelay: Duration = .seconds(30)
    public var accountMaximumDelay: Duration = .seconds(15 * 60)
    /// Failures from one client address allowed in `addressWindow`; more locks the address until the window ends.
    public var addressLimit = 50
    public var addressWindow: Duration = .seconds(15 * 60)

    public init() {}
}

/// Counts failed sign-ins per account and per client address and says when to refuse without checking the password.
public struct SignInThrottle: Sendable {
    let database: PostgresClient
    let policy: ThrottlePolicy
    let now: @Sendable () -> Date

    public init(database: PostgresClient, policy: ThrottlePolicy, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.policy = policy
        self.now = now
    }

    /// The account key: a SHA-256 of the normalised email, so the table holds no emails (known or not).
    static func accountKey(_ email: String) -> String {
        SecretToken.sha256(AccountStore.normalise(email)).map { String(format: "%02x", $0) }.joined()
    }

    /// When sign-in is allowed again for this email or address; nil when it is allowed now.
    public func lockedUntil(email: String, address: String) async throws -> Date? {
        let rows = try await database.query(
            """
            SELECT max(locked_until) AS until FROM sign_in_throttle
            WHERE ((scope = 'account' AND key = \(Self.accountKey(email))) OR (scope = 'address' AND key = \(address)))
              AND locked_until > \(now())
            """
        )
        return try rows.first?.decode("until", as: Date?.self)
    }

    /// Counts a failure for the email and the address, locking either when it passes its limit.
    public func recordFailure(email: String, address: String) async throws {
        let time = now()
        let base = policy.accountBaseDelay.seconds
        let maximum = policy.accountMaximumDelay.seconds
        // failures beyond the free ones lock the account for base * 2^(n - free - 1), capped.
        try await database.execute(
            """
            INSERT INTO sign_in_throttle AS t (scope, key, failures, window_started_at, locked_until)
            VALUES ('account', \(Self.accountKey(email)), 1, \(time), NULL)
            ON CONFLICT (scope, key) DO UPDATE SET
                failures = t.failures + 1,
                locked_until = CASE WHEN t.failures + 1 > \(policy.accountFreeFailures)
                    THEN \(time)::timestamptz + make_interval(secs => least(\(maximum)::float8,
                        \(base)::float8 * power(2, least(t.failures - \(policy.accountFreeFailures), 30))))
                    ELSE NULL END
            """
        )
        let windowStart = time.addingTimeInterval(-policy.addressWindow.seconds)
        try await database.execute(
            """
            INSERT INTO sign_in_throttle AS t (scope, key, failures, window_started_at, locked_until)
            VALUES ('address', \(address), 1, \(time), NULL)
            ON CONFLICT (scope, key) DO UPDATE SET
                failures = CASE WHEN t.window_started_at < \(windowStart) THEN 1 ELSE t.failures + 1 END,
                window_started_at = CASE WHEN t.window_started_at < \(windowStart) THEN \(time) ELSE t.window_started_at END,
                locked_until = CASE WHEN t.window_started_at >= \(windowStart) AND t.failures + 1 >= \(policy.addressLimit)
                    THEN t.window_started_at + make_interval(secs => \(policy.addressWindow.seconds)::float8) ELSE NULL END
            """
        )
    }

    /// Forgets the failures of the account after a successful sign-in (the address keeps its count).
    public func recordSuccess(email: String) async throws {
        try await database.execute("DELETE FROM sign_in_throttle WHERE scope = 'account' AND key = \(Self.accountKey(email))")
    }
}
