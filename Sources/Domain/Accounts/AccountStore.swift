import Foundation
import Postgres

/// The statements for users, organisations and areas. Constraint violations come back as `AccountStore.Conflict`
/// values for the pages to show; everything else is thrown.
public struct AccountStore: Sendable {
    let database: PostgresClient
    let now: @Sendable () -> Date

    public init(database: PostgresClient, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.now = now
    }

    /// Why a write was refused by the schema.
    public enum Conflict: Error, Equatable {
        case emailInUse
        case organisationDoesNotFitRole
        case codeInUse
        case notFound
    }

    /// A user with their password hash, for signing in.
    public struct Credentials: Sendable {
        public let user: StaffUser
        public let passwordHash: String
    }

    static let userColumns: PostgresQuery = """
        SELECT u.id, u.email, u.display_name, u.role, u.organisation_id, o.name AS organisation_name,
               u.must_change_password, u.active, u.password_hash
        FROM staff_user u JOIN organisation o ON o.id = u.organisation_id
        """

    static func user(from row: PostgresRow) throws -> StaffUser {
        let role: String = try row.decode("role")
        guard let role = Role(rawValue: role) else {
            throw PostgresDecodingFailure("staff_user.role holds an unknown role")
        }
        return StaffUser(
            id: try row.decode("id"),
            email: try row.decode("email"),
            displayName: try row.decode("display_name"),
            role: role,
            organisationID: try row.decode("organisation_id"),
            organisationName: try row.decode("organisation_name"),
            mustChangePassword: try row.decode("must_change_password"),
            active: try row.decode("active")
        )
    }

    /// The user with `email` (any case), active or not, with their hash; nil when there is none.
    public func credentials(email: String) async throws -> Credentials? {
        var query = Self.userColumns
        query.append(" WHERE u.email = \(Self.normalise(email))")
        guard let row = try await database.query(query).first else { return nil }
        return Credentials(user: try Self.user(from: row), passwordHash: try row.decode("password_hash"))
    }

    /// The user with `id`, or nil.
    public func user(id: StaffUser.ID) async throws -> StaffUser? {
        var query = Self.userColumns
        query.append(" WHERE u.id = \(id)")
        return try await database.query(query).first.map(Self.user(from:))
    }

    /// The current password hash of user `id`.
    public func passwordHash(id: StaffUser.ID) async throws -> String? {
        try await database.query("SELECT password_hash FROM staff_user WHERE id = \(id)").first?.decode("password_hash")
    }

    /// Every user, active first, then by name.
    public func users() async throws -> [StaffUser] {
        var query = Self.userColumns
        query.append(" ORDER BY u.active DESC, lower(u.display_name), u.id")
        return try await database.query(query).map(Self.user(from:))
    }

    /// What a new user needs.
    public struct NewUser: Sendable {
        public var email: String
        public var displayName: String
        public var role: Role
        public var organisationID: Organisation.ID
        public var passwordHash: String
        public var mustChangePassword: Bool

        public init(email: String, displayName: String, role: Role, organisationID: Organisation.ID, passwordHash: String, mustChangePassword: Bool) {
            self.email = email
            self.displayName = displayName
            self.role = role
            self.organisationID = organisationID
            self.passwordHash = passwordHash
            self.mustChangePassword = mustChangePassword
        }
    }

    /// Adds a user and records it in the audit log, in one transaction.
    public func create(_ new: NewUser, audit: AuditLog, actor: AuditActor) async throws -> Result<StaffUser.ID, Conflict> {
        do {
            let id: StaffUser.ID = try await database.withTransaction { connection in
                let rows = try await connection.query(
                    """
                    INSERT INTO staff_user (email, display_name, role, organisation_id, password_hash, must_change_password, created_at, updated_at)
                    VALUES (\(Self.normalise(new.email)), \(new.displayName), \(new.role.rawValue), \(new.organisationID),
                            \(new.passwordHash), \(new.mustChangePassword), \(now()), \(now()))
                    RETURNING id
                    """
                )
                let id: StaffUser.ID = try rows[0].decode("id")
                try await audit.record(
                    .userCreated,
                    actor: actor,
                    subject: .user(id),
                    details: ["role": .code(new.role.rawValue), "organisation_id": .int(new.organisationID)],
                    on: connection
                )
                return id
            }
            return .success(id)
        } catch let error as PostgresError {
            return .failure(try Self.conflict(error))
        }
    }

    /// Changes a user's name, role and organisation.
    public func update(
        id: StaffUser.ID,
        displayName: String,
        role: Role,
        organisationID: Organisation.ID,
        audit: AuditLog,
        actor: AuditActor
    ) async throws -> Result<Void, Conflict> {
        do {
            let changed = try await database.withTransaction { connection in
                let count = try await connection.execute(
                    """
                    UPDATE staff_user SET display_name = \(displayName), role = \(role.rawValue), organisation_id = \(organisationID),
                        updated_at = \(now())
                    WHERE id = \(id)
                    """
                )
                if count == 1 {
                    try await audit.record(
                        .userUpdated,
                        actor: actor,
                        subject: .user(id),
                        details: ["role": .code(role.rawValue), "organisation_id": .int(organisationID)],
                        on: connection
                    )
                }
                return count == 1
            }
            return changed ? .success(()) : .failure(.notFound)
        } catch let error as PostgresError {
            return .failure(try Self.conflict(error))
        }
    }

