/// A form id with a version: the key answers are stored against.
public struct FormKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The form id.
    public let id: String
    /// The version.
    public let version: Int

    /// Makes a key.
    public init(id: String, version: Int) {
        self.id = id
        self.version = version
    }

    public static func < (lhs: FormKey, rhs: FormKey) -> Bool {
        (lhs.id, lhs.version) < (rhs.id, rhs.version)
    }

    /// `id vN`.
    public var description: String { "\(id) v\(version)" }
}

/// A version the database says answers were stored against, with the fingerprint it had then.
public struct RecordedFormVersion: Sendable, Hashable {
    /// The form id.
    public let id: String
    /// The version.
    public let version: Int
    /// `FormDefinition.fingerprint` when the first answers were stored.
    public let fingerprint: String

    /// Makes a record.
    public init(id: String, version: Int, fingerprint: String) {
        self.id = id
        self.version = version
        self.fingerprint = fingerprint
    }
}

/// Every loaded definition, current and archived, keyed by id and version.
public struct FormRegistry: Sendable {
    /// A definition and the file it came from.
    public struct Entry: Sendable {
        /// The definition.
        public let definition: FormDefinition
        /// The file it was loaded from.
        public let file: String

        /// Makes an entry.
        public init(definition: FormDefinition, file: String) {
            self.definition = definition
            self.file = file
        }
    }

    private let entries: [FormKey: Entry]

    /// Makes a registry; a later entry with the same id and version replaces an earlier one (`FormLoader.loadAll` refuses that).
    public init(entries: [Entry]) {
        var byKey: [FormKey: Entry] = [:]
        for entry in entries {
            byKey[FormKey(id: entry.definition.id, version: entry.definition.version)] = entry
        }
        self.entries = byKey
    }

    /// Loads every `.yaml` file in a folder.
    ///
    /// - Throws: `FormLoadError` when any file has a problem; the server refuses to start with these messages.
    public static func load(directory: String) throws(FormLoadError) -> FormRegistry {
        try FormLoader.loadAll(paths: [directory])
    }

    /// Every definition, ordered by id then version.
    public var definitions: [FormDefinition] {
        entries.keys.sorted().compactMap { entries[$0]?.definition }
    }

    /// The definition of this version of this form, or nil when it is not loaded.
    public func definition(id: String, version: Int) -> FormDefinition? {
        entries[FormKey(id: id, version: version)]?.definition
    }

    /// The highest version of this form: the one new answers are given against.
    public func current(id: String) -> FormDefinition? {
        entries.keys.filter { $0.id == id }.max().flatMap { entries[$0]?.definition }
    }

    /// The file a version was loaded from.
    public func file(id: String, version: Int) -> String? {
        entries[FormKey(id: id, version: version)]?.file
    }

    /// Compares the loaded definitions with the versions answers were stored against.
    ///
    /// The server records `(id, version, fingerprint)` when it first stores an answer against a version. A fingerprint is a hash of
    /// the parsed definition (not of the file text, so comments and layout do not count). If a version's fingerprint now differs,
    /// its file was edited after answers existed: the edit belongs in a new version. If a recorded version is not loaded at all,
    /// its archived file is missing and old answers could not be shown.
    ///
    /// - Returns: one problem per mismatch; empty when every recorded version is loaded unchanged.
    public func checkAgainstRecorded(_ recorded: [RecordedFormVersion]) -> [FormProblem] {
        var problems: [FormProblem] = []
        for record in recorded.sorted(by: { ($0.id, $0.version) < ($1.id, $1.version) }) {
            guard let entry = entries[FormKey(id: record.id, version: record.version)] else {
                problems.append(
                    FormProblem(
                        file: "\(record.id).v\(record.version).yaml",
                        line: nil,
                        message:
                            "answers exist for form '\(record.id)' version \(record.version), but no definition of that version is loaded: "
                            + "restore it as \(record.id).v\(record.version).yaml"
                    )
                )
                continue
            }
            let current = current(id: record.id)?.version ?? record.version
            if entry.definition.fingerprint != record.fingerprint {
                problems.append(
                    FormProblem(
                        file: entry.file,
                        line: nil,
                        message:
                            "version \(record.version) of form '\(record.id)' was edited after answers were stored against it "
                            + "(fingerprint \(entry.definition.fingerprint), recorded \(record.fingerprint)): undo the edit, keep the old "
                            + "text as \(record.id).v\(record.version).yaml, and bump the version to \(max(current, record.version) + 1)"
                    )
                )
            }
        }
        return problems
    }
}
