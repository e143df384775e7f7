import Forms
import Postgres

/// One pass over the file: reads each record, checks it against the plan and writes valid rows in COPY text format.
///
/// Not Sendable: created and used by one `SurveyImporter.run`.
final class ImportPass {
    struct Counts {
        var rows = 0
        var valid = 0
        var rejected = 0
        var bytesRead = 0
    }

    let request: SurveyImportRequest
    let plan: SurveyImportPlan
    let inspection: SurveyFileInspection
    let problems: ProblemLog
    private let reader: CSVRecordReader
    private let header: [String]
    private let columns: [ColumnRule]
    private var notes: [String] = []
    private(set) var counts = Counts()
    /// Set when the rows decided that nothing is imported.
    private(set) var failure: SurveyImportFailure?
    var batchID: Int64 = 0

    // Hot-path state: raw buffers (no uniqueness or exclusivity checks per access), owned here, freed in deinit.
    private let codes: UnsafeMutablePointer<Int32>
    private let slotCount: Int
    /// `slotCount` tables of 256 entries: the stored value of each one-byte field, per stored variable.
    private let singleTable: UnsafeMutablePointer<Int32>
    /// Whether each stored variable is required.
    private let requiredSlots: UnsafeMutablePointer<Bool>
    private var output = OutputBuffer(capacity: 1 << 17)
    private var seen = SeenIdentifiers()
    private let expectedYear: Int
    private let allowed: [String]
    private let identifierIsInteger: Bool
    private static let nullCode = Int32.max

    init(request: SurveyImportRequest, plan: SurveyImportPlan, inspection: SurveyFileInspection, problemsPath: String) throws(SurveyImportFailure) {
        self.request = request
        self.plan = plan
        self.inspection = inspection
        let file = try ChunkedFile(path: request.path)
        let reader = try CSVRecordReader(file: file, skipBytes: inspection.bomLength)
        self.reader = reader
        guard try reader.next(), !reader.isBlank else {
            throw SurveyImportFailure(.emptyFile, "the file is empty: it has no header row and no data")
        }
        let first = reader
        header = (0..<first.fieldCount).map { first.fieldText($0, encoding: inspection.encoding) }
        let matched = try plan.match(header: header)
        columns = matched.columns
        if !matched.extra.isEmpty {
            notes.append(
                "ignored \(matched.extra.count) column\(matched.extra.count == 1 ? "" : "s") not in the codebook: \(matched.extra.joined(separator: ", "))"
            )
        }
        if inspection.encoding == .windows1252 { notes.append("read as Windows-1252 text (the file is not valid UTF-8)") }
        if inspection.bomLength > 0 { notes.append("skipped the UTF-8 byte-order mark") }
        problems = try ProblemLog(path: problemsPath)
        slotCount = plan.storedVariables.count
        codes = .allocate(capacity: max(slotCount, 1))
        singleTable = .allocate(capacity: max(slotCount, 1) * 256)
        requiredSlots = .allocate(capacity: max(slotCount, 1))
        for (slot, lookup) in plan.lookups.enumerated() {
            requiredSlots[slot] = lookup.variable.required
            for byte in 0..<256 {
                // An integer variable's one-digit values that are not listed codes are parsed (and range-checked).
                let value = lookup.single[byte]
                singleTable[slot << 8 | byte] = value == ValueLookup.invalid && lookup.integerRange != nil ? Self.parseMarker : value
            }
        }
        expectedYear = request.year
        allowed = plan.lookups.map { lookup in
            let variable = lookup.variable
            var parts: [String]
            switch variable.type {
            case .flag: parts = ["0 or 1"]
            case .integer: parts = ["a whole number from \(variable.min ?? 0) to \(variable.max.map(String.init) ?? "any")"]
            default: parts = ["one of " + variable.codes.map(\.code).joined(separator: ", ")]
            }
            if !variable.missing.isEmpty { parts.append("a missing code (\(variable.missing.joined(separator: ", ")))") }
            return parts.joined(separator: " or ")
        }
        identifierIsInteger = plan.identifierVariable.type == .integer
    }

    deinit {
        codes.deallocate()
        singleTable.deallocate()
        requiredSlots.deallocate()
        output.deallocate()
    }

    /// In `singleTable`: not a listed code, parse the byte as a number.
    private static let parseMarker = Int32.min + 1

