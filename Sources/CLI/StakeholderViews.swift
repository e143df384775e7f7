import ArgumentParser
import Domain
import Foundation
import Logging
import Operations

/// The process's entry point: runs the command in a task and keeps the main thread in its run loop until the command
/// exits the process.
///
/// Not `@main` on the `AsyncParsableCommand` itself: an async `main` hands the main thread to `dispatch_main()`, which
/// ends it with `pthread_exit`, and Debian's valgrind 3.19 dies with an internal SIGSEGV at the next thread the process
/// creates after that (any Swift program: `dispatchMain()` then `DispatchQueue.global().async`). Here the main thread
/// stays alive in `RunLoop.main`, which also serves the main queue (so `MainActor` still works): the same threads and
/// the same cost in production, and the server runs under valgrind (`scripts/bench-cost`).
@main
enum Entry {
    static func main() {
        Task {
            await StakeholderViews.main()
            exit(0)
        }
        RunLoop.main.run()
        // Only if the run loop had no input source and returned: what an async main would have done.
        dispatchMain()
    }
}

/// The command line: `stakeholder-views <subcommand>`.
struct StakeholderViews: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stakeholder-views",
        abstract: "Collects and reports victims', sentencers' and service users' views for probation inspections.",
        discussion: "Settings come from environment variables; see README.md. With no DATABASE_URL and no PG* variables, "
            + "commands use a private PostgreSQL cluster under DATA_DIR (default .data).",
        subcommands: [
            Serve.self, Migrate.self, Database.self, FormsCommand.self, UserCommand.self, Import.self, ReportCommand.self, RetentionCommand.self,
            VictimsCommand.self, AuditCommand.self,
            Dev.self,
        ]
    )
}

/// Reads the environment once, sets up logging, and turns setup failures into one line and exit status 1.
enum Setup {
    static func configuration() throws -> AppConfiguration {
        do {
            let configuration = try AppConfiguration(environment: ProcessInfo.processInfo.environment)
            let level = configuration.logLevel
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            return configuration
        } catch {
            fail("\(error)")
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("stakeholder-views: error: \(message)\n".utf8))
        exit(1)
    }
}
