import Foundation
import Hummingbird

/// A posted `application/x-www-form-urlencoded` body, checked strictly: UTF-8 only (raw or percent-encoded), a
/// bounded number of fields, each value bounded in length.
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
        case notUTF8
        case malformed
        case tooManyFields
        case valueTooLong

        var message: String {
            switch self {
            case .notUTF8: "The form contained characters that could not be read. Check what you entered and try again."
            case .malformed: "The form could not be read. Go back and try again."
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

    /// Parses `bytes`.
    public init(parsing bytes: some Collection<UInt8>) throws(Problem) {
        guard String(validating: bytes, as: UTF8.self) != nil else { throw .notUTF8 }
        var fields: [(String, String)] = []
        for part in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            if fields.count == Self.maximumFields { throw .tooManyFields }
            let pieces = part.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = try Self.decode(pieces[0])
            let value = pieces.count > 1 ? try Self.decode(pieces[1]) : ""
            if value.count > Self.maximumValueLength { throw .valueTooLong }
            fields.append((name, value))
        }
        self.fields = fields
    }

    /// The first value posted for `name`, or nil.
    public subscript(_ name: String) -> String? {
        fields.first { $0.0 == name }?.1
    }

    /// The first value for `name` with surrounding white space removed, or "" when absent.
    public func trimmed(_ name: String) -> String {
        (self[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func decode(_ bytes: some Collection<UInt8>) throws(Problem) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                output.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%") {
                let first = bytes.index(after: index)
                guard first != bytes.endIndex else { throw .malformed }
                let second = bytes.index(after: first)
                guard second != bytes.endIndex, let high = hex(bytes[first]), let low = hex(bytes[second]) else { throw .malformed }
                output.append(high << 4 | low)
                index = second
            } else {
                output.append(byte)
            }
            index = bytes.index(after: index)
        }
        guard let text = String(validating: output, as: UTF8.self) else { throw .notUTF8 }
        // Control characters other than tab and line breaks have no place in a staff form.
        if text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" && $0 != "\n" && $0 != "\r" || $0.value == 0x7F }) {
            throw .notUTF8
        }
        return text
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
