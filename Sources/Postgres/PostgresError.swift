/// A five-character SQLSTATE code, matchable by exact value or by class (`~=`).
///
/// ```swift
/// catch let error as PostgresError where error.code == .uniqueViolation { … }
/// catch let error as PostgresError where error.code ~= .integrityConstraintViolationClass { … }
/// ```
public struct SQLState: Sendable, Hashable, CustomStringConvertible {
    /// The raw five characters, for example `23505`.
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// The two-character class, for example `23` for integrity constraint violations.
    public var errorClass: String { String(rawValue.prefix(2)) }

    public var description: String { rawValue }

    public static let uniqueViolation = SQLState("23505")
    public static let foreignKeyViolation = SQLState("23503")
    public static let notNullViolation = SQLState("23502")
    public static let checkViolation = SQLState("23514")
    public static let exclusionViolation = SQLState("23P01")
    public static let serializationFailure = SQLState("40001")
    public static let deadlockDetected = SQLState("40P01")
    public static let queryCanceled = SQLState("57014")
    public static let adminShutdown = SQLState("57P01")
    public static let crashShutdown = SQLState("57P02")
    public static let cannotConnectNow = SQLState("57P03")
    public static let undefinedTable = SQLState("42P01")
    public static let syntaxError = SQLState("42601")
    public static let insufficientPrivilege = SQLState("42501")
    public static let invalidTextRepresentation = SQLState("22P02")
    public static let raiseException = SQLState("P0001")
    /// A prepared statement the client named does not exist (after `DISCARD ALL`, `DEALLOCATE`, or through a pooler
    /// in transaction mode).
    public static let invalidSQLStatementName = SQLState("26000")
    public static let featureNotSupported = SQLState("0A000")

    /// Class 23: any integrity constraint violation.
    public static let integrityConstraintViolationClass = SQLState("23")
    /// Class 08: connection exceptions.
    public static let connectionExceptionClass = SQLState("08")
    /// Class 22: data exceptions (bad input value for a type, out of range, …).
    public static let dataExceptionClass = SQLState("22")

    /// Matches an exact code, or a whole class when either side has only two characters (a class), so both
    /// `case .integrityConstraintViolationClass:` and `error.code ~= .integrityConstraintViolationClass` work.
    public static func ~= (pattern: SQLState, value: SQLState) -> Bool {
        if pattern.rawValue.count == 2 || value.rawValue.count == 2 { return value.errorClass == pattern.errorClass }
        return pattern.rawValue == value.rawValue
    }
}

/// An error from the database layer.
///
/// `description` is safe to log: it names the kind, SQLSTATE, constraint, table and column, and never a bound value.
/// The server's detail is left out (it echoes values: `Key (email)=(…) already exists`), and so is its message for
/// the classes whose messages quote input (22 data exceptions, P0 raised by functions, XX internal). Both are kept in
/// their own properties for code that needs them.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, in broad terms.
    public enum Kind: String, Sendable {
        /// The server reported an error for a statement.
        case server
        /// A connection could not be opened, or was lost.
        case connection
        /// No connection became free within the pool's acquire timeout.
        case poolTimeout
        /// The pool has been shut down.
        case poolClosed
        /// A value in a result row could not be decoded to the requested Swift type.
        case decoding
        /// The connection string or settings were not valid.
        case configuration
        /// The library was used in a way it does not support (for example COPY without a COPY statement).
        case protocolViolation
    }

    public var kind: Kind
    /// SQLSTATE from the server, or a client-side code (`08006` for a lost connection).
    public var code: SQLState
    /// The server's primary message. May contain input values: do not log it.
    public var message: String
    /// The server's detail. May contain input values: do not log it.
    public var detail: String?
    public var hint: String?
    public var constraint: String?
    public var table: String?
    public var column: String?
    public var schema: String?
    /// The server's source function that raised the error (not translated, unlike the message): tells one 0A000 from
    /// another.
    public var routine: String?

    public init(
        kind: Kind,
        code: SQLState,
        message: String,
        detail: String? = nil,
        hint: String? = nil,
        constraint: String? = nil,
        table: String? = nil,
        column: String? = nil,
        schema: String? = nil,
        routine: String? = nil
    ) {
        self.kind = kind
        self.code = code
        self.message = message
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
        self.table = table
        self.column = column
        self.schema = schema
        self.routine = routine
    }

    /// True for errors after which the connection cannot be used: retrying on a fresh connection may succeed.
    public var isConnectionFailure: Bool {
        kind == .connection || code ~= .connectionExceptionClass || code == .adminShutdown || code == .crashShutdown
            || code == .cannotConnectNow
    }

    /// True when the server rejected one of the connection's prepared statements: it no longer exists (26000), or
    /// the schema changed under it so that its result would change type (0A000 from `RevalidateCachedQuery`, "cached
    /// plan must not change result type"). The connection has forgotten its statements by the time this is thrown; run
    /// the statement (or, in a transaction, the whole transaction) again and it is prepared anew.
    public var isStalePreparedStatement: Bool {
        guard kind == .server else { return false }
        return code == .invalidSQLStatementName || (code == .featureNotSupported && routine == "RevalidateCachedQuery")
    }

    public var description: String {
        var parts = ["PostgreSQL \(kind.rawValue) error \(code.rawValue)"]
        if let constraint { parts.append("constraint \(constraint)") }
        if let schema, let table { parts.append("table \(schema).\(table)") } else if let table { parts.append("table \(table)") }
        if let column { parts.append("column \(column)") }
        switch kind {
        case .poolTimeout, .poolClosed, .configuration, .protocolViolation, .decoding, .connection:
            // Client-side and libpq connection messages name hosts and causes, never bound values.
            parts.append(message)
        case .server:
            if !["22", "P0", "XX"].contains(code.errorClass) { parts.append(message) }
        }
        return parts.joined(separator: ", ")
    }

    static func client(_ kind: Kind, _ message: String, code: SQLState = SQLState("XX000")) -> PostgresError {
        PostgresError(kind: kind, code: code, message: message)
    }
}
