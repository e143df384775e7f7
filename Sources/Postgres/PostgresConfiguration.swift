import CLibPQ

#if canImport(Glibc)
import Glibc
#endif

/// How to reach PostgreSQL, and the pool's limits.
///
/// `connectionString` is handed to libpq as it is, so anything an operator already uses works: a URI
/// (`postgresql://user@host/db?sslmode=verify-full`), a keyword string (`host=a,b target_session_attrs=read-write`),
/// `service=name` from a service file, or the empty string to take everything from `PG*` variables and defaults.
public struct PostgresConfiguration: Sendable {
    public var connectionString: String
    /// Keyword/value pairs that override the connection string (tests use this to pick a database).
    public var overrides: [(keyword: String, value: String)]
    /// The most connections the pool opens; each has its own thread for blocking libpq calls.
    public var poolSize: Int
    /// How long `withConnection` waits for a free connection before failing with `.poolTimeout`.
    public var acquireTimeout: Duration
    /// `statement_timeout` set on every connection; nil leaves the server's setting.
    public var statementTimeout: Duration?
    /// Sent as `fallback_application_name` (the connection string may set its own `application_name`).
    public var applicationName: String
    /// The most prepared statements each connection keeps (least recently used ones are deallocated); 0 sends every
    /// statement unnamed, parsed and planned anew each time.
    public var statementCacheCapacity: Int

    public init(
        connectionString: String = "",
        overrides: [(keyword: String, value: String)] = [],
        poolSize: Int = 10,
        acquireTimeout: Duration = .seconds(10),
        statementTimeout: Duration? = .seconds(30),
        applicationName: String = "stakeholder-views",
        statementCacheCapacity: Int = 256
    ) {
        self.connectionString = connectionString
        self.overrides = overrides
        self.poolSize = poolSize
        self.acquireTimeout = acquireTimeout
        self.statementTimeout = statementTimeout
        self.applicationName = applicationName
        self.statementCacheCapacity = statementCacheCapacity
    }

    /// Checks that libpq can parse the connection string, without connecting. The error says what libpq objected to.
    public static func validate(connectionString: String) throws(PostgresError) {
        if connectionString.isEmpty { return }
        var errorMessage: UnsafeMutablePointer<CChar>? = nil
        guard let options = PQconninfoParse(connectionString, &errorMessage) else {
            let message = errorMessage.map { String(cString: $0) } ?? "out of memory"
            if let errorMessage { PQfreemem(errorMessage) }
            throw PostgresError.client(.configuration, "not a valid libpq connection string or URI: \(oneLine(message))")
        }
        defer { PQconninfoFree(options) }
        // libpq checks these only when it connects; refuse them now, with the same words.
        var option = options
        while let keyword = option.pointee.keyword {
            defer { option += 1 }
            guard let raw = option.pointee.val else { continue }
            let name = String(cString: keyword)
            let value = String(cString: raw)
            if name == "port" {
                for port in value.split(separator: ",", omittingEmptySubsequences: false) where !port.isEmpty {
                    guard let number = Int(port), (1...65535).contains(number) else {
                        throw PostgresError.client(.configuration, "not a valid libpq connection string or URI: invalid port number: \"\(port)\"")
                    }
                }
            }
            if name == "sslmode", !["disable", "allow", "prefer", "require", "verify-ca", "verify-full"].contains(value) {
                throw PostgresError.client(.configuration, "not a valid libpq connection string or URI: invalid sslmode value: \"\(value)\"")
            }
        }
    }

    /// The value a keyword takes in the connection string (nil when it is not set there).
    static func keyword(_ name: String, in connectionString: String) -> String? {
        guard !connectionString.isEmpty, let options = PQconninfoParse(connectionString, nil) else { return nil }
        defer { PQconninfoFree(options) }
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == name, let value = option.pointee.val { return String(cString: value) }
            option += 1
        }
        return nil
    }

    /// Keyword/value pairs for `PQconnectdbParams` with `expand_dbname`: defaults first, then the connection string,
    /// then overrides (later entries win).
    func connectParameters() -> [(String, String)] {
        var parameters: [(String, String)] = [("fallback_application_name", applicationName)]
        // libpq waits for the operating system's TCP timeout by default (minutes); say 10 s unless the operator chose.
        if Self.keyword("connect_timeout", in: connectionString) == nil, getenv("PGCONNECT_TIMEOUT") == nil {
            parameters.append(("connect_timeout", "10"))
        }
        parameters.append(("dbname", connectionString))
        parameters += overrides.map { ($0.keyword, $0.value) }
        return parameters
    }
}

/// libpq messages end with a newline and may span lines: one line for logs and terminals.
func oneLine(_ message: String) -> String {
    message.split(whereSeparator: \.isNewline)
        .map { line in String(line.drop(while: { $0 == " " || $0 == "\t" })) }
        .filter { !$0.isEmpty }
        .joined(separator: " ")
}
