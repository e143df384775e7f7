import Domain
import Forms
import Foundation
import Logging
import Postgres

/// The flows behind `stakeholder-views import service-user-survey` and `dev generate-survey`.
public enum SurveyImportCommand {
    /// The options of `import service-user-survey`.
    public struct Options: Sendable {
        public var file: String
        public var year: Int
        /// A codebook file (`.yaml`) or a codebook id in FORMS_DIR; nil for `service-user-survey`.
        public var codebook: String?
        public var dryRun = false
        public var acceptValidRows = false
        public var encoding: SurveyEncodingChoice = .auto
        /// Where to write the full problem list; nil for `FILE.problems.csv` beside the input when there are problems.
        public var problemsFile: String?

        public init(file: String, year: Int) {
            self.file = file
            self.year = year
        }
    }

    public static let defaultCodebookID = SurveyCodebook.defaultID

    /// Finds the codebook: a path to a definition file, or an id among the definitions in `formsDirectory`.
    public static func resolveCodebook(_ reference: String?, formsDirectory: String) throws(SurveyImportFailure) -> FormDefinition {
        try SurveyCodebook.resolve(reference, formsDirectory: formsDirectory)
    }

    /// Runs an import from the command line: progress on a terminal, problems and a one-line summary, and whether it
    /// succeeded (the caller exits non-zero when it did not).
    public static func run(
        _ options: Options,
        configuration: AppConfiguration,
        logger: Logger,
        auditHook: SurveyImportAuditHook? = nil
    ) async throws -> Bool {
        let codebook = try resolveCodebook(options.codebook, formsDirectory: configuration.formsDirectory)
        return try await CommandDatabase.with(configuration, logger: logger) { client in
            var request = SurveyImportRequest(
                path: options.file,
                year: options.year,
                codebook: codebook,
                maxBytes: configuration.importMaxUploadBytes,
                actor: SurveyImportActor(userID: nil, name: "cli:" + (ProcessInfo.processInfo.environment["USER"] ?? NSUserName()))
            )
            request.dryRun = options.dryRun
            request.acceptValidRows = options.acceptValidRows
            request.encoding = options.encoding
            let problemsFile = options.problemsFile ?? options.file + ".problems.csv"
            request.problemsPath = problemsFile
            let display = SurveyImportProgressDisplay()
            let outcome: SurveyImportOutcome
            do {
                outcome = try await SurveyImporter(
                    database: client,
                    logger: logger,
                    auditHook: auditHook ?? SurveyImportAudit.hook(AuditLog(database: client, now: { Date() }))
                ).run(request) { display.update($0) }
            } catch {
                display.finish()
                try? FileManager.default.removeItem(atPath: problemsFile)
                throw error
            }
            display.finish()
            if outcome.problemCount == 0 { try? FileManager.default.removeItem(atPath: problemsFile) }
            report(outcome)
            return outcome.succeeded
        }
    }

    /// Writes notes and the first problems to standard error, and the summary line to standard output.
    static func report(_ outcome: SurveyImportOutcome) {
        var lines: [String] = outcome.notes.map { "note: \($0)" }
        for problem in outcome.problems {
            let column = problem.column.map { ", column \($0)" } ?? ""
            let value = problem.value.map { " (value '\($0)')" } ?? ""
            lines.append("line \(problem.line)\(column): \(problem.reason)\(value)")
        }
        if outcome.problemCount > outcome.problems.count {
            lines.append("… and \(outcome.problemCount - outcome.problems.count) more problems")
        }
        if let path = outcome.problemsPath {
            lines.append("all \(outcome.problemCount) problems: \(path)")
        }
        if !lines.isEmpty { FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8)) }
        FileHandle.standardOutput.write(Data((outcome.summary + "\n").utf8))
    }

    /// Writes a synthetic file for the codebook to `output` (standard output when nil).
    public static func generate(
        options: SurveyGenerator.Options,
        codebook reference: String?,
        output: String?,
        configuration: AppConfiguration
    ) throws {
        let definition = try resolveCodebook(reference, formsDirectory: configuration.formsDirectory)
        guard let codebook = definition.codebook else { throw SurveyImportFailure(.unknownCodebook, "\(definition.id) has no codebook") }
        let handle: FileHandle
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: nil), let opened = FileHandle(forWritingAtPath: output) else {
                throw SurveyImportFailure(.readError, "cannot write \(output)")
            }
            handle = opened
        } else {
            handle = FileHandle.standardOutput
        }
        try SurveyGenerator(codebook: codebook, options: options).write(to: handle)
        if output != nil { try handle.close() }
    }
}
