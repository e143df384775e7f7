import Forms
import Foundation
import Postgres

/// An inspection's themes for victims' free-text answers: seeded once from the default list, then the inspectors'
/// own. Tags are saved with a review (`FreeTextReviewStore.review`); this store keeps the list.
public struct FreeTextThemeStore: Sendable {
    let database: PostgresClient

    public init(database: PostgresClient) {
        self.database = database
    }

    /// One theme of an inspection, with the number of reviewed answers tagged with it.
    public struct Theme: Sendable, Equatable {
        public let id: Int
        public let name: String
        public let welshName: String?
        public let description: String
        public let suggestedBy: [String]
        public var tagged = 0
    }

    /// What an inspector entered for a theme, trimmed; `problems` says what is wrong with it, field by field.
    package struct Draft: Sendable {
        package let name: String
        package let welshName: String
        package let description: String
        /// One phrase a line.
        package let suggestedBy: [String]

        package init(name: String, welshName: String, description: String, suggestedBy: [String]) {
            self.name = name
            self.welshName = welshName
            self.description = description
            self.suggestedBy = suggestedBy
        }

        package init(_ theme: Theme) {
            self.init(name: theme.name, welshName: theme.welshName ?? "", description: theme.description, suggestedBy: theme.suggestedBy)
        }

        /// The most phrases a theme may list, and the longest phrase.
        static let maximumPhrases = 50
        static let maximumPhraseLength = 100

        /// Field errors: the name required, names and description within their lengths, a name no other theme of the
        /// inspection has (ignoring case), at most `maximumPhrases` phrases of at most `maximumPhraseLength`.
        func problems(otherNames: [String]) -> FieldErrors {
            var errors = FieldErrors()
            checkText(name, field: "name", name: "a name for the theme", maximum: ThemeCatalogue.maximumNameLength, errors: &errors)
            if !errors.hasErrors, otherNames.contains(where: { $0.lowercased() == name.lowercased() }) {
                errors.add("name", "There is already a theme called ‘\(name)’: choose another name")
            }
            if welshName.count > ThemeCatalogue.maximumNameLength {
                errors.add("welsh_name", "The Welsh name must be \(ThemeCatalogue.maximumNameLength) characters or fewer")
            } else if welshName.contains(where: \.isNewline) {
                errors.add("welsh_name", "The Welsh name must be on one line")
            }
            if description.count > ThemeCatalogue.maximumDescriptionLength {
                errors.add("description", "The description must be \(ThemeCatalogue.maximumDescriptionLength) characters or fewer")
            }
            if suggestedBy.count > Self.maximumPhrases {
                errors.add("suggested_by", "Enter \(Self.maximumPhrases) phrases or fewer")
            } else if suggestedBy.contains(where: { $0.count > Self.maximumPhraseLength }) {
                errors.add("suggested_by", "Each phrase must be \(Self.maximumPhraseLength) characters or fewer")
            }
            return errors
        }
    }

    /// The inspection's themes in order, each with its count of tagged reviewed answers; the first time, the default
    /// list is copied in (once: a list an inspector emptied stays empty).
    public func themes(inspectionID: Int, defaults: [ThemeDefinition]) async throws -> [Theme] {
        let seeded = try await !database.query("SELECT 1 FROM inspection_theme_seeded WHERE inspection_id = \(inspectionID)").isEmpty
        if !seeded { try await seed(inspectionID: inspectionID, defaults: defaults) }
        return try await database.query(
            """
            SELECT t.id, t.name, t.welsh_name, t.description, array_to_json(t.suggested_by)::text AS suggested_by,
                   (SELECT count(*) FROM victim_free_text_theme g WHERE g.theme_id = t.id) AS tagged
            FROM inspection_theme t WHERE t.inspection_id = \(inspectionID)
            ORDER BY t.position, t.id
            """
        ).map {
            var theme = Theme(
                id: try $0.decode("id"),
                name: try $0.decode("name"),
                welshName: try $0.decode("welsh_name"),
                description: try $0.decode("description"),
                suggestedBy: try JSONDecoder().decode([String].self, from: Data(try $0.decode("suggested_by", as: String.self).utf8))
            )
            theme.tagged = try $0.decode("tagged")
            return theme
        }
    }

