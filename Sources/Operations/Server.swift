import Domain
import Forms
import Foundation
import Hummingbird
import Logging
import NIOCore
import Postgres
import ServiceLifecycle
import Web

/// The top-level flows behind the CLI's commands.
public enum Server {
    /// Runs the web service until SIGTERM or SIGINT: finds the database (starting the embedded cluster if needed),
    /// migrates or checks the schema, then serves. In-flight requests finish before the process exits.
    public static func run(_ configuration: AppConfiguration, logger: Logger) async throws {
        let environment = ProcessInfo.processInfo.environment
        let templates = try await Templates(directory: configuration.templatesDirectory)
        let migrator = try Migrator(directory: configuration.sqlDirectory)
        let passwordPolicy = try PasswordPolicy.load(path: configuration.commonPasswordsFile)
        // Definitions are checked before the database is touched; the recorded versions are checked after migrating.
        let definitions = try FormRegistry.load(directory: configuration.formsDirectory)
        let importProblems = SurveyCodebook.problems(in: definitions)
        if !importProblems.isEmpty { throw FormLoadError(problems: importProblems) }
        let themes = try ThemeCatalogue.load(formsDirectory: configuration.formsDirectory)
        let linkSecrets = try LinkSecrets.load(environment: environment, dataDirectory: configuration.dataDirectory)
        let setup = try await DatabaseSetup.resolve(configuration, environment: environment, logger: logger)
        let client = PostgresClient(configuration: configuration.postgres(connectionString: setup.connectionString), logger: logger)
        // The owner's pool (one connection): migrations, and the owner's maintenance; nothing a request does.
        let ownerClient = setup.ownerConnectionString.map { ownerPool($0, configuration: configuration, logger: logger) }
        // Reports may read from a standby through a second pool; everything else, and every write, uses `client`.
        let reportClient = configuration.reportDatabaseURL.map {
            PostgresClient(configuration: configuration.postgres(connectionString: $0), logger: logger)
        }
        do {
            // Refused before anything is changed, and checked again once migrations have made the tables.
            try await DatabaseRoles.checkServiceRole(client, allow: configuration.allowPrivilegedRole, logger: logger)
            try await prepareSchema(migrator, client: client, owner: ownerClient, autoMigrate: configuration.autoMigrate, logger: logger)
            try await DatabaseRoles.checkServiceRole(client, allow: configuration.allowPrivilegedRole, logger: logger)
            let forms = try await FormVersionStore(database: client).loadChecked(directory: configuration.formsDirectory)
            // Drafts saved in clear before the ballot box (migration 0070) are sealed before anything is served (by the
            // owner when there is one: the clear table is dropped).
            let sealed = try await BallotBox(database: ownerClient ?? client, secrets: linkSecrets).sealUnsealedDrafts()
            if sealed > 0 { logger.notice("drafts saved before the ballot box sealed", metadata: ["drafts": "\(sealed)"]) }
            try await sayHowToCreateTheFirstAdministrator(client, configuration: configuration, logger: logger)
            let dependencies = AppDependencies(
                configuration: configuration,
                database: client,
                reportDatabase: reportClient,
                ownerDatabase: ownerClient,
                templates: templates,
                forms: forms,
                themes: themes,
                linkSecrets: linkSecrets,
                logger: logger,
                passwordPolicy: passwordPolicy
            )
            let app = buildApplication(dependencies)
            logger.info("listening", metadata: ["http.host": "\(configuration.host)", "http.port": "\(configuration.port)"])
            do {
                try await app.runService()
            } catch let error as IOError where error.errnoCode == EADDRINUSE {
                throw PortInUse(host: configuration.host, port: configuration.port)
            }
        } catch {
            await client.shutdown()
            await reportClient?.shutdown()
            await ownerClient?.shutdown()
            setup.finish(logger: logger)
            throw error
        }
        await ownerClient?.shutdown()
        setup.finish(logger: logger)
    }

    /// A one-connection pool for the owner role.
    static func ownerPool(_ connectionString: String, configuration: AppConfiguration, logger: Logger) -> PostgresClient {
        var settings = configuration.postgres(connectionString: connectionString)
        settings.poolSize = 1
        // Migrations may take longer than a request's statement timeout.
        settings.statementTimeout = nil
        return PostgresClient(configuration: settings, logger: logger)
    }

    /// With no staff account yet, nobody can sign in: say (once, at start-up, on standard error and in the log) the
    /// command that creates the first administrator, with the path of this very binary and the settings it needs.
    static func sayHowToCreateTheFirstAdministrator(_ client: PostgresClient, configuration: AppConfiguration, logger: Logger) async throws {
        let count = try await client.query("SELECT count(*) AS n FROM staff_user")[0].decode("n", as: Int.self)
        guard count == 0 else { return }
        let argument = CommandLine.arguments.first ?? "stakeholder-views"
        let binary = argument.hasPrefix("/") ? argument : FileManager.default.currentDirectoryPath + "/" + argument
        let environment = ProcessInfo.processInfo.environment
        let dataDir = environment["DATA_DIR"].map { "DATA_DIR=\($0) " } ?? ""
        let database = configuration.databaseURL.isEmpty ? "" : " (with the same DATABASE_URL)"
        let command = "\(dataDir)\((binary as NSString).standardizingPath) user create --role admin --email you@example.gov.uk --name \"Your Name\""
        logger.notice(
            "no staff account yet: create the first administrator with this command, which asks for a password\(database)",
            metadata: ["command": "\(command)"]
        )
    }