    /// Reads every data row. With a sink, valid rows are sent on to the COPY (all rows in accept-valid-rows mode;
    /// none after the first invalid row otherwise, since the import will be refused).
    func run(sink: ChunkPipe?, report: (Counts) -> Void) async throws {
        var writing = sink != nil
        let acceptValid = request.acceptValidRows
        var out = output
        var seenIDs = SeenIdentifiers()
        swap(&seenIDs, &seen)
        defer {
            output = out
            swap(&seenIDs, &seen)
        }
        var nextReport = 16_384
        while try reader.next() {
            if reader.isBlank && columns.count > 1 { continue }
            if reader.endedAtEndOfFile && (reader.unterminatedQuote || reader.fieldCount < columns.count) {
                let detail =
                    reader.unterminatedQuote
                    ? "it ends inside a quoted field"
                    : "it has \(reader.fieldCount) of \(columns.count) fields and no line break"
                throw SurveyImportFailure(
                    .truncatedLastLine,
                    "the last line (line \(reader.line)) is cut short: \(detail), so the file looks truncated; nothing was imported"
                )
            }
            counts.rows += 1
            let valid = checkRow(write: writing, out: &out, seen: &seenIDs)
            if valid {
                counts.valid += 1
            } else {
                counts.rejected += 1
                if !acceptValid { writing = false }
            }
            if writing, out.count >= 1 << 16, let sink {
                try await sink.send(Array(out.contents))
                out.removeAll()
            }
            if counts.rows >= nextReport {
                nextReport += 16_384
                counts.bytesRead = reader.bytesRead
                report(counts)
                await Task.yield()
                try Task.checkCancellation()
            }
        }
        if counts.rows == 0 {
            throw SurveyImportFailure(.headerOnly, "the file has a header row but no data rows; nothing was imported")
        }
        if writing, out.count > 0, let sink {
            try await sink.send(Array(out.contents))
            out.removeAll()
        }
        counts.bytesRead = reader.bytesRead
        report(counts)
        problems.flush()
        if counts.rejected > 0 && !acceptValid {
            failure = SurveyImportFailure(
                .invalidRows,
                "\(counts.rejected) of \(counts.rows) rows have problems, so nothing was imported (all or nothing); fix the file, "
                    + "or import the \(counts.valid) valid rows with --accept-valid-rows"
            )
        } else if counts.valid == 0 {
            failure = SurveyImportFailure(.noValidRows, "none of the \(counts.rows) rows is valid; nothing was imported")
        }
    }

    func outcome(batchID: Int64?, replaced: Int64?, elapsed: Duration, failure: SurveyImportFailure? = nil) -> SurveyImportOutcome {
        SurveyImportOutcome(
            dryRun: request.dryRun,
            fileName: request.fileName,
            year: request.year,
            codebookID: plan.codebookID,
            codebookVersion: plan.codebookVersion,
            sha256: inspection.sha256,
            encoding: inspection.encoding,
            batchID: batchID,
            replacedBatchID: replaced,
            rowsRead: counts.rows,
            rowsValid: counts.valid,
            rowsRejected: counts.rejected,
            rowsImported: batchID == nil ? 0 : counts.valid,
            problemCount: problems.total,
            problems: problems.first,
            problemsPath: problems.total > 0 ? problems.path : nil,
            notes: notes,
            elapsed: elapsed,
            failure: failure ?? self.failure
        )
    }

    // MARK: - One row

    private func problem(_ column: Int?, _ range: Range<Int>?, _ reason: String) {
        var value: String?
        if let range {
            let text = decode(reader.bytes[range], encoding: inspection.encoding).trimmingSpaces
            value = text.count > 60 ? String(text.prefix(57)) + "..." : text
        }
        problems.add(SurveyImportProblem(line: reader.line, column: column.map { header[$0].trimmingSpaces }, value: value, reason: reason))
    }

