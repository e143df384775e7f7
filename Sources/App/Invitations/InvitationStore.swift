import Forms
import Foundation
import Postgres

/// A link as its holder sees it: what the victim pages need to know, never who it was issued by.
public struct InvitationAccess: Sendable, Hashable {
    public let id: Int
    public let inspectionID: Int
    public let providerID: Int
    public let language: String
    public let status: Status
    public let windowOpensOn: LocalDate
    public let windowClosesOn: LocalDate

    public enum Status: String, Sendable, CaseIterable {
        case issued, opened
        case inProgress = "in_progress"
        case submitted, withdrawn, expired, revoked
    }

    /// The status with the window taken into account: an unused link whose window has closed is expired.
    public func effectiveStatus(on today: LocalDate) -> Status {
        switch status {
        case .issued, .opened, .inProgress: today > windowClosesOn ? .expired : status
        default: status
        }
    }

    /// The language a victim sees first: Welsh for Welsh-only links, else English.
    public var defaultLanguage: Language { language == "cy" ? .cy : .en }
}

/// A newly issued link: the only moment the token and code exist outside the victim's letter.
public struct IssuedLink: Sendable, Hashable {
    public let id: Int
    public let token: String
    public let code: String
}

/// Questionnaire links, drafts and submission, in PostgreSQL.
public struct InvitationStore: Sendable {
    let database: PostgresClient
    let secrets: LinkSecrets

    public init(database: PostgresClient, secrets: LinkSecrets) {
        self.database = database
        self.secrets = secrets
    }

    public static let maximumBatch = 500
    public static let maximumReferenceLength = 40

    /// Issues `count` links for one provider in one transaction: all of them or none.
    public func issue(
        inspectionID: Int,
        providerID: Int,
        issuedBy: Int?,
        count: Int,
        reference: String?,
        language: String,
        now: Date
    ) async throws -> [IssuedLink] {
        precondition((1...Self.maximumBatch).contains(count), "batch size is checked by the caller")
        return try await database.withTransaction { connection in
            var links: [IssuedLink] = []
            links.reserveCapacity(count)
            for _ in 0..<count {
                let token = LinkSecrets.newToken()
                let code = secrets.code(for: token)
                let rows = try await connection.query(
                    """
                    INSERT INTO invitation (inspection_id, provider_id, issued_by, token_hash, code_hash, reference, language, issued_at)
                    VALUES (\(inspectionID), \(providerID), \(issuedBy), \(PostgresBytes(LinkSecrets.tokenHash(token))),
                            \(PostgresBytes(secrets.codeHash(code))), \(reference), \(language), \(now))
                    RETURNING id
                    """
                )
                links.append(IssuedLink(id: try rows[0].decode("id"), token: token, code: code))
            }
            return links
        }
    }

    /// The invitation a token belongs to, or nil.
    public func find(token: String) async throws -> InvitationAccess? {
        guard LinkSecrets.isWellFormed(token: token) else { return nil }
        return try await find(where: "i.token_hash = \(PostgresBytes(LinkSecrets.tokenHash(token.lowercased())))")
    }

    /// The invitation an access code belongs to (as typed; it is normalised here), or nil.
    public func find(code typed: String) async throws -> InvitationAccess? {
        guard let code = LinkSecrets.normalise(code: typed) else { return nil }
        return try await find(where: "i.code_hash = \(PostgresBytes(secrets.codeHash(code)))")
    }

    /// The invitation with `id`, or nil.
    public func find(id: Int) async throws -> InvitationAccess? {
        try await find(where: "i.id = \(id)")
    }

    private func find(where condition: PostgresQuery) async throws -> InvitationAccess? {
        var query: PostgresQuery = """
            SELECT i.id, i.inspection_id, i.provider_id, i.language, i.status,
                   n.victim_window_opens_on, n.victim_window_closes_on
            FROM invitation i JOIN inspection n ON n.id = i.inspection_id
            WHERE
            """
        query.append(" ")
        query.append(condition)
        guard let row = try await database.query(query).first else { return nil }
        return InvitationAccess(
            id: try row.decode("id"),
            inspectionID: try row.decode("inspection_id"),
            providerID: try row.decode("provider_id"),
            language: try row.decode("language"),
            status: InvitationAccess.Status(rawValue: try row.decode("status")) ?? .revoked,
            windowOpensOn: try row.decode("victim_window_opens_on"),
            windowClosesOn: try row.decode("victim_window_closes_on")
        )
    }

    /// Records that the start page was seen (a GET: it spends nothing).
    public func markOpened(_ id: Int, now: Date) async throws {
        try await database.execute("UPDATE invitation SET status = 'opened', opened_at = \(now) WHERE id = \(id) AND status = 'issued'")
    }

