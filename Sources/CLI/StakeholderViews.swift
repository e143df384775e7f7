import App
import ArgumentParser
import Foundation
import Logging

import struct Forms.FormProblem

@main
struct StakeholderViews: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stakeholder-views",
        abstract: "Collects and reports victims', sentencers' and service users' views for probation inspections.",
        discussion: "Settings come from environment variables; see README.md. With no DATABASE_URL and no PG* variables, "
            + "commands use a private PostgreSQL cluster under DATA_DIR (default .data).",
        subcommands: [Serve.self, Migrate.self, Database.self, FormsCommand.self, Import.self, Dev.self]
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
        do {
            try await Server.run(configuration, logger: Logger(label: "stakeholder-views"))
        } catch {
            Setup.fail("\(error)")
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the SQL migrations in sql/ that the database does not have yet.")

    @Flag(help: "Only list applied and pending migrations.")
    var status = false

    func run() async throws {
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

    static func perform(_ action: Action) throws {
        let configuration = try Setup.configuration()
        let logger = Logger(label: "stakeholder-views")
        do {
            let cluster = try EmbeddedCluster(dataDirectory: configuration.dataDirectory + "/postgres")
            switch action {
            case .start:
                try cluster.start(logger: logger)
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

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create (if needed) and start the cluster; print its connection string.")
        func run() throws { try Database.perform(.start) }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the cluster.")
        func run() throws { try Database.perform(.stop) }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say whether the cluster is running (exit 3 when it is not).")
        func run() throws { try Database.perform(.status) }
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

struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tools for development, tests and benchmarks.",
        subcommands: [GenerateSurvey.self]
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
}
