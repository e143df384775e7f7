import Foundation
import Postgres

/// A batch of single-use codes for the online survey of people on probation, as its coordinator follows it: how many
/// were issued, opened and answered, never by whom or with what answers.
public struct SurveyCodeBatch: Sendable, Hashable {
    public let id: Int
    public let inspectionID: Int
    public let size: Int
    public let language: String
    public let issuedAt: Date
    /// Codes whose start page was seen at least once (opened, started or answered).
    public let opened: Int
    /// Codes whose answers were sent (and not withdrawn).
    public let submitted: Int
}

/// Batches of single-use codes for people on probation (issue 21): each code is an invitation answering the
/// service-user questionnaire, so the victim journey's engine (sessions, sealed drafts, the ballot box, single use in
/// the submitting transaction) serves it unchanged. Nothing about the person is ever given or stored: the provider
/// sends the codes from its own text-message system.
public struct SurveyCodeStore: Sendable {
    let database: PostgresClient
    let secrets: LinkSecrets

    public init(database: PostgresClient, secrets: LinkSecrets) {
        self.database = database
        self.secrets = secrets
    }

    /// The most codes one batch may hold: a large provider's whole caseload in one area.
    public static let maximumBatch = 100_000
    /// Codes written by one INSERT statement (2 binds each, well under PostgreSQL's 65,535).
    static let rowsPerInsert = 1_000

    /// A newly issued batch: the only moment its codes exist outside the people's phones.
    public struct Issued: Sendable {
        public let batchID: Int
        /// The codes, 10 Crockford base-32 characters each, without the hyphen.
        public let codes: [String]
    }

    /// Issues `count` codes for `providerID` in `inspectionID`, in one transaction: all of them or none. A code that
    /// happens to equal one already issued (50 bits each: about one chance in 10⁵ for a batch of 100,000 among
    /// 100,000 others) makes the whole batch start again with new codes.
    public func issue(inspectionID: Int, providerID: Int, issuedBy: Int?, count: Int, language: String, now: Date) async throws -> Issued {
        precondition((1...Self.maximumBatch).contains(count), "batch size is checked by the caller")
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await issueOnce(
                    inspectionID: inspectionID,
                    providerID: providerID,
                    issuedBy: issuedBy,
                    count: count,
                    language: language,
                    now: now
                )
            } catch let violation as PostgresError where violation.code == .uniqueViolation && attempt < 3 {
                continue
            }
        }
    }

    private func issueOnce(inspectionID: Int, providerID: Int, issuedBy: Int?, count: Int, language: String, now: Date) async throws -> Issued {
        try await database.withTransaction { connection in
            let batch = try await connection.query(
                """
                INSERT INTO survey_code_batch (inspection_id, provider_id, issued_by, size, language, issued_at)
                VALUES (\(inspectionID), \(providerID), \(issuedBy), \(count), \(language), \(now))
                RETURNING id
                """
            )[0].decode("id", as: Int.self)
            var codes: [String] = []
            codes.reserveCapacity(count)
            for start in stride(from: 0, to: count, by: Self.rowsPerInsert) {
                var insert: PostgresQuery = """
                    INSERT INTO invitation (inspection_id, provider_id, issued_by, token_hash, code_hash, language, issued_at, form_id, batch_id)
                    VALUES
                    """
                for offset in 0..<min(Self.rowsPerInsert, count - start) {
                    // The token is never sent: the text message carries only the code. It exists because every
                    // invitation has one, and nobody learns it.
                    let token = LinkSecrets.newToken()
                    let code = secrets.code(for: token)
                    codes.append(code)
                    insert.append(offset == 0 ? " " : ", ")
                    insert.append(
                        """
                        (\(inspectionID), \(providerID), \(issuedBy), \(PostgresBytes(LinkSecrets.tokenHash(token))),
                         \(PostgresBytes(secrets.codeHash(code))), \(language), \(now), \(InvitationAccess.serviceUserFormID), \(batch))
                        """
                    )
                }
                try await connection.execute(insert)
            }
            return Issued(batchID: batch, codes: codes)
        }
    }

    /// The batches of `providerID` for `inspectionID`, newest first, with how many codes were opened and answered.
    public func batches(inspectionID: Int, providerID: Int) async throws -> [SurveyCodeBatch] {
        try await database.query(
            """
            SELECT b.id, b.inspection_id, b.size, b.language, b.issued_at,
                   count(i.opened_at) AS opened, count(*) FILTER (WHERE i.status = 'submitted') AS submitted
            FROM survey_code_batch b LEFT JOIN invitation i ON i.batch_id = b.id
            WHERE b.inspection_id = \(inspectionID) AND b.provider_id = \(providerID)
            GROUP BY b.id
            ORDER BY b.issued_at DESC, b.id DESC
            """
        ).map { row in
            SurveyCodeBatch(
                id: try row.decode("id"),
                inspectionID: try row.decode("inspection_id"),
                size: try row.decode("size"),
                language: try row.decode("language"),
                issuedAt: try row.decode("issued_at"),
                opened: try row.decode("opened"),
                submitted: try row.decode("submitted")
            )
        }
    }
}