    /// Records that answering began.
    public func markStarted(_ id: Int, now: Date) async throws {
        try await database.execute(
            """
            UPDATE invitation SET status = 'in_progress', started_at = coalesce(started_at, \(now)),
                   opened_at = coalesce(opened_at, \(now))
            WHERE id = \(id) AND status IN ('issued', 'opened')
            """
        )
    }

    /// The saved answers for an invitation (empty when none).
    public func draft(_ id: Int) async throws -> Answers {
        guard let row = try await database.query("SELECT answers FROM invitation_draft WHERE invitation_id = \(id)").first else { return [:] }
        return try row.decode("answers", as: PostgresJSON.self).decode(Answers.self)
    }

    /// Saves the answers so far (replacing the previous draft).
    public func saveDraft(_ id: Int, form: FormDefinition, answers: Answers, now: Date) async throws {
        let json = try PostgresJSON(encoding: answers)
        try await database.execute(
            """
            INSERT INTO invitation_draft (invitation_id, form_id, form_version, answers, updated_at)
            VALUES (\(id), \(form.id), \(form.version), \(json), \(now))
            ON CONFLICT (invitation_id) DO UPDATE SET answers = EXCLUDED.answers, updated_at = EXCLUDED.updated_at,
                form_id = EXCLUDED.form_id, form_version = EXCLUDED.form_version
            """
        )
    }

    /// What a submission attempt came to.
    public enum SubmitOutcome: Sendable, Equatable {
        /// Stored now.
        case stored
        /// Stored by an earlier request (a double click, a refresh, another tab): nothing new stored.
        case alreadySubmitted
        /// The link cannot be used (expired, revoked, withdrawn).
        case unavailable
    }

    /// Stores the response and spends the link in one transaction. The invitation row is locked first, so concurrent
    /// submissions of the same link store exactly one response. The response row holds no reference to the invitation.
    public func submit(
        _ id: Int,
        form: FormDefinition,
        answers: Answers,
        language: Language,
        withdrawalKey: [UInt8],
        today: LocalDate,
        now: Date
    ) async throws -> SubmitOutcome {
        try await database.withTransaction { connection in
            let rows = try await connection.query(
                """
                SELECT i.inspection_id, i.provider_id, i.status, i.token_hash, n.victim_window_closes_on
                FROM invitation i JOIN inspection n ON n.id = i.inspection_id
                WHERE i.id = \(id) FOR UPDATE OF i
                """
            )
            guard let row = rows.first else { return .unavailable }
            let status = try row.decode("status", as: String.self)
            if status == "submitted" { return .alreadySubmitted }
            let closes = try row.decode("victim_window_closes_on", as: LocalDate.self)
            guard ["issued", "opened", "in_progress"].contains(status), today <= closes else { return .unavailable }
            try await FormVersionStore.markUsed(form, on: connection)
            try await connection.execute(
                """
                INSERT INTO victim_response (inspection_id, provider_id, form_id, form_version, language, channel, answers, withdrawal_key)
                VALUES (\(try row.decode("inspection_id", as: Int.self)), \(try row.decode("provider_id", as: Int.self)),
                        \(form.id), \(form.version), \(language.rawValue), 'online', \(try PostgresJSON(encoding: answers)),
                        \(PostgresBytes(withdrawalKey)))
                """
            )
            try await connection.execute(
                "UPDATE invitation SET status = 'submitted', submitted_at = \(now) WHERE id = \(id)"
            )
            try await connection.execute("DELETE FROM invitation_draft WHERE invitation_id = \(id)")
            return .stored
        }
    }

    /// What a withdrawal attempt came to.
    public enum WithdrawOutcome: Sendable, Equatable {
        case withdrawn, alreadyWithdrawn, unavailable
    }

    /// Deletes the response stored under `withdrawalKey` and marks the link withdrawn, while the window is open.
    public func withdraw(_ id: Int, withdrawalKey: [UInt8], today: LocalDate, now: Date) async throws -> WithdrawOutcome {
        try await database.withTransaction { connection in
            let rows = try await connection.query(
                """
                SELECT i.status, n.victim_window_closes_on FROM invitation i JOIN inspection n ON n.id = i.inspection_id
                WHERE i.id = \(id) FOR UPDATE OF i
                """
            )
            guard let row = rows.first else { return .unavailable }
            let status = try row.decode("status", as: String.self)
            if status == "withdrawn" { return .alreadyWithdrawn }
            guard status == "submitted", today <= (try row.decode("victim_window_closes_on", as: LocalDate.self)) else { return .unavailable }
            try await connection.execute("DELETE FROM victim_response WHERE withdrawal_key = \(PostgresBytes(withdrawalKey))")
            try await connection.execute("UPDATE invitation SET status = 'withdrawn', withdrawn_at = \(now) WHERE id = \(id)")
            return .withdrawn
        }
    }
}
