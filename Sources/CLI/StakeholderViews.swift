import ArgumentParser
import Domain
import Foundation
import Logging
import Operations

import struct Forms.FormProblem

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

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the web service.")

    @Option(help: "Address to listen on (env HOST, default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (env PORT, default 8080).")
    var port: Int?

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be from 0 to 65535") }
        if let host, host.isEmpty { throw ValidationError("--host must not be empty") }
    }

    func run() async throws {
        var configuration = try Setup.configuration()
        if let host { configuration.host = host }
        if let port { configuration.port = port }
        if let port, port == configuration.metricsPort {
            Setup.fail("--port must differ from METRICS_PORT (\(port)): the metrics listener is separate from the public one")
        }
        do {
            try await Server.run(configuration, logger: Logger(label: "stakeholder-views"))
        } catch {
            Setup.fail("\(error)")
        }
    }
}

struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Delete what the service must not keep any longer (the daily job, on demand).",
        subcommands: [Run.self]
    )

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run retention now: print per inspection what kind of data went, and how many rows.",
            discussion: "Unused links lose their token, code and reference once their window has closed; victims' answers, "
                + "paper answers and sentencer notes go RETENTION_MONTHS (default 12) after publication. Every deletion is audited."
        )

        @Flag(help: "Print what would be deleted, and delete nothing.")
        var dryRun = false

        func run() async throws {
            let configuration = try Setup.configuration()
            do {
                let lines = try await RetentionCommandLine.run(configuration, dryRun: dryRun, logger: Logger(label: "retention"))
                FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
            } catch {
                Setup.fail("\(error)")
            }
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the SQL migrations in sql/ that the database does not have yet.",
        discussion: "Runs as the owner role when DATABASE_OWNER_URL is set (or in the embedded cluster), then grants the role of "
            + "DATABASE_URL the service's privileges. --print-roles prints the CREATE ROLE statements for an external server, "
            + "--print-grants the GRANT statements; neither touches a database."
    )

    @Flag(help: "Only list applied and pending migrations.")
    var status = false

    @Flag(help: "Print the statements that create the owner and service roles and grant the service its privileges; connect to nothing.")
    var printRoles = false

    @Flag(help: "Print the GRANT statements that give the service role its privileges (migrate applies them itself); connect to nothing.")
    var printGrants = false

    @Option(help: "The owner role's name, for --print-roles.")
    var ownerRole = DatabaseRoles.defaultOwnerRole

    @Option(help: "The service role's name, for --print-roles and --print-grants.")
    var serviceRole = DatabaseRoles.defaultServiceRole

    @Option(help: "The database's name, for --print-roles.")
    var database = "stakeholder_views"

    func run() async throws {
        if printRoles || printGrants {
            let script =
                printRoles
                ? DatabaseRoles.setupScript(owner: ownerRole, service: serviceRole, database: database)
                : DatabaseRoles.grantScript(service: serviceRole)
            FileHandle.standardOutput.write(Data(script.utf8))
            return
        }
        let configuration = try Setup.configuration()
        do {
            let lines = try await Server.migrate(configuration, statusOnly: status, logger: Logger(label: "stakeholder-views"))
            for line in lines { print(line) }
        } catch {
            Setup.fail("\(error)")
        }
    }
}

struct Database: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Start, stop or check the embedded PostgreSQL cluster under DATA_DIR.",
        subcommands: [Start.self, Stop.self, Status.self]
    )

    enum Action { case start, stop, status }

    static func perform(_ action: Action) async throws {
        let configuration = try Setup.configuration()
        let logger = Logger(label: "stakeholder-views")
        do {
            let cluster = try EmbeddedCluster(dataDirectory: configuration.dataDirectory + "/postgres")
            switch action {
            case .start:
                _ = try await DatabaseSetup.startEmbedded(cluster, logger: logger)
                print(cluster.connectionString)
            case .stop:
                try cluster.stop(logger: logger)
            case .status:
                if cluster.isRunning() {
                    print("running: \(cluster.connectionString)")
                } else {
                    print("not running (\(cluster.dataDirectory))")
                    throw ExitCode(3)
                }
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            Setup.fail("\(error)")
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create (if needed) and start the cluster; print its connection string.")
        func run() async throws { try await Database.perform(.start) }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the cluster.")
        func run() async throws { try await Database.perform(.stop) }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say whether the cluster is running (exit 3 when it is not).")
        func run() async throws { try await Database.perform(.status) }
    }
}

struct FormsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forms",
        abstract: "Work with questionnaire definitions.",
        subcommands: [Check.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check form definitions and report every problem with file and line (exit 1 when there is any)."
        )

        @Argument(help: "Definition files or folders (default: FORMS_DIR, normally forms/).")
        var paths: [String] = []

        @Flag(help: "Also refuse versions edited after answers were stored (reads the database).")
        var database = false

        func run() async throws {
            let configuration = try Setup.configuration()
            let targets = paths.isEmpty ? [configuration.formsDirectory] : paths
            let problems: [FormProblem]
            do {
                problems = try await Server.checkForms(
                    targets,
                    againstDatabase: database,
                    configuration: configuration,
                    logger: Logger(label: "stakeholder-views")
                )
            } catch {
                Setup.fail("\(error)")
            }
            for problem in problems { FileHandle.standardError.write(Data("\(problem)\n".utf8)) }
            if problems.isEmpty {
                print("no problems found in \(targets.joined(separator: ", "))")
            } else {
                print("\(problems.count) problem\(problems.count == 1 ? "" : "s") found")
                throw ExitCode(1)
            }
        }
    }
}

