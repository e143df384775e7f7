import Foundation
import Logging
import Postgres

/// Everything the service reads from its environment, checked once at start.
///
/// Each setting is an environment variable (UPPER_SNAKE); `serve` also takes `--host` and `--port`. A value that
/// does not parse stops the command with one line naming the variable and what it expects.
///
/// Staff accounts (issue 4) add:
/// - `COOKIE_SECURE` (shared with the victims' pages): cookies are Secure whenever `PUBLIC_BASE_URL` is https, and
///   this setting only changes that when given (`false` turns it off explicitly, for example behind a test proxy).
/// - `SESSION_IDLE_TIMEOUT` (seconds, default 1800): a staff session unused this long ends (60 to 86400).
/// - `SESSION_ABSOLUTE_TIMEOUT` (seconds, default 43200): a staff session this old ends however busy (300 to 604800).
/// - `BCRYPT_COST` (default 12): bcrypt cost for staff passwords, 12 to 16; lower values are refused.
/// - `COMMON_PASSWORDS_FILE` (default `data/common-passwords.txt`): passwords refused as too common, one a line.
/// - `SAFEGUARDING_PROCEDURE` (text, 1 to 2,000 characters): what the lead inspector's safeguarding list says to do
///   with a flagged answer; a default outline otherwise (issue 19).
/// - `REPORT_SUPPRESS_BELOW` (default 10, 2 to 100): the report shows a base or cell under this as `[c]` (issue 9).
/// - `REPORT_LOW_RELIABILITY_BELOW` (default 30, at least `REPORT_SUPPRESS_BELOW`, up to 1000): a base under this is
///   marked `[u]` and gets no difference flag.
/// - `REPORT_DATABASE_URL` (optional): a second connection string for the report pages' reads (issue 11).
/// - `TRUST_X_FORWARDED_FOR` (default `false`): take the client address for sign-in throttling and the audit log
///   from the first `X-Forwarded-For` entry; set `true` only behind a proxy that overwrites that header.
/// - `RETENTION_MONTHS` (default 12, 1 to 1200): months after an inspection's publication when its raw victim answers,
///   paper answers and sentencer notes are deleted (issue 11).
/// - `MAX_CONCURRENT_REQUESTS` (1 to 100000; default adaptive): requests handled at once; one more is answered 503
///   "please try again" at once instead of queueing (issue 10). `/healthz` and `/assets` are not counted. Unset, the
///   limit adapts between one and four per pooled connection, aiming at a mean of 250 ms per admitted request
///   (`ConcurrencyLimit`).
///
/// Least privilege (issue 18) adds:
/// - `DATABASE_OWNER_URL` (optional): the owner role's connection string, used only to migrate (and grant the
///   service role its privileges) and for the owner's maintenance (`VACUUM FULL` of released sealed answers); every
///   other statement runs through `DATABASE_URL`, the service role.
/// - `DATABASE_ALLOW_PRIVILEGED_ROLE` (default `false`): lets `serve` run as a role that owns tables or can bypass the
///   triggers, for development only.
///
/// Metrics (issue 11) add:
/// - `METRICS_TOKEN` (unset by default: no metrics endpoint, `/metrics` is a 404 like any unknown page): turns on
///   `GET /metrics` (Prometheus text format) for requests with `Authorization: Bearer METRICS_TOKEN`; anything else
///   gets a 401. At least 32 characters, printable ASCII without spaces (`openssl rand -hex 32` makes one).
/// - `METRICS_PORT` (unset by default; 1 to 65535, not PORT, needs `METRICS_TOKEN`): serves `/metrics` on a listener
///   of its own instead of the public port, where `/metrics` is then a 404.
/// - `METRICS_HOST` (default `127.0.0.1`): the address that listener binds.
public struct AppConfiguration: Sendable {
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public var host = "127.0.0.1"
    public var port = 8080
    /// libpq connection string or URI; empty means PG* variables, or the embedded cluster when none is set.
    public var databaseURL = ""
    /// `DATABASE_OWNER_URL`: the owner role's connection, for migrations and the owner's maintenance only; nil means
    /// migrations run through `databaseURL` (a single role, which `serve` refuses unless `allowPrivilegedRole`).
    public var ownerDatabaseURL: String?
    /// `DATABASE_ALLOW_PRIVILEGED_ROLE`: serve even when the service's role owns tables or can bypass the triggers.
    public var allowPrivilegedRole = false
    /// `REPORT_DATABASE_URL`: when set, the report pages' reads use a second pool on this connection string (for
    /// example a standby with `target_session_attrs=prefer-standby`); what they write stays on the main pool.
    public var reportDatabaseURL: String?
    public var dataDirectory = ".data"
    public var poolSize = 10
    public var acquireTimeout: Duration = .seconds(10)
    /// `MAX_CONCURRENT_REQUESTS`; nil means `requestsPerConnection` for each pooled connection.
    public var maxConcurrentRequests: Int?
    /// The default concurrency limit per pooled connection: enough queued work to keep every connection busy while
    /// the admitted requests' latency stays within a few database round trips.
    public static let requestsPerConnection = 4
    /// The most requests handled at once before more are refused with 503 (the adaptive limit's ceiling).
    public var concurrencyLimit: Int { maxConcurrentRequests ?? poolSize * Self.requestsPerConnection }
    /// The queueing delay the default, adaptive concurrency limit aims at.
    public static let queueingTarget = Duration.milliseconds(250)