    /// Sets a new password hash and ends every session of the user, in one transaction with its audit entry.
    /// `mustChange` marks a temporary password that has to be replaced at the next sign-in.
    public func setPassword(
        id: StaffUser.ID,
        hash: String,
        mustChange: Bool,
        event: AuditEvent,
        audit: AuditLog,
        actor: AuditActor
    ) async throws -> Bool {
        try await database.withTransaction { connection in
            let count = try await connection.execute(
                """
                UPDATE staff_user SET password_hash = \(hash), must_change_password = \(mustChange), updated_at = \(now())
                WHERE id = \(id)
                """
            )
            guard count == 1 else { return false }
            try await connection.execute("DELETE FROM staff_session WHERE user_id = \(id)")
            try await audit.record(event, actor: actor, subject: .user(id), details: ["temporary": .bool(mustChange)], on: connection)
            return true
        }
    }

    /// Disables a user and ends all their sessions. Returns false when there is no such user.
    public func disable(id: StaffUser.ID, audit: AuditLog, actor: AuditActor) async throws -> Bool {
        try await database.withTransaction { connection in
            let count = try await connection.execute("UPDATE staff_user SET active = false, updated_at = \(now()) WHERE id = \(id)")
            guard count == 1 else { return false }
            try await connection.execute("DELETE FROM staff_session WHERE user_id = \(id)")
            try await audit.record(.userDisabled, actor: actor, subject: .user(id), on: connection)
            return true
        }
    }

    // MARK: Organisations and areas

    static let organisationColumns: PostgresQuery = """
        SELECT o.id, o.kind, o.name, p.kind AS provider_kind, p.code AS provider_code, a.name AS area_name
        FROM organisation o LEFT JOIN provider p ON p.id = o.provider_id LEFT JOIN area a ON a.id = p.area_id
        """

    static func organisation(from row: PostgresRow) throws -> Organisation {
        let kind: String = try row.decode("kind")
        return Organisation(
            id: try row.decode("id"),
            kind: OrganisationKind(rawValue: kind) ?? .provider,
            name: try row.decode("name"),
            providerKind: try row.decode("provider_kind"),
            providerCode: try row.decode("provider_code"),
            areaName: try row.decode("area_name")
        )
    }

    /// The inspectorate first, then providers by name.
    public func organisations() async throws -> [Organisation] {
        var query = Self.organisationColumns
        query.append(" ORDER BY o.kind = 'inspectorate' DESC, lower(o.name), o.id")
        return try await database.query(query).map(Self.organisation(from:))
    }

    /// The inspectorate's organisation id.
    public func inspectorateID() async throws -> Organisation.ID {
        let rows = try await database.query("SELECT id FROM organisation WHERE kind = 'inspectorate'")
        guard let row = rows.first else { throw Conflict.notFound }
        return try row.decode("id")
    }

    /// The organisation with `id`, or nil.
    public func organisation(id: Organisation.ID) async throws -> Organisation? {
        var query = Self.organisationColumns
        query.append(" WHERE o.id = \(id)")
        return try await database.query(query).first.map(Self.organisation(from:))
    }

    /// Areas in use today, by name.
    public func areas() async throws -> [Area] {
        try await database.query("SELECT id, code, name FROM area ORDER BY lower(name), id").map { row in
            Area(id: try row.decode("id"), code: try row.decode("code"), name: try row.decode("name"))
        }
    }

    /// Adds an area of the reference data.
    public func createArea(
        code: String,
        name: String,
        country: String,
        validFrom: LocalDate,
        audit: AuditLog,
        actor: AuditActor
    )
        async throws -> Result<Int64, Conflict>
    {
        do {
            let id: Int64 = try await database.withTransaction { connection in
                let rows = try await connection.query(
                    "INSERT INTO area (code, name, country, valid_from) VALUES (\(code), \(name), \(country), \(validFrom)) RETURNING id"
                )
                let id: Int64 = try rows[0].decode("id")
                try await audit.record(.areaCreated, actor: actor, subject: .area(id), on: connection)
                return id
            }
            return .success(id)
        } catch let error as PostgresError {
            return .failure(try Self.conflict(error))
        }
    }

    /// Adds a provider and its organisation together.
    public func createProvider(
        code: String,
        name: String,
        kind: ProviderKind,
        areaID: Int64,
        validFrom: LocalDate,
        audit: AuditLog,
        actor: AuditActor
    ) async throws -> Result<Organisation.ID, Conflict> {
        do {
            let id: Organisation.ID = try await database.withTransaction { connection in
                let provider = try await connection.query(
                    """
                    INSERT INTO provider (code, name, kind, area_id, valid_from)
                    VALUES (\(code), \(name), \(kind.rawValue), \(areaID), \(validFrom)) RETURNING id
                    """
                )
                let providerID: Int64 = try provider[0].decode("id")
                let rows = try await connection.query(
                    "INSERT INTO organisation (kind, name, provider_id, created_at) VALUES ('provider', \(name), \(providerID), \(now())) RETURNING id"
                )
                let id: Organisation.ID = try rows[0].decode("id")
                try await audit.record(
                    .organisationCreated,
                    actor: actor,
                    subject: .organisation(id),
                    details: ["provider_kind": .code(kind.rawValue), "area_id": .int(areaID)],
                    on: connection
                )
                return id
            }
            return .success(id)
        } catch let error as PostgresError {
            return .failure(try Self.conflict(error))
        }
    }

    /// Emails are compared and stored in lower case, without surrounding spaces.
    public static func normalise(_ email: String) -> String {
        email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// Maps the constraint violations a person can cause to a `Conflict`; rethrows anything else.
    static func conflict(_ error: PostgresError) throws -> Conflict {
        switch error.code {
        case .uniqueViolation where error.constraint == "staff_user_email_key": return .emailInUse
        case .uniqueViolation: return .codeInUse
        case .foreignKeyViolation where error.constraint?.hasPrefix("staff_user_organisation") == true: return .organisationDoesNotFitRole
        case .foreignKeyViolation: return .notFound
        default: throw error
        }
    }
}
