/// The answers given so far, keyed by question id.
public typealias Answers = [String: AnswerValue]

/// The answer to one question, as the person gave it.
///
/// Numbers and dates are kept as typed so a wrong entry can be shown back with its error; `FormDefinition.validate` says
/// whether they are valid. Free text is kept exactly as written, with line breaks normalised to LF.
public enum AnswerValue: Sendable, Hashable {
    /// The chosen option codes (one for radios, any number for checkboxes).
    case codes([String])
    /// Free text.
    case text(String)
    /// A number as typed.
    case number(String)
    /// A date as typed in its three boxes.
    case date(DateParts)

    /// True when any part of the answer holds U+0000, which PostgreSQL cannot store in text or jsonb.
    public var containsNUL: Bool {
        switch self {
        case .codes(let codes): codes.contains { $0.unicodeScalars.contains("\u{0}") }
        case .text(let text), .number(let text): text.unicodeScalars.contains("\u{0}")
        case .date(let parts): [parts.day, parts.month, parts.year].contains { $0.unicodeScalars.contains("\u{0}") }
        }
    }

    /// The chosen codes; empty for other kinds of answer.
    public var codes: [String] {
        if case .codes(let codes) = self { return codes }
        return []
    }

    /// The whole number, when the answer is one.
    public var integer: Int? {
        guard case .number(let raw) = self else { return nil }
        return parseInteger(raw)
    }
}

/// A date as typed into the day, month and year boxes.
public struct DateParts: Sendable, Hashable, Codable {
    /// The day box.
    public let day: String
    /// The month box.
    public let month: String
    /// The year box.
    public let year: String

    /// Makes a date answer.
    public init(day: String, month: String, year: String) {
        self.day = day
        self.month = month
        self.year = year
    }

    /// The calendar date, when the three parts make a real one (year 1900–2999).
    public var components: (year: Int, month: Int, day: Int)? {
        guard let day = parseInteger(day), let month = parseInteger(month), let year = parseInteger(year) else { return nil }
        guard (1900...2999).contains(year), (1...12).contains(month), day >= 1 else { return nil }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard day <= lengths[month - 1] else { return nil }
        return (year, month, day)
    }

    /// The date as `YYYY-MM-DD`, when it is a real date.
    public var isoString: String? {
        guard let (year, month, day) = components else { return nil }
        func pad(_ number: Int, _ width: Int) -> String {
            let digits = String(number)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}

/// A whole number typed by a person: optional spaces around, an optional minus sign, ASCII digits only.
func parseInteger(_ raw: String) -> Int? {
    let trimmed = raw.trimmingWhitespace()
    var digits = Substring(trimmed)
    let negative = digits.first == "-"
    if negative { digits = digits.dropFirst() }
    guard !digits.isEmpty, digits.count <= 15, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits) else {
        return nil
    }
    return negative ? -value : value
}

extension String {
    /// The text without leading and trailing white space (used only to judge emptiness and to read numbers).
    func trimmingWhitespace() -> String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view = view.dropFirst() }
        while let last = view.last, last.isWhitespace { view = view.dropLast() }
        return String(view)
    }

    /// CRLF and lone CR turned into LF; nothing else changes.
    func normalisingLineBreaks() -> String {
        var result = ""
        result.reserveCapacity(utf8.count)
        var previousWasCR = false
        for scalar in unicodeScalars {
            if scalar == "\r" {
                result.unicodeScalars.append("\n")
                previousWasCR = true
            } else {
                if !(previousWasCR && scalar == "\n") { result.unicodeScalars.append(scalar) }
                previousWasCR = false
            }
        }
        return result
    }
}

extension AnswerValue: Codable {
    private enum CodingKeys: String, CodingKey {
        case codes, text, number, date
    }

    /// Decodes `{"codes": [...]}`, `{"text": "..."}`, `{"number": "12"}` or `{"date": {"day": ..., "month": ..., "year": ...}}`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let codes = try container.decodeIfPresent([String].self, forKey: .codes) {
            self = .codes(codes)
        } else if let text = try container.decodeIfPresent(String.self, forKey: .text) {
            self = .text(text)
        } else if let number = try container.decodeIfPresent(String.self, forKey: .number) {
            self = .number(number)
        } else if let date = try container.decodeIfPresent(DateParts.self, forKey: .date) {
            self = .date(date)
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an answer"))
        }
    }

    /// Encodes as one key naming the kind of answer.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .codes(let codes): try container.encode(codes, forKey: .codes)
        case .text(let text): try container.encode(text, forKey: .text)
        case .number(let number): try container.encode(number, forKey: .number)
        case .date(let date): try container.encode(date, forKey: .date)
        }
    }
}
