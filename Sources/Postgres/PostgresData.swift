import Foundation

/// A PostgreSQL type OID, as sent with bound parameters and reported for result columns.
public struct PostgresType: Sendable, Hashable, CustomStringConvertible {
    public let oid: UInt32
    public init(_ oid: UInt32) { self.oid = oid }

    /// Lets the server infer the type from context (used for text, so it also fits enum and varchar columns).
    public static let unspecified = PostgresType(0)
    public static let bool = PostgresType(16)
    public static let bytea = PostgresType(17)
    public static let int8 = PostgresType(20)
    public static let int2 = PostgresType(21)
    public static let int4 = PostgresType(23)
    public static let text = PostgresType(25)
    public static let json = PostgresType(114)
    public static let float4 = PostgresType(700)
    public static let float8 = PostgresType(701)
    public static let varchar = PostgresType(1043)
    public static let date = PostgresType(1082)
    public static let timestamp = PostgresType(1114)
    public static let timestamptz = PostgresType(1184)
    public static let numeric = PostgresType(1700)
    public static let uuid = PostgresType(2950)
    public static let jsonb = PostgresType(3802)
    public static let textArray = PostgresType(1009)
    public static let int8Array = PostgresType(1016)

    public var description: String {
        switch self {
        case .unspecified: "unknown"
        case .bool: "boolean"
        case .bytea: "bytea"
        case .int8: "bigint"
        case .int2: "smallint"
        case .int4: "integer"
        case .text: "text"
        case .json: "json"
        case .float4: "real"
        case .float8: "double precision"
        case .varchar: "character varying"
        case .date: "date"
        case .timestamp: "timestamp"
        case .timestamptz: "timestamptz"
        case .numeric: "numeric"
        case .uuid: "uuid"
        case .jsonb: "jsonb"
        case .textArray: "text[]"
        case .int8Array: "bigint[]"
        default: "oid \(oid)"
        }
    }
}

/// A value that can be sent as a bound parameter, in PostgreSQL's text format (or, where the type says so, binary).
public protocol PostgresEncodable: Sendable {
    /// The parameter type sent to the server.
    static var postgresType: PostgresType { get }
    /// The value in PostgreSQL text format, or nil for SQL NULL.
    var postgresText: String? { get }
    /// The value in PostgreSQL's binary format for `postgresType`, when the type sends binary (bytea: the bytes
    /// themselves, half the size of hex text and no parsing on either side); nil to send `postgresText`.
    var postgresBinary: [UInt8]? { get }
}

extension PostgresEncodable {
    public var postgresBinary: [UInt8]? { nil }
}

/// A value that can be read from a result column in PostgreSQL's text format.
public protocol PostgresDecodable: Sendable {
    /// Decodes a non-NULL value. Throws `PostgresDecodingFailure` when the text does not fit the type.
    static func decode(postgresText text: String, type: PostgresType) throws -> Self
    /// Decodes a non-NULL bytea value, which rows hold as its bytes (decoded from libpq's hex text once, without an
    /// intermediate string). The default hands the hex text form to `decode(postgresText:type:)`.
    static func decode(postgresBytes bytes: [UInt8], type: PostgresType) throws -> Self
    /// The value for SQL NULL, or nil when this type cannot represent NULL.
    static var postgresNull: Self? { get }
}

extension PostgresDecodable {
    public static var postgresNull: Self? { nil }
    public static func decode(postgresBytes bytes: [UInt8], type: PostgresType) throws -> Self {
        try decode(postgresText: PostgresBytes.hexText(bytes), type: type)
    }
}

/// Why a single value did not decode; the row adds the column name and types.
public struct PostgresDecodingFailure: Error, Sendable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public static var postgresType: PostgresType { Wrapped.postgresType }
    public var postgresText: String? { self?.postgresText }
    public var postgresBinary: [UInt8]? { self?.postgresBinary }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(postgresText text: String, type: PostgresType) throws -> Wrapped? {
        try Wrapped.decode(postgresText: text, type: type)
    }
    public static func decode(postgresBytes bytes: [UInt8], type: PostgresType) throws -> Wrapped? {
        try Wrapped.decode(postgresBytes: bytes, type: type)
    }
    public static var postgresNull: Wrapped?? { .some(nil) }
}

extension String: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .unspecified }
    public var postgresText: String? { self }
    public static func decode(postgresText text: String, type: PostgresType) throws -> String { text }
}

extension Substring: PostgresEncodable {
    public static var postgresType: PostgresType { .unspecified }
    public var postgresText: String? { String(self) }
}

extension Bool: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .bool }
    public var postgresText: String? { self ? "t" : "f" }
    public static func decode(postgresText text: String, type: PostgresType) throws -> Bool {
        switch text {
        case "t", "true": return true
        case "f", "false": return false
        default: throw PostgresDecodingFailure("not a boolean")
        }
    }
}

