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
    /// Parameter values in text format (nil for NULL), one per placeholder. Never logged.
    public private(set) var values: [String?]

    /// Raw SQL with no parameters. The caller vouches that no outside input is in `sql`.
    public init(unsafeSQL sql: String) {
        self.sql = sql
        self.types = []
        self.values = []
    }

    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.sql = stringInterpolation.sql
        self.types = stringInterpolation.types
        self.values = stringInterpolation.values
    }

    /// Appends a bound value and returns its placeholder, for building statements in loops.
    public mutating func bind(_ value: some PostgresEncodable) -> String {
        types.append(type(of: value).postgresType)
        values.append(value.postgresText)
        return "$\(values.count)"
    }

    /// Appends SQL text (with its own binds) to this statement, renumbering its placeholders.
    public mutating func append(_ other: PostgresQuery) {
        if other.values.isEmpty {
            sql += other.sql
            return
        }
        let offset = values.count
        sql += renumber(other.sql, offset: offset)
        types += other.types
        values += other.values
    }

    /// The SQL text only: safe to log, holds no bound value.
    public var description: String { sql }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var types: [PostgresType] = []
        var values: [String?] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        /// A bound value: becomes `$n`.
        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            types.append(type(of: value).postgresType)
            values.append(value.postgresText)
            sql += "$\(values.count)"
        }

        /// An optional bound value: nil becomes NULL.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            types.append(Value.postgresType)
            values.append(value?.postgresText)
            sql += "$\(values.count)"
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
