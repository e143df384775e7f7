import ArgumentParser
import Domain
import Foundation
import Logging
import Operations

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