    /// The load-shedding limit: fixed at `MAX_CONCURRENT_REQUESTS` when set, otherwise adaptive between the pool size
    /// and `concurrencyLimit`, aiming at `queueingTarget`.
    package func makeConcurrencyLimit() -> ConcurrencyLimit {
        if let maxConcurrentRequests { return ConcurrencyLimit(limit: maxConcurrentRequests) }
        return ConcurrencyLimit(floor: poolSize, ceiling: concurrencyLimit, target: Self.queueingTarget)
    }
    public var statementTimeout: Duration = .seconds(30)
    public var autoMigrate = true
    public var logLevel: Logger.Level = .info
    public var sqlDirectory = "sql"
    public var formsDirectory = "forms"
    public var templatesDirectory = "templates"
    public var publicDirectory = "Public"
    /// The service's address as victims type it, for links and letters (`PUBLIC_BASE_URL`); defaults to http://HOST:PORT.
    public var publicBaseURL: String?
    /// `COOKIE_SECURE` when it was given; nil follows `PUBLIC_BASE_URL`.
    public var cookieSecureSetting: Bool?
    /// Whether `PUBLIC_BASE_URL` is an https address.
    public var servedOverHTTPS: Bool { publicBaseURL?.lowercased().hasPrefix("https://") ?? false }
    /// Marks cookies Secure (sent over HTTPS only): on whenever `PUBLIC_BASE_URL` is https, unless `COOKIE_SECURE`
    /// explicitly says otherwise. Setting it records an explicit choice.
    public var cookieSecure: Bool {
        get { cookieSecureSetting ?? servedOverHTTPS }
        set { cookieSecureSetting = newValue }
    }
    /// `Strict-Transport-Security` on every response, whenever the service is served over https.
    public var sendsHSTS: Bool { servedOverHTTPS }

    // Staff accounts.
    public var sessionIdleTimeout: Duration = .seconds(30 * 60)
    public var sessionAbsoluteTimeout: Duration = .seconds(12 * 3600)
    /// At least `minimumBcryptCost` when read from `BCRYPT_COST`; tests may set a lower value directly.
    public var bcryptCost = 12
    public var commonPasswordsFile = "data/common-passwords.txt"
    public var trustForwardedFor = false
    public static let minimumBcryptCost = 12

    // The report's disclosure control (issue 9).
    public var reportSuppressBelow = 10
    /// What the lead inspector is told to do with a flagged answer (`SAFEGUARDING_PROCEDURE`).
    public var safeguardingProcedure = AppConfiguration.defaultSafeguardingProcedure
    /// The default: the inspectorate's procedure in outline.
    public static let defaultSafeguardingProcedure =
        "Today, read each flagged answer and decide whether someone is at risk now. If they are, call 999 or tell the police. "
        + "Otherwise tell the inspectorate's safeguarding lead the same day, with the inspection and the answer's place in this list "
        + "(never copy the answer into email), and record that you have done so."
    public var reportLowReliabilityBelow = 30
    /// The report's thresholds.
    public var disclosureRules: DisclosureRules {
        DisclosureRules(suppressBelow: reportSuppressBelow, lowReliabilityBelow: reportLowReliabilityBelow)
    }
    /// IMPORT_MAX_UPLOAD_BYTES: the largest survey file the importer accepts, from the upload page and the CLI
    /// (default 256 MiB, about two million rows).
    public var importMaxUploadBytes = 256 * 1024 * 1024
    /// IMPORT_DIR: where uploaded survey files and their problem lists are kept while an import job runs
    /// (default DATA_DIR/imports).
    public var importDirectory = ""

