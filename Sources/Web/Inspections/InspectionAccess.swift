import Domain
import Hummingbird

/// "May this person use this inspection?", answered in one place for every inspection route (issue 16): the route
/// says what it needs, and gets the inspection back or a 404 (no such inspection) or 403 (not theirs) page.
struct InspectionAccess: Sendable {
    /// What a route needs of the person, beyond its permission.
    enum Need: Sendable {
        /// Administrators, and inspectors assigned to the inspection.
        case assigned
        /// Administrators, and the inspection's lead inspector.
        case lead
        /// A VLO whose provider the inspection covers (the provider comes back with the inspection).
        case coversProvider
    }

    /// The inspection, and for `.coversProvider` the VLO's provider.
    struct Granted: Sendable {
        let inspection: Inspection
        let providerID: Int?
    }

    let inspections: InspectionStore

    init(database: PostgresClient) {
        inspections = InspectionStore(database: database)
    }

    /// The inspection named by the path's `parameter` (`:id` unless told), if `session` may use it for `need`.
    func resolve(_ context: AppRequestContext, parameter: String = "id", _ session: StaffSession, _ need: Need) async throws -> Granted {
        try await resolve(context.parameters.get(parameter, as: Int.self), session, need)
    }

    /// Inspection `id`, if `session` may use it for `need`: 404 when there is none, 403 when it is not theirs.
    func resolve(_ id: Int?, _ session: StaffSession, _ need: Need) async throws -> Granted {
        var provider: Int?
        if need == .coversProvider {
            // Asked first: a VLO without a provider learns nothing about which inspections exist.
            guard let own = try await inspections.providerID(ofOrganisation: session.user.organisationID) else {
                throw HTTPError(.forbidden, message: "Your account is not linked to a provider.")
            }
            provider = own
        }
        guard let id, let inspection = try await inspections.find(id) else { throw HTTPError(.notFound) }
        switch need {
        case .coversProvider:
            guard let provider, inspection.providerIDs.contains(provider) else {
                throw HTTPError(.forbidden, message: "This inspection does not cover your organisation.")
            }
        case .assigned, .lead:
            guard session.user.role != .admin else { break }
            let assignment = session.user.role == .inspector ? try await inspections.assignment(inspectionID: id, userID: Int(session.user.id)) : nil
            guard let assignment else { throw HTTPError(.forbidden, message: "You are not assigned to this inspection.") }
            if need == .lead, !assignment.isLead {
                throw HTTPError(.forbidden, message: "Only the inspection's lead inspector or an administrator can do this.")
            }
        }
        return Granted(inspection: inspection, providerID: provider)
    }
}
