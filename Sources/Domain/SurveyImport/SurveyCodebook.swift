import Forms

/// The service-user survey's codebook, as the import (from the command line or the upload page) finds it.
package enum SurveyCodebook {
    /// The codebook used when none is named.
    package static let defaultID = "service-user-survey"

    /// Finds the codebook: a path to a definition file, or an id among the definitions in `formsDirectory`.
    package static func resolve(_ reference: String?, formsDirectory: String) throws(SurveyImportFailure) -> FormDefinition {
        let name = reference ?? defaultID
        let definition: FormDefinition
        if name.hasSuffix(".yaml") || name.contains("/") {
            do {
                definition = try FormLoader.load(path: name)
            } catch {
                throw SurveyImportFailure(.unknownCodebook, "cannot use codebook \(name): \(error.description)")
            }
        } else {
            let registry: FormRegistry
            do {
                registry = try FormRegistry.load(directory: formsDirectory)
            } catch {
                throw SurveyImportFailure(.unknownCodebook, "cannot load the definitions in \(formsDirectory): \(error.description)")
            }
            definition = try current(name, in: registry, formsDirectory: formsDirectory)
        }
        guard definition.kind == .codebook else {
            throw SurveyImportFailure(.unknownCodebook, "\(name) is a \(definition.kind.rawValue), not a codebook")
        }
        return definition
    }

    /// The current version of codebook `name` among definitions already loaded and checked (the server's, at start).
    package static func current(
        _ name: String,
        in registry: FormRegistry,
        formsDirectory: String
    ) throws(SurveyImportFailure)
        -> FormDefinition
    {
        guard let found = registry.current(id: name) else {
            let known = registry.definitions.filter { $0.kind == .codebook }.map(\.id)
            throw SurveyImportFailure(
                .unknownCodebook,
                "unknown codebook '\(name)' (codebooks in \(formsDirectory): \(known.isEmpty ? "none" : Set(known).sorted().joined(separator: ", ")))"
            )
        }
        guard found.kind == .codebook else {
            throw SurveyImportFailure(.unknownCodebook, "\(name) is a \(found.kind.rawValue), not a codebook")
        }
        return found
    }

    /// What the importer would refuse in each codebook of `registry`, as problems with the file's name. The importer's
    /// own plan (`SurveyImportPlan`) is the one check: `forms check` and `serve` run it on every codebook, so a
    /// codebook they pass is one the importer takes.
    package static func problems(in registry: FormRegistry) -> [FormProblem] {
        registry.definitions.filter { $0.kind == .codebook }.compactMap { definition -> FormProblem? in
            do {
                _ = try SurveyImportPlan(definition: definition)
                return nil
            } catch {
                let file = registry.file(id: definition.id, version: definition.version) ?? definition.id
                return FormProblem(file: file, line: nil, message: "the survey importer cannot use this codebook: \(error)")
            }
        }
    }
}
