import Crypto

/// The text encodings the importer reads.
public enum SurveyFileEncoding: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    case windows1252 = "windows-1252"
}

/// How to choose the encoding: detect it, or take the one the person named.
public enum SurveyEncodingChoice: String, Sendable, CaseIterable {
    case auto
    case utf8 = "utf-8"
    case windows1252 = "windows-1252"
}

/// What a first pass over the file found: its size, SHA-256, encoding and byte-order mark.
///
/// The first pass reads the file once in chunks (memory does not grow with the file). It refuses a file over the
/// size limit before reading it, an empty file, binary data, UTF-16 and bytes that fit neither encoding.
public struct SurveyFileInspection: Sendable, Equatable {
    public let byteCount: Int
    /// Lower-case hex SHA-256 of the file's bytes, as stored.
    public let sha256: String
    public let encoding: SurveyFileEncoding
    /// Length of the UTF-8 byte-order mark at the start (0 or 3).
    public let bomLength: Int

    /// Reads `path` once. `maxBytes` is the upload limit; a larger file is refused without being read.
    public static func inspect(path: String, maxBytes: Int, encoding choice: SurveyEncodingChoice) throws(SurveyImportFailure) -> Self {
        let file = try ChunkedFile(path: path)
        if file.size > maxBytes {
            throw SurveyImportFailure(
                .fileTooLarge,
                "the file is \(formatBytes(file.size)), more than the limit of \(formatBytes(maxBytes)) (IMPORT_MAX_UPLOAD_BYTES)"
            )
        }
        if file.size == 0 { throw SurveyImportFailure(.emptyFile, "the file is empty: it has no header row and no data") }
        var hasher = SHA256()
        var utf8 = UTF8Validator()
        var bomLength = 0
        var undefined1252 = false
        var first = true
        var total = 0
        while true {
            let count = try file.readChunk()
            if count == 0 { break }
            let failure: SurveyImportFailure? = file.buffer.withUnsafeBytes { raw -> SurveyImportFailure? in
                let bytes = UnsafeRawBufferPointer(rebasing: raw[0..<count])
                hasher.update(bufferPointer: bytes)
                var start = 0
                if first {
                    first = false
                    if count >= 2, (bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF) {
                        return SurveyImportFailure(
                            .unsupportedEncoding,
                            "the file is UTF-16 text; save it as \"CSV UTF-8\" (or Windows-1252 CSV) and try again"
                        )
                    }
                    if count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
                        bomLength = 3
                        start = 3
                    }
                    if looksBinary(UnsafeRawBufferPointer(rebasing: bytes[start..<min(count, 65536)])) {
                        return binaryFailure
                    }
                }
                if bytes[start...].contains(0) { return binaryFailure }
                utf8.feed(UnsafeRawBufferPointer(rebasing: bytes[start...]))
                if !utf8.isValid && !undefined1252 {
                    for byte in bytes[start...] where byte == 0x81 || byte == 0x8D || byte == 0x8F || byte == 0x90 || byte == 0x9D {
                        undefined1252 = true
                        break
                    }
                }
                total += count
                return nil
            }
            if let failure { throw failure }
        }
        if total == bomLength { throw SurveyImportFailure(.emptyFile, "the file is empty: it has no header row and no data") }
        let isUTF8 = utf8.finish()
        let encoding: SurveyFileEncoding
        switch choice {
        case .utf8:
            guard isUTF8 else {
                throw SurveyImportFailure(
                    .unsupportedEncoding,
                    "the file is not valid UTF-8 (first bad byte at offset \(utf8.firstInvalidOffset ?? 0)); try --encoding windows-1252"
                )
            }
            encoding = .utf8
        case .windows1252:
            guard !undefined1252 || isUTF8 else {
                throw SurveyImportFailure(.unsupportedEncoding, "the file has bytes that are not used in Windows-1252")
            }
            encoding = .windows1252
        case .auto:
            if isUTF8 {
                encoding = .utf8
            } else if !undefined1252 && bomLength == 0 {
                encoding = .windows1252
            } else {
                throw SurveyImportFailure(
                    .unsupportedEncoding,
                    "the file is neither UTF-8 nor Windows-1252 text; save it as \"CSV UTF-8\" and try again"
                )
            }
        }
        let digest = hasher.finalize()
        let hex = digest.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }.joined()
        return SurveyFileInspection(byteCount: file.size, sha256: hex, encoding: encoding, bomLength: bomLength)
    }

    static let binaryFailure = SurveyImportFailure(
        .binaryFile,
        "the file is not CSV text (it contains binary data such as zero bytes); export the survey as CSV and try again"
    )

    /// Control characters other than tab, line feed, form feed, carriage return and Ctrl-Z in more than 1% of the
    /// first 64 KiB: a binary file (a spreadsheet workbook, an archive, an SPSS .sav).
    static func looksBinary(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var control = 0
        for byte in bytes where byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0C && byte != 0x0D && byte != 0x1A {
            control += 1
        }
        return control * 100 > bytes.count
    }

}

/// A streaming UTF-8 check (rejects overlong forms, surrogates and values above U+10FFFF) with an ASCII fast path.
struct UTF8Validator {
    private var need = 0
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF
    private var offset = 0
    private(set) var isValid = true
    private(set) var firstInvalidOffset: Int?

    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard isValid else { return }
        var index = 0
        let count = bytes.count
        while index < count {
            if need == 0, index + 8 <= count {
                let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                if word & 0x8080_8080_8080_8080 == 0 {
                    index += 8
                    continue
                }
            }
            let byte = bytes[index]
            if need == 0 {
                switch byte {
                case 0x00...0x7F: break
                case 0xC2...0xDF: need = 1
                case 0xE0:
                    need = 2
                    lower = 0xA0
                case 0xE1...0xEC, 0xEE...0xEF: need = 2
                case 0xED:
                    need = 2
                    upper = 0x9F
                case 0xF0:
                    need = 3
                    lower = 0x90
                case 0xF1...0xF3: need = 3
                case 0xF4:
                    need = 3
                    upper = 0x8F
                default:
                    fail(at: offset + index)
                    return
                }
            } else {
                guard byte >= lower, byte <= upper else {
                    fail(at: offset + index)
                    return
                }
                lower = 0x80
                upper = 0xBF
                need -= 1
            }
            index += 1
        }
        offset += count
    }

    private mutating func fail(at position: Int) {
        isValid = false
        firstInvalidOffset = position
    }

    /// Whether everything fed was valid and ended on a character boundary.
    mutating func finish() -> Bool {
        if isValid && need != 0 { fail(at: offset) }
        return isValid
    }
}

package func formatBytes(_ count: Int) -> String {
    if count >= 1 << 20 { return "\((Double(count) / 1_048_576 * 10).rounded() / 10) MB" }
    if count >= 1 << 10 { return "\((Double(count) / 1024 * 10).rounded() / 10) KB" }
    return "\(count) bytes"
}
