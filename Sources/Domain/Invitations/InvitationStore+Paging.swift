import Foundation
import Postgres

/// What a VLO asks the links page for: a status, a search of their own references, the order by issue date.
public struct LinkFilter: Sendable, Hashable {
    /// Newest first (the default) or oldest first, by the date the link was issued.
    public enum Sort: String, Sendable, CaseIterable {
        case newest, oldest
    }

    /// Only links with this status (as of today: an unused link whose window has closed is expired), or all.
    public var status: InvitationAccess.Status?
    /// Only links whose reference contains this text, ignoring case (matched literally: `%` and `_` are not wildcards).
    public var reference: String?
    public var sort: Sort

    public init(status: InvitationAccess.Status? = nil, reference: String? = nil, sort: Sort = .newest) {
        self.status = status
        self.reference = reference
        self.sort = sort
    }
}

/// One page of a provider's links, with the counts the top of the page shows.
public struct LinkPage: Sendable {
    /// The links on this page, in the order asked for.
    public let links: [TrackedLink]
    /// The links whose sealed code is still held, so a reminder can be printed (ids of `links`).
    public let remindable: Set<Int>
    /// How many of the provider's links match the filter.
    public let matching: Int
    /// The page shown (1-based), after clamping to the pages there are.
    public let page: Int
    /// The provider's links by status as of today, whatever the filter.
    public let counts: [InvitationAccess.Status: Int]
    /// Links the signed-in VLO issued (not counting revoked ones), and how many of them were submitted.
    public let mineIssued: Int
    public let mineSubmitted: Int

    /// Pages there are for the filter (at least 1).
    public var pageCount: Int { max(1, (matching + InvitationStore.linksPerPage - 1) / InvitationStore.linksPerPage) }
}

/// A link a reminder letter is printed for: its reference and language, and the same access code as the first letter.
public struct ReminderLink: Sendable, Hashable {
    public let id: Int
    public let reference: String?
    public let language: String
    public let code: String
}

/// Why a chosen link gets no reminder.
public enum ReminderRefusal: Sendable, Hashable {
    /// Sent, withdrawn, expired or revoked: a reminder would be no use (and a link is never re-spent).
    case notUnanswered(InvitationAccess.Status)
    /// Issued before reminders existed, so its code was never kept: revoke and reissue it instead.
    case noCodeKept
}

extension InvitationStore {
    /// Links on one page of the VLO's links page.
    public static let linksPerPage = 50

    /// The status a link shows as of `today`, in SQL over `invitation i JOIN inspection n`.
    static func effectiveStatus(today: LocalDate) -> PostgresQuery {
        """
        CASE WHEN i.status IN ('issued', 'opened', 'in_progress') AND n.victim_window_closes_on < \(today)
             THEN 'expired' ELSE i.status END
        """
    }

