import ArgumentParser
import Domain
import Foundation
import Logging
import Operations

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
