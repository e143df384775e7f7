import Foundation
import Postgres

/// A name with its id, for choices on forms.
public struct NamedItem: Sendable, Hashable {
    public let id: Int
    public let name: String
}

extension InspectionStore {
    static let selectInspections: PostgresQuery = """
        SELECT i.*, coalesce(array_agg(p.provider_id ORDER BY p.provider_id) FILTER (WHERE p.provider_id IS NOT NULL), '{}') AS providers
        FROM inspection i LEFT JOIN inspection_provider p ON p.inspection_id = i.id
        """

    /// Every inspection (for admins), newest fieldwork first.
    public func all() async throws -> [Inspection] {
        var query = Self.selectInspections
        query.append(" GROUP BY i.id ORDER BY i.fieldwork_starts_on DESC, i.id DESC")
        return try await database.query(query).map(Self.decode)
    }

    /// The inspections `userID` is assigned to.
    public func assigned(to userID: Int) async throws -> [Inspection] {
        var query = Self.selectInspections
        query.append(
            " WHERE i.id IN (SELECT inspection_id FROM inspection_inspector WHERE user_id = \(userID)) GROUP BY i.id ORDER BY i.fieldwork_starts_on DESC, i.id DESC"
        )
        return try await database.query(query).map(Self.decode)
    }

    /// The inspections that cover `providerID` (what a VLO of that provider works on).
    public func covering(providerID: Int) async throws -> [Inspection] {
        var query = Self.selectInspections
        query.append(
            " WHERE i.id IN (SELECT inspection_id FROM inspection_provider WHERE provider_id = \(providerID)) GROUP BY i.id ORDER BY i.fieldwork_starts_on DESC, i.id DESC"
        )
        return try await database.query(query).map(Self.decode)
    }

    /// Edits an inspection's title and dates. Throws `Invalid` when the dates contradict each other.
    public func update(_ id: Int, title: String, dates: InspectionDates) async throws {
        var problems = dates.problems()
        problems += Self.titleProblems(title)
        if !problems.isEmpty { throw Invalid(problems: problems) }
        try await database.execute(
            """
            UPDATE inspection SET title = \(title), announced_on = \(dates.announcedOn), fieldwork_starts_on = \(dates.fieldworkStartsOn),
                week_plus_two_on = \(dates.weekPlusTwoOn), victim_window_opens_on = \(dates.victimWindowOpensOn),
                victim_window_closes_on = \(dates.victimWindowClosesOn)
            WHERE id = \(id)
            """
        )
    }

    /// Closes the victim window now: it ends today (or on its opening day, if that is later) and every unused link
    /// expires at once.
    public func closeVictimWindow(_ id: Int, today: LocalDate, now: Date, invitations: InvitationStore) async throws -> Int {
        try await database.execute(
            """
            UPDATE inspection SET victim_window_closes_on = greatest(victim_window_opens_on + 1, least(victim_window_closes_on, \(today)))
            WHERE id = \(id)
            """
        )
        return try await invitations.expireUnused(inspectionID: id, now: now)
    }

    /// Areas, for the inspection form.
    public func areas() async throws -> [NamedItem] {
        try await database.query("SELECT id, name FROM area ORDER BY name, id").map {
            NamedItem(id: try $0.decode("id"), name: try $0.decode("name"))
        }
    }

    /// Providers with their area's name, for the inspection form.
    public func providers() async throws -> [NamedItem] {
        try await database.query("SELECT p.id, p.name || ' (' || a.name || ')' AS name FROM provider p JOIN area a ON a.id = p.area_id ORDER BY 2, 1")
            .map { NamedItem(id: try $0.decode("id"), name: try $0.decode("name")) }
    }

    /// Active inspectors, for assigning.
    public func inspectors() async throws -> [NamedItem] {
        try await database.query("SELECT id, display_name FROM staff_user WHERE role = 'inspector' AND active ORDER BY display_name, id")
            .map { NamedItem(id: try $0.decode("id"), name: try $0.decode("display_name")) }
    }

    /// The inspectors assigned, with the lead first.
    public func assignedInspectors(_ inspectionID: Int) async throws -> [(item: NamedItem, isLead: Bool)] {
        try await database.query(
            """
            SELECT u.id, u.display_name, a.is_lead FROM inspection_inspector a JOIN staff_user u ON u.id = a.user_id
            WHERE a.inspection_id = \(inspectionID) ORDER BY a.is_lead DESC, u.display_name
            """
        ).map { (NamedItem(id: try $0.decode("id"), name: try $0.decode("display_name")), try $0.decode("is_lead", as: Bool.self)) }
    }

    /// The provider a provider organisation stands for.
    public func providerID(ofOrganisation organisationID: Int64) async throws -> Int? {
        try await database.query("SELECT provider_id FROM organisation WHERE id = \(Int(organisationID))").first?.decode("provider_id", as: Int?.self)
    }
}
