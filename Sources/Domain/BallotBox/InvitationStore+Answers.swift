import Crypto
import Forms
import Foundation
import Postgres

/// A victim's answers before release: drafts sealed under their resume code, submission into the ballot box, and
/// withdrawal. Every method takes the victim's `secret` (the resume code, or for a session open at the upgrade to the
/// ballot box, the access code it was started with); the link alone opens nothing here.
extension InvitationStore {
    var ballotBox: BallotBox { BallotBox(database: database, secrets: secrets) }

    /// What a draft holds, sealed.
    struct DraftPayload: Codable {
        var formID: String
        var formVersion: Int
        var answers: Answers
    }

    /// Sessions started before the ballot box hold the 10-character access code as their secret.
    package static func isLegacy(secret: String) -> Bool { secret.count == LinkSecrets.codeLength }

    /// The answers saved under `secret` for link `id` (empty when none).
    public func draft(_ id: Int, secret: String) async throws -> Answers {
        try await findDraft(id, secret: secret)?.answers ?? [:]
    }

    /// True when answers are saved under `secret` for link `id`: how a typed resume code is checked.
    public func hasDraft(_ id: Int, secret: String) async throws -> Bool {
        try await findDraft(id, secret: secret) != nil
    }

    private func findDraft(_ id: Int, secret: String) async throws -> DraftPayload? {
        let rows = try await database.query(
            "SELECT sealed FROM victim_draft WHERE draft_id = \(PostgresBytes(secrets.draftID(secret))) AND invitation_id = \(id)"
        )
        if let row = rows.first {
            return try Self.openDraft(try row.decode("sealed", as: PostgresBytes.self).bytes, key: secrets.draftKey(secret))
        }
        guard Self.isLegacy(secret: secret) else { return nil }
        let legacy = try await database.query(
            "SELECT sealed FROM victim_draft WHERE draft_id = \(PostgresBytes(secrets.legacyDraftID(invitationID: id))) AND invitation_id = \(id)"
        )
        guard let row = legacy.first else { return nil }
        return try Self.openDraft(try row.decode("sealed", as: PostgresBytes.self).bytes, key: secrets.legacyDraftKey(invitationID: id))
    }

    /// Saves the answers so far under `secret` (replacing that secret's previous draft; other drafts of the link stay).
    /// One statement, so one round trip: for a session from before the ballot box, it also deletes the link's legacy
    /// draft, in the same statement (and so the same transaction).
    public func saveDraft(_ id: Int, secret: String, form: FormDefinition, answers: Answers, now: Date) async throws {
        let sealed = try Self.sealDraft(DraftPayload(formID: form.id, formVersion: form.version, answers: answers), key: secrets.draftKey(secret))
        var statement: PostgresQuery = """
            INSERT INTO victim_draft (draft_id, invitation_id, sealed, updated_at)
            VALUES (\(PostgresBytes(secrets.draftID(secret))), \(id), \(PostgresBytes(sealed)), \(now))
            ON CONFLICT (draft_id) DO UPDATE SET sealed = EXCLUDED.sealed, updated_at = EXCLUDED.updated_at
            WHERE victim_draft.invitation_id = EXCLUDED.invitation_id
            """
        if Self.isLegacy(secret: secret) {
            var combined: PostgresQuery = "WITH saved AS ("
            combined.append(statement)
            combined.append(") DELETE FROM victim_draft WHERE draft_id = \(PostgresBytes(secrets.legacyDraftID(invitationID: id)))")
            statement = combined
        }
        try await database.execute(statement)
    }

    static func sealDraft(_ payload: DraftPayload, key: SymmetricKey) throws -> [UInt8] {
        try BallotBox.pad(sealing: try JSONEncoder().encode(payload), key: key)
    }

    static func openDraft(_ sealed: [UInt8], key: SymmetricKey) throws -> DraftPayload? {
        guard let plain = BallotBox.unpad(opening: sealed, key: key) else { return nil }
        return try JSONDecoder().decode(DraftPayload.self, from: plain)
    }

