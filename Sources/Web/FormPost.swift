import Domain
import Foundation
import Hummingbird

/// A URL-encoded form body as name/value pairs, in order, with repeated names kept (checkboxes): the one parser of
/// posted forms, for victims' pages (`Limits.victim`) and staff pages (`Limits.staff`, through `StaffForm`).
///
/// Refuses with `Invalid` rather than guessing: a body that is not UTF-8, bad percent-encoding, more than the limits'
/// `maximumFields` fields, a value longer than their `maximumValueLength` characters, or (where they say so) a control
/// character.
struct FormPost: Sendable {
    let pairs: [(name: String, value: String)]

    struct Invalid: Error {
        let reason: String

        static let tooManyFields = Invalid(reason: "too many fields")
        static let valueTooLong = Invalid(reason: "value too long")
        static let controlCharacter = Invalid(reason: "control character")
    }

    /// What a parse accepts.
    struct Limits: Sendable {
        /// The most fields a body may have.
        var maximumFields: Int
        /// The longest value, in characters.
        var maximumValueLength: Int
        /// Whether control characters other than tab and line breaks are refused, in names and values.
        var refusesControlCharacters: Bool

        /// Victims' pages: free-text answers up to 20,000 characters.
        static let victim = Limits(maximumFields: 400, maximumValueLength: 20_000, refusesControlCharacters: false)
        /// Staff pages: fewer, shorter fields, and no control characters.
        static let staff = Limits(maximumFields: 100, maximumValueLength: 10_000, refusesControlCharacters: true)
    }

    init(pairs: [(name: String, value: String)]) {
        self.pairs = pairs
    }

    /// Reads the body of `request` (up to the context's upload limit).
    static func read(_ request: Request, context: some RequestContext) async throws -> FormPost {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else { throw Invalid(reason: "body is not UTF-8") }
        return try parse(text)
    }

    /// Parses `text` within `limits`.
    static func parse(_ text: String, limits: Limits = .victim) throws -> FormPost {
        var pairs: [(String, String)] = []
        for field in text.split(separator: "&", omittingEmptySubsequences: true) {
            if pairs.count >= limits.maximumFields { throw Invalid.tooManyFields }
            let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]), let value = decode(parts.count > 1 ? parts[1] : "") else {
                throw Invalid(reason: "bad percent-encoding")
            }
            if value.count > limits.maximumValueLength { throw Invalid.valueTooLong }
            if limits.refusesControlCharacters, (name + value).unicodeScalars.contains(where: isControl) { throw Invalid.controlCharacter }
            pairs.append((name, value))
        }
        return FormPost(pairs: pairs)
    }

    /// A control character other than tab and line breaks.
    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value < 0x20 && !["\t", "\n", "\r"].contains(scalar)) || scalar.value == 0x7F
    }

    private static func decode(_ text: Substring) -> String? {
        String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// The first value for `name`.
    subscript(_ name: String) -> String? {
        pairs.first(where: { $0.name == name })?.value
    }
}

/// A posted `application/x-www-form-urlencoded` body, checked strictly: UTF-8 only (raw or percent-encoded), no
/// control characters, a bounded number of fields, each value bounded in length.
///
/// Hummingbird's `URLEncodedFormDecoder` replaces invalid raw bytes with U+FFFD without saying so and throws an
/// error that is not an HTTP error (so a 500) for invalid percent-encoded UTF-8; staff forms use this parser instead,
/// which refuses both with a 400 page.
public struct StaffForm: Sendable, Equatable {
    /// Fields in the order posted; a repeated name keeps every value.
    public let fields: [(String, String)]

    public static func == (lhs: StaffForm, rhs: StaffForm) -> Bool {
        lhs.fields.map { [$0.0, $0.1] } == rhs.fields.map { [$0.0, $0.1] }
    }

    public static let maximumFields = FormPost.Limits.staff.maximumFields
    public static let maximumValueLength = FormPost.Limits.staff.maximumValueLength

    /// Why a body was refused; each becomes a 400 page.
    public enum Problem: Error, Equatable {
        /// Not UTF-8 (raw or percent-encoded), a broken percent escape, or a control character.
        case unreadable
        case tooManyFields
        case valueTooLong

        var message: String {
            switch self {
            case .unreadable: "The form contained characters that could not be read. Check what you entered and try again."
            case .tooManyFields: "The form had too many fields. Go back and try again."
            case .valueTooLong: "Something you entered is too long. Go back, shorten it and try again."
            }
        }

        /// The 400 error the web layer shows.
        public var httpError: HTTPError { HTTPError(.badRequest, message: message) }
    }

    public init(fields: [(String, String)]) {
        self.fields = fields
    }

    /// Parses `bytes` with `FormPost` under the staff pages' limits (`FormPost.Limits.staff`).
    public init(parsing bytes: some Collection<UInt8>) throws(Problem) {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .unreadable }
        do {
            fields = try FormPost.parse(text, limits: .staff).pairs.map { ($0.name, $0.value) }
        } catch let error as FormPost.Invalid {
            switch error.reason {
            case FormPost.Invalid.tooManyFields.reason: throw .tooManyFields
            case FormPost.Invalid.valueTooLong.reason: throw .valueTooLong
            default: throw .unreadable
            }
        } catch {
            throw .unreadable
        }
    }

    /// The first value posted for `name`, or nil.
    public subscript(_ name: String) -> String? {
        fields.first { $0.0 == name }?.1
    }

    /// The first value for `name` with surrounding white space removed, or "" when absent.
    public func trimmed(_ name: String) -> String {
        (self[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
