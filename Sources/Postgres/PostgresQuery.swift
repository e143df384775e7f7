/// A SQL statement whose interpolated values become `$n` bound parameters.
///
/// ```swift
/// let rows = try await db.query("SELECT id FROM inspection WHERE area_id = \(areaID) AND status = \(status)")
/// ```
/// Static text is written as a literal; values are never spliced into the SQL. Raw text enters only through
/// `init(unsafeSQL:)` or `\(unsafeRaw:)`, for statements the program itself builds (migrations, identifiers it owns).
public struct PostgresQuery: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// The SQL text with `$1`, `$2`, … placeholders.
    public private(set) var sql: String
    /// Parameter types, one per placeholder.
    public private(set) var types: [PostgresType]
    /// Parameter values as they are sent, one per placeholder. Never logged.
    private(set) var parameters: [Parameter]

    /// One bound value as it goes to libpq.
    enum Parameter: Sendable, Equatable {
        case null
        /// Text format.
        case text(String)
        /// Binary format for the parameter's type (bytea: the bytes).
        case binary([UInt8])

        init(_ value: some PostgresEncodable) {
            if let bytes = value.postgresBinary {
                self = .binary(bytes)
            } else if let text = value.postgresText {
                self = .text(text)
            } else {
                self = .null
            }
        }
    }

    /// Parameter values in text format (nil for NULL), one per placeholder; binary values as their text form. Never
    /// logged.
    public var values: [String?] {
        parameters.map { parameter in
            switch parameter {
            case .null: nil
            case .text(let text): text
            case .binary(let bytes): PostgresBytes.hexText(bytes)
            }
        }
    }

    /// Raw SQL with no parameters. The caller vouches that no outside input is in `sql`.
    public init(unsafeSQL sql: String) {
        self.sql = sql
        self.types = []
        self.parameters = []
    }

    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.sql = stringInterpolation.sql
        self.types = stringInterpolation.types
        self.parameters = stringInterpolation.parameters
    }

    /// Appends a bound value and returns its placeholder, for building statements in loops.
    public mutating func bind(_ value: some PostgresEncodable) -> String {
        types.append(type(of: value).postgresType)
        parameters.append(Parameter(value))
        return "$\(parameters.count)"
    }

    /// Appends SQL text (with its own binds) to this statement, renumbering its placeholders.
    public mutating func append(_ other: PostgresQuery) {
        if other.parameters.isEmpty {
            sql += other.sql
            return
        }
        let offset = parameters.count
        sql += renumber(other.sql, offset: offset)
        types += other.types
        parameters += other.parameters
    }

    /// The SQL text only: safe to log, holds no bound value.
    public var description: String { sql }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var types: [PostgresType] = []
        var parameters: [Parameter] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        /// A bound value: becomes `$n`.
        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            types.append(type(of: value).postgresType)
            parameters.append(Parameter(value))
            sql += "$\(parameters.count)"
        }

        /// An optional bound value: nil becomes NULL.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            types.append(Value.postgresType)
            parameters.append(value.map { Parameter($0) } ?? .null)
            sql += "$\(parameters.count)"
        }

        /// A quoted identifier (schema, table or column name), with embedded quotes doubled.
        public mutating func appendInterpolation(identifier: String) {
            sql += "\"" + identifier.replacingAll("\"", with: "\"\"") + "\""
        }

        /// Raw SQL text. The caller vouches that it holds no outside input.
        public mutating func appendInterpolation(unsafeRaw text: String) {
            sql += text
        }
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        out.reserveCapacity(count)
        for character in self {
            if character == target { out += replacement } else { out.append(character) }
        }
        return out
    }
}

/// Shifts `$n` placeholders by `offset`, skipping quoted text.
private func renumber(_ sql: String, offset: Int) -> String {
    var out = ""
    var iterator = Array(sql).makeIterator()
    var pending: Character? = nil
    var quote: Character? = nil
    func nextChar() -> Character? {
        if let p = pending {
            pending = nil
            return p
        }
        return iterator.next()
    }
    while let c = nextChar() {
        if let q = quote {
            out.append(c)
            if c == q { quote = nil }
            continue
        }
        if c == "'" || c == "\"" {
            quote = c
            out.append(c)
            continue
        }
        if c == "$" {
            var digits = ""
            while let d = nextChar() {
                if d.isASCII, d.isNumber {
                    digits.append(d)
                } else {
                    pending = d
                    break
                }
            }
            if let n = Int(digits) { out += "$\(n + offset)" } else { out += "$" + digits }
            continue
        }
        out.append(c)
    }
    return out
}