    /// `text` as a LIKE pattern that matches it literally anywhere (backslash is PostgreSQL's default escape).
    static func containsPattern(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "\\" || character == "%" || character == "_" { escaped.append("\\") }
            escaped.append(character)
        }
        return "%" + escaped + "%"
    }

    /// Page `page` (1-based; past the last page it gives the last) of the links of `providerID` in `inspectionID` that
    /// match `filter`, with the provider's counts by status and the figures of the links `vlo` issued.
    public func linkPage(
        inspectionID: Int,
        providerID: Int,
        vlo: Int64,
        filter: LinkFilter,
        page: Int,
        today: LocalDate
    ) async throws -> LinkPage {
        try await database.withConnection { connection in
            var counts: [InvitationAccess.Status: Int] = [:]
            var mineIssued = 0
            var mineSubmitted = 0
            var countQuery: PostgresQuery = "SELECT "
            countQuery.append(Self.effectiveStatus(today: today))
            countQuery.append(
                """
                 AS status, count(*) AS n, count(*) FILTER (WHERE i.issued_by = \(vlo)) AS mine
                FROM invitation i JOIN inspection n ON n.id = i.inspection_id
                WHERE i.inspection_id = \(inspectionID) AND i.provider_id = \(providerID)
                  AND i.form_id = \(InvitationAccess.victimFormID)
                GROUP BY 1
                """
            )
            for row in try await connection.query(countQuery) {
                let status = InvitationAccess.Status(rawValue: try row.decode("status")) ?? .revoked
                counts[status, default: 0] += try row.decode("n", as: Int.self)
                let mine = try row.decode("mine", as: Int.self)
                if status != .revoked { mineIssued += mine }
                if status == .submitted { mineSubmitted += mine }
            }

            let matching =
                try await connection.query(Self.linksQuery(inspectionID, providerID, filter, today: today, count: true))
                .first?.decode("n", as: Int.self) ?? 0
            let pages = max(1, (matching + Self.linksPerPage - 1) / Self.linksPerPage)
            let shown = min(max(1, page), pages)
            var query = Self.linksQuery(inspectionID, providerID, filter, today: today, count: false)
            query.append(" LIMIT \(Self.linksPerPage) OFFSET \((shown - 1) * Self.linksPerPage)")
            var remindable: Set<Int> = []
            let links = try await connection.query(query).map { row in
                let link = try TrackedLink(trackedRow: row)
                if try row.decode("can_remind", as: Bool.self) { remindable.insert(link.id) }
                return link
            }
            return LinkPage(
                links: links,
                remindable: remindable,
                matching: matching,
                page: shown,
                counts: counts,
                mineIssued: mineIssued,
                mineSubmitted: mineSubmitted
            )
        }
    }

    /// Every link of `providerID` in `inspectionID` matching `filter`, in its order: the CSV download.
    public func allLinks(inspectionID: Int, providerID: Int, filter: LinkFilter, today: LocalDate) async throws -> [TrackedLink] {
        try await database.query(Self.linksQuery(inspectionID, providerID, filter, today: today, count: false)).map {
            try TrackedLink(trackedRow: $0)
        }
    }

    /// The provider's links matching `filter`, ordered by issue date, or (with `count`) how many there are.
    static func linksQuery(_ inspectionID: Int, _ providerID: Int, _ filter: LinkFilter, today: LocalDate, count: Bool) -> PostgresQuery {
        var query: PostgresQuery = count ? "SELECT count(*) AS n FROM (" : ""
        query.append("SELECT * FROM (SELECT i.id, i.reference, i.language, i.issued_at, i.issued_by, ")
        query.append(
            """
            i.reminder_code IS NOT NULL AS can_remind,
            greatest(i.issued_at, i.opened_at, i.started_at, i.submitted_at, i.withdrawn_at, i.expired_at, i.revoked_at) AS changed_at,
            """
        )
        query.append(" ")
        query.append(Self.effectiveStatus(today: today))
        query.append(
            """
             AS status
            FROM invitation i JOIN inspection n ON n.id = i.inspection_id
            WHERE i.inspection_id = \(inspectionID) AND i.provider_id = \(providerID)
                  AND i.form_id = \(InvitationAccess.victimFormID)
            """
        )
        if let reference = filter.reference, !reference.isEmpty {
            query.append(" AND i.reference ILIKE \(Self.containsPattern(reference))")
        }
        query.append(") l")
        if let status = filter.status { query.append(" WHERE l.status = \(status.rawValue)") }
        if count {
            query.append(") c")
            return query
        }
        query.append(filter.sort == .newest ? " ORDER BY l.issued_at DESC, l.id DESC" : " ORDER BY l.issued_at, l.id")
        return query
    }

    /// The access codes of the chosen links of `providerID` in `inspectionID`, for reminder letters. Nil when one of
    /// `ids` is not such a link; otherwise the codes, or (printing nothing) why each refused link gets no reminder.
    /// Nothing is written: the link, its code and its status stay as they were.
    public func reminders(
        ids: [Int],
        inspectionID: Int,
        providerID: Int,
        today: LocalDate
    ) async throws -> Result<[ReminderLink], ReminderRefusals>? {
        var query: PostgresQuery = "SELECT i.id, i.reference, i.language, i.code_hash, i.reminder_code, "
        query.append(Self.effectiveStatus(today: today))
        query.append(
            """
             AS status
            FROM invitation i JOIN inspection n ON n.id = i.inspection_id
            WHERE i.id = ANY(\(ids)) AND i.inspection_id = \(inspectionID) AND i.provider_id = \(providerID)
                  AND i.form_id = \(InvitationAccess.victimFormID)
            ORDER BY i.issued_at, i.id
            """
        )
        let rows = try await database.query(query)
        guard rows.count == Set(ids).count else { return nil }
        var links: [ReminderLink] = []
        var refused: [ReminderRefusals.Refused] = []
        for row in rows {
            let id = try row.decode("id", as: Int.self)
            let reference = try row.decode("reference", as: String?.self)
            let status = InvitationAccess.Status(rawValue: try row.decode("status")) ?? .revoked
            guard status.isUnused else {
                refused.append(.init(id: id, reference: reference, reason: .notUnanswered(status)))
                continue
            }
            guard let sealed = try row.decode("reminder_code", as: PostgresBytes?.self),
                let codeHash = try row.decode("code_hash", as: PostgresBytes?.self),
                let code = secrets.openReminder(sealed.bytes, codeHash: codeHash.bytes)
            else {
                refused.append(.init(id: id, reference: reference, reason: .noCodeKept))
                continue
            }
            links.append(ReminderLink(id: id, reference: reference, language: try row.decode("language"), code: code))
        }
        return refused.isEmpty ? .success(links) : .failure(ReminderRefusals(refused: refused))
    }
}

/// The chosen links that get no reminder, and why.
public struct ReminderRefusals: Error, Sendable, Hashable {
    public struct Refused: Sendable, Hashable {
        public let id: Int
        public let reference: String?
        public let reason: ReminderRefusal
    }

    public let refused: [Refused]
}

extension TrackedLink {
    /// Reads `id`, `reference`, `language`, `status` (already as of today), `issued_at`, `changed_at` and `issued_by`.
    init(trackedRow row: PostgresRow) throws {
        self.init(
            id: try row.decode("id"),
            reference: try row.decode("reference"),
            language: try row.decode("language"),
            status: InvitationAccess.Status(rawValue: try row.decode("status")) ?? .revoked,
            issuedAt: try row.decode("issued_at"),
            changedAt: try row.decode("changed_at"),
            issuedBy: try row.decode("issued_by")
        )
    }
}
