import ArgumentParser
import Domain
import Foundation
import Logging
import Operations

/// `stakeholder-views victims …`: the ballot box for victims' answers.
struct VictimsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "victims",
        abstract: "The ballot box for victims' answers.",
        subcommands: [Release.self]
    )

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Release sealed responses into the report now, as serve does every RELEASE_INTERVAL_SECONDS.",
            discussion: "Per inspection and provider: when at least 10 sealed responses wait, or the victim window has closed "
                + "(whatever remains). Each batch is shuffled and written in a transaction of its own; see docs/privacy.md."
        )

        func run() async throws {
            let configuration = try Setup.configuration()
            do {
                let lines = try await ReleaseCommandLine.run(configuration, logger: Logger(label: "release"))
                FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
            } catch {
                Setup.fail("\(error)")
            }
        }
    }
}
