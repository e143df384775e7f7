import Foundation
import Operations
import Testing

/// The runner the tests use for the built binary (`Subprocess.capture`): what README.md promises of it.
@Suite("Running a command: output kept whole, a hang stopped, a crash reported")
struct SubprocessTests {
    static let environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]

    @Test("more output than a pipe holds, on both streams at once, comes back whole, run in the folder asked for")
    func largeOutput() async throws {
        let script = "pwd; head -c 300000 /dev/zero | tr '\\\\0' e >&2; head -c 300000 /dev/zero | tr '\\\\0' o"
        let ran = try await Subprocess.capture(["sh", "-c", script], environment: Self.environment, directory: "/tmp")
        #expect(ran.status == 0 && !ran.timedOut)
        #expect(ran.output.hasPrefix("/tmp\n"))
        #expect(ran.output.count == 5 + 300_000)
        #expect(ran.errors.count == 300_000)
    }

    @Test("a command still running after its timeout is stopped and says so; one killed by a signal reports 128 + it")
    func hangAndCrash() async throws {
        let hung = try await Subprocess.capture(["sleep", "60"], environment: Self.environment, timeout: .milliseconds(300))
        #expect(hung.timedOut)
        #expect(hung.status == 128 + SIGTERM)
        let crashed = try await Subprocess.capture(["sh", "-c", "kill -SEGV $$"], environment: Self.environment)
        #expect(!crashed.timedOut)
        #expect(crashed.status == 128 + SIGSEGV)
    }
}
