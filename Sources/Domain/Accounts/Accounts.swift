import Foundation
import Postgres

/// The staff-accounts capability: its stores, rules and settings (built from `AppDependencies` in `Web`).
public struct Accounts: Sendable {
    public let store: AccountStore
    public let sessions: SessionStore
    public let throttle: SignInThrottle
    public let audit: AuditLog
    public let hasher: PasswordHasher
    public let passwordPolicy: PasswordPolicy
    public let cookieSecure: Bool
    public let trustForwardedFor: Bool

    /// The session cookie's name.
    public static let sessionCookie = "sv_session"
    /// The cookie holding the CSRF token of forms shown before sign-in.
    public static let preSessionCookie = "sv_presession"
    /// The hidden field every staff form carries.
    public static let csrfField = "csrf_token"

    public init(
        configuration: AppConfiguration,
        database: PostgresClient,
        passwordPolicy: PasswordPolicy,
        throttlePolicy: ThrottlePolicy,
        now: @escaping @Sendable () -> Date
    ) {
        var sessionPolicy = SessionPolicy()
        sessionPolicy.idleTimeout = configuration.sessionIdleTimeout
        sessionPolicy.absoluteTimeout = configuration.sessionAbsoluteTimeout
        store = AccountStore(database: database, now: now)
        sessions = SessionStore(database: database, policy: sessionPolicy, now: now)
        throttle = SignInThrottle(database: database, policy: throttlePolicy, now: now)
        audit = AuditLog(database: database, now: now)
        hasher = PasswordHasher(cost: UInt8(clamping: configuration.bcryptCost))
        self.passwordPolicy = passwordPolicy
        cookieSecure = configuration.cookieSecure
        trustForwardedFor = configuration.trustForwardedFor
    }

    /// What a sign-in attempt came to.
    public enum SignInOutcome: Sendable, Equatable {
        /// Signed in: the new session's cookie id.
        case signedIn(StaffUser, sessionID: String)
        /// Wrong email or password, or a disabled account: one message for all.
        case refused
        /// Too many failures for this account or address; try again after the date.
        case throttled(until: Date)
    }

    /// Checks the email and password (bcrypt on the thread pool), applies throttling, records the attempt in the
    /// audit log, and on success starts a new session. The caller ends the browser's previous session.
    public func signIn(email: String, password: String, address: String) async throws -> SignInOutcome {
        let email = AccountStore.normalise(email)
        if let until = try await throttle.lockedUntil(email: email, address: address) {
            try await audit.record(.signInThrottled, actor: AuditActor(userID: nil, address: address))
            return .throttled(until: until)
        }
        let credentials = try await store.credentials(email: email)
        var matched = false
        if let credentials {
            matched = try await hasher.verify(password, hash: credentials.passwordHash)
        } else {
            try await hasher.verifyDummy(password)
        }
        guard let credentials, matched, credentials.user.active else {
            try await throttle.recordFailure(email: email, address: address)
            let reason = credentials == nil ? "unknown_account" : (matched ? "account_disabled" : "wrong_password")
            try await audit.record(
                .signInFailed,
                actor: AuditActor(userID: nil, address: address),
                subject: credentials.map { .user($0.user.id) },
                details: ["reason": .code(reason)]
            )
            return .refused
        }
        try await throttle.recordSuccess(email: email)
        try await sessions.removeExpired()
        let sessionID = try await sessions.start(userID: credentials.user.id)
        try await audit.record(
            .signInSucceeded,
            actor: AuditActor(userID: credentials.user.id, address: address),
            subject: .user(credentials.user.id)
        )
        return .signedIn(credentials.user, sessionID: sessionID)
    }
}
