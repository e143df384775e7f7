import Foundation
import Postgres

/// One link as its VLO sees it: status and times, never answers.
public struct TrackedLink: Sendable, Hashable {
    public let id: Int
    public let reference: String?
    public let language: String
    public let status: InvitationAccess.Status
    public let issuedAt: Date
    public let changedAt: Date
    public let issuedBy: Int64?
}

/// Counts of links by status for one provider in one inspection, and the response rate.
public struct ProviderLinkSummary: Sendable, Hashable {
    public let providerID: Int
    public let providerName: String
    public var counts: [InvitationAccess.Status: Int]
    public let paperReturns: Int

    /// Links that count towards the response rate: every one issued except those revoked (replaced by a new one).
    public var issued: Int { counts.filter { $0.key != .revoked }.values.reduce(0, +) }
    /// Submitted online (withdrawn ones no longer count).
    public var submitted: Int { counts[.submitted] ?? 0 }

    /// Submitted ÷ issued, or nil when nothing has been issued.
    public var responseRate: Double? { issued == 0 ? nil : Double(submitted) / Double(issued) }
}

extension InvitationStore {
    /// Counts of victim links by status per provider of an inspection (every provider inspected, including those with
    /// no links).
    public func summary(inspectionID: Int, today: LocalDate) async throws -> [ProviderLinkSummary] {
        let rows = try await database.query(
            """
            SELECT p.id AS provider_id, p.name AS provider_name,
                   CASE WHEN i.status IN ('issued', 'opened', 'in_progress') AND n.victim_window_closes_on < \(today)
                        THEN 'expired' ELSE i.status END AS status,
                   count(i.id) AS n,
                   (SELECT count(*) FROM paper_return r WHERE r.inspection_id = ip.inspection_id AND r.provider_id = p.id) AS paper
            FROM inspection_provider ip
            JOIN inspection n ON n.id = ip.inspection_id
            JOIN provider p ON p.id = ip.provider_id
            LEFT JOIN invitation i ON i.inspection_id = ip.inspection_id AND i.provider_id = p.id AND i.form_id = \(InvitationAccess.victimFormID)
            WHERE ip.inspection_id = \(inspectionID)
            GROUP BY p.id, p.name, 3, ip.inspection_id
            ORDER BY p.name, p.id
            """
        )
        var byProvider: [Int: ProviderLinkSummary] = [:]
        var order: [Int] = []
        for row in rows {
            let provider = try row.decode("provider_id", as: Int.self)
            if byProvider[provider] == nil {
                order.append(provider)
                byProvider[provider] = ProviderLinkSummary(
                    providerID: provider,
                    providerName: try row.decode("provider_name"),
                    counts: [:],
                    paperReturns: try row.decode("paper")
                )
            }
            if let raw = try row.decode("status", as: String?.self), let status = InvitationAccess.Status(rawValue: raw) {
                byProvider[provider]?.counts[status, default: 0] += try row.decode("n", as: Int.self)
            }
        }
        return order.compactMap { byProvider[$0] }
    }

    /// Revokes an unused or in-progress link of `providerID`. Returns false when there is no such link or it can no
    /// longer be revoked (submitted, withdrawn, already revoked).
    public func revoke(_ id: Int, providerID: Int, now: Date) async throws -> Bool {
        try await database.withTransaction { connection in
            let revoked = try await connection.execute(
                """
                UPDATE invitation SET status = 'revoked', revoked_at = \(now)
                WHERE id = \(id) AND provider_id = \(providerID) AND form_id = \(InvitationAccess.victimFormID)
                      AND status IN ('issued', 'opened', 'in_progress', 'expired')
                """
            )
            if revoked == 1 {
                try await connection.execute("DELETE FROM victim_draft WHERE invitation_id = \(id)")
                try await connection.execute("DELETE FROM victim_session WHERE invitation_id = \(id)")
            }
            return revoked == 1
        }
    }

    /// The reference and language of a link, for reissuing it.
    public func issueDetails(_ id: Int, providerID: Int) async throws -> (inspectionID: Int, reference: String?, language: String)? {
        guard
            let row = try await database.query(
                """
                SELECT inspection_id, reference, language FROM invitation
                WHERE id = \(id) AND provider_id = \(providerID) AND form_id = \(InvitationAccess.victimFormID)
                """
            ).first
        else { return nil }
        return (try row.decode("inspection_id"), try row.decode("reference"), try row.decode("language"))
    }

    /// Expires every unused link of an inspection at once (closing the window early, or the daily job after it
    /// closed) and deletes their drafts and sessions. Returns how many links expired.
    @discardableResult
    public func expireUnused(inspectionID: Int, now: Date) async throws -> Int {
        try await database.withTransaction { connection in
            try await Self.expireUnused(inspectionsWhere: "n.id = \(inspectionID)", now: now, on: connection).links
        }
    }

    /// Expires the unused links of the inspections matching `condition` (on `inspection n`) and deletes their drafts
    /// and sessions, on `connection` (the caller's transaction). Returns how many links expired and drafts went.
    static func expireUnused(
        inspectionsWhere condition: PostgresQuery,
        now: Date,
        on connection: PostgresConnection
    ) async throws
        -> (links: Int, drafts: Int)
    {
        var query: PostgresQuery = """
            UPDATE invitation i SET status = 'expired', expired_at = \(now)
            FROM inspection n
            WHERE n.id = i.inspection_id AND i.status IN ('issued', 'opened', 'in_progress') AND
            """
        query.append(" ")
        query.append(condition)
        query.append(" RETURNING i.id")
        let ids = try await connection.query(query).map { try $0.decode("id", as: Int.self) }
        guard !ids.isEmpty else { return (0, 0) }
        let drafts = try await connection.execute("DELETE FROM victim_draft WHERE invitation_id = ANY(\(ids))")
        try await connection.execute("DELETE FROM victim_session WHERE invitation_id = ANY(\(ids))")
        return (ids.count, drafts)
    }
}