    private func seed(inspectionID: Int, defaults: [ThemeDefinition]) async throws {
        try await database.withTransaction { connection in
            // Two first visits at once: the second waits here and then finds the list seeded.
            let inserted = try await connection.query(
                "INSERT INTO inspection_theme_seeded (inspection_id) VALUES (\(inspectionID)) ON CONFLICT DO NOTHING RETURNING inspection_id"
            )
            guard !inserted.isEmpty else { return }
            for (position, theme) in defaults.enumerated() {
                try await connection.execute(
                    """
                    INSERT INTO inspection_theme (inspection_id, name, welsh_name, description, suggested_by, position)
                    VALUES (\(inspectionID), \(theme.name), \(theme.welshName), \(theme.description), \(theme.suggestedBy)::text[], \(position + 1))
                    ON CONFLICT DO NOTHING
                    """
                )
            }
        }
    }

    /// What adding or changing a theme did.
    package enum Outcome: Sendable {
        case saved(id: Int)
        case invalid(FieldErrors)
        case notFound
    }

    /// Adds a theme at the end of the list, or changes theme `themeID`; nothing changes when the draft has a problem.
    package func save(_ draft: Draft, inspectionID: Int, themeID: Int? = nil, defaults: [ThemeDefinition]) async throws -> Outcome {
        let existing = try await themes(inspectionID: inspectionID, defaults: defaults)
        if let themeID, !existing.contains(where: { $0.id == themeID }) { return .notFound }
        let errors = draft.problems(otherNames: existing.filter { $0.id != themeID }.map(\.name))
        guard errors.isEmpty else { return .invalid(errors) }
        let welsh: String? = draft.welshName.isEmpty ? nil : draft.welshName
        do {
            if let themeID {
                try await database.execute(
                    """
                    UPDATE inspection_theme SET name = \(draft.name), welsh_name = \(welsh), description = \(draft.description),
                        suggested_by = \(draft.suggestedBy)::text[]
                    WHERE id = \(themeID) AND inspection_id = \(inspectionID)
                    """
                )
                return .saved(id: themeID)
            }
            let row = try await database.query(
                """
                INSERT INTO inspection_theme (inspection_id, name, welsh_name, description, suggested_by, position)
                SELECT \(inspectionID), \(draft.name), \(welsh), \(draft.description), \(draft.suggestedBy)::text[],
                       coalesce(max(position), 0) + 1 FROM inspection_theme WHERE inspection_id = \(inspectionID)
                RETURNING id
                """
            )
            return .saved(id: try row[0].decode("id"))
        } catch let error as PostgresError where error.code == .uniqueViolation {
            // Another inspector added the same name a moment ago.
            var errors = FieldErrors()
            errors.add("name", "There is already a theme called ‘\(draft.name)’: choose another name")
            return .invalid(errors)
        }
    }

    /// Removes theme `themeID` and its tags; false when the inspection has no such theme.
    package func delete(themeID: Int, inspectionID: Int) async throws -> Bool {
        try await !database.query("DELETE FROM inspection_theme WHERE id = \(themeID) AND inspection_id = \(inspectionID) RETURNING id").isEmpty
    }

    /// The themes an answer is tagged with.
    package func tags(responseID: String, questionID: String) async throws -> Set<Int> {
        guard UUID(uuidString: responseID) != nil else { return [] }
        return Set(
            try await database.query(
                "SELECT theme_id FROM victim_free_text_theme WHERE response_id = \(responseID)::uuid AND question_id = \(questionID)"
            ).map { try $0.decode("theme_id", as: Int.self) }
        )
    }

    /// The first of `theme`'s phrases that occurs in `text` as whole words (ignoring case), or nil: a theme with
    /// one is pre-selected on the review page of an answer never reviewed.
    package static func suggestion(for text: String, theme: Theme) -> String? {
        theme.suggestedBy.first { FreeTextReviewStore.redact(text, phrases: [$0]).count > 0 }
    }

    /// The themes suggested for `text`.
    static func suggested(for text: String, among themes: [Theme]) -> Set<Int> {
        Set(themes.filter { suggestion(for: text, theme: $0) != nil }.map(\.id))
    }
}
