import Foundation

/// One problem with one row (or the header): the line it is on, the column, the value and why it was refused.
public struct SurveyImportProblem: Sendable, Equatable {
    public let line: Int
    public let column: String?
    public let value: String?
    public let reason: String

    public init(line: Int, column: String?, value: String?, reason: String) {
        self.line = line
        self.column = column
        self.value = value
        self.reason = reason
    }
}

/// Collects row problems: the first `keep` in memory, every one in a CSV file (`line,column,value,reason`), so
/// memory stays flat however many rows are wrong.
///
/// Not Sendable: owned by one import pass.
final class ProblemLog {
    static let header = "line,column,value,reason\n"
    let keep: Int
    let path: String
    private(set) var first: [SurveyImportProblem] = []
    private(set) var total = 0
    private let handle: FileHandle
    private var buffer: [UInt8] = []

    /// Creates (or truncates) the CSV file at `path`.
    init(path: String, keep: Int = 100) throws(SurveyImportFailure) {
        self.keep = keep
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: Data(Self.header.utf8)),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw SurveyImportFailure(.readError, "cannot write the problems file \(path)")
        }
        self.handle = handle
        handle.seekToEndOfFile()
        buffer.reserveCapacity(1 << 16)
    }

    /// Records a problem.
    func add(_ problem: SurveyImportProblem) {
        total += 1
        if first.count < keep { first.append(problem) }
        buffer.append(contentsOf: "\(problem.line),".utf8)
        appendCSV(problem.column ?? "")
        buffer.append(0x2C)
        appendCSV(problem.value ?? "")
        buffer.append(0x2C)
        appendCSV(problem.reason)
        buffer.append(0x0A)
        if buffer.count >= 1 << 16 { flush() }
    }

    /// One cell, neutralised and quoted by the same rule as every other CSV download (`ReportExport.csvCell`).
    private func appendCSV(_ text: String) {
        buffer.append(contentsOf: ReportExport.csvCell(text).utf8)
    }

    /// Writes what is buffered to the file.
    func flush() {
        guard !buffer.isEmpty else { return }
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and closes the file.
    func close() {
        flush()
        try? handle.close()
    }
}
