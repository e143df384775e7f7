import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Makes questionnaire tokens and access codes, and the keyed hashes the database keeps instead of them.
///
/// - The **token** (in the link) is 128 random bits from the system's CSPRNG, written in Crockford base 32.
/// - The **access code** (typed from a letter or read out on the phone) is derived from the token with an HMAC under
///   the service's link secret: 10 characters of Crockford base 32 (50 bits), shown as `ABCDE-FGHJK`. Deriving it
///   means whoever holds either the link or the code can reach the same invitation, and the code can be recomputed
///   from the token when a victim arrives by link.
/// - The database keeps SHA-256 of the token, an HMAC of the code for look-up, and, on a submitted response, a
///   different HMAC of the code as its withdrawal key. Without the code and the secret, no column joins a response
///   to its invitation.
public struct LinkSecrets: Sendable {
    let key: SymmetricKey

    /// Crockford's base 32: no I, L, O or U, so codes read aloud without ambiguity.
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    public static let codeLength = 10

    /// `secret` must be at least 32 bytes.
    public init(secret: [UInt8]) {
        precondition(secret.count >= 32, "the link secret must be at least 32 bytes")
        key = SymmetricKey(data: secret)
    }

    /// A new random token for a link.
    public static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return base32(bytes, characters: 26).lowercased()
    }

    /// The access code that belongs to `token` (10 characters, no separator).
    public func code(for token: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("code:\(token)".utf8), using: key)
        return Self.base32(Array(mac), characters: Self.codeLength)
    }

    /// What the database keeps to find an invitation by its token.
    public static func tokenHash(_ token: String) -> [UInt8] {
        Array(SHA256.hash(data: Data("link:\(token)".utf8)))
    }

    /// What the database keeps to find an invitation by its access code (normalised first).
    public func codeHash(_ code: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Data("lookup:\(code)".utf8), using: key))
    }

    /// The key a submitted response is stored under so that the holder of the code can withdraw it.
    public func withdrawalKey(_ code: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Data("withdraw:\(code)".utf8), using: key))
    }

    /// Normalises what a person typed: capitals, no spaces or hyphens, O read as 0 and I or L as 1. Nil when the
    /// result is not a well-formed code.
    public static func normalise(code input: String) -> String? {
        normalise(input, length: codeLength)
    }

    /// What a person typed as `length` Crockford characters (an access code or a resume code), read as `normalise(code:)`
    /// says; nil unless exactly `length` remain.
    static func normalise(_ input: String, length: Int) -> String? {
        var out = ""
        for character in input.uppercased() {
            switch character {
            case " ", "-", "\u{00A0}", "\t": continue
            case "O": out.append("0")
            case "I", "L": out.append("1")
            default:
                guard alphabet.contains(character) else { return nil }
                out.append(character)
            }
            if out.count > length { return nil }
        }
        return out.count == length ? out : nil
    }

    /// True for text shaped like a token (26 base-32 characters), before any database look-up.
    public static func isWellFormed(token: String) -> Bool {
        token.count == 26 && token.uppercased().allSatisfy { alphabet.contains($0) }
    }

    /// `ABCDE-FGHJK`, for letters and screens.
    public static func display(code: String) -> String {
        guard code.count == codeLength else { return code }
        return String(code.prefix(5)) + "-" + String(code.suffix(5))
    }

    /// Reads `LINK_SECRET` (64 hex digits or more), or the file `DATA_DIR/link-secret`, creating it with a new random
    /// secret when neither exists. Several instances must share one secret: set LINK_SECRET for them.
    ///
    /// The file is created with `O_CREAT | O_EXCL` and mode 0600 (two processes starting at once cannot both write
    /// one, and a file or link planted at the path is never followed or overwritten), and refused when it can be read
    /// or written by anyone but its owner, or is not a regular file: the message names the file and the `chmod`.
    public static func load(environment: [String: String], dataDirectory: String) throws -> LinkSecrets {
        if let hex = environment["LINK_SECRET"], !hex.isEmpty {
            guard let bytes = decodeHex(hex), bytes.count >= 32 else {
                throw SecretError(description: "LINK_SECRET must be at least 64 hexadecimal digits (32 bytes)")
            }
            return LinkSecrets(secret: bytes)
        }
        let path = dataDirectory + "/link-secret"
        if let bytes = try readSecretFile(path) { return LinkSecrets(secret: bytes) }
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw SecretError(description: "cannot create \(dataDirectory) for the link secret: \(error.localizedDescription)")
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if descriptor < 0 {
            // Another process created it a moment ago: use theirs.
            if errno == EEXIST, let bytes = try readSecretFile(path) { return LinkSecrets(secret: bytes) }
            throw SecretError(description: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        // The mode asked for is narrowed by the umask, never widened; fchmod makes it exactly 0600.
        fchmod(descriptor, 0o600)
        let text = Array(bytes.map { String(format: "%02x", $0) }.joined().utf8)
        let written = text.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == text.count, synced == 0 else {
            unlink(path)
            throw SecretError(description: "cannot write \(path)")
        }
        return LinkSecrets(secret: bytes)
    }

    /// The secret in `path`, nil when there is no such file. Throws when the file's mode lets anyone but its owner in,
    /// when it is not a regular file, or when it holds no secret.
    static func readSecretFile(_ path: String) throws -> [UInt8]? {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw SecretError(description: "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw SecretError(description: "\(path) is not a regular file (a link or a folder?): remove it, or set LINK_SECRET")
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw SecretError(
                description: "\(path) has mode \(String(mode, radix: 8)), so others on this machine may read the link secret: "
                    + "run `chmod 600 \(path)` (and consider who may have read it), or set LINK_SECRET from a secret store"
            )
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8),
            let bytes = decodeHex(text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count >= 32
        else { throw SecretError(description: "\(path) does not hold a link secret of 64 hexadecimal digits") }
        return bytes
    }

    struct SecretError: Error, CustomStringConvertible {
        let description: String
    }

    static func decodeHex(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
            index += 2
        }
        return bytes
    }

    /// The first `characters` × 5 bits of `bytes`, in Crockford base 32.
    static func base32(_ bytes: [UInt8], characters: Int) -> String {
        var out = ""
        var buffer = 0
        var bits = 0
        var index = 0
        while out.count < characters {
            if bits < 5 {
                buffer = (buffer << 8) | Int(index < bytes.count ? bytes[index] : 0)
                index += 1
                bits += 8
            }
            bits -= 5
            out.append(alphabet[(buffer >> bits) & 31])
        }
        return out
    }
}
