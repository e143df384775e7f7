import Foundation
import Postgres

/// Victims' free-text answers and their review: nothing here is ever logged, and the report shows only the
/// redacted text of answers an inspector has reviewed.
public struct FreeTextReviewStore: Sendable {
    let database: PostgresClient

    public init(database: PostgresClient) {
        self.database = database
    }

    /// One free-text answer.
    public struct Item: Sendable, Equatable {
        public let responseID: String
        public let questionID: String
        /// The original text (review pages and the lead inspector's safeguarding list only).
        public let text: String
        /// The redacted text, once reviewed.
        public let redacted: String?
        public let safeguarding: Bool
        /// Whether the report may quote it.
        public var quotable = false
        /// The review's revision (0 before any review).
        public var revision = 0
        /// The phrases the current revision redacted.
        public var phrases: [String] = []
        /// Who reviewed it last, and when.
        public var reviewedBy: String?
        public var reviewedAt: Date?
    }

    /// Replaces every whole-word occurrence of each phrase (ignoring case, longest phrase first where they overlap)
    /// with `[redacted]`, in one pass over the original text; returns the text and the number of replacements.
    /// Phrases are trimmed; empty ones are ignored. It always terminates: a replacement is never searched again.
    public static func redact(_ text: String, phrases: [String]) -> (text: String, count: Int) {
        // Phrases as lower-cased characters, longest first, grouped by their first character; duplicates once.
        var byFirst: [String: [[String]]] = [:]
        var seen: Set<[String]> = []
        for phrase in phrases {
            let characters = phrase.trimmingCharacters(in: .whitespacesAndNewlines).map { $0.lowercased() }
            guard let first = characters.first, seen.insert(characters).inserted else { continue }
            byFirst[first, default: []].append(characters)
        }
        for key in byFirst.keys { byFirst[key]?.sort { $0.count > $1.count } }
        guard !byFirst.isEmpty else { return (text, 0) }
        // One pass over the original text: what is replaced is never searched again, so it always ends.
        let original = Array(text)
        let lower = original.map { $0.lowercased() }
        var result = ""
        var count = 0
        var index = 0
        while index < original.count {
            if let candidates = byFirst[lower[index]],
                let match = candidates.first(where: { matches($0, at: index, lower: lower, original: original) })
            {
                result += Self.replacement
                count += 1
                index += match.count
            } else {
                result.append(original[index])
                index += 1
            }
        }
        return (result, count)
    }

    /// What a redacted phrase is shown as.
    public static let replacement = "[redacted]"

    /// Whether `phrase` (lower-cased characters) occurs at `index` as whole words: where the phrase begins or ends
    /// with a letter or digit, the text must not go on with one (so "Ed" leaves "worked" alone; Welsh ŵ and accented
    /// letters count as letters).
    private static func matches(_ phrase: [String], at index: Int, lower: [String], original: [Character]) -> Bool {
        let end = index + phrase.count
        guard end <= lower.count, Array(lower[index..<end]) == phrase else { return false }
        func isWordCharacter(_ character: Character) -> Bool { character.isLetter || character.isNumber }
        if let first = phrase.first?.first, isWordCharacter(first), index > 0, isWordCharacter(original[index - 1]) { return false }
        if let last = phrase.last?.last, isWordCharacter(last), end < original.count, isWordCharacter(original[end]) { return false }
        return true
    }

    /// Answers not yet reviewed, oldest question first, at most `limit`.
    public func pending(inspectionID: Int, limit: Int = 20) async throws -> (items: [Item], total: Int) {
        let rows = try await database.query(
            """
            SELECT r.id::text AS response_id, a.key AS question_id, a.value ->> 'text' AS text, count(*) OVER () AS total
            FROM victim_response r, jsonb_each(r.answers) a
            WHERE r.inspection_id = \(inspectionID) AND jsonb_typeof(a.value -> 'text') = 'string'
              AND NOT EXISTS (SELECT 1 FROM victim_free_text_review v WHERE v.response_id = r.id AND v.question_id = a.key)
            ORDER BY a.key, r.id
            LIMIT \(limit)
            """
        )
        let total = try rows.first?.decode("total", as: Int.self) ?? 0
        return (
            try rows.map {
                Item(
                    responseID: try $0.decode("response_id"),
                    questionID: try $0.decode("question_id"),
                    text: try $0.decode("text"),
                    redacted: nil,
                    safeguarding: false
                )
            }, total
        )
    }

