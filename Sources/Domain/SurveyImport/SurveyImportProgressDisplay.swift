import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Shows an import's progress on standard error when it is a terminal: rows, rows per second, percent and time
/// left, redrawn in place. Writes through `FileHandle.standardError` (not `print`, which a pipe buffers).
public final class SurveyImportProgressDisplay: Sendable {
    private let enabled: Bool
    private let lastDraw = Mutex<ContinuousClock.Instant?>(nil)

    /// Enabled when standard error is a terminal, unless `force` says otherwise.
    public init(force: Bool? = nil) {
        enabled = force ?? (isatty(2) == 1)
    }

    /// Redraws the line (at most four times a second).
    public func update(_ progress: SurveyImportProgress) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let draw = lastDraw.withLock { last -> Bool in
            if let last, now - last < .milliseconds(250), progress.fraction < 1 { return false }
            last = now
            return true
        }
        guard draw else { return }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + Self.line(progress)).utf8))
    }

    /// Clears the progress line before the summary.
    public func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    /// The progress line, for example `412,345 rows · 342,100 rows/s · 41% · about 2 s left`.
    public static func line(_ progress: SurveyImportProgress) -> String {
        var parts = ["\(grouped(progress.rows)) rows", "\(grouped(Int(progress.rowsPerSecond))) rows/s", "\(Int(progress.fraction * 100))%"]
        if let remaining = progress.remaining {
            let seconds = Int(remaining.seconds.rounded(.up))
            parts.append(seconds >= 60 ? "about \(seconds / 60) min \(seconds % 60) s left" : "about \(seconds) s left")
        }
        return parts.joined(separator: " · ")
    }

    static func grouped(_ value: Int) -> String {
        let digits = Array(String(value))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }
}
