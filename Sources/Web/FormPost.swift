import Domain
import Foundation
import Hummingbird

/// A URL-encoded form body as name/value pairs, in order, with repeated names kept (checkboxes).
///
/// Refuses with `Invalid` rather than guessing: a body that is not UTF-8, bad percent-encoding, more than
/// `maximumFields` fields, or a value longer than `maximumValueLength` characters.
struct FormPost: Sendable {
    let pairs: [(name: String, value: String)]

    struct Invalid: Error {
        let reason: String

        static let tooManyFields = Invalid(reason: "too many fields")
        static let valueTooLong = Invalid(reason: "value too long")
    }

    static let maximumFields = 400
    static let maximumValueLength = 20_000

    init(pairs: [(name: String, value: String)]) {
        self.pairs = pairs
    }

    /// Reads the body of `request` (up to the context's upload limit).
    static func read(_ request: Request, context: some RequestContext) async throws -> FormPost {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else { throw Invalid(reason: "body is not UTF-8") }
        return try parse(text)
    }

    static func parse(_ text: String) throws -> FormPost {
        var pairs: [(String, String)] = []
        for field in text.split(separator: "&", omittingEmptySubsequences: true) {
            if pairs.count >= maximumFields { throw Invalid.tooManyFields }
            let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]), let value = decode(parts.count > 1 ? parts[1] : "") else {
                throw Invalid(reason: "bad percent-encoding")
            }
            if value.count > maximumValueLength { throw Invalid.valueTooLong }
            pairs.append((name, value))
        }
        return FormPost(pairs: pairs)
    }

    private static func decode(_ text: Substring) -> String? {
        String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// The first value for `name`.
    subscript(_ name: String) -> String? {
        pairs.first(where: { $0.name == name })?.value
    }
}
