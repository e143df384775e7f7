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

    /// Whether this person's role has `permission`. Disabled accounts have none.
    public func can(_ permission: Permission) -> Bool { active && role.allows(permission) }
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
