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
    /// The questionnaire this invitation opens: `victim-questionnaire` for a VLO's link,
    /// `service-user-questionnaire` for a code a provider's survey coordinator sent to a person on probation.
    public var formID: String = InvitationAccess.victimFormID

    /// The victim questionnaire's form id.
    public static let victimFormID = "victim-questionnaire"
    /// The questionnaire for people on probation (issue 21).
    public static let serviceUserFormID = "service-user-questionnaire"

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
                    INSERT INTO invitation (inspection_id, provider_id, issued_by, token_hash, code_hash, reminder_code, reference, language, issued_at)
                    VALUES (\(inspectionID), \(providerID), \(issuedBy), \(PostgresBytes(LinkSecrets.tokenHash(token))),
                            \(PostgresBytes(secrets.codeHash(code))), \(PostgresBytes(try secrets.sealReminder(code: code))),
                            \(reference), \(language), \(now))
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
            SELECT i.id, i.inspection_id, i.provider_id, i.language, i.status, i.form_id,
                   n.victim_window_opens_on, n.victim_window_closes_on
            FROM invitation i JOIN inspection n ON n.id = i.inspection_id
            WHERE
            """
        query.append(" ")
        query.append(condition)
        guard let row = try await database.query(query).first else { return nil }
        return try InvitationAccess(row: row)
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

    /// What a submission attempt came to.
    public enum SubmitOutcome: Sendable, Equatable {
        /// Stored now.
        case stored
        /// Stored by an earlier request (a double click, a refresh, another tab): nothing new stored.
        case alreadySubmitted
        /// The link cannot be used (expired, revoked, withdrawn).
        case unavailable
    }
}

extension InvitationAccess {
    /// Reads the columns `InvitationStore.find` selects: `id`, `inspection_id`, `provider_id`, `language`, `status`,
    /// `form_id`, `victim_window_opens_on` and `victim_window_closes_on`.
    init(row: PostgresRow) throws {
        self.init(
            id: try row.decode("id"),
            inspectionID: try row.decode("inspection_id"),
            providerID: try row.decode("provider_id"),
            language: try row.decode("language"),
            status: InvitationAccess.Status(rawValue: try row.decode("status")) ?? .revoked,
            windowOpensOn: try row.decode("victim_window_opens_on"),
            windowClosesOn: try row.decode("victim_window_closes_on"),
            formID: try row.decode("form_id")
        )
    }
}
