import Domain
import Foundation
import Logging
import Postgres

/// A demonstration area, providers and an inspection whose victim window is open today, for demos and the browser
/// tests. Idempotent: running it again reuses them.
public enum DemoData {
    /// Ensures the demo inspection exists and issues `count` links in `language`; returns them (token and code).
    public static func issueLinks(
        _ configuration: AppConfiguration,
        count: Int,
        language: String,
        logger: Logger
    ) async throws -> [IssuedLink] {
        try await withDemoInspection(configuration, logger: logger) { client, secrets, inspection, provider in
            try await InvitationStore(database: client, secrets: secrets).issue(
                inspectionID: inspection,
                providerID: provider,
                issuedBy: nil,
                count: count,
                reference: "demo",
                language: language,
                now: Date()
            )
        }
    }

    /// Codes for the survey of people on probation (issue 21) for the demonstration inspection, as a coordinator's
    /// batch issues them: the codes only, 10 characters each.
    public static func issueSurveyCodes(_ configuration: AppConfiguration, count: Int, language: String, logger: Logger) async throws -> [String] {
        try await withDemoInspection(configuration, logger: logger) { client, secrets, inspection, provider in
            try await SurveyCodeStore(database: client, secrets: secrets).issue(
                inspectionID: inspection,
                providerID: provider,
                issuedBy: nil,
                count: count,
                language: language,
                now: Date()
            ).codes
        }
    }

    /// Runs `body` with a client on the migrated database, the link secrets and the demonstration inspection.
    private static func withDemoInspection<Result: Sendable>(
        _ configuration: AppConfiguration,
        logger: Logger,
        _ body: (PostgresClient, LinkSecrets, Int, Int) async throws -> Result
    ) async throws -> Result {
        let environment = ProcessInfo.processInfo.environment
        let secrets = try LinkSecrets.load(environment: environment, dataDirectory: configuration.dataDirectory)
        return try await CommandDatabase.with(configuration, autoMigrate: true, logger: logger) { client in
            let (inspection, provider) = try await demoInspection(client)
            return try await body(client, secrets, inspection, provider)
        }
    }

    /// The demonstration inspection called `title` (created when missing), and the demonstration provider.
    /// `dev demo-links` and `dev seed-demo` use different titles, so links issued for one do not change the other.
    static func demoInspection(_ client: PostgresClient, title: String = "Demonstration inspection") async throws -> (inspection: Int, provider: Int)
    {
        try await client.withTransaction { connection in
            try await connection.execute("SELECT pg_advisory_xact_lock(7215003002)")
            let area = try await connection.query(
                """
                INSERT INTO area (code, name, country, valid_from) VALUES ('DEMO', 'Demonstration area', 'wales', '2014-06-01')
                ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name RETURNING id
                """
            )[0].decode("id", as: Int.self)
            let provider = try await connection.query(
                """
                INSERT INTO provider (code, name, kind, area_id, valid_from)
                VALUES ('DEMO-NPS', 'Demonstration NPS division', 'nps', \(area), '2014-06-01')
                ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name RETURNING id
                """
            )[0].decode("id", as: Int.self)
            try await connection.execute(
                """
                INSERT INTO organisation (kind, name, provider_id) VALUES ('provider', 'Demonstration NPS division', \(provider))
                ON CONFLICT (provider_id) DO NOTHING
                """
            )
            let today = LocalDate(Date())
            if let existing = try await connection.query(
                "SELECT id FROM inspection WHERE area_id = \(area) AND title = \(title) AND victim_window_closes_on >= \(today) ORDER BY id LIMIT 1"
            ).first {
                return (try existing.decode("id"), provider)
            }
            let inspection = try await connection.query(
                """
                INSERT INTO inspection (title, area_id, announced_on, fieldwork_starts_on, week_plus_two_on,
                                        victim_window_opens_on, victim_window_closes_on)
                VALUES (\(title), \(area), \(today.adding(days: -30)), \(today.adding(days: 14)), \(today.adding(days: 28)),
                        \(today.adding(days: -7)), \(today.adding(days: 28)))
                RETURNING id
                """
            )[0].decode("id", as: Int.self)
            try await connection.execute("INSERT INTO inspection_provider (inspection_id, provider_id) VALUES (\(inspection), \(provider))")
            return (inspection, provider)
        }
    }
}
