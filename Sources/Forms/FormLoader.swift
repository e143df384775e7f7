import Foundation
import Yams

/// Reads definition files and checks them; nothing is returned from a file that has any problem.
public enum FormLoader {
    /// Loads one definition file, checking that its name matches its id and version (`ID.yaml` or `ID.vN.yaml`).
    ///
    /// - Throws: `FormLoadError` with every problem found (a missing file, YAML syntax, unknown keys, wrong types, …).
    public static func load(path: String) throws(FormLoadError) -> FormDefinition {
        let yaml: String
        do {
            yaml = try readFile(path)
        } catch let error {
            throw FormLoadError(problems: [error])
        }
        let definition = try load(yaml: yaml, file: path)
        if let problem = fileNameProblem(path: path, definition: definition) {
            throw FormLoadError(problems: [problem])
        }
        return definition
    }

    /// Loads a definition from YAML text; `file` names it in problems.
    ///
    /// - Throws: `FormLoadError` with every problem found.
    public static func load(yaml: String, file: String) throws(FormLoadError) -> FormDefinition {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw FormLoadError(problems: [problem(from: error, file: file)])
        } catch {
            throw FormLoadError(problems: [FormProblem(file: file, line: nil, message: "the YAML could not be read")])
        }
        guard let root else {
            throw FormLoadError(problems: [FormProblem(file: file, line: 1, message: "the file is empty")])
        }
        let reader = DefinitionReader(file: file)
        let definition = reader.readDefinition(root)
        guard let definition, reader.problems.isEmpty else {
            let problems =
                reader.problems.isEmpty ? [FormProblem(file: file, line: nil, message: "the definition could not be read")] : reader.problems
            throw FormLoadError(problems: problems.sorted(by: lineOrder))
        }
        return definition
    }

    /// The definition files a path stands for: the path itself, or the `.yaml` files directly inside a folder, sorted.
    public static func definitionFiles(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return [path]
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { (path as NSString).appendingPathComponent($0) }
    }

    /// Loads every definition the paths stand for (files, or folders of `.yaml` files) into a registry.
    ///
    /// - Throws: `FormLoadError` with the problems of every file, when any file has one.
    public static func loadAll(paths: [String]) throws(FormLoadError) -> FormRegistry {
        var entries: [FormRegistry.Entry] = []
        var problems: [FormProblem] = []
        for path in paths {
            for file in definitionFiles(at: path) {
                do {
                    entries.append(FormRegistry.Entry(definition: try load(path: file), file: file))
                } catch {
                    problems += error.problems
                }
            }
        }
        if paths.allSatisfy({ definitionFiles(at: $0).isEmpty }) {
            problems.append(FormProblem(file: paths.joined(separator: ", "), line: nil, message: "no definition files (.yaml) found"))
        }
        var firstFile: [FormKey: String] = [:]
        for entry in entries {
            let key = FormKey(id: entry.definition.id, version: entry.definition.version)
            if let other = firstFile[key] {
                problems.append(
                    FormProblem(
                        file: entry.file,
                        line: nil,
                        message: "form '\(key.id)' version \(key.version) is also defined in \(other); each version must be defined once"
                    )
                )
            } else {
                firstFile[key] = entry.file
            }
        }
        guard problems.isEmpty else { throw FormLoadError(problems: problems) }
        return FormRegistry(entries: entries)
    }

    /// Every problem in the definitions the paths stand for; empty when all of them load.
    public static func check(paths: [String]) -> [FormProblem] {
        do {
            _ = try loadAll(paths: paths)
            return []
        } catch {
            return error.problems
        }
    }

    // MARK: Helpers

    private static func readFile(_ path: String) throws(FormProblem) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FormProblem(file: path, line: nil, message: "the file does not exist")
        }
        guard !isDirectory.boolValue else {
            throw FormProblem(file: path, line: nil, message: "this is a folder, not a definition file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FormProblem(file: path, line: nil, message: "the file could not be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FormProblem(file: path, line: nil, message: "the file is not UTF-8 text")
        }
        return text
    }

    /// `victim-questionnaire.yaml` must hold id victim-questionnaire; `victim-questionnaire.v1.yaml` must hold version 1.
    static func fileNameProblem(path: String, definition: FormDefinition) -> FormProblem? {
        var stem = (path as NSString).lastPathComponent
        for suffix in [".yaml", ".yml"] where stem.hasSuffix(suffix) {
            stem.removeLast(suffix.count)
        }
        if stem == definition.id { return nil }
        if stem == "\(definition.id).v\(definition.version)" { return nil }
        return FormProblem(
            file: path,
            line: nil,
            message:
                "the file name does not match the definition: name it \(definition.id).yaml (the current version) "
                + "or \(definition.id).v\(definition.version).yaml (an archived version)"
        )
    }

    static func problem(from error: YamlError, file: String) -> FormProblem {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = "YAML syntax error: \(problem)"
            if let context { message += " (\(context.text) on line \(context.mark.line))" }
            return FormProblem(file: file, line: mark.line, column: mark.column, message: message)
        case .reader(let problem, let offset, _, let yaml):
            let line = offset.map { offset in yaml.utf8.prefix(offset).filter { $0 == UInt8(ascii: "\n") }.count + 1 }
            return FormProblem(file: file, line: line, message: "the file cannot be read as YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return FormProblem(
                file: file,
                line: context.mark.line,
                column: context.mark.column,
                message: "the key \(keys) appears twice in the same mapping"
            )
        default:
            return FormProblem(file: file, line: nil, message: "the YAML could not be read")
        }
    }

    static func lineOrder(_ a: FormProblem, _ b: FormProblem) -> Bool {
        (a.line ?? 0, a.column ?? 0) < (b.line ?? 0, b.column ?? 0)
    }
}

extension FormProblem: Error {}
