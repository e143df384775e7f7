import Foundation
import Logging
import Postgres

/// Where the database is for this process: a configured server, or the embedded cluster (started if need be).
public struct DatabaseSetup: Sendable {
    public enum Source: Sendable {
        /// `DATABASE_URL`, or the `PG*` variables.
        case configured
        /// The private cluster under the data directory; `startedHere` is true when this process started it.
        case embedded(EmbeddedCluster, startedHere: Bool)
    }

    public let source: Source
    public let connectionString: String

    /// Picks the database: `DATABASE_URL` if set, else the `PG*` variables if any locate a server, else the embedded
    /// cluster, which is created and started when it is not already running.
    public static func resolve(
        _ configuration: AppConfiguration,
        environment: [String: String],
        logger: Logger
    ) async throws -> DatabaseSetup {
        if !configuration.databaseURL.isEmpty {
            return DatabaseSetup(source: .configured, connectionString: configuration.databaseURL)
        }
        if AppConfiguration.libpqLocationVariables.contains(where: { environment[$0]?.isEmpty == false }) {
            return DatabaseSetup(source: .configured, connectionString: "")
        }
        let cluster = try EmbeddedCluster(dataDirectory: configuration.dataDirectory + "/postgres")
        let started = try await startEmbedded(cluster, logger: logger)
        return DatabaseSetup(source: .embedded(cluster, startedHere: started), connectionString: cluster.connectionString)
    }

    /// Stops the embedded cluster if this process started it.
    public func finish(logger: Logger) {
        if case .embedded(let cluster, true) = source {
            do {
                try cluster.stop(logger: logger)
            } catch {
                logger.error("embedded PostgreSQL did not stop", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Starts the embedded cluster if needed and makes sure the application database exists. Returns true when this
    /// call started the cluster.
    public static func startEmbedded(_ cluster: EmbeddedCluster, logger: Logger) async throws -> Bool {
        let started = try cluster.start(logger: logger)
        do {
            try await createDatabaseIfMissing(cluster, logger: logger)
        } catch {
            if started { try? cluster.stop(logger: logger) }
            throw error
        }
        return started
    }

    private static func createDatabaseIfMissing(_ cluster: EmbeddedCluster, logger: Logger) async throws {
        let postgres = PostgresConfiguration(connectionString: cluster.connectionString(database: "postgres"), poolSize: 1)
        let client = PostgresClient(configuration: postgres, logger: logger)
        do {
            let existing = try await client.query("SELECT 1 FROM pg_database WHERE datname = \(cluster.databaseName)")
            if existing.isEmpty {
                do {
                    try await client.execute("CREATE DATABASE \(identifier: cluster.databaseName)")
                } catch let error as PostgresError where error.code == SQLState("42P04") {
                    // Created by another command at the same moment.
                }
            }
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }
}