    /// Checks the current record; when valid and `write` is set, appends its COPY line to `out`.
    private func checkRow(write: Bool, out: inout OutputBuffer, seen: inout SeenIdentifiers) -> Bool {
        let columnCount = columns.count
        guard reader.fieldCount == columnCount else {
            problem(nil, nil, "the line has \(reader.fieldCount) fields; the header has \(columnCount)")
            return false
        }
        if reader.badlyQuoted {
            problem(nil, nil, "a double quote is in the wrong place (a quoted field must be quoted from start to end)")
            return false
        }
        let codes = self.codes
        let table = singleTable
        for slot in 0..<slotCount { codes[slot] = Self.nullCode }
        var valid = true
        var year: Range<Int>?
        var provider: Range<Int>?
        var identifier: Range<Int>?
        var providerName: Range<Int>?
        var subarea: Range<Int>?
        var weight: Range<Int>?
        let all = reader.bytes
        let ends = reader.fieldEnds
        columns.withUnsafeBufferPointer { rules in
            var fieldStart = 0
            for index in 0..<columnCount {
                var lower = fieldStart
                var upper = ends[index]
                fieldStart = upper
                let rule = rules[index]
                if rule == .ignored { continue }
                while lower < upper, all[lower] == 0x20 || all[lower] == 0x09 { lower += 1 }
                while lower < upper, all[upper - 1] == 0x20 || all[upper - 1] == 0x09 { upper -= 1 }
                let range = lower..<upper
                let field = UnsafeBufferPointer(rebasing: all[range])
                switch rule {
                case .ignored:
                    continue
                case .stored(let slot):
                    if field.isEmpty {
                        if requiredSlots[slot] {
                            problem(index, nil, "a value is required")
                            valid = false
                        }
                        continue
                    }
                    var value = field.count == 1 ? table[slot << 8 | Int(field[0])] : Self.parseMarker
                    if value == Self.parseMarker { value = plan.lookups[slot].longerValue(field) }
                    if value == ValueLookup.invalid {
                        problem(index, range, "not a value of \(plan.lookups[slot].variable.id): expected \(allowed[slot])")
                        valid = false
                    } else if value < 0 && requiredSlots[slot] {
                        problem(index, range, "a value is required; a missing code is not allowed here")
                        valid = false
                    } else {
                        codes[slot] = value
                    }
                case .year:
                    guard !field.isEmpty else {
                        problem(index, nil, "the survey year is required")
                        valid = false
                        continue
                    }
                    guard let value = parseWholeNumber(field) else {
                        problem(index, range, "the survey year is not a whole number")
                        valid = false
                        continue
                    }
                    if value != expectedYear {
                        problem(index, range, "the survey year is \(value), not \(expectedYear) (--year)")
                        valid = false
                    }
                    year = range
                case .provider:
                    guard !field.isEmpty else {
                        problem(index, nil, "the provider code is required")
                        valid = false
                        continue
                    }
                    if plan.providerLookup.value(field) < 0 {
                        problem(index, range, "unknown provider code (not in the codebook's \(plan.providerVariable.id) codes)")
                        valid = false
                    }
                    provider = range
                case .identifier:
                    guard !field.isEmpty else {
                        problem(index, nil, "the respondent id is required")
                        valid = false
                        continue
                    }
                    if identifierIsInteger {
                        let variable = plan.identifierVariable
                        guard let value = parseWholeNumber(field), value >= (variable.min ?? 0), value <= (variable.max ?? Int.max) else {
                            problem(index, range, "the respondent id is not a whole number from \(variable.min ?? 0) up")
                            valid = false
                            continue
                        }
                        if !seen.insert(value) {
                            problem(index, range, "this respondent id is repeated: it was used on an earlier line")
                            valid = false
                        }
                    } else if !seen.insert(bytes: field) {
                        problem(index, range, "this respondent id is repeated: it was used on an earlier line")
                        valid = false
                    }
                    identifier = range
                case .providerName:
                    providerName = range
                case .subarea:
                    if let codes = plan.subareaCodes, !field.isEmpty, !codes.contains(Array(field)) {
                        problem(index, range, "unknown area code (not in the codebook's \(plan.subareaVariable?.id ?? "") codes)")
                        valid = false
                    }
                    subarea = range
                case .weight:
                    if !field.isEmpty {
                        if isDecimal(field) {
                            weight = range
                        } else {
                            problem(index, range, "the weight is not a number of at least 0 (such as 1 or 0.85)")
                            valid = false
                        }
                    }
                }
            }
        }
        guard valid, write, let year, let provider, let identifier else { return valid }
        let windows1252 = inspection.encoding == .windows1252
        out.appendNumber(batchID)
        out.append(0x09)
        out.appendNumber(Int64(reader.line))
        out.append(0x09)
        out.appendText(all, identifier, windows1252: windows1252)
        out.append(0x09)
        out.appendText(all, year, windows1252: windows1252)
        out.append(0x09)
        out.appendText(all, provider, windows1252: windows1252)
        out.append(0x09)
        out.appendOptionalText(all, providerName, windows1252: windows1252)
        out.append(0x09)
        out.appendOptionalText(all, subarea, windows1252: windows1252)
        out.append(0x09)
        if let weight { out.appendText(all, weight, windows1252: windows1252) } else { out.append(0x31) }
        out.append(0x09)
        out.append(0x7B)
        for slot in 0..<slotCount {
            if slot > 0 { out.append(0x2C) }
            let code = codes[slot]
            if code == Self.nullCode {
                out.append(0x4E)
                out.append(0x55)
                out.append(0x4C)
                out.append(0x4C)
            } else {
                out.appendNumber(Int64(code))
            }
        }
        out.append(0x7D)
        out.append(0x0A)
        return true
    }
}

