import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension Date: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .timestamptz }

    /// ISO 8601 in UTC with microseconds: `2026-11-26 16:11:21.123456+00`.
    public var postgresText: String? {
        let interval = timeIntervalSince1970
        var seconds = Int(interval.rounded(.down))
        var micros = Int(((interval - Double(seconds)) * 1_000_000).rounded())
        if micros >= 1_000_000 {
            seconds += 1
            micros -= 1_000_000
        }
        let (days, secondOfDay) = seconds.floorDivided(by: 86_400)
        let civil = CivilDate(daysSinceEpoch: days)
        let hour = secondOfDay / 3600
        let minute = secondOfDay % 3600 / 60
        let second = secondOfDay % 60
        return "\(civil.text) \(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(pad(micros, 6))+00"
    }

    /// Parses timestamptz output in ISO DateStyle (the connection sets `DateStyle=ISO` and `TimeZone=UTC`).
    public static func decode(postgresText text: String, type: PostgresType) throws -> Date {
        switch text {
        case "infinity": return .distantFuture
        case "-infinity": return .distantPast
        default: break
        }
        var scanner = DigitScanner(text)
        guard let year = scanner.number(), scanner.skip("-"), let month = scanner.number(), scanner.skip("-"),
            let day = scanner.number(), scanner.skip(" ") || scanner.skip("T"),
            let hour = scanner.number(), scanner.skip(":"), let minute = scanner.number(), scanner.skip(":"),
            let second = scanner.number()
        else { throw PostgresDecodingFailure("not a timestamp in ISO format") }
        var fraction = 0.0
        if scanner.skip(".") {
            let start = scanner.index
            guard let digits = scanner.number() else { throw PostgresDecodingFailure("not a timestamp in ISO format") }
            fraction = Double(digits) / pow(10, Double(scanner.index - start))
        }
        var offsetSeconds = 0
        if let sign = scanner.next(), sign == "+" || sign == "-" {
            guard let hours = scanner.number() else { throw PostgresDecodingFailure("bad time zone offset") }
            var offset = hours * 3600
            if scanner.skip(":"), let minutes = scanner.number() { offset += minutes * 60 }
            if scanner.skip(":"), let secs = scanner.number() { offset += secs }
            offsetSeconds = sign == "+" ? offset : -offset
        }
        let days = CivilDate(year: year, month: month, day: day).daysSinceEpoch
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}

/// A calendar date without a time or zone, for `date` columns (inspection dates, fieldwork weeks).
public struct LocalDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible, PostgresEncodable, PostgresDecodable {
    public var year: Int
    public var month: Int
    public var day: Int

    /// Creates a date; returns nil when the day does not exist (31 April, 29 February in a common year).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), (1...CivilDate.daysIn(month: month, year: year)).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`.
    public init?(iso text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// The day on which `date` falls in `timeZone` (UTC by default).
    public init(_ date: Date, timeZone: TimeZone = .gmt) {
        let offset = timeZone.secondsFromGMT(for: date)
        let (days, _) = (Int(date.timeIntervalSince1970.rounded(.down)) + offset).floorDivided(by: 86_400)
        let civil = CivilDate(daysSinceEpoch: days)
        self.year = civil.year
        self.month = civil.month
        self.day = civil.day
    }

    /// Days since 1970-01-01.
    public var daysSinceEpoch: Int { CivilDate(year: year, month: month, day: day).daysSinceEpoch }

    /// The date `n` days later (or earlier, for negative `n`).
    public func adding(days n: Int) -> LocalDate {
        let civil = CivilDate(daysSinceEpoch: daysSinceEpoch + n)
        return LocalDate(unchecked: civil)
    }

    /// Midnight at the start of this day, UTC.
    public var startOfDayUTC: Date { Date(timeIntervalSince1970: Double(daysSinceEpoch * 86_400)) }

    private init(unchecked civil: CivilDate) {
        self.year = civil.year
        self.month = civil.month
        self.day = civil.day
    }

    public var description: String { CivilDate(year: year, month: month, day: day).text }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public static var postgresType: PostgresType { .date }
    public var postgresText: String? { description }
    public static func decode(postgresText text: String, type: PostgresType) throws -> LocalDate {
        guard let value = LocalDate(iso: text) else { throw PostgresDecodingFailure("not a date in ISO format") }
        return value
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = LocalDate(iso: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a YYYY-MM-DD date"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Proleptic Gregorian arithmetic (Howard Hinnant's days-from-civil), independent of the process time zone.
struct CivilDate {
    var year: Int
    var month: Int
    var day: Int

    init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    init(daysSinceEpoch z0: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    var text: String { "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))" }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

private func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}

extension Int {
    fileprivate func floorDivided(by divisor: Int) -> (quotient: Int, remainder: Int) {
        let q = self >= 0 ? self / divisor : (self - divisor + 1) / divisor
        return (q, self - q * divisor)
    }
}

/// Reads unsigned decimal numbers and single characters from ASCII text.
private struct DigitScanner {
    let bytes: [UInt8]
    var index = 0

    init(_ text: String) { bytes = Array(text.utf8) }

    mutating func number() -> Int? {
        var value = 0
        let start = index
        while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
            value = value * 10 + Int(bytes[index] - 48)
            index += 1
        }
        return index > start ? value : nil
    }

    mutating func skip(_ character: Character) -> Bool {
        guard index < bytes.count, let ascii = character.asciiValue, bytes[index] == ascii else { return false }
        index += 1
        return true
    }

    mutating func next() -> Character? {
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return Character(UnicodeScalar(bytes[index]))
    }
}
