import Forms
import Postgres

/// Records which form versions have answers, so an edited version can be refused.
public struct FormVersionStore: Sendable {
    let database: PostgresClient

    public init(database: PostgresClient) {
        self.database = database
    }

    /// Every recorded version with its fingerprint (none before the schema is migrated).
    public func recorded() async throws -> [RecordedFormVersion] {
        let exists = try await database.query("SELECT to_regclass('form_version') IS NOT NULL AS present")
        guard try exists.first?.decode("present", as: Bool.self) == true else { return [] }
        return try await database.query("SELECT form_id, version, fingerprint FROM form_version ORDER BY form_id, version").map { row in
            RecordedFormVersion(id: try row.decode("form_id"), version: try row.decode("version"), fingerprint: try row.decode("fingerprint"))
        }
    }

    /// Notes that answers are being stored against `definition`. Call it in the transaction that stores them; the first
    /// call for a version records its fingerprint, later ones change nothing.
    public static func markUsed(_ definition: FormDefinition, on connection: PostgresConnection) async throws {
        try await connection.execute(
            """
            INSERT INTO form_version (form_id, version, fingerprint)
            VALUES (\(definition.id), \(definition.version), \(definition.fingerprint))
            ON CONFLICT (form_id, version) DO NOTHING
            """
        )
    }

    /// `markUsed(_:on:)` in a transaction of its own, for a first use that stores nothing else with it (a victim
    /// starting the questionnaire).
    package func markUsed(_ definition: FormDefinition) async throws {
        try await database.withTransaction { try await Self.markUsed(definition, on: $0) }
    }

    /// Loads the definitions in `directory` and checks them against the recorded versions. Throws `FormLoadError` with
    /// every problem, file and line.
    public func loadChecked(directory: String) async throws -> FormRegistry {
        let registry = try FormRegistry.load(directory: directory)
        let problems = registry.checkAgainstRecorded(try await recorded())
        if !problems.isEmpty { throw FormLoadError(problems: problems) }
        return registry
    }
}