// MARK: Staff accounts (issue 4)

extension Role: ExpressibleByArgument {}

/// `user create|list|set-password|disable`. Passwords come from a prompt with echo off, or from standard input when it
/// is not a terminal (one line); never from an argument, where they would sit in shell history and `ps`.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage staff accounts (the first administrator is created here).",
        subcommands: [Create.self, List.self, SetPassword.self, Disable.self]
    )

    static func perform<T: Sendable>(_ body: @Sendable (AccountsCommandLine) async throws -> T) async throws -> T {
        let configuration = try Setup.configuration()
        do {
            return try await AccountsCommandLine.run(configuration, logger: Logger(label: "stakeholder-views"), body)
        } catch {
            Setup.fail("\(error)")
        }
    }

    /// Reads a new password: twice at a terminal with echo off, or one line from piped standard input.
    static func readNewPassword() -> String {
        if isatty(STDIN_FILENO) == 0 {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else { Setup.fail("no password on standard input") }
            return line
        }
        let first = prompt("New password (at least 12 characters): ")
        let second = prompt("Type it again: ")
        guard first == second else { Setup.fail("the passwords do not match") }
        return first
    }

    /// Prints `text` to standard error and reads a line from the terminal without echoing it.
    static func prompt(_ text: String) -> String {
        FileHandle.standardError.write(Data(text.utf8))
        var original = termios()
        tcgetattr(STDIN_FILENO, &original)
        var silent = original
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        let line = readLine(strippingNewline: true) ?? ""
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
        FileHandle.standardError.write(Data("\n".utf8))
        return line
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a staff user; the password is read from a prompt or standard input.")

        @Option(help: "admin, inspector or vlo.")
        var role: Role

        @Option(help: "Their email address (their sign-in name).")
        var email: String

        @Option(help: "Their full name, as shown on pages (default: the part of the email before @).")
        var name: String?

        @Option(help: "For a VLO: the code of the provider they work for.")
        var provider: String?

        func run() async throws {
            let password = UserCommand.readNewPassword()
            let (email, role, provider) = (email, role, provider)
            let name = name ?? String(email.split(separator: "@").first ?? "")
            let id = try await UserCommand.perform { accounts in
                try await accounts.createUser(email: email, displayName: name, role: role, providerCode: provider, password: password)
            }
            print("created user \(id)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List staff users: id, email, role, organisation, status.")

        func run() async throws {
            let lines = try await UserCommand.perform { accounts in try await accounts.listUsers() }
            for line in lines { print(line) }
        }
    }

    struct SetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-password",
            abstract: "Set a user's password (read from a prompt or standard input) and end their sessions."
        )

        @Option(help: "The user's email address.")
        var email: String

        func run() async throws {
            let password = UserCommand.readNewPassword()
            let email = email
            try await UserCommand.perform { accounts in try await accounts.setPassword(email: email, password: password) }
            print("password set")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user and end their sessions.")

        @Option(help: "The user's email address.")
        var email: String

        func run() async throws {
            let email = email
            try await UserCommand.perform { accounts in try await accounts.disable(email: email) }
            print("user disabled")
        }
    }
}

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import data files from outside the service.",
        subcommands: [ServiceUserSurvey.self]
    )

    struct ServiceUserSurvey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "service-user-survey",
            abstract: "Import the annual NOMS service-user survey file (CSV) for one year.",
            discussion: "Checks every row against the codebook. All or nothing unless --accept-valid-rows. The same file is "
                + "imported once; a new file for a year already imported replaces that year's batch. Exit status 1 when "
                + "nothing was imported."
        )

        @Argument(help: "The CSV file.")
        var file: String

        @Option(help: "The survey (fieldwork) year the file is for.")
        var year: Int

        @Option(help: "A codebook file or id (default: service-user-survey in FORMS_DIR).")
        var codebook: String?

        @Flag(help: "Check the file and report; write nothing.")
        var dryRun = false

        @Flag(help: "Import the valid rows and record the rejected ones, instead of all or nothing.")
        var acceptValidRows = false

        @Option(help: "The file's encoding: auto, utf-8 or windows-1252.")
        var encoding: String = "auto"

        @Option(help: "Where to write every problem as CSV (default FILE.problems.csv, only when there are problems).")
        var problemsFile: String?

        func validate() throws {
            if !(1990...2100).contains(year) { throw ValidationError("--year must be a year from 1990 to 2100") }
            if SurveyEncodingChoice(rawValue: encoding.lowercased()) == nil {
                throw ValidationError("--encoding must be auto, utf-8 or windows-1252")
            }
        }

        func run() async throws {
            let configuration = try Setup.configuration()
            var options = SurveyImportCommand.Options(file: file, year: year)
            options.codebook = codebook
            options.dryRun = dryRun
            options.acceptValidRows = acceptValidRows
            options.encoding = SurveyEncodingChoice(rawValue: encoding.lowercased()) ?? .auto
            options.problemsFile = problemsFile
            let succeeded: Bool
            do {
                succeeded = try await SurveyImportCommand.run(options, configuration: configuration, logger: Logger(label: "stakeholder-views"))
            } catch {
                FileHandle.standardOutput.write(Data("import failed: \(error)\n".utf8))
                Setup.fail("\(error)")
            }
            if !succeeded { throw ExitCode(1) }
        }
    }
}

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "The stakeholder-views report without a server.",
        subcommands: [Export.self]
    )

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write an inspection's report export (CSV or JSON, as the web page's export links give it).",
            discussion: "Disclosure control is applied as on the page; free text is never exported. The export is recorded in "
                + "the audit log as done from the command line."
        )

        @Option(help: "The inspection's number (as in /inspections/N/report).")
        var inspection: Int

        @Option(help: "csv or json.")
        var format: String = "csv"

        @Option(name: [.short, .long], help: "Write to this file instead of standard output.")
        var output: String?

        func validate() throws {
            if inspection < 1 { throw ValidationError("--inspection must be an inspection number (1 or more)") }
            if ReportExportCommand.Format(rawValue: format.lowercased()) == nil { throw ValidationError("--format must be csv or json") }
        }

        func run() async throws {
            let configuration = try Setup.configuration()
            let chosen = ReportExportCommand.Format(rawValue: format.lowercased()) ?? .csv
            do {
                let text = try await ReportExportCommand.run(
                    configuration,
                    inspectionID: inspection,
                    format: chosen,
                    logger: Logger(label: "report-export")
                )
                if let output {
                    guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8)) else {
                        Setup.fail("cannot write \(output)")
                    }
                } else {
                    FileHandle.standardOutput.write(Data(text.utf8))
                }
            } catch {
                Setup.fail("\(error)")
            }
        }
    }
}

struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tools for developers: benchmarks and synthetic data.",
        subcommands: [BenchDatabase.self, DemoLinks.self, PrepareSubmissions.self, GenerateSurvey.self, SeedDemo.self]
    )

    struct GenerateSurvey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate-survey",
            abstract: "Write a deterministic synthetic service-user survey CSV that fits the codebook."
        )

        @Option(help: "Number of data rows.")
        var rows: Int

        @Option(help: "Survey year.")
        var year: Int

        @Option(help: "Random seed: the same seed gives the same file.")
        var seed: UInt64 = 1

        @Option(help: "Share of rows with a realistic fault, from 0 to 1.")
        var errorRate: Double = 0

        @Option(help: "A codebook file or id (default: service-user-survey in FORMS_DIR).")
        var codebook: String?

        @Option(name: .shortAndLong, help: "Output file (default: standard output).")
        var output: String?

        func validate() throws {
            if rows < 0 { throw ValidationError("--rows must be 0 or more") }
            if !(0...1).contains(errorRate) { throw ValidationError("--error-rate must be from 0 to 1") }
        }

        func run() async throws {
            let configuration = try Setup.configuration()
            do {
                try SurveyImportCommand.generate(
                    options: SurveyGenerator.Options(rows: rows, year: year, seed: seed, errorRate: errorRate),
                    codebook: codebook,
                    output: output,
                    configuration: configuration
                )
            } catch {
                Setup.fail("\(error)")
            }
        }
    }

    struct DemoLinks: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "demo-links",
            abstract: "Create a demonstration inspection (if needed) and print new questionnaire links: one 'token code' line each."
        )

        @Option(help: "How many links (1 to 500).")
        var count = 1

        @Option(help: "Language of the links: en, cy or both.")
        var language = "en"

        func validate() throws {
            guard (1...500).contains(count) else { throw ValidationError("--count must be from 1 to 500") }
            guard ["en", "cy", "both"].contains(language) else { throw ValidationError("--language must be en, cy or both") }
        }

        func run() async throws {
            let configuration = try Setup.configuration()
            do {
                let links = try await DemoData.issueLinks(configuration, count: count, language: language, logger: Logger(label: "demo"))
                for link in links { print("\(link.token) \(LinkSecrets.display(code: link.code))") }
            } catch {
                Setup.fail("\(error)")
            }
        }
    }

    struct PrepareSubmissions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench-submit-prepare",
            abstract: "For scripts/bench-submit: make victims one click from submitting; write 'cookie csrf' lines."
        )

        @Option(help: "How many victims.")
        var count = 20_000

        @Option(help: "File to write.")
        var output: String

        func validate() throws {
            guard (1...1_000_000).contains(count) else { throw ValidationError("--count must be from 1 to 1000000") }
        }

        func run() async throws {
            let configuration = try Setup.configuration()
            do {
                try await SubmissionBenchmark.prepare(configuration, count: count, output: output, logger: Logger(label: "bench"))
            } catch {
                Setup.fail("\(error)")
            }
        }
    }

    struct BenchDatabase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench-db",
            abstract: "The Swift half of scripts/bench-db: INSERT transactions per second, COPY rows per second, or statement latency."
        )

        enum Mode: String, ExpressibleByArgument, CaseIterable {
            case insert, copy, latency
        }

        @Argument(help: "insert, copy or latency (microseconds per statement prepared, unprepared, and per thread hop alone).")
        var mode: Mode

        @Option(help: "Concurrent clients for insert (pgbench -c).")
        var clients = 16

        @Option(help: "Seconds to run insert for (pgbench -T).")
        var seconds = 10

        @Option(help: "CSV file for copy.")
        var file: String?

        @Option(help: "Table for copy.")
        var table = "bench_copy"

        func validate() throws {
            guard (1...200).contains(clients) else { throw ValidationError("--clients must be from 1 to 200") }
            guard (1...600).contains(seconds) else { throw ValidationError("--seconds must be from 1 to 600") }
            if mode == .copy, file == nil { throw ValidationError("copy needs --file") }
        }

        func run() async throws {
            let configuration = try Setup.configuration()
            guard !configuration.databaseURL.isEmpty else { Setup.fail("set DATABASE_URL to the benchmark database") }
            let logger = Logger(label: "bench")
            do {
                switch mode {
                case .insert:
                    let tps = try await DatabaseBenchmark.inserts(
                        connectionString: configuration.databaseURL,
                        clients: clients,
                        duration: .seconds(seconds),
                        logger: logger
                    )
                    print(String(format: "%.1f", tps))
                case .copy:
                    let result = try await DatabaseBenchmark.copy(
                        connectionString: configuration.databaseURL,
                        file: file ?? "",
                        table: table,
                        logger: logger
                    )
                    print(String(format: "%d %.1f", result.rows, result.perSecond))
                case .latency:
                    let result = try await DatabaseBenchmark.latency(
                        connectionString: configuration.databaseURL,
                        duration: .seconds(seconds),
                        logger: logger
                    )
                    print(String(format: "%.1f %.1f %.1f", result.prepared, result.unnamed, result.hop))
                }
            } catch {
                Setup.fail("\(error)")
            }
        }
    }
}

