import Domain
import Foundation
import Logging
import Postgres

/// The lifecycle every database command shares: resolve the database (starting the embedded cluster if need be),
/// open a pool, migrate or check the schema like `serve`, run `body`, then shut the pool and the cluster down however
/// `body` ends.
public enum CommandDatabase {
    /// Runs `body` with a pool on the configured database. `autoMigrate` overrides `AUTO_MIGRATE` (the demonstration
    /// data always migrates); nil keeps the configuration's.
    public static func with<Result: Sendable>(
        _ configuration: AppConfiguration,
        autoMigrate: Bool? = nil,
        logger: Logger,
        _ body: (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let migrator = try Migrator(directory: configuration.sqlDirectory)
        let setup = try await DatabaseSetup.resolve(configuration, environment: ProcessInfo.processInfo.environment, logger: logger)
        let client = PostgresClient(configuration: configuration.postgres(connectionString: setup.connectionString), logger: logger)
        defer { setup.finish(logger: logger) }
        do {
            try await setup.prepareSchema(
                migrator,
                client: client,
                configuration: configuration,
                autoMigrate: autoMigrate ?? configuration.autoMigrate,
                logger: logger
            )
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }
}

/// `stakeholder-views victims release`: one release pass of the ballot box now, as `serve` does it every
/// RELEASE_INTERVAL_SECONDS.
public enum ReleaseCommandLine {
    /// Runs one pass as of `now` and returns the lines to print.
    public static func run(_ configuration: AppConfiguration, logger: Logger, now: Date = Date()) async throws -> [String] {
        let secrets = try LinkSecrets.load(environment: ProcessInfo.processInfo.environment, dataDirectory: configuration.dataDirectory)
        return try await CommandDatabase.with(configuration, logger: logger) { client in
            let box = BallotBox(database: client, secrets: secrets)
            try await box.sealUnsealedDrafts()
            let outcome = try await box.release(today: LocalDate(now, timeZone: TimeZone.london), logger: logger)
            return lines(outcome)
        }
    }

    /// One line per batch, then a summary.
    public static func lines(_ outcome: BallotBox.ReleaseOutcome) -> [String] {
        var lines = outcome.batches.map { "inspection \($0.inspectionID), provider \($0.providerID): released \($0.count) responses" }
        if outcome.skipped > 0 { lines.append("\(outcome.skipped) group(s) were being released by another instance at the same moment") }
        lines.append(
            outcome.total == 0
                ? "release: nothing due (fewer than \(BallotBox.batchSize) sealed responses per provider, and no window closed with any waiting)"
                : "release: \(outcome.total) responses in \(outcome.batches.count) batch\(outcome.batches.count == 1 ? "" : "es")"
        )
        return lines
    }
}
