import Domain
import Foundation
import Hummingbird

/// Reads a `multipart/form-data` body as it arrives: the file part goes straight to disk (never held in memory),
/// other fields are kept if short. The file may not exceed `maxFileBytes`, nor the whole body `maxFileBytes` plus
/// `allowance` (so a body of parts that are not the file, or of no parts at all, is not read without end).
struct MultipartFileReceiver {
    /// The most a part's headers may take.
    static let maximumHeaderBytes = 16_384
    /// Room for the parts other than the file (at most 20 parts, each with headers of up to 16 KiB).
    static let allowance = 1 << 20

    enum Failure: Error, Equatable {
        case malformed
        case tooLarge
    }

    struct Result {
        var fields: [String: String] = [:]
        var fileName: String?
        var fileBytes = 0
    }

    let boundary: [UInt8]
    let fileField: String
    let destination: String
    let maxFileBytes: Int

    /// The boundary from a `multipart/form-data; boundary=…` content type, or nil.
    static func boundary(contentType: String) -> String? {
        guard contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for part in contentType.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            if pair.lowercased().hasPrefix("boundary=") {
                var value = String(pair.dropFirst("boundary=".count))
                if value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 { value = String(value.dropFirst().dropLast()) }
                return value.isEmpty || value.count > 200 ? nil : value
            }
        }
        return nil
    }

    private enum State {
        case preamble
        case afterDelimiter
        case headers
        case content(name: String, isFile: Bool)
        case done
    }

    /// Reads `body` to the end. Throws `tooLarge` as soon as the file passes the limit (the partial file is removed).
    func receive(_ body: RequestBody) async throws -> Result {
        let delimiter = Array("\r\n--".utf8) + boundary
        var buffer: [UInt8] = Array("\r\n".utf8)
        var state = State.preamble
        var result = Result()
        var value: [UInt8] = []
        var parts = 0
        guard FileManager.default.createFile(atPath: destination, contents: nil), let handle = FileHandle(forWritingAtPath: destination) else {
            throw Failure.malformed
        }
        defer { try? handle.close() }
        func emit(_ bytes: ArraySlice<UInt8>, isFile: Bool) throws {
            if isFile {
                result.fileBytes += bytes.count
                if result.fileBytes > maxFileBytes { throw Failure.tooLarge }
                handle.write(Data(bytes))
            } else if value.count + bytes.count <= 1000 {
                value.append(contentsOf: bytes)
            }
        }
        func step() throws -> Bool {
            switch state {
            case .done:
                buffer.removeAll()
                return false
            case .preamble:
                guard let index = find(delimiter, in: buffer) else {
                    if buffer.count > delimiter.count { buffer.removeFirst(buffer.count - delimiter.count) }
                    return false
                }
                buffer.removeFirst(index + delimiter.count)
                state = .afterDelimiter
            case .afterDelimiter:
                guard buffer.count >= 2 else { return false }
                if buffer[0] == 0x2D && buffer[1] == 0x2D {
                    state = .done
                } else if buffer[0] == 0x0D && buffer[1] == 0x0A {
                    buffer.removeFirst(2)
                    state = .headers
                } else {
                    throw Failure.malformed
                }
            case .headers:
                guard let end = find(Array("\r\n\r\n".utf8), in: buffer) else {
                    if buffer.count > Self.maximumHeaderBytes { throw Failure.malformed }
                    return false
                }
                // The same limit whether the headers came in one chunk or several.
                if end > Self.maximumHeaderBytes { throw Failure.malformed }
                let text = String(decoding: buffer[0..<end], as: UTF8.self)
                buffer.removeFirst(end + 4)
                let disposition = text.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-disposition:") }
                guard let disposition, let name = parameter("name", in: String(disposition)) else { throw Failure.malformed }
                let fileName = parameter("filename", in: String(disposition))
                parts += 1
                if parts > 20 { throw Failure.malformed }
                let isFile = name == fileField && fileName != nil
                if isFile { result.fileName = fileName }
                value = []
                state = .content(name: name, isFile: isFile)
            case .content(let name, let isFile):
                if let index = find(delimiter, in: buffer) {
                    try emit(buffer[0..<index], isFile: isFile)
                    buffer.removeFirst(index + delimiter.count)
                    if !isFile { result.fields[name] = String(decoding: value, as: UTF8.self) }
                    state = .afterDelimiter
                } else {
                    let safe = buffer.count - (delimiter.count - 1)
                    if safe > 0 {
                        try emit(buffer[0..<safe], isFile: isFile)
                        buffer.removeFirst(safe)
                    }
                    return false
                }
            }
            return true
        }
        var received = 0
        do {
            for try await chunk in body {
                received += chunk.readableBytes
                if received > maxFileBytes + Self.allowance { throw Failure.tooLarge }
                buffer.append(contentsOf: chunk.readableBytesView)
                while try step() {}
            }
            while try step() {}
            guard case .done = state else { throw Failure.malformed }
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: destination)
            throw error
        }
        return result
    }

    /// A parameter of a Content-Disposition header (`name="file"`), with only the last path component of a file name.
    private func parameter(_ key: String, in header: String) -> String? {
        for part in header.split(separator: ";").dropFirst() {
            let pair = part.trimmingCharacters(in: .whitespaces)
            guard pair.lowercased().hasPrefix(key + "=") else { continue }
            var value = String(pair.dropFirst(key.count + 1))
            if value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            if key == "filename" {
                value = String(value.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last ?? "")
                // "." and ".." name no file.
                if value.allSatisfy({ $0 == "." }) { value = "" }
            }
            return value
        }
        return nil
    }
}

/// The first index of `needle` in `haystack`.
func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard let first = needle.first, haystack.count >= needle.count else { return nil }
    return haystack.withUnsafeBufferPointer { hay in
        needle.withUnsafeBufferPointer { pin in
            var index = 0
            let last = hay.count - pin.count
            while index <= last {
                if hay[index] == first {
                    var match = true
                    for offset in 1..<pin.count where hay[index + offset] != pin[offset] {
                        match = false
                        break
                    }
                    if match { return index }
                }
                index += 1
            }
            return nil
        }
    }
}
