import Foundation

/// A staff member's account, as the application sees it (never with the password hash).
public struct StaffUser: Sendable, Equatable {
    public typealias ID = Int64

    public let id: ID
    public var email: String
    public var displayName: String
    public var role: Role
    public var organisationID: Organisation.ID
    public var organisationName: String
    public var mustChangePassword: Bool
    public var active: Bool

    public init(
        id: ID,
        email: String,
        displayName: String,
        role: Role,
        organisationID: Organisation.ID,
        organisationName: String,
        mustChangePassword: Bool,
        active: Bool
    ) {
        self.id = id
        self.email = email
        self.displayName = displayName
        self.role = role
        self.organisationID = organisationID
        self.organisationName = organisationName
        self.mustChangePassword = mustChangePassword
        self.active = active
    }

    /// Whether this person's role has `permission`. Disabled accounts have none.
    public func can(_ permission: Permission) -> Bool { active && role.allows(permission) }

    /// Whether this person may see work belonging to `organisation`: provider staff (VLOs, survey coordinators) only
    /// their own provider's, inspectors and administrators any (inspectors are further limited to their assigned
    /// inspections by the inspections feature).
    public func maySeeWork(of organisation: Organisation.ID) -> Bool {
        active && (role.organisationKind != .provider || organisationID == organisation)
    }
}

/// The inspectorate or an inspected provider.
public struct Organisation: Sendable, Equatable {
    public typealias ID = Int64

    public let id: ID
    public let kind: OrganisationKind
    public let name: String
    /// For providers: the provider's kind (trust, nps, crc), code and area.
    public let providerKind: String?
    public let providerCode: String?
    public let areaName: String?
}

/// Whether an organisation is the inspectorate or a provider.
public enum OrganisationKind: String, Sendable {
    case inspectorate
    case provider
}

/// An area from the reference data, for choosing where a new provider works.
public struct Area: Sendable, Equatable {
    public let id: Int64
    public let code: String
    public let name: String
}

/// The kinds of provider in the reference data (DOMAIN.md §1): Probation Trusts until 2014, then NPS divisions and CRCs.
public enum ProviderKind: String, CaseIterable, Sendable {
    case trust
    case nps
    case crc

    public var label: String {
        switch self {
        case .trust: "Probation Trust"
        case .nps: "National Probation Service division"
        case .crc: "Community Rehabilitation Company"
        }
    }
}
