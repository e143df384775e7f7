import Foundation
import Postgres

extension ReportStore {
    /// Counts of service-user survey answers for one area, all other areas, and the areas inspected so far.
    public struct SurveyCounts: Sendable, Equatable {
        /// Survey years with a current import.
        public var years: [Int] = []
        /// Per year, variable and answer code: rows from the area (its provider codes and its predecessors').
        public var area: [Int: [String: [Int: Int]]] = [:]
        /// The same for every other area (the national comparison).
        public var other: [Int: [String: [Int: Int]]] = [:]
        /// The latest year's counts for each inspected area (area id → variable → code → n).
        public var inspectedAreas: [Int: [String: [Int: Int]]] = [:]
        /// How many survey provider codes map to the area.
        public var mappedCodes = 0

        public init() {}
    }

    /// Writes the summary counts of every current batch of `codebookID` not yet summarised, for `variables`.
    /// Safe to run concurrently: the second caller waits for the first's transaction and then finds nothing to do.
    /// Runs on the main pool (`writer`), never on a standby.
    public func summariseSurveyBatches(codebookID: String, variables: [String]) async throws {
        let pending = try await writer.query(
            """
            SELECT b.id FROM service_user_import_batch b
            WHERE b.codebook_id = \(codebookID) AND b.status = 'current'
              AND NOT EXISTS (SELECT 1 FROM service_user_summary_batch s WHERE s.batch_id = b.id)
            ORDER BY b.id
            """
        ).map { try $0.decode("id", as: Int.self) }
        let list = "{" + variables.map { "\"\($0)\"" }.joined(separator: ",") + "}"
        for batch in pending {
            try await writer.withTransaction { connection in
                let claimed = try await connection.execute(
                    """
                    INSERT INTO service_user_summary_batch (batch_id, variables) VALUES (\(batch), \(list)::text[])
                    ON CONFLICT (batch_id) DO NOTHING
                    """
                )
                guard claimed == 1 else { return }
                try await connection.execute(
                    """
                    INSERT INTO service_user_summary (batch_id, provider_code, variable, code, n)
                    SELECT r.batch_id, r.provider_code, v.name, r.codes[v.i], count(*)
                    FROM service_user_response r
                    JOIN service_user_import_batch b ON b.id = r.batch_id
                    CROSS JOIN LATERAL unnest(b.variables) WITH ORDINALITY AS v(name, i)
                    WHERE r.batch_id = \(batch) AND v.name = ANY(\(list)::text[])
                    GROUP BY r.batch_id, r.provider_code, v.name, r.codes[v.i]
                    """
                )
            }
        }
    }

    /// The survey counts for `areaID` (with its predecessors), every other area, and the areas inspected so far.
    public func surveyCounts(areaID: Int, codebookID: String) async throws -> SurveyCounts {
        var counts = SurveyCounts()
        counts.mappedCodes = try await database.query(
            """
            WITH RECURSIVE family(area_id) AS (
                SELECT \(areaID)::bigint
                UNION SELECT l.predecessor_id FROM area_lineage l JOIN family f ON l.successor_id = f.area_id)
            SELECT count(*) AS n FROM service_user_provider_area
            WHERE codebook_id = \(codebookID) AND area_id IN (SELECT area_id FROM family)
            """
        )[0].decode("n", as: Int.self)
        let rows = try await database.query(
            """
            WITH RECURSIVE family(area_id) AS (
                SELECT \(areaID)::bigint
                UNION SELECT l.predecessor_id FROM area_lineage l JOIN family f ON l.successor_id = f.area_id),
            codes AS (SELECT provider_code FROM service_user_provider_area
                      WHERE codebook_id = \(codebookID) AND area_id IN (SELECT area_id FROM family))
            SELECT b.survey_year AS year, s.variable, s.code, s.provider_code IN (SELECT provider_code FROM codes) AS in_area,
                   sum(s.n)::bigint AS n
            FROM service_user_summary s
            JOIN service_user_import_batch b ON b.id = s.batch_id
            WHERE b.status = 'current' AND b.codebook_id = \(codebookID) AND s.code >= 0
            GROUP BY 1, 2, 3, 4
            """
        )
        var years = Set<Int>()
        for row in rows {
            let year = try row.decode("year", as: Int.self)
            let variable = try row.decode("variable", as: String.self)
            let code = try row.decode("code", as: Int.self)
            let n = try row.decode("n", as: Int.self)
            years.insert(year)
            if try row.decode("in_area", as: Bool.self) {
                counts.area[year, default: [:]][variable, default: [:]][code, default: 0] += n
            } else {
                counts.other[year, default: [:]][variable, default: [:]][code, default: 0] += n
            }
        }
        counts.years = years.sorted()
        guard let latest = counts.years.last else { return counts }
        let inspected = try await database.query(
            """
            WITH RECURSIVE family(root, area_id) AS (
                SELECT DISTINCT area_id, area_id FROM inspection
                UNION SELECT f.root, l.predecessor_id FROM area_lineage l JOIN family f ON l.successor_id = f.area_id)
            SELECT f.root AS area, s.variable, s.code, sum(s.n)::bigint AS n
            FROM service_user_summary s
            JOIN service_user_import_batch b ON b.id = s.batch_id
            JOIN service_user_provider_area m ON m.codebook_id = b.codebook_id AND m.provider_code = s.provider_code
            JOIN family f ON f.area_id = m.area_id
            WHERE b.status = 'current' AND b.codebook_id = \(codebookID) AND b.survey_year = \(latest) AND s.code >= 0
            GROUP BY 1, 2, 3
            """
        )
        for row in inspected {
            counts.inspectedAreas[try row.decode("area", as: Int.self), default: [:]][try row.decode("variable", as: String.self), default: [:]][
                try row.decode("code", as: Int.self),
                default: 0
            ] += try row.decode("n", as: Int.self)
        }
        return counts
    }
}