    /// Applies pending migrations (or, with `statusOnly`, lists them) and returns lines to print. Migrations run as
    /// the owner (`DATABASE_OWNER_URL`, or the embedded cluster's owner role) when there is one, which then grants the
    /// service role (`DATABASE_URL`'s) its privileges; otherwise through `DATABASE_URL` itself.
    public static func migrate(_ configuration: AppConfiguration, statusOnly: Bool, logger: Logger) async throws -> [String] {
        let migrator = try Migrator(directory: configuration.sqlDirectory)
        let setup = try await DatabaseSetup.resolve(configuration, environment: ProcessInfo.processInfo.environment, logger: logger)
        let client = PostgresClient(configuration: configuration.postgres(connectionString: setup.connectionString), logger: logger)
        let ownerClient = setup.ownerConnectionString.map { ownerPool($0, configuration: configuration, logger: logger) }
        defer { setup.finish(logger: logger) }
        do {
            let lines: [String]
            if statusOnly {
                let status = try await migrator.status(client)
                lines =
                    migrator.migrations.filter { status.applied.contains($0.version) }.map { "applied  \($0.fileName)" }
                    + status.pending.map { "pending  \($0.fileName)" }
            } else {
                let serviceRole = try await grantee(service: client, owner: ownerClient)
                let applied = try await migrator.migrate(ownerClient ?? client, logger: logger, grantingTo: serviceRole)
                lines =
                    (applied.isEmpty ? ["the database is up to date"] : applied.map { "applied  \($0)" })
                    + (serviceRole.map { ["granted the service role \($0) its privileges"] } ?? [])
            }
            await client.shutdown()
            await ownerClient?.shutdown()
            return lines
        } catch {
            await client.shutdown()
            await ownerClient?.shutdown()
            throw error
        }
    }

    /// The service role to grant privileges to: the role of `service` when an owner's pool is given and connects as
    /// another role; nil otherwise (a single role needs no grants).
    static func grantee(service: PostgresClient, owner: PostgresClient?) async throws -> String? {
        guard let owner else { return nil }
        let serviceRole = try await DatabaseRoles.currentRole(service)
        return try await DatabaseRoles.currentRole(owner) == serviceRole ? nil : serviceRole
    }

    /// Checks form definitions (files, or directories of `.yaml` files); with `againstDatabase`, also compares them with
    /// the versions that have stored answers. Returns the problems found.
    public static func checkForms(
        _ paths: [String],
        againstDatabase: Bool,
        configuration: AppConfiguration,
        logger: Logger
    ) async throws
        -> [FormProblem]
    {
        let problems = FormLoader.check(paths: paths) + ThemeCatalogue.check(paths: paths)
        guard problems.isEmpty else { return problems }
        let registry = try FormLoader.loadAll(paths: paths)
        let importProblems = SurveyCodebook.problems(in: registry)
        guard againstDatabase, importProblems.isEmpty else { return importProblems }
        let setup = try await DatabaseSetup.resolve(configuration, environment: ProcessInfo.processInfo.environment, logger: logger)
        let client = PostgresClient(configuration: configuration.postgres(connectionString: setup.connectionString), logger: logger)
        defer { setup.finish(logger: logger) }
        do {
            let recorded = try await FormVersionStore(database: client).recorded()
            await client.shutdown()
            return registry.checkAgainstRecorded(recorded)
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// With `autoMigrate`, applies pending migrations (as `owner` when given, then granting `client`'s role its
    /// privileges); otherwise refuses to start on an outdated schema.
    static func prepareSchema(
        _ migrator: Migrator,
        client: PostgresClient,
        owner: PostgresClient? = nil,
        autoMigrate: Bool,
        logger: Logger
    ) async throws {
        if autoMigrate {
            let serviceRole = try await grantee(service: client, owner: owner)
            try await migrator.migrate(owner ?? client, logger: logger, grantingTo: serviceRole)
            return
        }
        let status = try await migrator.status(client)
        if !status.pending.isEmpty {
            throw Migrator.Failure(
                description: "the database schema is behind this build (pending: \(status.pending.map(\.fileName).joined(separator: ", "))): "
                    + "run `stakeholder-views migrate`, or set AUTO_MIGRATE=true"
            )
        }
    }
}

/// `serve` could not listen: another process has the address.
struct PortInUse: Error, CustomStringConvertible {
    let host: String
    let port: Int

    var description: String {
        "port \(port) on \(host) is already in use by another process: stop it, or choose a free port with PORT or --port"
    }
}
