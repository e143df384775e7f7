import Crypto
import Foundation

/// The sealed copy of an access code that lets a VLO print a reminder letter with the same code (issue 20 item 5).
///
/// The code is sealed with AES-GCM under a key derived from the service key, with the link's code hash as associated
/// data, so a sealed code moved to another row does not open. The database clears it as soon as the link can no longer
/// be answered (migration 0100's trigger), so it never outlives the link's use; docs/privacy.md says who can open it.
extension LinkSecrets {
    /// The key reminder codes are sealed with.
    var reminderKey: SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Data("stakeholder-views reminder code".utf8), outputByteCount: 32)
    }

    /// `code` sealed for the row whose code hash is `codeHash(code)`.
    func sealReminder(code: String) throws -> [UInt8] {
        let box = try AES.GCM.seal(Data(code.utf8), using: reminderKey, authenticating: codeHash(code))
        guard let combined = box.combined else { throw ReminderSealError() }
        return Array(combined)
    }

    /// The code sealed in `sealed` for the row with `codeHash`, or nil when it does not open (another row's, another
    /// secret's, or damaged) or is not a well-formed code.
    func openReminder(_ sealed: [UInt8], codeHash: [UInt8]) -> String? {
        guard let box = try? AES.GCM.SealedBox(combined: sealed),
            let plain = try? AES.GCM.open(box, using: reminderKey, authenticating: codeHash),
            let code = String(data: plain, encoding: .utf8), Self.normalise(code: code) == code,
            SecretToken.constantTimeEquals(self.codeHash(code), codeHash)
        else { return nil }
        return code
    }

    struct ReminderSealError: Error {}
}
