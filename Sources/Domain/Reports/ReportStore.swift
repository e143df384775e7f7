import Foundation
import Postgres

/// The report's reads: raw aggregates per inspection, computed in PostgreSQL. Nothing here applies disclosure
/// control; `StakeholderReport` does, before anything is shown or exported.
///
/// Reads go through `database`, which may be a standby (`REPORT_DATABASE_URL`); the one thing the report writes,
/// the per-batch survey summary, goes through `writer`, the main pool.
public struct ReportStore: Sendable {
    let database: PostgresClient
    let writer: PostgresClient

    /// A store reading through `database` and writing through `writer` (by default the same pool).
    public init(database: PostgresClient, writer: PostgresClient? = nil) {
        self.database = database
        self.writer = writer ?? database
    }

    /// The inspection's heading facts.
    public struct InspectionFacts: Sendable, Equatable {
        public let id: Int
        public let title: String
        public let areaID: Int
        public let areaName: String
    }

    /// One provider's links and responses.
    public struct ProviderLinks: Sendable, Equatable {
        public let providerID: Int
        public let name: String
        /// Links issued and not revoked.
        public let issued: Int
        public let opened: Int
        public let started: Int
        public let submitted: Int
        public let withdrawn: Int
        /// Responses held (online and paper).
        public let responses: Int

        public init(providerID: Int, name: String, issued: Int, opened: Int, started: Int, submitted: Int, withdrawn: Int, responses: Int) {
            self.providerID = providerID
            self.name = name
            self.issued = issued
            self.opened = opened
            self.started = started
            self.submitted = submitted
            self.withdrawn = withdrawn
            self.responses = responses
        }
    }

    /// Counts of answers to the victim questionnaire.
    public struct VictimAnswerCounts: Sendable, Equatable {
        /// Responses held for the inspection.
        public var responses = 0
        /// Per question id, per option code, the number of answers choosing it.
        public var codes: [String: [String: Int]] = [:]
        /// Per question id, the number of responses answering it.
        public var answered: [String: Int] = [:]
        /// Per free-text question id, the answers an inspector has reviewed.
        public var reviewed: [String: Int] = [:]
        /// The inspection's themes in order, each with its tagged reviewed answers per question id.
        public var themes: [ThemeTally] = []

        public init() {}
    }

    /// One theme of an inspection and, per free-text question id, the reviewed answers tagged with it.
    public struct ThemeTally: Sendable, Equatable {
        public let name: String
        public var tagged: [String: Int]

        public init(name: String, tagged: [String: Int]) {
            self.name = name
            self.tagged = tagged
        }
    }

    /// The inspection with `id` and its area's name, or nil.
    public func inspection(_ id: Int) async throws -> InspectionFacts? {
        let rows = try await database.query(
            """
            SELECT i.id, i.title, i.area_id, a.name AS area_name
            FROM inspection i JOIN area a ON a.id = i.area_id
            WHERE i.id = \(id)
            """
        )
        return try rows.first.map {
            InspectionFacts(
                id: try $0.decode("id"),
                title: try $0.decode("title"),
                areaID: try $0.decode("area_id"),
                areaName: try $0.decode("area_name")
            )
        }
    }

    /// Links issued, opened, started, submitted and withdrawn, and responses held, for every provider the inspection
    /// covers (a provider with no links has zeros).
    public func providerLinks(inspectionID: Int) async throws -> [ProviderLinks] {
        let rows = try await database.query(
            """
            SELECT p.id, p.name,
                   count(i.id) FILTER (WHERE i.status <> 'revoked') AS issued,
                   count(i.opened_at) FILTER (WHERE i.status <> 'revoked') AS opened,
                   count(i.started_at) FILTER (WHERE i.status <> 'revoked') AS started,
                   count(i.submitted_at) AS submitted,
                   count(i.withdrawn_at) AS withdrawn,
                   (SELECT count(*) FROM victim_response r
                    WHERE r.inspection_id = ip.inspection_id AND r.provider_id = p.id AND r.form_id = \(InvitationAccess.victimFormID)) AS responses
            FROM inspection_provider ip
            JOIN provider p ON p.id = ip.provider_id
            LEFT JOIN invitation i ON i.inspection_id = ip.inspection_id AND i.provider_id = ip.provider_id AND i.form_id = \(InvitationAccess.victimFormID)
            WHERE ip.inspection_id = \(inspectionID)
            GROUP BY ip.inspection_id, p.id, p.name
            ORDER BY p.name, p.id
            """
        )
        return try rows.map { row in
            ProviderLinks(
                providerID: try row.decode("id"),
                name: try row.decode("name"),
                issued: try row.decode("issued"),
                opened: try row.decode("opened"),
                started: try row.decode("started"),
                submitted: try row.decode("submitted"),
                withdrawn: try row.decode("withdrawn"),
                responses: try row.decode("responses")
            )
        }
    }

    /// Answer counts per question and option for the inspection's victim responses to `formID` (all versions:
    /// question ids and option codes keep their meaning across versions). Free text is never read here.
    public func victimAnswerCounts(inspectionID: Int, formID: String) async throws -> VictimAnswerCounts {
        var counts = VictimAnswerCounts()
        let rows = try await database.query(
            """
            WITH r AS (SELECT answers FROM victim_response WHERE inspection_id = \(inspectionID) AND form_id = \(formID)),
            q AS (SELECT a.key, a.value FROM r, jsonb_each(r.answers) a)
            SELECT 'response' AS kind, NULL AS question, NULL AS code, count(*) AS n FROM r
            UNION ALL
            SELECT 'answered', key, NULL, count(*) FROM q GROUP BY key
            UNION ALL
            SELECT 'code', key, c, count(*) FROM q, jsonb_array_elements_text(q.value -> 'codes') c
            WHERE jsonb_typeof(q.value -> 'codes') = 'array' AND c IS NOT NULL GROUP BY key, c
            """
        )
        for row in rows {
            let n = try row.decode("n", as: Int.self)
            switch try row.decode("kind", as: String.self) {
            case "response": counts.responses = n
            case "answered": counts.answered[try row.decode("question"), default: 0] = n
            default: counts.codes[try row.decode("question", as: String.self), default: [:]][try row.decode("code", as: String.self)] = n
            }
        }
        for row in try await database.query(
            """
            SELECT v.question_id, count(*) AS n FROM victim_free_text_review v JOIN victim_response r ON r.id = v.response_id
            WHERE r.inspection_id = \(inspectionID) AND r.form_id = \(formID) GROUP BY v.question_id
            """
        ) {
            counts.reviewed[try row.decode("question_id")] = try row.decode("n", as: Int.self)
        }
        var byTheme: [Int: Int] = [:]
        for row in try await database.query(
            """
            SELECT t.id, t.name, g.question_id, count(r.id) AS n
            FROM inspection_theme t
            LEFT JOIN victim_free_text_theme g ON g.theme_id = t.id
            LEFT JOIN victim_response r ON r.id = g.response_id AND r.form_id = \(formID)
            WHERE t.inspection_id = \(inspectionID)
            GROUP BY t.id, t.name, t.position, g.question_id
            ORDER BY t.position, t.id
            """
        ) {
            let id = try row.decode("id", as: Int.self)
            if byTheme[id] == nil {
                byTheme[id] = counts.themes.count
                counts.themes.append(ThemeTally(name: try row.decode("name"), tagged: [:]))
            }
            if let question = try row.decode("question_id", as: String?.self), let index = byTheme[id] {
                counts.themes[index].tagged[question] = try row.decode("n", as: Int.self)
            }
        }
        return counts
    }
}
