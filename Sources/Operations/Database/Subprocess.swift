import Domain
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program and waits for it, with output appended to a log file.
///
/// Foundation's `Process.waitUntilExit()` hangs on `pg_ctl start` (the server inherits the descriptor Foundation
/// watches), so this uses `posix_spawnp` and `waitpid` directly.
package enum Subprocess {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Returns the exit status (or 128 + signal). Standard input is /dev/null; standard output and error go to
    /// `logPath` (appended), or to /dev/null when it is nil.
    static func run(_ arguments: [String], logPath: String?) throws -> Int32 {
        precondition(!arguments.isEmpty)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o640)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = arguments.map { strdup($0) }
        defer { for pointer in argv { free(pointer) } }
        var pid = pid_t()
        let spawned = withDefaultSignals { posix_spawnp(&pid, arguments[0], &actions, $0, argv + [nil], environ) }
        guard spawned == 0 else {
            throw Failure(description: "could not start \(arguments[0]): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            if errno != EINTR { throw Failure(description: "waiting for \(arguments[0]) failed: \(String(cString: strerror(errno)))") }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// What a program printed and how it ended.
    package struct Captured: Sendable {
        /// The exit status, or 128 + the signal that ended it.
        package let status: Int32
        package let output: String
        package let errors: String
        /// True when it ran past its time and was stopped (SIGTERM, then SIGKILL five seconds later).
        package let timedOut: Bool
    }

    /// Runs a program with `environment` (the whole of it) in `directory`, its output and errors kept in files of
    /// their own (so a program that prints more than a pipe holds can never stall on a reader that waits for the
    /// other stream), and stops it after `timeout`. The wait runs on a thread of its own, never on Swift's
    /// cooperative pool, so a program that hangs (or crashes and takes minutes to print its backtrace) holds up only
    /// its caller. `posix_spawn` starts it: unlike `fork`, the child never runs this process's signal handlers.
    package static func capture(
        _ arguments: [String],
        environment: [String: String],
        directory: String? = nil,
        timeout: Duration = .seconds(120)
    ) async throws -> Captured {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Result { try captureWaiting(arguments, environment: environment, directory: directory, timeout: timeout) }
                )
            }
        }
    }

    private static func captureWaiting(
        _ arguments: [String],
        environment: [String: String],
        directory: String?,
        timeout: Duration
    ) throws -> Captured {
        precondition(!arguments.isEmpty)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sv-capture-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let outputPath = folder + "/output"
        let errorsPath = folder + "/errors"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errorsPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if let directory {
            // glibc has had it since 2.29, but Swift's Glibc module does not declare it.
            typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32
            guard let symbol = dlsym(nil, "posix_spawn_file_actions_addchdir_np") else {
                throw Failure(description: "this C library cannot start a program in another folder (posix_spawn_file_actions_addchdir_np)")
            }
            _ = unsafeBitCast(symbol, to: AddChdir.self)(&actions, directory)
        }
        let argv = arguments.map { strdup($0) }
        defer { for pointer in argv { free(pointer) } }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") }
        defer { for pointer in envp { free(pointer) } }
        var pid = pid_t()
        let spawned = withDefaultSignals { posix_spawnp(&pid, arguments[0], &actions, $0, argv + [nil], envp + [nil]) }
        guard spawned == 0 else {
            throw Failure(description: "could not start \(arguments[0]): \(String(cString: strerror(spawned)))")
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var killAt: ContinuousClock.Instant?
        var timedOut = false
        var status: Int32 = 0
        while true {
            let waited = waitpid(pid, &status, WNOHANG)
            if waited == pid { break }
            if waited == -1 && errno != EINTR {
                throw Failure(description: "waiting for \(arguments[0]) failed: \(String(cString: strerror(errno)))")
            }
            let now = clock.now
            if killAt == nil && now >= deadline {
                timedOut = true
                kill(pid, SIGTERM)
                killAt = now + .seconds(5)
            } else if let at = killAt, now >= at {
                kill(pid, SIGKILL)
                killAt = now + .seconds(3600)
            }
            usleep(20_000)
        }
        let signal = status & 0x7f
        func read(_ path: String) -> String {
            String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
        }
        return Captured(
            status: signal == 0 ? (status >> 8) & 0xff : 128 + signal,
            output: read(outputPath),
            errors: read(errorsPath),
            timedOut: timedOut
        )
    }

    /// Spawn attributes that give the child default signal handling and no blocked signals: this process may ignore
    /// or block SIGTERM (ServiceLifecycle handles it itself), and a child inheriting that could not be stopped by it.
    private static func withDefaultSignals<T>(_ body: (UnsafePointer<posix_spawnattr_t>) throws -> T) rethrows -> T {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        return try body(&attributes)
    }

    /// The first executable named `name` on PATH.
    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