    /// Reviewed answers: their redacted text only (and whether each may be quoted).
    public func reviewed(inspectionID: Int) async throws -> [Item] {
        try await database.query(
            """
            SELECT v.response_id::text AS response_id, v.question_id, v.redacted_text, v.safeguarding, v.quotable, v.revision
            FROM victim_free_text_review v JOIN victim_response r ON r.id = v.response_id
            WHERE r.inspection_id = \(inspectionID)
            ORDER BY v.question_id, v.reviewed_at, v.response_id
            """
        ).map {
            var item = Item(
                responseID: try $0.decode("response_id"),
                questionID: try $0.decode("question_id"),
                text: "",
                redacted: try $0.decode("redacted_text"),
                safeguarding: try $0.decode("safeguarding")
            )
            item.quotable = try $0.decode("quotable")
            item.revision = try $0.decode("revision")
            return item
        }
    }

    /// One page of reviewed answers for the correction list: original and redacted text, who and when, newest
    /// first; and how many there are in all.
    public func reviewedPage(inspectionID: Int, offset: Int, limit: Int) async throws -> (items: [Item], total: Int) {
        let rows = try await database.query(
            """
            SELECT v.response_id::text AS response_id, v.question_id, r.answers -> v.question_id ->> 'text' AS text, v.redacted_text,
                   v.safeguarding, v.quotable, v.revision, u.display_name AS reviewer, v.reviewed_at, count(*) OVER () AS total
            FROM victim_free_text_review v JOIN victim_response r ON r.id = v.response_id JOIN staff_user u ON u.id = v.reviewed_by
            WHERE r.inspection_id = \(inspectionID)
            ORDER BY v.reviewed_at DESC, v.response_id, v.question_id
            OFFSET \(max(0, offset)) LIMIT \(max(1, limit))
            """
        )
        if let first = rows.first { return (try rows.map(Self.reviewedItem), try first.decode("total", as: Int.self)) }
        // Past the last page: the count on its own.
        let total = try await database.query(
            """
            SELECT count(*) AS n FROM victim_free_text_review v JOIN victim_response r ON r.id = v.response_id
            WHERE r.inspection_id = \(inspectionID)
            """
        )[0].decode("n", as: Int.self)
        return ([], total)
    }

    /// One answer with its current review (nil when the inspection has no such free-text answer).
    public func answer(inspectionID: Int, responseID: String, questionID: String) async throws -> Item? {
        guard UUID(uuidString: responseID) != nil else { return nil }
        guard
            let row = try await database.query(
                """
                SELECT r.id::text AS response_id, \(questionID)::text AS question_id, r.answers -> \(questionID) ->> 'text' AS text,
                       v.redacted_text, coalesce(v.safeguarding, false) AS safeguarding, coalesce(v.quotable, false) AS quotable,
                       coalesce(v.revision, 0) AS revision, u.display_name AS reviewer, v.reviewed_at
                FROM victim_response r
                LEFT JOIN victim_free_text_review v ON v.response_id = r.id AND v.question_id = \(questionID)
                LEFT JOIN staff_user u ON u.id = v.reviewed_by
                WHERE r.id = \(responseID)::uuid AND r.inspection_id = \(inspectionID) AND jsonb_typeof(r.answers -> \(questionID) -> 'text') = 'string'
                """
            ).first
        else { return nil }
        var item = try Self.reviewedItem(row)
        if item.revision > 0 {
            item.phrases =
                try await database.query(
                    """
                    SELECT array_to_json(phrases)::text AS phrases FROM victim_free_text_review_revision
                    WHERE response_id = \(responseID)::uuid AND question_id = \(questionID) AND revision = \(item.revision)
                    """
                ).first.map { try JSONDecoder().decode([String].self, from: Data(try $0.decode("phrases", as: String.self).utf8)) } ?? []
        }
        return item
    }

    static func reviewedItem(_ row: PostgresRow) throws -> Item {
        var item = Item(
            responseID: try row.decode("response_id"),
            questionID: try row.decode("question_id"),
            text: try row.decode("text", as: String?.self) ?? "",
            redacted: try row.decode("redacted_text"),
            safeguarding: try row.decode("safeguarding")
        )
        item.quotable = try row.decode("quotable")
        item.revision = try row.decode("revision")
        item.reviewedBy = try row.decode("reviewer")
        item.reviewedAt = try row.decode("reviewed_at")
        return item
    }

