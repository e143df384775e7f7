/// A streaming CSV reader (RFC 4180 as spreadsheets write it): comma-separated, fields optionally in double quotes,
/// `""` for a quote inside quotes, quoted fields may hold commas and line breaks, lines end in LF, CRLF or CR.
///
/// It reads the file in chunks and keeps only the current record, so memory does not grow with the file. Written
/// here rather than taken from CSV.swift: it works on bytes (Windows-1252 and UTF-8 alike, no String per field),
/// reports the physical line each record starts on, and says whether the last record was cut short, which the
/// importer needs to refuse a truncated file.
///
/// Not Sendable: owned by one import pass.
final class CSVRecordReader {
    private let file: ChunkedFile
    private var position = 0
    private var available = 0
    private var atEnd = false
    private var skipLineFeed = false
    private var nextLine = 1

    // The current record lives in two buffers owned here and reused for every record (appending to an Array a byte
    // at a time costs a uniqueness and capacity check per byte; these cost a compare).
    private var storage: UnsafeMutablePointer<UInt8>
    private var storageCapacity = 4096
    private var ends: UnsafeMutablePointer<Int>
    private var endsCapacity = 64
    private(set) var byteCount = 0
    private(set) var fieldCount = 0

    /// The physical line the current record starts on (1-based).
    private(set) var line = 0
    /// The current record had a quote in a wrong place (text after a closing quote).
    private(set) var badlyQuoted = false
    /// The current record is the last one and no line break followed it.
    private(set) var endedAtEndOfFile = false
    /// The current record ended inside a quoted field (the file ends before the closing quote).
    private(set) var unterminatedQuote = false

    /// Reads `file`, skipping the first `skipBytes` bytes (a byte-order mark).
    init(file: ChunkedFile, skipBytes: Int) throws(SurveyImportFailure) {
        self.file = file
        storage = .allocate(capacity: storageCapacity)
        ends = .allocate(capacity: endsCapacity)
        try refill()
        position = min(skipBytes, available)
    }

    deinit {
        storage.deallocate()
        ends.deallocate()
    }

    /// The current record's field bytes, concatenated; valid until the next call to `next()`.
    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: storage, count: byteCount) }

    /// The end offsets in `bytes` of the current record's fields; valid until the next call to `next()`.
    var fieldEnds: UnsafeBufferPointer<Int> { UnsafeBufferPointer(start: ends, count: fieldCount) }

    /// Bytes read from the file so far.
    var bytesRead: Int { file.offset }

    /// Whether the current record is a blank line.
    var isBlank: Bool { fieldCount == 1 && byteCount == 0 }

    /// The range in `bytes` of field `index`.
    func fieldRange(_ index: Int) -> Range<Int> {
        (index == 0 ? 0 : ends[index - 1])..<ends[index]
    }

    /// Field `index` as text, decoded with `encoding`.
    func fieldText(_ index: Int, encoding: SurveyFileEncoding) -> String {
        decode(bytes[fieldRange(index)], encoding: encoding)
    }

    private func refill() throws(SurveyImportFailure) {
        available = try file.readChunk()
        position = 0
        if available == 0 { atEnd = true }
    }

    private enum State {
        case fieldStart
        case unquoted
        case quoted
        case quoteInQuoted
    }

    /// Moves to the next record. Returns false at the end of the file.
    func next() throws(SurveyImportFailure) -> Bool {
        // Everything the byte loop touches is a local: class properties would each pay a dynamic exclusivity check.
        var out = storage
        var capacity = storageCapacity
        var count = 0
        var fieldEnds = ends
        var fieldCapacity = endsCapacity
        var fields = 0
        defer {
            storage = out
            storageCapacity = capacity
            byteCount = count
            ends = fieldEnds
            endsCapacity = fieldCapacity
            fieldCount = fields
        }
        @inline(__always) func append(_ byte: UInt8) {
            if count == capacity {
                let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
                grown.moveInitialize(from: out, count: count)
                out.deallocate()
                out = grown
                capacity *= 2
            }
            out[count] = byte
            count += 1
        }
        @inline(__always) func endField() {
            if fields == fieldCapacity {
                let grown = UnsafeMutablePointer<Int>.allocate(capacity: fieldCapacity * 2)
                grown.moveInitialize(from: fieldEnds, count: fields)
                fieldEnds.deallocate()
                fieldEnds = grown
                fieldCapacity *= 2
            }
            fieldEnds[fields] = count
            fields += 1
        }
        badlyQuoted = false
        line = nextLine
        var state = State.fieldStart
        var lines = nextLine
        var skipLF = skipLineFeed
        var badQuote = false
        while true {
            if position == available {
                if !atEnd { try refill() }
                if atEnd {
                    if state == .fieldStart && fields == 0 { return false }
                    unterminatedQuote = state == .quoted
                    badlyQuoted = badQuote
                    endField()
                    endedAtEndOfFile = true
                    return true
                }
            }
            var pos = position
            let limit = available
            // The scan of one chunk runs over a raw pointer, a byte at a time.
            let finished: Bool = file.buffer.withUnsafeBufferPointer { chunk -> Bool in
                while pos < limit {
                    let byte = chunk[pos]
                    pos += 1
                    if skipLF {
                        skipLF = false
                        if byte == 0x0A { continue }
                    }
                    switch state {
                    case .fieldStart, .unquoted:
                        switch byte {
                        case 0x2C:
                            endField()
                            state = .fieldStart
                        case 0x0A, 0x0D:
                            endField()
                            lines += 1
                            skipLF = byte == 0x0D
                            return true
                        case 0x22 where state == .fieldStart:
                            state = .quoted
                        default:
                            if byte == 0x22 { badQuote = true }
                            append(byte)
                            state = .unquoted
                        }
                    case .quoted:
                        if byte == 0x22 {
                            state = .quoteInQuoted
                        } else {
                            if byte == 0x0A { lines += 1 }
                            append(byte)
                        }
                    case .quoteInQuoted:
                        switch byte {
                        case 0x22:
                            append(byte)
                            state = .quoted
                        case 0x2C:
                            endField()
                            state = .fieldStart
                        case 0x0A, 0x0D:
                            endField()
                            lines += 1
                            skipLF = byte == 0x0D
                            return true
                        default:
                            badQuote = true
                            append(byte)
                            state = .unquoted
                        }
                    }
                }
                return false
            }
            position = pos
            nextLine = lines
            skipLineFeed = skipLF
            if finished {
                badlyQuoted = badQuote
                return true
            }
        }
    }
}

/// Text from file bytes: UTF-8 as is (invalid sequences repaired), Windows-1252 mapped to Unicode.
func decode(_ bytes: some Collection<UInt8>, encoding: SurveyFileEncoding) -> String {
    switch encoding {
    case .utf8:
        return String(decoding: bytes, as: UTF8.self)
    case .windows1252:
        var scalars = String.UnicodeScalarView()
        for byte in bytes {
            if byte >= 0x80 && byte < 0xA0 {
                scalars.append(Unicode.Scalar(windows1252High[Int(byte - 0x80)]) ?? "\u{FFFD}")
            } else {
                scalars.append(Unicode.Scalar(byte))
            }
        }
        return String(scalars)
    }
}

/// Windows-1252 code points for bytes 0x80–0x9F (undefined bytes map to U+FFFD).
private let windows1252High: [UInt32] = [
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
    0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
]
