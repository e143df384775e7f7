import Forms
import Foundation
import TestSupport
import Testing

@testable import Domain

/// The codebook is checked in one place, the importer's plan: `forms check` (and `serve`, at start) run it, so a
/// codebook they pass is one the import takes.
@Suite("A codebook the importer refuses is refused by forms check")
struct CodebookCheckTests {
    @Test("a codebook that reads as a definition but cannot be imported fails forms check, naming the file and the reason")
    func formsCheckRunsTheImportersCheck() async throws {
        let folder = NSTemporaryDirectory() + "sv-codebook-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let original = try String(contentsOfFile: projectRoot + "/forms/service-user-survey.yaml", encoding: .utf8)
        // Without an identifier the importer cannot tell one respondent's row from another's.
        let edited = original.replacingOccurrences(of: "    role: identifier\n", with: "    role: context\n")
        #expect(edited != original)
        let file = folder + "/service-user-survey.yaml"
        try edited.write(toFile: file, atomically: true, encoding: .utf8)

        #expect(FormLoader.check(paths: [folder]).isEmpty, "the definition reader itself accepts it")
        let problems = SurveyCodebook.problems(in: try FormLoader.loadAll(paths: [folder]))
        #expect(problems.count == 1)
        #expect(problems.first?.file == file)
        #expect(problems.first?.message.contains("identifier") == true, "\(problems)")
        #expect(SurveyCodebook.problems(in: try FormLoader.loadAll(paths: [projectRoot + "/forms"])).isEmpty)

        try await withTestDatabase { _, database in
            let run = try await SurveyImportCLITests.run(["forms", "check", folder], database: database)
            #expect(run.status == 1)
            #expect(run.errors.contains("\(file): the survey importer cannot use this codebook"), "\(run.errors)")
            let good = try await SurveyImportCLITests.run(["forms", "check"], database: database)
            #expect(good.status == 0, "\(good.errors)")
        }
    }
}