    /// Puts the answers in the ballot box and spends the link in one transaction. The link's row is locked first, so
    /// concurrent submissions of the same link store exactly one. Nothing but the sealed copy and the link's row is
    /// written by this transaction: no form version, no session, no counter.
    public func submit(
        _ id: Int,
        form: FormDefinition,
        answers: Answers,
        language: Language,
        secret: String,
        today: LocalDate,
        now: Date
    ) async throws -> SubmitOutcome {
        let payload = BallotBox.Payload(
            formID: form.id,
            formVersion: form.version,
            channel: "online",
            answers: answers,
            withdrawalTag: secrets.withdrawalTag(secret)
        )
        // One statement, so one transaction and one round trip: lock the link's row, and only if it is unused and its
        // window open, put the sealed copy in the box, spend the link and delete its drafts. A concurrent submission
        // of the same link waits for the lock and then sees the link spent (READ COMMITTED rereads the locked row), so
        // it stores nothing.
        let rows = try await database.query(
            """
            WITH link AS (
                SELECT i.id, i.inspection_id, i.provider_id, i.form_id, i.status, n.victim_window_closes_on
                FROM invitation i JOIN inspection n ON n.id = i.inspection_id
                WHERE i.id = \(id) FOR UPDATE OF i
            ), deposited AS (
                INSERT INTO sealed_response (inspection_id, provider_id, form_id, invitation_id, sealed)
                SELECT inspection_id, provider_id, form_id, id, \(PostgresBytes(try ballotBox.seal(payload))) FROM link
                WHERE status = ANY(\(InvitationAccess.Status.unused)) AND victim_window_closes_on >= \(today) AND form_id = \(form.id)
                RETURNING invitation_id
            ), spent AS (
                UPDATE invitation SET status = 'submitted', submitted_at = \(now), submitted_language = \(language.rawValue)
                WHERE id IN (SELECT invitation_id FROM deposited)
                RETURNING id
            ), cleared AS (
                DELETE FROM victim_draft WHERE invitation_id IN (SELECT invitation_id FROM deposited)
            )
            SELECT status, (SELECT count(*) FROM spent) AS stored FROM link
            """
        )
        guard let row = rows.first else { return .unavailable }
        if try row.decode("stored", as: Int.self) == 1 { return .stored }
        let status = InvitationAccess.Status(rawValue: try row.decode("status", as: String.self)) ?? .revoked
        return status == .submitted ? .alreadySubmitted : .unavailable
    }

    /// What a withdrawal attempt came to.
    public enum WithdrawOutcome: Sendable, Equatable {
        case withdrawn, alreadyWithdrawn, unavailable
        /// The link was sent, but not with this secret: nothing changed.
        case wrongSecret
    }

    /// Whether answers for link `id` were sent with `secret` and can still be withdrawn.
    public func sentWith(_ id: Int, secret: String) async throws -> Bool {
        let tag = secrets.withdrawalTag(secret)
        if let sealed = try await database.query("SELECT sealed FROM sealed_response WHERE invitation_id = \(id)").first {
            let payload = try ballotBox.open(try sealed.decode("sealed", as: PostgresBytes.self).bytes)
            return payload.withdrawalTag.map { SecretToken.constantTimeEquals($0, tag) } ?? false
        }
        let released = try await database.query(
            """
            SELECT 1 FROM victim_response r JOIN invitation i ON i.inspection_id = r.inspection_id AND i.provider_id = r.provider_id
            WHERE i.id = \(id) AND i.status = 'submitted' AND r.withdrawal_key = \(PostgresBytes(tag))
            """
        )
        return !released.isEmpty
    }

    /// Deletes the answers sent with `secret` for link `id` and marks the link withdrawn, while the window is open:
    /// the sealed copy if it is still in the box, otherwise the released response carrying the secret's tag.
    public func withdraw(_ id: Int, secret: String, today: LocalDate, now: Date) async throws -> WithdrawOutcome {
        let tag = secrets.withdrawalTag(secret)
        return try await database.withTransaction { connection in
            let rows = try await connection.query(
                """
                SELECT i.status, i.inspection_id, i.provider_id, n.victim_window_closes_on
                FROM invitation i JOIN inspection n ON n.id = i.inspection_id
                WHERE i.id = \(id) FOR UPDATE OF i
                """
            )
            guard let row = rows.first else { return .unavailable }
            let status = InvitationAccess.Status(rawValue: try row.decode("status", as: String.self)) ?? .revoked
            if status == .withdrawn { return .alreadyWithdrawn }
            guard status == .submitted, today <= (try row.decode("victim_window_closes_on", as: LocalDate.self)) else { return .unavailable }
            var deleted = 0
            // A release under way holds the sealed copy's row; this waits for it and then finds the released row.
            if let sealed = try await connection.query("SELECT id, sealed FROM sealed_response WHERE invitation_id = \(id) FOR UPDATE").first {
                let payload = try ballotBox.open(try sealed.decode("sealed", as: PostgresBytes.self).bytes)
                guard let stored = payload.withdrawalTag, SecretToken.constantTimeEquals(stored, tag) else { return .wrongSecret }
                deleted = try await connection.execute("DELETE FROM sealed_response WHERE invitation_id = \(id)")
            } else {
                deleted = try await connection.execute(
                    """
                    DELETE FROM victim_response
                    WHERE withdrawal_key = \(PostgresBytes(tag)) AND inspection_id = \(try row.decode("inspection_id", as: Int.self))
                      AND provider_id = \(try row.decode("provider_id", as: Int.self))
                    """
                )
            }
            guard deleted == 1 else { return .wrongSecret }
            try await connection.execute("UPDATE invitation SET status = 'withdrawn', withdrawn_at = \(now) WHERE id = \(id)")
            return .withdrawn
        }
    }
}

extension InvitationAccess.Status {
    /// Issued, opened or in progress: the link can still be answered.
    public var isUnused: Bool {
        switch self {
        case .issued, .opened, .inProgress: true
        case .submitted, .withdrawn, .expired, .revoked: false
        }
    }

    /// The raw values of the unused statuses, for SQL (`status = ANY(…)`).
    static let unused: [String] = allCases.filter(\.isUnused).map(\.rawValue)
}
