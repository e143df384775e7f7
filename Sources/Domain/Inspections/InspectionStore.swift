import Foundation
import Postgres

/// Inspections in PostgreSQL.
public struct InspectionStore: Sendable {
    let database: PostgresClient

    public init(database: PostgresClient) {
        self.database = database
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let problems: [(field: String, message: String)]
        public var description: String { problems.map(\.message).joined(separator: "; ") }
    }

    /// Creates an inspection covering `providerIDs`. Throws `Invalid` when the dates contradict each other or no
    /// provider is given; nothing is stored then.
    public func create(title: String, areaID: Int, providerIDs: [Int], dates: InspectionDates) async throws -> Int {
        var problems = dates.problems()
        if providerIDs.isEmpty { problems.append(("providers", "Choose at least one provider")) }
        problems += Self.titleProblems(title)
        if !problems.isEmpty { throw Invalid(problems: problems) }
        return try await database.withTransaction { connection in
            let rows = try await connection.query(
                """
                INSERT INTO inspection (title, area_id, announced_on, fieldwork_starts_on, week_plus_two_on,
                                        victim_window_opens_on, victim_window_closes_on)
                VALUES (\(title), \(areaID), \(dates.announcedOn), \(dates.fieldworkStartsOn), \(dates.weekPlusTwoOn),
                        \(dates.victimWindowOpensOn), \(dates.victimWindowClosesOn))
                RETURNING id
                """
            )
            let id = try rows[0].decode("id", as: Int.self)
            for provider in Set(providerIDs) {
                try await connection.execute("INSERT INTO inspection_provider (inspection_id, provider_id) VALUES (\(id), \(provider))")
            }
            return id
        }
    }

    /// The inspection with `id`, or nil.
    public func find(_ id: Int) async throws -> Inspection? {
        var query = Self.selectInspections
        query.append(" WHERE i.id = \(id) GROUP BY i.id")
        return try await database.query(query).first.map(Self.decode)
    }

    /// The problem with a title, if any (empty, or over 200 characters).
    package static func titleProblems(_ title: String) -> [(field: String, message: String)] {
        title.trimmingCharacters(in: .whitespaces).isEmpty || title.count > 200 ? [("title", "Enter a title of up to 200 characters")] : []
    }

    /// An inspector's assignment to an inspection.
    public struct Assignment: Sendable, Equatable {
        public let isLead: Bool
    }

    /// `userID`'s assignment to the inspection, or nil (admins are not assigned: `InspectionAccess` checks the role).
    public func assignment(inspectionID: Int, userID: Int) async throws -> Assignment? {
        try await database.query(
            "SELECT is_lead FROM inspection_inspector WHERE inspection_id = \(inspectionID) AND user_id = \(userID)"
        ).first.map { Assignment(isLead: try $0.decode("is_lead")) }
    }

    /// Replaces the inspectors assigned to an inspection; `lead` (one of them) becomes the lead inspector.
    public func assign(inspectionID: Int, inspectors: [Int], lead: Int?) async throws {
        try await database.withTransaction { connection in
            try await connection.execute("DELETE FROM inspection_inspector WHERE inspection_id = \(inspectionID)")
            for user in Set(inspectors) {
                try await connection.execute(
                    """
                    INSERT INTO inspection_inspector (inspection_id, user_id, is_lead)
                    SELECT \(inspectionID), id, \(user == lead) FROM staff_user WHERE id = \(user) AND role = 'inspector'
                    """
                )
            }
        }
    }

    static func decode(_ row: PostgresRow) throws -> Inspection {
        let providers = try row.decode("providers", as: String.self)
        return Inspection(
            id: try row.decode("id"),
            title: try row.decode("title"),
            areaID: try row.decode("area_id"),
            providerIDs: providers.trimmingCharacters(in: CharacterSet(charactersIn: "{}")).split(separator: ",").compactMap { Int($0) },
            announcedOn: try row.decode("announced_on"),
            fieldworkStartsOn: try row.decode("fieldwork_starts_on"),
            weekPlusTwoOn: try row.decode("week_plus_two_on"),
            victimWindowOpensOn: try row.decode("victim_window_opens_on"),
            victimWindowClosesOn: try row.decode("victim_window_closes_on"),
            publishedOn: try row.decode("published_on"),
            closedOn: try row.decode("closed_on")
        )
    }
}
