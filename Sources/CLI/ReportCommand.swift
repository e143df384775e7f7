import ArgumentParser
import Domain
import Foundation
import Logging
import Operations

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