    /// RETENTION_MONTHS: months after publication when an inspection's raw answers and notes are deleted (issue 11).
    public var retentionMonths = 12
    /// RELEASE_INTERVAL_SECONDS: seconds between the ballot box's release runs in `serve` (issue 15; default 60).
    public var releaseIntervalSeconds = 60
    // Metrics (issue 11).
    /// METRICS_TOKEN: the bearer token `/metrics` asks for; nil turns the endpoint off.
    public var metricsToken: String?
    /// METRICS_PORT: serve `/metrics` on its own listener at this port (and not on the public port).
    public var metricsPort: Int?
    /// METRICS_HOST: the address of the metrics listener.
    public var metricsHost = "127.0.0.1"
    /// The shortest METRICS_TOKEN accepted.
    public static let minimumMetricsTokenLength = 32

    /// The folder for uploaded survey files.
    public var resolvedImportDirectory: String { importDirectory.isEmpty ? dataDirectory + "/imports" : importDirectory }

    public init() {}

    /// Reads the documented variables from `environment`; unset variables keep their defaults.
    public init(environment: [String: String]) throws(Invalid) {
        func text(_ name: String) -> String? {
            guard let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            return value
        }
        func integer(_ name: String, _ range: ClosedRange<Int>) throws(Invalid) -> Int? {
            guard let raw = text(name) else { return nil }
            guard let value = Int(raw), range.contains(value) else {
                throw Invalid(description: "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(raw)'")
            }
            return value
        }
        func seconds(_ name: String, _ range: ClosedRange<Double>) throws(Invalid) -> Duration? {
            guard let raw = text(name) else { return nil }
            guard let value = Double(raw), range.contains(value) else {
                throw Invalid(description: "\(name) must be a number of seconds from \(range.lowerBound) to \(range.upperBound), not '\(raw)'")
            }
            return .milliseconds(Int64(value * 1000))
        }
        func boolean(_ name: String) throws(Invalid) -> Bool? {
            guard let raw = text(name) else { return nil }
            switch raw.lowercased() {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off": return false
            default: throw Invalid(description: "\(name) must be true or false, not '\(raw)'")
            }
        }

        if let value = text("HOST") { host = value }
        if let value = try integer("PORT", 0...65535) { port = value }
        if let value = environment["DATABASE_URL"], !value.isEmpty {
            do {
                try PostgresConfiguration.validate(connectionString: value)
            } catch {
                throw Invalid(description: "DATABASE_URL is \(error.message)")
            }
            databaseURL = value
        }
        if let value = text("DATABASE_OWNER_URL") {
            do {
                try PostgresConfiguration.validate(connectionString: value)
            } catch {
                throw Invalid(description: "DATABASE_OWNER_URL is \(error.message)")
            }
            ownerDatabaseURL = value
        }
        if let value = try boolean("DATABASE_ALLOW_PRIVILEGED_ROLE") { allowPrivilegedRole = value }
        if let value = text("REPORT_DATABASE_URL") {
            do {
                try PostgresConfiguration.validate(connectionString: value)
            } catch {
                throw Invalid(description: "REPORT_DATABASE_URL is \(error.message)")
            }
            reportDatabaseURL = value
        }
        if let value = text("DATA_DIR") { dataDirectory = value }
        if let value = try integer("DATABASE_POOL_SIZE", 1...200) { poolSize = value }
        if let value = try seconds("DATABASE_ACQUIRE_TIMEOUT", 0.01...600) { acquireTimeout = value }
        if let value = try integer("MAX_CONCURRENT_REQUESTS", 1...100_000) { maxConcurrentRequests = value }
        if let value = try seconds("DATABASE_STATEMENT_TIMEOUT", 0...3600) { statementTimeout = value }
        if let value = try boolean("AUTO_MIGRATE") { autoMigrate = value }
        if let raw = text("LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: raw.lowercased()) else {
                let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                throw Invalid(description: "LOG_LEVEL must be one of \(levels), not '\(raw)'")
            }
            logLevel = level
        }
        if let value = try boolean("COOKIE_SECURE") { cookieSecureSetting = value }
        if let value = text("PUBLIC_BASE_URL") {
            guard let url = URL(string: value), ["http", "https"].contains(url.scheme ?? ""), url.host != nil, url.query == nil else {
                throw Invalid(description: "PUBLIC_BASE_URL must be an http or https address such as https://views.example.gov.uk, not '\(value)'")
            }
            publicBaseURL = value.hasSuffix("/") ? String(value.dropLast()) : value
        }
        if let value = text("SQL_DIR") { sqlDirectory = value }
        if let value = text("FORMS_DIR") { formsDirectory = value }
        if let value = text("TEMPLATES_DIR") { templatesDirectory = value }
        if let value = text("PUBLIC_DIR") { publicDirectory = value }
        if let value = try seconds("SESSION_IDLE_TIMEOUT", 60...86400) { sessionIdleTimeout = value }
        if let value = try seconds("SESSION_ABSOLUTE_TIMEOUT", 300...604_800) { sessionAbsoluteTimeout = value }
        if let value = try integer("BCRYPT_COST", Self.minimumBcryptCost...16) { bcryptCost = value }
        if let value = text("COMMON_PASSWORDS_FILE") { commonPasswordsFile = value }
        if let value = try boolean("TRUST_X_FORWARDED_FOR") { trustForwardedFor = value }
        // Report (issue 9).
        if let value = try integer("REPORT_SUPPRESS_BELOW", 2...100) { reportSuppressBelow = value }
        if let value = try integer("REPORT_LOW_RELIABILITY_BELOW", reportSuppressBelow...1000) { reportLowReliabilityBelow = value }
        if let value = try integer("IMPORT_MAX_UPLOAD_BYTES", 1...(1 << 40)) { importMaxUploadBytes = value }
        if let value = text("IMPORT_DIR") { importDirectory = value }
        if let value = try integer("RETENTION_MONTHS", 1...1200) { retentionMonths = value }
        if let value = try integer("RELEASE_INTERVAL_SECONDS", 5...86_400) { releaseIntervalSeconds = value }
        if let value = text("SAFEGUARDING_PROCEDURE") {
            let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty, trimmed.count <= 2000, !trimmed.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" }) else {
                throw Invalid(description: "SAFEGUARDING_PROCEDURE must be 1 to 2,000 characters of text (line breaks allowed)")
            }
            safeguardingProcedure = trimmed
        }
        // Metrics (issue 11). The token is never repeated in a message.
        if let value = text("METRICS_TOKEN") {
            guard value.utf8.count >= Self.minimumMetricsTokenLength, value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw Invalid(
                    description: "METRICS_TOKEN must be at least \(Self.minimumMetricsTokenLength) printable ASCII characters without spaces "
                        + "(for example from `openssl rand -hex 32`)"
                )
            }
            metricsToken = value
        }
        if let value = text("METRICS_HOST") { metricsHost = value }
        if let value = try integer("METRICS_PORT", 1...65535) {
            guard metricsToken != nil else {
                throw Invalid(description: "METRICS_PORT needs METRICS_TOKEN: the metrics listener serves only requests with the operator's token")
            }
            guard value != port else {
                throw Invalid(description: "METRICS_PORT must differ from PORT (\(port)): the metrics listener is separate from the public one")
            }
            metricsPort = value
        }
    }

    /// Where victims reach the service: `PUBLIC_BASE_URL`, or http://HOST:PORT.
    public var baseURL: String { publicBaseURL ?? "http://\(host):\(port)" }

    /// The pool settings for the given connection string.
    package func postgres(connectionString: String) -> PostgresConfiguration {
        PostgresConfiguration(
            connectionString: connectionString,
            poolSize: poolSize,
            acquireTimeout: acquireTimeout,
            statementTimeout: statementTimeout == .zero ? nil : statementTimeout
        )
    }

    /// libpq's own variables that say where the database is; when one is set, the embedded cluster is not used.
    package static let libpqLocationVariables = ["PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"]
}
