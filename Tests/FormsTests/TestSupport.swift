import Forms
import Foundation
import Testing

/// The repository's forms/ folder, found from this file's path.
func formsDirectory(file: String = #filePath) -> String {
    URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("forms").path
}

/// The problems loading a YAML text gives; empty when it loads.
func problems(_ yaml: String, file: String = "test.yaml") -> [FormProblem] {
    do {
        _ = try FormLoader.load(yaml: yaml, file: file)
        return []
    } catch {
        return error.problems
    }
}

/// Loads a YAML text that must load.
func definition(_ yaml: String) throws -> FormDefinition {
    try FormLoader.load(yaml: yaml, file: "test.yaml")
}

/// A small valid questionnaire that tests change one line of.
let minimalForm = """
    id: test-form
    version: 1
    kind: questionnaire
    title: {en: Test form, cy: Ffurflen brawf}
    languages: [en, cy]
    translation_status: test
    pages:
      - id: first
        questions:
          - id: colour
            type: single_choice
            label: {en: Which colour?, cy: Pa liw?}
            options:
              - code: red
                label: {en: Red, cy: Coch}
              - code: blue
                label: {en: Blue, cy: Glas}
      - id: second
        questions:
          - id: why
            type: free_text
            max_length: 10
            required: false
            show_when: {question: colour, any_of: [red]}
            label: {en: Why red?, cy: Pam coch?}
    """

/// A temporary folder removed when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("forms-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let file = (path as NSString).appendingPathComponent(name)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
