import Domain
import Forms
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Operations
import Postgres
import Synchronization
import TestSupport
import Web

/// The project folder, found from this file's path so tests do not depend on the working directory.
let projectRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// A migrated schema of its own and the application built on it, driven through Hummingbird's test client.
///
/// As in production (issue 18), the application connects as a service role of its own that owns nothing and holds
/// only `DatabaseRoles.tables`' privileges, so every test through the app also shows those privileges suffice;
/// `db`, for the tests' own fixtures and checks, connects as the schema's owner.
struct TestApp {
    let dependencies: AppDependencies
    let database: TestDatabase
    /// The application's clock: starts at a fixed time and moves only when a test moves it.
    let clock: TestClock
    /// The owner's pool (the test cluster's superuser), for fixtures and for looking at what the app wrote.
    let db: PostgresClient

    /// The pool the application itself uses, as the service role.
    var servicePool: PostgresClient { dependencies.database }
    var accounts: Accounts { dependencies.accounts }

    /// Builds the app on a fresh, migrated schema and runs `body` with a router-level test client. Bcrypt runs at
    /// cost 4 here (the `BCRYPT_COST` variable cannot go below 12).
    static func run(
        clock: TestClock = TestClock(),
        poolSize: Int = 4,
        acquireTimeout: Duration = .seconds(10),
        configure: (inout AppConfiguration) -> Void = { _ in },
        throttle: ThrottlePolicy = ThrottlePolicy(),
        reportDatabase: ((TestDatabase) -> PostgresClient)? = nil,
        _ body: @escaping @Sendable (any TestClientProtocol, TestApp) async throws -> Void
    ) async throws {
        try await withTestDatabase(poolSize: poolSize, acquireTimeout: acquireTimeout) { client, database in
            try await Migrator(directory: projectRoot + "/sql").migrate(client, logger: quietLogger)
            try await BallotBox(database: client, secrets: testLinkSecrets).sealUnsealedDrafts()
            try await database.createServiceRole()
            let service = database.client(role: database.serviceRole, poolSize: poolSize, acquireTimeout: acquireTimeout)
            var configuration = AppConfiguration()
            configuration.sqlDirectory = projectRoot + "/sql"
            configuration.formsDirectory = projectRoot + "/forms"
            configuration.templatesDirectory = projectRoot + "/templates"
            configuration.publicDirectory = projectRoot + "/Public"
            configuration.commonPasswordsFile = projectRoot + "/data/common-passwords.txt"
            configuration.bcryptCost = 4
            configure(&configuration)
            let reportClient = reportDatabase?(database)
            let dependencies = AppDependencies(
                configuration: configuration,
                database: service,
                reportDatabase: reportClient,
                ownerDatabase: client,
                templates: try await Templates(directory: configuration.templatesDirectory),
                forms: try FormRegistry.load(directory: configuration.formsDirectory),
                linkSecrets: testLinkSecrets,
                logger: quietLogger,
                passwordPolicy: try PasswordPolicy.load(path: configuration.commonPasswordsFile),
                throttlePolicy: throttle,
                now: { clock.now }
            )
            let app = Application(router: buildRouter(dependencies), logger: quietLogger)
            let testApp = TestApp(dependencies: dependencies, database: database, clock: clock, db: client)
            do {
                try await app.test(.router) { client in try await body(client, testApp) }
            } catch {
                await reportClient?.shutdown()
                await service.shutdown()
                throw error
            }
            await reportClient?.shutdown()
            await service.shutdown()
        }
    }
}

extension TestResponse {
    /// The body as UTF-8 text.
    var text: String { String(buffer: body) }
}

/// A clock tests move by hand. Starts at 2026-11-26 10:00 UTC.
final class TestClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_795_687_200))

    var now: Date { current.withLock { $0 } }

    func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    func set(_ date: Date) {
        current.withLock { $0 = date }
    }
}

/// A fixed link secret for tests.
let testLinkSecrets = LinkSecrets(secret: Array(repeating: 7, count: 32))