extension Dev {
    struct SeedDemo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "seed-demo",
            abstract:
                "Create a demonstration inspection with accounts, links, victim responses and two survey years, and print how to see its report.",
            discussion: "Safe to run again: it reuses the demo data and gives the three demo accounts new one-time passwords."
        )

        @Flag(help: "Also create a programme of eight published inspections across different areas, with its programme report.")
        var programme = false

        func run() async throws {
            let configuration = try Setup.configuration()
            do {
                let summary = try await ReportDemo.seed(configuration, logger: Logger(label: "seed-demo"), programme: programme)
                var lines = [
                    "Demo inspection \(summary.inspectionID): \(summary.links) links, \(summary.responses) victim responses, "
                        + "survey years \(summary.surveyYears.map(String.init).joined(separator: ", ")).",
                    "Three final sentencer meetings are included (demo records; their answers are not filled in on the meeting pages).",
                    "Accounts (one-time passwords; you will be asked to choose a new one):",
                ]
                for account in summary.accounts { lines.append("  \(account.role)\t\(account.email)\t\(account.password)") }
                let base = "http://\(configuration.host):\(configuration.port)"
                lines.append("Start the server (stakeholder-views serve, or scripts/run), sign in at \(base)/sign-in as the inspector")
                lines.append("or administrator and open \(base)/inspections/\(summary.inspectionID)/report")
                if let made = summary.programme {
                    lines.append(
                        "Demo programme \(made.programmeID): \(made.published) of \(made.inspections) inspections published; "
                            + "its report is at \(base)/programmes/\(made.programmeID)/report"
                    )
                }
                FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
            } catch {
                Setup.fail("\(error)")
            }
        }
    }
}
