import Domain
import Foundation
import Hummingbird

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

    public static let maximumFields = 100
    public static let maximumValueLength = 10_000

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

    /// Parses `bytes` with `FormPost` (the victims' pages' parser), then applies the staff pages' tighter limits.
    public init(parsing bytes: some Collection<UInt8>) throws(Problem) {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .unreadable }
        let post: FormPost
        do {
            post = try FormPost.parse(text)
        } catch let error as FormPost.Invalid {
            switch error.reason {
            case FormPost.Invalid.tooManyFields.reason: throw .tooManyFields
            case FormPost.Invalid.valueTooLong.reason: throw .valueTooLong
            default: throw .unreadable
            }
        } catch {
            throw .unreadable
        }
        if post.pairs.count > Self.maximumFields { throw .tooManyFields }
        for (name, value) in post.pairs {
            if value.count > Self.maximumValueLength { throw .valueTooLong }
            // Control characters other than tab and line breaks have no place in a staff form.
            if (name + value).unicodeScalars.contains(where: { ($0.value < 0x20 && !["\t", "\n", "\r"].contains($0)) || $0.value == 0x7F }) {
                throw .unreadable
            }
        }
        self.fields = post.pairs.map { ($0.name, $0.value) }
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
