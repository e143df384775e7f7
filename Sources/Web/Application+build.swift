import Domain
import Forms
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// What the web application needs, built once by `serve` (and by tests).
public struct AppDependencies: Sendable {
    public let configuration: AppConfiguration
    public let database: PostgresClient
    /// The pool the report pages read through: a second pool when `REPORT_DATABASE_URL` is set (perhaps on a
    /// standby), otherwise `database`. Nothing is written through it.
    public let reportDatabase: PostgresClient
    /// The owner role's pool (`DATABASE_OWNER_URL`, or the embedded cluster's owner), for the one maintenance step
    /// only an owner may do: `VACUUM FULL` of released sealed answers. nil when serve was not given it.
    public let ownerDatabase: PostgresClient?
    public let templates: Templates
    public let forms: FormRegistry
    /// The default themes every inspection's free-text review starts with (`forms/themes/victim-themes.yaml`).
    public let themes: [ThemeDefinition]
    public let linkSecrets: LinkSecrets
    public let logger: Logger
    /// The current time; tests inject a clock they move.
    public let now: @Sendable () -> Date
    // Staff accounts.
    /// Rules for new passwords, with the common-passwords list (`COMMON_PASSWORDS_FILE`).
    public let passwordPolicy: PasswordPolicy
    /// Limits on failed sign-ins.
    public let throttlePolicy: ThrottlePolicy
    /// Every staff route and the permission it declares, filled in by `buildRouter`.
    public let staffRoutes = StaffRouteCatalogue()
    /// The background jobs behind the survey upload page (a Service the application runs).
    public let importJobs: SurveyImportJobs
    /// Requests being handled, against `MAX_CONCURRENT_REQUESTS` (the load-shedding middleware's counter).
    let requestLimit: ConcurrencyLimit
    /// The Prometheus metrics `GET /metrics` serves (one registry per application).
    public let metrics: AppMetrics

    public init(
        configuration: AppConfiguration,
        database: PostgresClient,
        reportDatabase: PostgresClient? = nil,
        ownerDatabase: PostgresClient? = nil,
        templates: Templates,
        forms: FormRegistry,
        themes: [ThemeDefinition]? = nil,
        linkSecrets: LinkSecrets,
        logger: Logger,
        passwordPolicy: PasswordPolicy,
        throttlePolicy: ThrottlePolicy = ThrottlePolicy(),
        metrics: AppMetrics = AppMetrics(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.database = database
        self.reportDatabase = reportDatabase ?? database
        self.ownerDatabase = ownerDatabase
        self.templates = templates
        self.forms = forms
        // Unless given (start-up loads and checks them first), the forms folder's own list.
        self.themes = themes ?? (try? ThemeCatalogue.load(formsDirectory: configuration.formsDirectory)) ?? []
        self.linkSecrets = linkSecrets
        self.logger = logger
        self.passwordPolicy = passwordPolicy
        self.throttlePolicy = throttlePolicy
        self.now = now
        requestLimit = configuration.makeConcurrencyLimit()
        self.metrics = metrics
        // The pool reports each lease's wait to these metrics.
        database.observe(with: metrics.poolObserver)
        importJobs = SurveyImportJobs(
            database: database,
            configuration: configuration,
            forms: forms,
            logger: logger,
            auditHook: SurveyImportAudit.hook(AuditLog(database: database, now: now)),
            metrics: metrics
        )
    }

    /// Today's date in UK terms (the service's dates are calendar days in Europe/London).
    public var today: LocalDate { LocalDate(now(), timeZone: Self.london) }

    static let london = TimeZone.london

    /// The staff-accounts capability over these dependencies.
    public var accounts: Accounts { Accounts(dependencies: self) }
}

/// Builds the Hummingbird application: routes, middleware and the services it runs.
public func buildApplication(_ dependencies: AppDependencies) -> some ApplicationProtocol {
    let router = buildRouter(dependencies)
    var app = Application(
        router: router,
        configuration: .init(
            address: .hostname(dependencies.configuration.host, port: dependencies.configuration.port),
            serverName: nil
        ),
        logger: dependencies.logger
    )
    // Services stop in reverse order: the import jobs before the pool they use.
    if dependencies.reportDatabase !== dependencies.database {
        app.addServices(DatabasePoolService(client: dependencies.reportDatabase))
    }
    app.addServices(
        DatabasePoolService(client: dependencies.database),
        dependencies.importJobs,
        HousekeepingService(
            housekeeping: Housekeeping(database: dependencies.database, now: dependencies.now),
            interval: .seconds(15 * 60),
            logger: dependencies.logger
        ),
        RetentionService(
            retention: Retention(database: dependencies.database, months: dependencies.configuration.retentionMonths, now: dependencies.now),
            now: dependencies.now,
            interval: .seconds(24 * 3600),
            logger: dependencies.logger,
            onOutcome: { [metrics = dependencies.metrics] in metrics.recordRetention($0) }
        ),
        ReleaseService(
            ballotBox: BallotBox(database: dependencies.database, secrets: dependencies.linkSecrets, maintenance: dependencies.ownerDatabase),
            now: dependencies.now,
            interval: .seconds(dependencies.configuration.releaseIntervalSeconds),
            logger: dependencies.logger,
            onOutcome: { [metrics = dependencies.metrics] in metrics.recordRelease($0) }
        ),
        AuditChainCheck(database: dependencies.database, metrics: dependencies.metrics, logger: dependencies.logger, interval: .seconds(24 * 3600))
    )
    if let metricsApplication = buildMetricsApplication(dependencies) { app.addServices(metricsApplication) }
    return app
}

/// The operators' metrics listener (`METRICS_HOST`:`METRICS_PORT`), serving only `/metrics`; nil when `METRICS_PORT`
/// is not set. A second Hummingbird application run as a service of the first, so both start and stop together.
public func buildMetricsApplication(_ dependencies: AppDependencies) -> Application<RouterResponder<AppRequestContext>>? {
    let configuration = dependencies.configuration
    guard let port = configuration.metricsPort, let token = configuration.metricsToken else { return nil }
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestLogMiddleware(metrics: dependencies.metrics))
    MetricsRoutes(dependencies: dependencies, token: token).register(on: router)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.metricsHost, port: port), serverName: nil),
        onServerRunning: { channel in
            dependencies.logger.info("metrics listening", metadata: ["http.address": "\(channel.localAddress?.description ?? "?")"])
        },
        logger: dependencies.logger
    )
}

