#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file read front to back in large chunks into one reused buffer (no whole-file reads).
///
/// Not Sendable: one reader owns it for one pass, then closes it.
final class ChunkedFile {
    let path: String
    let size: Int
    private let descriptor: Int32
    private(set) var buffer: [UInt8]
    /// Bytes read so far.
    private(set) var offset = 0

    /// Opens `path` for reading. Throws `fileNotFound` when it cannot be opened or is not a regular file.
    init(path: String, chunkSize: Int = 1 << 20) throws(SurveyImportFailure) {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw SurveyImportFailure(.fileNotFound, "cannot open \(path): \(String(cString: strerror(errno)))") }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw SurveyImportFailure(.fileNotFound, "\(path) is not a regular file")
        }
        descriptor = fd
        size = Int(info.st_size)
        buffer = [UInt8](repeating: 0, count: chunkSize)
    }

    deinit { close(descriptor) }

    /// Reads the next chunk into `buffer` and returns how many bytes it holds (0 at the end of the file).
    func readChunk() throws(SurveyImportFailure) -> Int {
        let capacity = buffer.count
        let count = buffer.withUnsafeMutableBytes { raw -> Int in
            while true {
                let n = read(descriptor, raw.baseAddress, capacity)
                if n < 0 && errno == EINTR { continue }
                return n
            }
        }
        guard count >= 0 else { throw SurveyImportFailure(.readError, "cannot read \(path): \(String(cString: strerror(errno)))") }
        offset += count
        return count
    }
}
