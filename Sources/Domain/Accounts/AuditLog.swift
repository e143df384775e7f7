import Foundation
import Postgres

/// What happened, as a dotted code (`sign_in.failed`). Later features add their own with an extension:
/// `extension AuditEvent { static let answersViewed: AuditEvent = "answers.viewed" }`.
public struct AuditEvent: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public static let signInSucceeded: AuditEvent = "sign_in.succeeded"
    public static let signInFailed: AuditEvent = "sign_in.failed"
    public static let signInThrottled: AuditEvent = "sign_in.throttled"
    public static let signedOut: AuditEvent = "sign_out"
    public static let passwordChanged: AuditEvent = "user.password_changed"
    public static let passwordReset: AuditEvent = "user.password_reset"
    public static let userCreated: AuditEvent = "user.created"
    public static let userUpdated: AuditEvent = "user.updated"
    public static let userDisabled: AuditEvent = "user.disabled"
    public static let organisationCreated: AuditEvent = "organisation.created"
    public static let areaCreated: AuditEvent = "area.created"
}

/// Who did it: a signed-in user (nil for an anonymous request or the command line) and the client address.
public struct AuditActor: Sendable, Equatable {
    public var userID: StaffUser.ID?
    public var address: String?

    public init(userID: StaffUser.ID?, address: String?) {
        self.userID = userID
        self.address = address
    }

    /// The command line, run by whoever has shell access.
    public static let commandLine = AuditActor(userID: nil, address: "command-line")
}

/// What it was done to: a type code and an id (`user` 12, `organisation` 3, later `inspection` 40).
public struct AuditSubject: Sendable, Equatable {
    public let type: String
    public let id: String

    public init(type: String, id: String) {
        self.type = type
        self.id = id
    }

    public static func user(_ id: StaffUser.ID) -> AuditSubject { AuditSubject(type: "user", id: String(id)) }
    public static func organisation(_ id: Organisation.ID) -> AuditSubject { AuditSubject(type: "organisation", id: String(id)) }
    public static func area(_ id: Int64) -> AuditSubject { AuditSubject(type: "area", id: String(id)) }
    /// An inspection.
    public static func inspection(_ id: Int) -> AuditSubject { AuditSubject(type: "inspection", id: String(id)) }
}

/// One value in an event's details. Only numbers, booleans and short codes: there is deliberately no case for free
/// text, so passwords, answers and notes cannot end up in the log.
public enum AuditDetail: Sendable, Equatable {
    case int(Int64)
    case bool(Bool)
    /// A code such as a role name or a reason (`[a-z0-9_.-]`, up to 64 characters); anything else is stored as `invalid_code`.
    case code(String)

    var json: String {
        switch self {
        case .int(let value): String(value)
        case .bool(let value): value ? "true" : "false"
        case .code(let value): "\"\(AuditDetail.isCode(value) ? value : "invalid_code")\""
        }
    }

    package static func isCode(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64
            && text.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F || $0 == 0x2E || $0 == 0x2D }
    }
}

/// One row of the audit log, for the admin page.
public struct AuditEntry: Sendable, Equatable {
    public let id: Int64
    public let occurredAt: Date
    public let event: String
    public let actorUserID: StaffUser.ID?
    public let actorEmail: String?
    public let clientAddress: String?
    public let subjectType: String?
    public let subjectID: String?
    public let details: String
}

/// Which entries to list; nil fields do not filter.
public struct AuditFilter: Sendable, Equatable {
    public var event: String?
    public var actorUserID: StaffUser.ID?
    public var subject: AuditSubject?
    public var from: Date?
    public var before: Date?
    /// Only entries with a smaller id (the next page).
    public var beforeID: Int64?
    public var limit = 100

    public init() {}
}

/// The append-only audit log. The table's triggers refuse UPDATE, DELETE and TRUNCATE, so this type only adds and reads.
public struct AuditLog: Sendable {
    let database: PostgresClient
    let now: @Sendable () -> Date

    public init(database: PostgresClient, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.now = now
    }

    /// Records `event`. Pass `connection` to record inside the transaction that made the change, so both or neither happen.
    public func record(
        _ event: AuditEvent,
        actor: AuditActor,
        subject: AuditSubject? = nil,
        details: [String: AuditDetail] = [:],
        on connection: PostgresConnection? = nil
    ) async throws {
        let query = insert(event, actor: actor, subject: subject, details: details)
        if let connection {
            try await connection.execute(query)
        } else {
            try await database.execute(query)
        }
    }

    private func insert(_ event: AuditEvent, actor: AuditActor, subject: AuditSubject?, details: [String: AuditDetail]) -> PostgresQuery {
        let json =
            "{"
            + details.sorted { $0.key < $1.key }
            .map { "\"\(AuditDetail.isCode($0.key) ? $0.key : "invalid_key")\":\($0.value.json)" }
            .joined(separator: ",") + "}"
        let address = actor.address.map { String($0.prefix(100)) }
        return """
            INSERT INTO audit_event (occurred_at, event, actor_user_id, client_address, subject_type, subject_id, details)
            VALUES (\(now()), \(event.rawValue), \(actor.userID), \(address), \(subject?.type), \(subject?.id), \(json)::jsonb)
            """
    }

    /// Every event name recorded so far, sorted (for the filter on the admin page; later features' events appear by themselves).
    public func eventNames() async throws -> [String] {
        try await database.query("SELECT DISTINCT event FROM audit_event ORDER BY event").map { try $0.decode("event") }
    }

    /// Entries matching `filter`, newest first.
    public func entries(_ filter: AuditFilter) async throws -> [AuditEntry] {
        var query: PostgresQuery = """
            SELECT a.id, a.occurred_at, a.event, a.actor_user_id, u.email AS actor_email, a.client_address,
                   a.subject_type, a.subject_id, a.details::text AS details
            FROM audit_event a LEFT JOIN staff_user u ON u.id = a.actor_user_id
            WHERE true
            """
        if let event = filter.event { query.append(" AND (a.event = \(event) OR a.event LIKE \(event + ".%"))") }
        if let actor = filter.actorUserID { query.append(" AND a.actor_user_id = \(actor)") }
        if let subject = filter.subject { query.append(" AND a.subject_type = \(subject.type) AND a.subject_id = \(subject.id)") }
        if let from = filter.from { query.append(" AND a.occurred_at >= \(from)") }
        if let before = filter.before { query.append(" AND a.occurred_at < \(before)") }
        if let beforeID = filter.beforeID { query.append(" AND a.id < \(beforeID)") }
        query.append(" ORDER BY a.id DESC LIMIT \(filter.limit)")
        return try await database.query(query).map { row in
            AuditEntry(
                id: try row.decode("id"),
                occurredAt: try row.decode("occurred_at"),
                event: try row.decode("event"),
                actorUserID: try row.decode("actor_user_id"),
                actorEmail: try row.decode("actor_email"),
                clientAddress: try row.decode("client_address"),
                subjectType: try row.decode("subject_type"),
                subjectID: try row.decode("subject_id"),
                details: try row.decode("details")
            )
        }
    }
}
