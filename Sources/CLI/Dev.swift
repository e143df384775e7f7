import ArgumentParser
import Domain
import Foundation
import Logging
import Operations

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

        @Flag(help: "Codes for the survey of people on probation instead (one code a line, for /p/CODE).")
        var surveyCodes = false

        func validate() throws {
            guard (1...500).contains(count) else { throw ValidationError("--count must be from 1 to 500") }
            guard ["en", "cy", "both"].contains(language) else { throw ValidationError("--language must be en, cy or both") }
        }

        func run() async throws {
            let configuration = try Setup.configuration()
            do {
                if surveyCodes {
                    let codes = try await DemoData.issueSurveyCodes(configuration, count: count, language: language, logger: Logger(label: "demo"))
                    for code in codes { print(LinkSecrets.display(code: code)) }
                    return
                }
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
