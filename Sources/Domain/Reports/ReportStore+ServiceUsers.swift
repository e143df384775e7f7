import Foundation
import Postgres

extension ReportStore {
    /// Counts of service-user survey answers for every area, so that each area's figures can be protected the
    /// same way in every report (an inspector can open a report for any area).
    public struct SurveyCounts: Sendable, Equatable {
        /// Survey years with a current import.
        public var years: [Int] = []
        /// The report's area.
        public var areaID = 0
        /// Per year, area (the area each provider code maps to directly), variable and answer code: the count.
        public var areas: [Int: [Int: [String: [Int: Int]]]] = [:]
        /// Per year, variable and code: rows from provider codes mapped to no area.
        public var unmapped: [Int: [String: [Int: Int]]] = [:]
        /// Each area's family: itself and its predecessors (a merged area's figures include theirs).
        public var families: [Int: Set<Int>] = [:]
        /// Areas with an inspection (the lowest, highest and average are of these).
        public var inspected: Set<Int> = []
        /// How many survey provider codes map to the report's area or its predecessors.
        public var mappedCodes = 0

        public init() {}

        /// The family of `area` (itself when it has no predecessors).
        public func family(_ area: Int) -> Set<Int> { families[area] ?? [area] }
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

    /// The survey counts of every area (with the report's area `areaID` marked), every year.
    public func surveyCounts(areaID: Int, codebookID: String) async throws -> SurveyCounts {
        var counts = SurveyCounts()
        counts.areaID = areaID
        for row in try await database.query(
            """
            WITH RECURSIVE family(root, area_id) AS (
                SELECT id, id FROM area
                UNION SELECT f.root, l.predecessor_id FROM area_lineage l JOIN family f ON l.successor_id = f.area_id)
            SELECT root, area_id FROM family
            """
        ) {
            counts.families[try row.decode("root", as: Int.self), default: []].insert(try row.decode("area_id", as: Int.self))
        }
        let family = counts.family(areaID)
        counts.mappedCodes = try await database.query(
            """
            SELECT count(*) AS n FROM service_user_provider_area
            WHERE codebook_id = \(codebookID) AND area_id = ANY(\("{" + family.map(String.init).joined(separator: ",") + "}")::bigint[])
            """
        )[0].decode("n", as: Int.self)
        counts.inspected = Set(try await database.query("SELECT DISTINCT area_id FROM inspection").map { try $0.decode("area_id", as: Int.self) })
        let rows = try await database.query(
            """
            SELECT b.survey_year AS year, s.variable, s.code, m.area_id, sum(s.n)::bigint AS n
            FROM service_user_summary s
            JOIN service_user_import_batch b ON b.id = s.batch_id
            LEFT JOIN service_user_provider_area m ON m.codebook_id = b.codebook_id AND m.provider_code = s.provider_code
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
            if let area = try row.decode("area_id", as: Int?.self) {
                counts.areas[year, default: [:]][area, default: [:]][variable, default: [:]][code, default: 0] += n
            } else {
                counts.unmapped[year, default: [:]][variable, default: [:]][code, default: 0] += n
            }
        }
        counts.years = years.sorted()
        return counts
    }
}