    /// Answers flagged as a safeguarding concern, with their original text, for the lead inspector.
    public func safeguarding(inspectionID: Int) async throws -> [Item] {
        try await database.query(
            """
            SELECT v.response_id::text AS response_id, v.question_id, r.answers -> v.question_id ->> 'text' AS text, v.redacted_text
            FROM victim_free_text_review v JOIN victim_response r ON r.id = v.response_id
            WHERE r.inspection_id = \(inspectionID) AND v.safeguarding
            ORDER BY v.reviewed_at, v.response_id
            """
        ).map {
            Item(
                responseID: try $0.decode("response_id"),
                questionID: try $0.decode("question_id"),
                text: try $0.decode("text") ?? "",
                redacted: try $0.decode("redacted_text"),
                safeguarding: true
            )
        }
    }

    /// What saving a review did.
    public enum ReviewOutcome: Sendable, Equatable {
        /// Saved as this revision.
        case saved(revision: Int)
        /// No such free-text answer in the inspection.
        case notFound
        /// Someone else saved a revision since the reviewer opened the answer (`current` is theirs): nothing saved.
        case conflict(current: Int)
        /// A theme that is not one of the inspection's (another inspection's, or deleted a moment ago): nothing saved.
        case unknownTheme
    }

    /// Saves a review of an answer as a new revision: `phrases` redacted from the original text, the safeguarding
    /// flag and whether it may be quoted. `basedOn` is the revision the reviewer saw (0 for an unreviewed answer);
    /// if another revision was saved since, nothing is saved and the outcome says so.
    public func review(
        inspectionID: Int,
        responseID: String,
        questionID: String,
        phrases: [String],
        safeguarding: Bool,
        quotable: Bool = false,
        themes: Set<Int> = [],
        basedOn: Int = 0,
        reviewer: Int,
        now: Date
    ) async throws -> ReviewOutcome {
        guard UUID(uuidString: responseID) != nil else { return .notFound }
        return try await database.withTransaction { connection in
            guard
                let row = try await connection.query(
                    """
                    SELECT answers -> \(questionID) ->> 'text' AS text FROM victim_response
                    WHERE id = \(responseID)::uuid AND inspection_id = \(inspectionID) FOR UPDATE
                    """
                ).first, let text = try row.decode("text", as: String?.self)
            else { return .notFound }
            let current =
                try await connection.query(
                    "SELECT revision FROM victim_free_text_review WHERE response_id = \(responseID)::uuid AND question_id = \(questionID)"
                ).first?.decode("revision", as: Int.self) ?? 0
            guard current == basedOn else { return .conflict(current: current) }
            let themeIDs = themes.sorted()
            let known = try await connection.query(
                "SELECT count(*) AS n FROM inspection_theme WHERE inspection_id = \(inspectionID) AND id = ANY(\(themeIDs)::bigint[])"
            )[0].decode("n", as: Int.self)
            guard known == themeIDs.count else { return .unknownTheme }
            let kept = phrases.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
            let (redacted, count) = Self.redact(text, phrases: kept)
            let revision = current + 1
            try await connection.execute(
                """
                INSERT INTO victim_free_text_review
                    (response_id, question_id, redacted_text, redactions, reviewed_by, reviewed_at, safeguarding, quotable, revision)
                VALUES (\(responseID)::uuid, \(questionID), \(redacted), \(count), \(reviewer), \(now), \(safeguarding), \(quotable), \(revision))
                ON CONFLICT (response_id, question_id) DO UPDATE SET redacted_text = excluded.redacted_text,
                    redactions = excluded.redactions, reviewed_by = excluded.reviewed_by, reviewed_at = excluded.reviewed_at,
                    safeguarding = excluded.safeguarding, quotable = excluded.quotable, revision = excluded.revision
                """
            )
            try await connection.execute(
                """
                DELETE FROM victim_free_text_theme WHERE response_id = \(responseID)::uuid AND question_id = \(questionID)
                """
            )
            try await connection.execute(
                """
                INSERT INTO victim_free_text_theme (response_id, question_id, theme_id)
                SELECT \(responseID)::uuid, \(questionID), unnest(\(themeIDs)::bigint[])
                """
            )
            try await connection.execute(
                """
                INSERT INTO victim_free_text_review_revision
                    (response_id, question_id, revision, phrases, redacted_text, redactions, safeguarding, quotable, reviewed_by, reviewed_at, themes)
                VALUES (\(responseID)::uuid, \(questionID), \(revision), \(kept)::text[], \(redacted), \(count), \(safeguarding), \(quotable),
                    \(reviewer), \(now),
                    ARRAY(SELECT name FROM inspection_theme WHERE id = ANY(\(themeIDs)::bigint[]) ORDER BY position, id))
                """
            )
            return .saved(revision: revision)
        }
    }
}
