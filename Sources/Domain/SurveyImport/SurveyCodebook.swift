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
            guard let found = registry.current(id: name) else {
                let known = registry.definitions.filter { $0.kind == .codebook }.map(\.id)
                throw SurveyImportFailure(
                    .unknownCodebook,
                    "unknown codebook '\(name)' (codebooks in \(formsDirectory): \(known.isEmpty ? "none" : Set(known).sorted().joined(separator: ", ")))"
                )
            }
            definition = found
        }
        guard definition.kind == .codebook else {
            throw SurveyImportFailure(.unknownCodebook, "\(name) is a \(definition.kind.rawValue), not a codebook")
        }
        return definition
    }
}