/// The COPY text being built: a raw, growable byte buffer (no uniqueness check per byte), freed by its owner.
struct OutputBuffer {
    private var start: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        start = .allocate(capacity: capacity)
        self.capacity = capacity
    }

    func deallocate() { start.deallocate() }

    /// The bytes written so far; valid until the next append.
    var contents: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: start, count: count) }

    mutating func removeAll() { count = 0 }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        if count == capacity { grow() }
        start[count] = byte
        count += 1
    }

    private mutating func grow() {
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
        grown.moveInitialize(from: start, count: count)
        start.deallocate()
        start = grown
        capacity *= 2
    }

    mutating func appendNumber(_ value: Int64) {
        if value < 0 {
            append(0x2D)
            appendNumber(-value)
            return
        }
        if value < 10 {
            append(0x30 + UInt8(value))
            return
        }
        var divisor: Int64 = 1
        while divisor <= value / 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            append(0x30 + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    mutating func appendOptionalText(_ all: UnsafeBufferPointer<UInt8>, _ range: Range<Int>?, windows1252: Bool) {
        guard let range, !range.isEmpty else {
            append(0x5C)
            append(0x4E)
            return
        }
        appendText(all, range, windows1252: windows1252)
    }

    /// Appends field bytes as COPY text: UTF-8, with backslash, tab, line feed and carriage return escaped.
    mutating func appendText(_ all: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, windows1252: Bool) {
        for index in range {
            let byte = all[index]
            switch byte {
            case 0x5C:
                append(0x5C)
                append(0x5C)
            case 0x09:
                append(0x5C)
                append(0x74)
            case 0x0A:
                append(0x5C)
                append(0x6E)
            case 0x0D:
                append(0x5C)
                append(0x72)
            case 0x80...0xFF where windows1252:
                for unit in decode(CollectionOfOne(byte), encoding: .windows1252).utf8 { append(unit) }
            default:
                append(byte)
            }
        }
    }
}

/// A decimal of at least zero in plain notation: digits with at most one point (`1`, `0.85`, `.5`).
private func isDecimal(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    var digits = 0
    var points = 0
    for byte in bytes {
        if byte >= 0x30 && byte <= 0x39 {
            digits += 1
        } else if byte == 0x2E {
            points += 1
        } else {
            return false
        }
    }
    return digits > 0 && points <= 1 && bytes.count <= 30
}

/// The respondent ids seen so far: a bitmap for whole numbers below 2^26 (at most 8 MB, grown as needed; 125 KB for
/// ids up to a million), a set for anything else.
struct SeenIdentifiers {
    private var bits: [UInt64] = []
    private var others: Set<UInt64> = []
    private static let bitmapLimit = 1 << 26

    /// Records `value`; false when it was already seen.
    mutating func insert(_ value: Int) -> Bool {
        guard value >= 0, value < Self.bitmapLimit else { return others.insert(UInt64(bitPattern: Int64(value)) ^ 0x8000_0000_0000_0000).inserted }
        let word = value >> 6
        if word >= bits.count { bits.append(contentsOf: repeatElement(0, count: max(word + 1 - bits.count, bits.count))) }
        let mask: UInt64 = 1 << UInt64(value & 63)
        if bits[word] & mask != 0 { return false }
        bits[word] |= mask
        return true
    }

    /// Records an id that is not a whole number, by its 64-bit FNV-1a hash.
    mutating func insert(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return others.insert(hash).inserted
    }
}
