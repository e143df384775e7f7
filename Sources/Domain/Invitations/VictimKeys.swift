import Crypto
import Foundation

/// The keys behind a victim's second secret, the **resume code**: 12 characters of Crockford base 32 (60 random bits),
/// shown to the victim on screen and never stored. The letter (link or access code) starts a questionnaire; only the
/// resume code opens answers saved under it, and withdraws answers sent with it (docs/privacy.md).
extension LinkSecrets {
    /// Characters in a resume code (shown as `ABCD-EFGH-JKMN`).
    public static let resumeCodeLength = 12

    /// A new random resume code (no separators).
    public static func newResumeCode() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return base32(bytes, characters: resumeCodeLength)
    }

    /// What a person typed as a resume code, normalised like an access code; nil unless it has 12 characters.
    public static func normalise(resumeCode input: String) -> String? {
        normalise(input, length: resumeCodeLength)
    }

    /// `ABCD-EFGH-JKMN`, for screens.
    public static func display(resumeCode code: String) -> String {
        guard code.count == resumeCodeLength else { return code }
        let characters = Array(code)
        return [0, 4, 8].map { String(characters[$0..<$0 + 4]) }.joined(separator: "-")
    }

    /// The id a draft saved under `secret` is stored by (a keyed hash: the database cannot tell it from random).
    func draftID(_ secret: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Data("draft-id:\(secret)".utf8), using: key))
    }

    /// The key a draft saved under `secret` is sealed with: from the service's key and the secret together, so neither
    /// the database with the service's key nor someone with only the letter can open it.
    func draftKey(_ secret: String) -> SymmetricKey {
        key.withUnsafeBytes { service in
            HKDF<SHA256>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: Array(service) + Array("draft:\(secret)".utf8)),
                info: Data("stakeholder-views victim draft".utf8),
                outputByteCount: 32
            )
        }
    }

    /// The tag a response sent under `secret` carries while it can be withdrawn.
    public func withdrawalTag(_ secret: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Data("withdraw:\(secret)".utf8), using: key))
    }

    /// The key the ballot box seals submitted answers with until their release.
    var ballotKey: SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Data("stakeholder-views ballot box seal".utf8), outputByteCount: 32)
    }

    /// The key a draft saved in clear before the ballot box (migration 0070) is sealed with, per link. Only the victim
    /// session that was open at the upgrade opens it (docs/privacy.md, "Migration").
    func legacyDraftKey(invitationID: Int) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: key,
            info: Data("stakeholder-views legacy draft \(invitationID)".utf8),
            outputByteCount: 32
        )
    }

    /// The id a legacy draft of `invitationID` is stored by.
    func legacyDraftID(invitationID: Int) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Data("legacy-draft-id:\(invitationID)".utf8), using: key))
    }

    /// The key rate-limit counters hash client addresses with on `day` (UTC, `yyyy-mm-dd`): a new key each day, so a
    /// counter's address cannot be matched to another day's.
    func rateLimitKey(day: String) -> SymmetricKey {
        SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Data("rate-limit:\(day)".utf8), using: key)))
    }
}
