import Crypto
import Forms
import Foundation
import Postgres

/// A victim's browser session while answering: found from the cookie's random id, of which only a hash is stored.
public struct VictimSession: Sendable {
    public let invitationID: Int
    public let csrfToken: String
    public var language: Language
    /// The victim's resume code (or, for a session open at the upgrade to the ballot box, its access code), unsealed
    /// with the cookie's id: the key to their draft and their withdrawal.
    public let secret: String
}

/// Victim sessions in PostgreSQL. Short-lived: an hour from the last request (DOMAIN.md §7: short timeout).
public struct VictimSessionStore: Sendable {
    let database: PostgresClient
    public static let idleTimeout: TimeInterval = 60 * 60
    public static let cookieName = "sv_q"

    public init(database: PostgresClient) {
        self.database = database
    }

    /// Starts a session for an invitation and returns the cookie value.
    public func start(invitationID: Int, secret: String, language: Language, now: Date) async throws -> String {
        let cookie = SecretToken.generate()
        let csrf = SecretToken.generate()
        let sealed = try AES.GCM.seal(Data(secret.utf8), using: Self.sealingKey(cookie)).combined ?? Data()
        try await database.execute(
            """
            INSERT INTO victim_session (id_hash, invitation_id, secret_sealed, csrf_token, language, expires_at)
            VALUES (\(PostgresBytes(Self.hash(cookie))), \(invitationID), \(PostgresBytes(Array(sealed))), \(csrf),
                    \(language.rawValue), \(now.addingTimeInterval(Self.idleTimeout)))
            """
        )
        return cookie
    }

    /// The live session for a cookie value, extending its life; nil when unknown or expired.
    public func find(cookie: String, now: Date) async throws -> VictimSession? {
        try await findWithInvitation(cookie: cookie, now: now)?.session
    }

    /// The live session for a cookie value, extending its life, with its invitation read in the same statement (one
    /// round trip for what every questionnaire page needs first); nil when the session is unknown or expired.
    public func findWithInvitation(cookie: String, now: Date) async throws -> (session: VictimSession, invitation: InvitationAccess?)? {
        guard SecretToken.isWellFormed(cookie) else { return nil }
        let rows = try await database.query(
            """
            WITH s AS (
                UPDATE victim_session SET expires_at = \(now.addingTimeInterval(Self.idleTimeout))
                WHERE id_hash = \(PostgresBytes(Self.hash(cookie))) AND expires_at > \(now)
                RETURNING invitation_id, secret_sealed, csrf_token, language AS session_language
            )
            SELECT s.invitation_id, s.secret_sealed, s.csrf_token, s.session_language,
                   i.id, i.inspection_id, i.provider_id, i.language, i.status, i.form_id, n.victim_window_opens_on,
                   n.victim_window_closes_on
            FROM s LEFT JOIN invitation i ON i.id = s.invitation_id LEFT JOIN inspection n ON n.id = i.inspection_id
            """
        )
        guard let row = rows.first else { return nil }
        let sealed = try row.decode("secret_sealed", as: PostgresBytes.self)
        guard let box = try? AES.GCM.SealedBox(combined: Data(sealed.bytes)),
            let opened = try? AES.GCM.open(box, using: Self.sealingKey(cookie)),
            let code = String(data: opened, encoding: .utf8)
        else { return nil }
        let session = VictimSession(
            invitationID: try row.decode("invitation_id"),
            csrfToken: try row.decode("csrf_token"),
            language: Language(rawValue: try row.decode("session_language")) ?? .en,
            secret: code
        )
        let invitation = row.isNull("id") ? nil : try InvitationAccess(row: row)
        return (session, invitation)
    }

    /// Remembers the language the person chose.
    public func setLanguage(cookie: String, _ language: Language) async throws {
        try await database.execute(
            "UPDATE victim_session SET language = \(language.rawValue) WHERE id_hash = \(PostgresBytes(Self.hash(cookie)))"
        )
    }

    /// Ends a session (the "Exit this page" control, or withdrawal).
    public func end(cookie: String) async throws {
        try await database.execute("DELETE FROM victim_session WHERE id_hash = \(PostgresBytes(Self.hash(cookie)))")
    }

    /// Deletes expired sessions; returns how many.
    @discardableResult
    public func purgeExpired(now: Date) async throws -> Int {
        try await database.execute("DELETE FROM victim_session WHERE expires_at <= \(now)")
    }

    static func hash(_ cookie: String) -> [UInt8] {
        Array(SHA256.hash(data: Data("victim-session:\(cookie)".utf8)))
    }

    static func sealingKey(_ cookie: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(cookie.utf8)),
            info: Data("stakeholder-views victim session code".utf8),
            outputByteCount: 32
        )
    }
}
