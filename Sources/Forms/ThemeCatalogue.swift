import Foundation
import Yams

/// One theme an inspector may tag victims' free-text answers with: a short name (English, optionally Welsh), what it
/// covers, and phrases whose presence in an answer suggests it (a suggestion only: the reviewer decides).
public struct ThemeDefinition: Sendable, Equatable {
    /// A snake_case identifier, unique in its file.
    public let id: String
    public let name: String
    public let welshName: String?
    public let description: String
    /// Phrases that suggest the theme, matched as whole words ignoring case.
    public let suggestedBy: [String]

    /// Makes a theme.
    public init(id: String, name: String, welshName: String?, description: String, suggestedBy: [String]) {
        self.id = id
        self.name = name
        self.welshName = welshName
        self.description = description
        self.suggestedBy = suggestedBy
    }
}

/// The default list of themes every inspection starts with: `themes/victim-themes.yaml` in the forms folder, checked by
/// `forms check` and at start-up like a form definition.
public enum ThemeCatalogue {
    /// The longest theme name (in either language).
    public static let maximumNameLength = 60
    /// The longest description.
    public static let maximumDescriptionLength = 500

    /// Where the default list sits in a forms folder.
    public static func file(in formsDirectory: String) -> String {
        (formsDirectory as NSString).appendingPathComponent("themes/victim-themes.yaml")
    }

    /// Loads and checks the default list of a forms folder; an empty list when the folder has none.
    ///
    /// - Throws: `FormLoadError` with every problem found.
    public static func load(formsDirectory: String) throws(FormLoadError) -> [ThemeDefinition] {
        let path = file(in: formsDirectory)
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        guard let data = FileManager.default.contents(atPath: path), let yaml = String(data: data, encoding: .utf8) else {
            throw FormLoadError(problems: [FormProblem(file: path, line: nil, message: "the file could not be read as UTF-8 text")])
        }
        return try load(yaml: yaml, file: path)
    }

    /// The problems of the default lists in `paths` (folders given to `forms check`), empty when there are none.
    public static func check(paths: [String]) -> [FormProblem] {
        var problems: [FormProblem] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            do { _ = try load(formsDirectory: path) } catch { problems += error.problems }
        }
        return problems
    }

    /// Reads a list of themes from YAML text; `file` names it in problems.
    ///
    /// - Throws: `FormLoadError` with every problem found.
    public static func load(yaml: String, file: String) throws(FormLoadError) -> [ThemeDefinition] {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw FormLoadError(problems: [FormProblem(file: file, line: nil, message: "the YAML could not be read: \(error)")])
        }
        let reader = DefinitionReader(file: file)
        var themes: [ThemeDefinition] = []
        if let root, let top = reader.fields(root, "the theme list", allowed: ["themes"], required: ["themes"]),
            let entries = reader.list(top, "themes")
        {
            var ids: Set<String> = []
            var names: Set<String> = []
            for (index, node) in entries.enumerated() {
                let context = "theme \(index + 1)"
                guard
                    let fields = reader.fields(
                        node,
                        context,
                        allowed: ["id", "name", "welsh_name", "description", "suggested_by"],
                        required: ["id", "name"]
                    )
                else { continue }
                let id = reader.string(fields, "id") ?? ""
                reader.checkIdentifier(id, "the id of \(context)", at: fields.values["id"]?.mark, pattern: .snake)
                if !ids.insert(id).inserted { reader.report("the id '\(id)' is used by more than one theme", at: fields.values["id"]?.mark) }
                let name = (reader.string(fields, "name") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                let welsh = reader.string(fields, "welsh_name")?.trimmingCharacters(in: .whitespacesAndNewlines)
                for (key, value) in [("name", name), ("welsh_name", welsh ?? "")] where value.count > maximumNameLength {
                    reader.report("'\(key)' of \(context) is longer than \(maximumNameLength) characters", at: fields.values[key]?.mark)
                }
                if name.isEmpty { reader.report("'name' of \(context) is empty", at: fields.values["name"]?.mark) }
                if welsh?.isEmpty == true { reader.report("'welsh_name' of \(context) is empty", at: fields.values["welsh_name"]?.mark) }
                if !name.isEmpty, !names.insert(name.lowercased()).inserted {
                    reader.report("the name '\(name)' is used by more than one theme", at: fields.values["name"]?.mark)
                }
                let description = reader.string(fields, "description") ?? ""
                if description.count > maximumDescriptionLength {
                    reader.report(
                        "'description' of \(context) is longer than \(maximumDescriptionLength) characters",
                        at: fields.values["description"]?.mark
                    )
                }
                let phrases = reader.stringList(fields, "suggested_by") ?? []
                for phrase in phrases where phrase.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    reader.report("'suggested_by' of \(context) has an empty phrase", at: fields.values["suggested_by"]?.mark)
                }
                themes.append(
                    ThemeDefinition(
                        id: id,
                        name: name,
                        welshName: welsh,
                        description: description,
                        suggestedBy: phrases.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                    )
                )
            }
        } else if root == nil {
            reader.report("the file is empty", at: nil)
        }
        guard reader.problems.isEmpty else { throw FormLoadError(problems: reader.problems) }
        return themes
    }
}
