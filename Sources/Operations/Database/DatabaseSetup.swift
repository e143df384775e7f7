import Domain
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
    /// The service role's connection: every statement of serve and the commands.
    public let connectionString: String
    /// The owner role's connection, for migrations (and the owner's maintenance); nil when none was given, and
    /// migrations then run through `connectionString`.
    public let ownerConnectionString: String?

    init(source: Source, connectionString: String, ownerConnectionString: String? = nil) {
        self.source = source
        self.connectionString = connectionString
        self.ownerConnectionString = ownerConnectionString
    }

    /// Picks the database: `DATABASE_URL` if set, else the `PG*` variables if any locate a server, else the embedded
    /// cluster, which is created and started when it is not already running.
    public static func resolve(
        _ configuration: AppConfiguration,
        environment: [String: String],
        logger: Logger
    ) async throws -> DatabaseSetup {
        if !configuration.databaseURL.isEmpty {
            return DatabaseSetup(
                source: .configured,
                connectionString: configuration.databaseURL,
                ownerConnectionString: configuration.ownerDatabaseURL
            )
        }
        if AppConfiguration.libpqLocationVariables.contains(where: { environment[$0]?.isEmpty == false }) {
            return DatabaseSetup(source: .configured, connectionString: "", ownerConnectionString: configuration.ownerDatabaseURL)
        }
        let cluster = try EmbeddedCluster(dataDirectory: configuration.dataDirectory + "/postgres")
        let started = try await startEmbedded(cluster, logger: logger)
        // A database created before the two roles (issue 18) belongs to postgres, whose tables the owner role cannot
        // migrate: the superuser stays its owner, and the service still runs as the service role.
        let owner = try await databaseOwner(cluster)
        return DatabaseSetup(
            source: .embedded(cluster, startedHere: started),
            connectionString: cluster.connectionString(role: DatabaseRoles.defaultServiceRole),
            ownerConnectionString: cluster.connectionString(role: owner)
        )
    }

    /// The role that owns the embedded cluster's application database.
    static func databaseOwner(_ cluster: EmbeddedCluster) async throws -> String {
        let client = PostgresClient(
            configuration: PostgresConfiguration(connectionString: cluster.connectionString(database: "postgres"), poolSize: 1),
            logger: Logger(label: "embedded")
        )
        do {
            let rows = try await client.query(
                "SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = \(cluster.databaseName)"
            )
            await client.shutdown()
            return try rows.first?.decode("owner", as: String.self) ?? "postgres"
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// Migrates (with `autoMigrate`) or checks the schema as `serve` does: migrations as the owner role when this
    /// setup has one (a one-connection pool, closed again before returning), which then grants `client`'s role the
    /// service's privileges; otherwise through `client`.
    public func prepareSchema(
        _ migrator: Migrator,
        client: PostgresClient,
        configuration: AppConfiguration,
        autoMigrate: Bool,
        logger: Logger
    ) async throws {
        let owner = ownerConnectionString.map { Server.ownerPool($0, configuration: configuration, logger: logger) }
        do {
            try await Server.prepareSchema(migrator, client: client, owner: owner, autoMigrate: autoMigrate, logger: logger)
        } catch {
            await owner?.shutdown()
            throw error
        }
        await owner?.shutdown()
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
            // The two roles (issue 18): trust authentication over the cluster's private socket, no passwords.
            for role in [DatabaseRoles.defaultOwnerRole, DatabaseRoles.defaultServiceRole] {
                let present = try await client.query("SELECT 1 FROM pg_roles WHERE rolname = \(role)")
                guard present.isEmpty else { continue }
                do {
                    try await client.execute("CREATE ROLE \(identifier: role) LOGIN")
                } catch let error as PostgresError where error.code == SQLState("42710") || error.code == SQLState("23505") {
                    // Created by another command at the same moment.
                }
            }
            let existing = try await client.query("SELECT 1 FROM pg_database WHERE datname = \(cluster.databaseName)")
            if existing.isEmpty {
                do {
                    try await client.execute(
                        "CREATE DATABASE \(identifier: cluster.databaseName) OWNER \(identifier: DatabaseRoles.defaultOwnerRole)"
                    )
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