/// Integers: sent with the type left to the server (so `\(n)` fits integer, bigint and smallint parameters alike);
/// decoded from any integer column, checking the range.
public protocol PostgresInteger: FixedWidthInteger, PostgresEncodable, PostgresDecodable {}

extension PostgresInteger {
    public static var postgresType: PostgresType { .unspecified }
    public var postgresText: String? { String(self) }
    public static func decode(postgresText text: String, type: PostgresType) throws -> Self {
        guard let value = Self(text) else { throw PostgresDecodingFailure("not an integer in the range of \(Self.self)") }
        return value
    }
}

extension Int: PostgresInteger {}
extension Int64: PostgresInteger {}
extension Int32: PostgresInteger {}
extension Int16: PostgresInteger {}

extension Double: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .float8 }
    public var postgresText: String? {
        if isNaN { return "NaN" }
        if isInfinite { return self > 0 ? "Infinity" : "-Infinity" }
        return "\(self)"
    }
    public static func decode(postgresText text: String, type: PostgresType) throws -> Double {
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let value = Double(text) else { throw PostgresDecodingFailure("not a number") }
            return value
        }
    }
}

extension UUID: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .uuid }
    public var postgresText: String? { uuidString.lowercased() }
    public static func decode(postgresText text: String, type: PostgresType) throws -> UUID {
        guard let value = UUID(uuidString: text) else { throw PostgresDecodingFailure("not a UUID") }
        return value
    }
}

/// Bytes, for bytea columns. Sent as a binary parameter (the bytes themselves); read from libpq's hex text straight
/// into bytes when the row is copied out.
public struct PostgresBytes: Sendable, Hashable, PostgresEncodable, PostgresDecodable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public static var postgresType: PostgresType { .bytea }

    /// The hex text form (`\x…`), as `psql` shows it. Statements send `postgresBinary` instead.
    public var postgresText: String? { Self.hexText(bytes) }

    public var postgresBinary: [UInt8]? { bytes }

    /// `bytes` in bytea's hex text format.
    static func hexText(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(2 + bytes.count * 2)
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: "x"))
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes from bytea's hex text format (`\x` and an even number of hex digits), or nil when `text` is not that.
    static func bytes(hexText text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard text.count >= 2, text[0] == UInt8(ascii: "\\"), text[1] == UInt8(ascii: "x"), text.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c &- UInt8(ascii: "A") &+ 10
            default: return nil
            }
        }
        let count = (text.count - 2) / 2
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var index = 2
            for slot in 0..<count {
                guard let high = nibble(text[index]), let low = nibble(text[index + 1]) else {
                    failed = true
                    break
                }
                buffer[slot] = high << 4 | low
                index += 2
            }
            initialized = failed ? 0 : count
        }
        return failed ? nil : bytes
    }

    public static func decode(postgresText text: String, type: PostgresType) throws -> PostgresBytes {
        var text = text
        let bytes = text.withUTF8 { Self.bytes(hexText: $0) }
        guard let bytes else { throw PostgresDecodingFailure("not bytea in hex format") }
        return PostgresBytes(bytes)
    }

    public static func decode(postgresBytes bytes: [UInt8], type: PostgresType) throws -> PostgresBytes {
        PostgresBytes(bytes)
    }
}

/// A jsonb value, kept as its JSON text. Encode and decode Codable values with `init(encoding:)` and `decode(_:)`.
public struct PostgresJSON: Sendable, Hashable, PostgresEncodable, PostgresDecodable {
    public var text: String
    public init(text: String) { self.text = text }

    /// Encodes a value as JSON with sorted keys.
    public init(encoding value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        self.text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Decodes the JSON text into a value.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    public static var postgresType: PostgresType { .jsonb }
    public var postgresText: String? { text }
    public static func decode(postgresText text: String, type: PostgresType) throws -> PostgresJSON { PostgresJSON(text: text) }
}

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public static var postgresType: PostgresType { Element.postgresArrayType }
    public var postgresText: String? {
        "{" + map { element in element.postgresArrayItem }.joined(separator: ",") + "}"
    }
}

/// Element types that can be sent as a PostgreSQL array (for `= ANY($1)`).
public protocol PostgresArrayElement: Sendable {
    static var postgresArrayType: PostgresType { get }
    var postgresArrayItem: String { get }
}

extension String: PostgresArrayElement {
    public static var postgresArrayType: PostgresType { .textArray }
    public var postgresArrayItem: String {
        var out = "\""
        for character in self {
            if character == "\"" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        out.append("\"")
        return out
    }
}

extension Int: PostgresArrayElement {
    public static var postgresArrayType: PostgresType { .int8Array }
    public var postgresArrayItem: String { String(self) }
}
