import ArgumentParser
import Domain
import Foundation
import Logging
import Operations

import struct Forms.FormProblem

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