/// The router on its own, for tests that drive it without a socket.
public func buildRouter(_ dependencies: AppDependencies) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestLogMiddleware(metrics: dependencies.metrics))
    router.add(middleware: SecurityHeadersMiddleware(strictTransportSecurity: dependencies.configuration.sendsHSTS))
    let errorPages = ErrorPages(templates: dependencies.templates)
    // Load shedding comes before anything that waits for the database, and after the headers every page carries.
    router.add(middleware: LoadSheddingMiddleware(limit: dependencies.requestLimit, pages: errorPages, metrics: dependencies.metrics))
    router.add(middleware: ErrorPageMiddleware(pages: errorPages))
    router.add(
        middleware: FileMiddleware(
            dependencies.configuration.publicDirectory,
            urlBasePath: "/assets",
            cacheControl: .init([(MediaType(type: .any), [.public, .maxAge(3600)])]),
            logger: dependencies.logger
        )
    )
    HomeRoutes(dependencies: dependencies).register(on: router)
    // With METRICS_PORT the metrics are served on their own listener only (buildMetricsApplication).
    if let token = dependencies.configuration.metricsToken, dependencies.configuration.metricsPort == nil {
        MetricsRoutes(dependencies: dependencies, token: token).register(on: router)
    }
    VictimRoutes(dependencies: dependencies).register(on: router)
    // Staff pages: each declares the permission it needs on the one staff group (sessions, CSRF).
    let staff = StaffRouter(router: router, dependencies: dependencies)
    AccountsRoutes(dependencies: dependencies).register(on: router, staff: staff)
    InspectionRoutes(dependencies: dependencies).register(on: staff)
    LinkRoutes(dependencies: dependencies).register(on: staff)
    SurveyCodeRoutes(dependencies: dependencies).register(on: staff)
    PaperReturnRoutes(dependencies: dependencies).register(on: staff)
    // The survey upload streams its own body: its group takes the CSRF token from the address.
    SurveyImportRoutes(dependencies: dependencies, jobs: dependencies.importJobs)
        .register(on: staff.uploadGroup(on: router, dependencies: dependencies, permission: .importSurvey))
    for (method, path) in SurveyImportRoutes.routes {
        dependencies.staffRoutes.add(StaffRouteInfo(method: method, path: path, permission: .importSurvey, tokenInAddress: method == .post))
    }
    ReportRoutes(dependencies: dependencies).register(on: staff)
    SentencerRoutes(dependencies: dependencies).register(on: staff)
    PublicationRoutes(dependencies: dependencies).register(on: staff)
    ProgrammeRoutes(dependencies: dependencies).register(on: staff)
    return router
}

/// Keeps the pool for the application's life and closes it after the HTTP server has stopped.
struct DatabasePoolService: Service {
    let client: PostgresClient

    func run() async throws {
        try? await gracefulShutdown()
        await client.shutdown()
    }
}
