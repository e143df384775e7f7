import Foundation
import HummingbirdBcrypt
import NIOPosix
import Synchronization

/// Hashes and checks passwords with bcrypt on NIO's thread pool, never on the cooperative pool.
public struct PasswordHasher: Sendable {
    /// The bcrypt cost. The `BCRYPT_COST` variable cannot go below `AppConfiguration.minimumBcryptCost` (12); tests
    /// build a hasher with a lower cost directly.
    public let cost: UInt8

    public init(cost: UInt8) {
        self.cost = cost
    }

    /// The bcrypt hash of `password`.
    public func hash(_ password: String) async throws -> String {
        let cost = cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    /// Whether `password` matches `hash`. A malformed hash is a mismatch.
    public func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// Spends about as long as `verify` does, so an unknown email takes as long to refuse as a wrong password.
    public func verifyDummy(_ password: String) async throws {
        _ = try await verify(password, hash: dummyHash)
    }

    private var dummyHash: String {
        // A hash of a random string at this hasher's cost, made once per cost.
        PasswordHasher.dummyHashes.withLock { cache in
            if let hash = cache[cost] { return hash }
            let hash = Bcrypt.hash(SecretToken.generate(), cost: cost)
            cache[cost] = hash
            return hash
        }
    }

    private static let dummyHashes = Mutex<[UInt8: String]>([:])
}

/// The rules a new password must meet: 12 to 64 characters (and at most 72 bytes, bcrypt's limit), not on the list
/// of common passwords, not the person's email.
public struct PasswordPolicy: Sendable {
    public static let minimumLength = 12
    public static let maximumLength = 64
    static let maximumBytes = 72

    let commonPasswords: Set<String>

    /// Loads the common-passwords list: one password per line, compared case-insensitively; `#` lines are comments.
    /// A missing file is an error, so a deployment cannot silently run without the list.
    public static func load(path: String) throws -> PasswordPolicy {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw AppConfiguration.Invalid(
                description: "common-passwords list \(path) cannot be read (set COMMON_PASSWORDS_FILE, or run from the project folder)"
            )
        }
        let entries = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        return PasswordPolicy(commonPasswords: Set(entries))
    }

    public init(commonPasswords: Set<String>) {
        self.commonPasswords = Set(commonPasswords.map { $0.lowercased() })
    }

    /// Why `password` is refused, as a message for the page, or nil when it is acceptable.
    public func problem(with password: String, email: String?) -> String? {
        if password.isEmpty { return "Enter a password" }
        if password.count < Self.minimumLength { return "Password must be \(Self.minimumLength) characters or more" }
        if password.count > Self.maximumLength || password.utf8.count > Self.maximumBytes {
            return "Password must be \(Self.maximumLength) characters or fewer"
        }
        let lowered = password.lowercased()
        if commonPasswords.contains(lowered) || Set(lowered).count <= 2 {
            return "That password is too common. Choose one that is harder to guess, for example three random words"
        }
        if let email, lowered == email.lowercased() || lowered == email.lowercased().split(separator: "@").first.map(String.init) {
            return "Password must not be your email address"
        }
        return nil
    }
}
