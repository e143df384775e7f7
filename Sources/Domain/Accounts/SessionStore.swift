import Foundation
import Postgres

/// How long sessions and stashed forms last.
public struct SessionPolicy: Sendable, Equatable {
    /// A session unused for this long has ended.
    public var idleTimeout: Duration = .seconds(30 * 60)
    /// A session this old has ended however busy it is.
    public var absoluteTimeout: Duration = .seconds(12 * 3600)
    /// How long a form posted after expiry waits for its author to sign in again.
    public var stashLifetime: Duration = .seconds(30 * 60)

    public init() {}
}

/// A signed-in browser: its user and the token its forms must carry.
public struct StaffSession: Sendable, Equatable {
    public let user: StaffUser
    public let csrfToken: String
    public let createdAt: Date
}

/// The server-side session and stashed-form statements. Only SHA-256 hashes of cookie ids and stash ids are stored.
public struct SessionStore: Sendable {
    let database: PostgresClient
    let policy: SessionPolicy
    let now: @Sendable () -> Date

    public init(database: PostgresClient, policy: SessionPolicy, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.policy = policy
        self.now = now
    }

    /// What a cookie id leads to.
    public enum Lookup: Sendable, Equatable {
        /// No such session (never issued, forged, ended by sign-out or a password change).
        case unknown
        /// A session that timed out: the user it belonged to and its CSRF token, so a form posted with it can be kept.
        case expired(userID: StaffUser.ID, csrfToken: String)
        /// A live session of an active user; its last-seen time has been moved to now.
        case active(StaffSession)
    }

    /// Starts a session for `userID` and returns the cookie id (the only copy of it). Callers end the browser's
    /// previous session first, so the id changes at sign-in.
    public func start(userID: StaffUser.ID) async throws -> String {
        let id = SecretToken.generate()
        let time = now()
        try await database.execute(
            """
            INSERT INTO staff_session (id_hash, user_id, csrf_token, created_at, last_seen_at)
            VALUES (\(PostgresBytes(Array(SecretToken.sha256(id)))), \(userID), \(SecretToken.generate()), \(time), \(time))
            """
        )
        return id
    }

    /// Finds the session for cookie id `id`, and marks it used.
    public func lookup(id: String) async throws -> Lookup {
        guard SecretToken.isWellFormed(id) else { return .unknown }
        var query: PostgresQuery = """
            SELECT s.csrf_token, s.created_at, s.last_seen_at, x.*
            FROM staff_session s JOIN (
            """
        query.append(AccountStore.userColumns)
        query.append(") x ON x.id = s.user_id WHERE s.id_hash = \(PostgresBytes(Array(SecretToken.sha256(id))))")
        guard let row = try await database.query(query).first else { return .unknown }
        let user = try AccountStore.user(from: row)
        let csrfToken: String = try row.decode("csrf_token")
        let createdAt: Date = try row.decode("created_at")
        let lastSeen: Date = try row.decode("last_seen_at")
        let time = now()
        if !user.active { return .unknown }
        if time.timeIntervalSince(lastSeen) >= policy.idleTimeout.seconds || time.timeIntervalSince(createdAt) >= policy.absoluteTimeout.seconds {
            return .expired(userID: user.id, csrfToken: csrfToken)
        }
        try await database.execute("UPDATE staff_session SET last_seen_at = \(time) WHERE id_hash = \(PostgresBytes(Array(SecretToken.sha256(id))))")
        return .active(StaffSession(user: user, csrfToken: csrfToken, createdAt: createdAt))
    }

    /// Ends the session with cookie id `id`, if there is one.
    public func end(id: String) async throws {
        guard SecretToken.isWellFormed(id) else { return }
        try await database.execute("DELETE FROM staff_session WHERE id_hash = \(PostgresBytes(Array(SecretToken.sha256(id))))")
    }

    /// Ends every session of `userID`.
    public func endAll(userID: StaffUser.ID) async throws {
        try await database.execute("DELETE FROM staff_session WHERE user_id = \(userID)")
    }

    /// Number of sessions `userID` has, live or expired.
    public func count(userID: StaffUser.ID) async throws -> Int {
        let rows = try await database.query("SELECT count(*)::int8 AS n FROM staff_session WHERE user_id = \(userID)")
        return try rows[0].decode("n", as: Int.self)
    }

    /// Deletes sessions and stashes that can no longer be used.
    public func removeExpired() async throws {
        let time = now()
        let idleCutoff = time.addingTimeInterval(-policy.idleTimeout.seconds)
        let absoluteCutoff = time.addingTimeInterval(-policy.absoluteTimeout.seconds)
        try await database.execute("DELETE FROM staff_session WHERE last_seen_at < \(idleCutoff) OR created_at < \(absoluteCutoff)")
        try await database.execute("DELETE FROM form_stash WHERE expires_at < \(time)")
    }

    // MARK: Forms posted after expiry

    /// Keeps `fields` posted to `path` by `userID` and returns the id that brings them back.
    public func stash(userID: StaffUser.ID, path: String, fields: [(String, String)]) async throws -> String {
        let id = SecretToken.generate()
        let json = try PostgresJSON(encoding: fields.map { [$0.0, $0.1] })
        try await database.execute(
            """
            INSERT INTO form_stash (id_hash, user_id, path, fields, expires_at)
            VALUES (\(PostgresBytes(Array(SecretToken.sha256(id)))), \(userID), \(path), \(json), \(now().addingTimeInterval(policy.stashLifetime.seconds)))
            """
        )
        return id
    }

    /// Takes back (and deletes) the fields stashed under `id` for `path`, if they belong to `userID` and have not expired.
    public func takeStash(id: String, userID: StaffUser.ID, path: String) async throws -> [(String, String)]? {
        guard SecretToken.isWellFormed(id) else { return nil }
        let rows = try await database.query(
            """
            DELETE FROM form_stash
            WHERE id_hash = \(PostgresBytes(Array(SecretToken.sha256(id)))) AND user_id = \(userID) AND path = \(path) AND expires_at > \(now())
            RETURNING fields::text AS fields
            """
        )
        guard let row = rows.first else { return nil }
        let text: String = try row.decode("fields")
        let pairs = try JSONDecoder().decode([[String]].self, from: Data(text.utf8))
        return pairs.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
    }
}

extension Duration {
    /// This duration in seconds, as a `TimeInterval`.
    package var seconds: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
