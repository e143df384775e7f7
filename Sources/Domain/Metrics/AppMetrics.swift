import Forms
import Foundation
import Postgres
import Prometheus
import Synchronization

/// The service's Prometheus metrics: one registry per application (tests build many applications in one process, so
/// nothing goes through the global `MetricsSystem`), and the named metrics the code records into.
///
/// Labels only ever take values from short, fixed sets the code chooses (route patterns, methods, status codes,
/// channels, languages, outcomes, kinds): never a raw path, token, access code, answer, name or email address.
public struct AppMetrics: Sendable {
    /// Where every metric lives; `GET /metrics` renders it.
    public let registry: PrometheusCollectorRegistry

    private let poolInUse: Gauge
    private let poolIdle: Gauge
    private let poolCapacity: Gauge
    private let poolWaiting: Gauge
    private let poolAcquireWait: DurationHistogram
    private let poolAcquireTimeouts: Counter
    private let importRows: Counter
    private let requestsInFlight: Gauge
    private let requestsInFlightLimit: Gauge
    private let requestsShed: Counter
    private let responsesReleased: Counter
    private let releaseRuns: Counter
    private let requestSeries = RequestSeries()

    /// Request latency buckets, 5 ms to 10 s.
    static let requestBuckets: [Duration] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000].map { .milliseconds($0) }
    /// Pool wait buckets: 0 counts leases that did not wait at all; the last is the default acquire timeout.
    static let acquireBuckets: [Duration] = [0, 1, 5, 10, 50, 100, 500, 1000, 5000, 10000].map { .milliseconds($0) }

    /// A new registry holding the service's metrics, each at zero.
    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        poolInUse = registry.makeGauge(descriptor: Self.name("db_pool_connections_in_use", "Database connections lent out now"))
        poolIdle = registry.makeGauge(
            descriptor: Self.name("db_pool_connections_idle", "Database connections free to lend now (open or not yet opened)")
        )
        poolCapacity = registry.makeGauge(descriptor: Self.name("db_pool_connections_capacity", "The most database connections the pool opens"))
        poolWaiting = registry.makeGauge(descriptor: Self.name("db_pool_waiting_acquirers", "Requests waiting for a database connection now"))
        poolAcquireWait = registry.makeDurationHistogram(
            descriptor: Self.name("db_pool_acquire_wait_seconds", "How long each lease waited for a database connection (0 when one was free)"),
            buckets: Self.acquireBuckets
        )
        poolAcquireTimeouts = registry.makeCounter(
            descriptor: Self.name("db_pool_acquire_timeouts_total", "Leases that gave up waiting for a database connection")
        )
        importRows = registry.makeCounter(descriptor: Self.name("survey_import_rows_total", "Service-user survey rows imported"))
        requestsInFlight = registry.makeGauge(descriptor: Self.name("http_requests_in_flight", "Requests being handled now"))
        requestsInFlightLimit = registry.makeGauge(
            descriptor: Self.name("http_requests_in_flight_limit", "Requests admitted at once now (fixed or adaptive): one more is answered 503")
        )
        responsesReleased = registry.makeCounter(
            descriptor: Self.name("victim_responses_released_total", "Victim responses released from the ballot box into the report")
        )
        releaseRuns = registry.makeCounter(descriptor: Self.name("ballot_box_release_runs_total", "Release runs of the ballot box that finished"))
        requestsShed = registry.makeCounter(
            descriptor: Self.name("http_requests_shed_total", "Requests answered 503 at once because the concurrency limit was reached")
        )
        // Counters with labels appear on the first scrape at zero, so dashboards and alerts see them before they move.
        for channel in SubmissionChannel.allCases {
            for language in Language.allCases { _ = submissions(channel: channel, language: language) }
        }
        for outcome in ImportOutcome.allCases { _ = imports(outcome: outcome) }
    }

    /// A metric's name and help text (the registry's descriptor wants them split; whole names read better here).
    fileprivate static func name(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    // MARK: HTTP

    /// Counts one request and its duration under its route pattern. `route` is the router's pattern
    /// (`context.endpointPath`, written like `/q/{token}`); nil and Hummingbird's "NotFound" become `unmatched`,
    /// static files `/assets`.
    /// A finished release run of the ballot box and how many responses it released.
    package func recordRelease(_ outcome: BallotBox.ReleaseOutcome) {
        releaseRuns.increment()
        responsesReleased.increment(by: Int64(outcome.total))
    }

    package func recordRequest(method: String, route: String?, status: Int, duration: Duration) {
        let key = RequestSeries.Key(method: Self.methods.contains(method) ? method : "other", route: Self.routeLabel(route), status: status)
        let (requests, durations) = requestSeries.series(key, registry: registry)
        requests.increment()
        durations.record(duration)
    }

    /// The request metrics by label set, so a request costs one lock and one lookup rather than the registry's
    /// name-and-labels lookup for each of its two metrics.
    private final class RequestSeries: Sendable {
        struct Key: Hashable {
            let method: String
            let route: String
            let status: Int
        }

        private let known = Mutex<[Key: (Counter, DurationHistogram)]>([:])

        func series(_ key: Key, registry: PrometheusCollectorRegistry) -> (Counter, DurationHistogram) {
            known.withLock { known in
                if let series = known[key] { return series }
                let series = (
                    registry.makeCounter(
                        descriptor: AppMetrics.name("http_requests_total", "HTTP requests by method, route pattern and status"),
                        labels: [("method", key.method), ("route", key.route), ("status", String(key.status))]
                    ),
                    registry.makeDurationHistogram(
                        descriptor: AppMetrics.name("http_request_duration_seconds", "HTTP request durations by method and route pattern"),
                        labels: [("method", key.method), ("route", key.route)],
                        buckets: AppMetrics.requestBuckets
                    )
                )
                known[key] = series
                return series
            }
        }
    }

    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    /// The label for a route: the router's pattern, never the path the client sent.
    static func routeLabel(_ endpointPath: String?) -> String {
        switch endpointPath {
        case nil, "NotFound": "unmatched"
        case "FileMiddleware": "/assets"
        case let pattern?: pattern
        }
    }

    // MARK: Database pool

    /// Copies the pool's state into the gauges; called just before each scrape is rendered.
    func recordPool(_ statistics: PostgresClient.Statistics) {
        poolInUse.set(Double(statistics.inUse))
        poolIdle.set(Double(statistics.idle))
        poolCapacity.set(Double(statistics.size))
        poolWaiting.set(Double(statistics.waiting))
    }

    /// Records each lease's wait and each timeout (attach with `PostgresClient.observe(with:)`).
    public var poolObserver: any PostgresPoolObserver { PoolObserver(wait: poolAcquireWait, timeouts: poolAcquireTimeouts) }

    private struct PoolObserver: PostgresPoolObserver {
        let wait: DurationHistogram
        let timeouts: Counter

        func connectionAcquired(waited: Duration) { wait.record(waited) }
        func acquireTimedOut(waited: Duration) { timeouts.increment() }
    }

    // MARK: Victims' questionnaires

    /// How a victim's response reached the service (the `victim_response.channel` values).
    public enum SubmissionChannel: String, Sendable, CaseIterable {
        case online
        case paper
    }

    /// Counts one stored victim response. Only the channel and the language: nothing that tells one response from another.
    public func recordSubmission(channel: SubmissionChannel, language: Language) {
        submissions(channel: channel, language: language).increment()
    }

    private func submissions(channel: SubmissionChannel, language: Language) -> Counter {
        registry.makeCounter(
            descriptor: Self.name("victim_submissions_total", "Victims' questionnaire responses stored, by channel and language"),
            labels: [("channel", channel.rawValue), ("language", language.rawValue)]
        )
    }

    // MARK: Survey imports

    /// How an import from the upload page ended.
    public enum ImportOutcome: String, Sendable, CaseIterable {
        /// A batch was written.
        case imported
        /// The rows decided against it (all-or-nothing with invalid rows, or no valid row); nothing was written.
        case rejected
        /// The file could not be read or the service failed; nothing was written.
        case failed
    }

    /// Counts one import (not its dry-run check) and the rows it wrote.
    public func recordImport(outcome: ImportOutcome, rowsImported: Int) {
        imports(outcome: outcome).increment()
        if rowsImported > 0 { importRows.increment(by: Int64(rowsImported)) }
    }

    private func imports(outcome: ImportOutcome) -> Counter {
        registry.makeCounter(
            descriptor: Self.name("survey_imports_total", "Service-user survey imports from the upload page, by outcome"),
            labels: [("outcome", outcome.rawValue)]
        )
    }

    // MARK: Retention

    /// Counts what a retention run deleted (or rewrote), by kind; a dry run or a run that found another instance at
    /// work counts nothing. The label is the kind's fixed name, so no data can reach it.
    public func recordRetention(_ outcome: RetentionOutcome) {
        guard outcome.ran, !outcome.dryRun else { return }
        for (kind, count) in outcome.totals where count > 0 {
            registry.makeCounter(
                descriptor: Self.name("retention_deletions_total", "Rows deleted (or rewritten) by the retention job, by kind"),
                labels: [("kind", kind.rawValue)]
            ).increment(by: Int64(count))
        }
    }

    // MARK: Exposition

    /// Counts one request refused by load shedding.
    /// Counts one daily check of a hash chain (issue 18): `outcome` is `intact` or `broken`, per `table`
    /// (`audit_event`, `report_snapshot`), so an alert can fire on any broken one.
    func auditChainChecked(table: String, intact: Bool) {
        registry.makeCounter(
            descriptor: Self.name("audit_chain_checks_total", "Daily checks of the tamper-evident hash chains, by table and outcome"),
            labels: [("table", table), ("outcome", intact ? "intact" : "broken")]
        ).increment()
    }

    package func recordShed() { requestsShed.increment() }

    /// The text exposition format of every metric, with the pool's and the request limit's gauges read now.
    package func render(pool: PostgresClient.Statistics, requests: ConcurrencyLimit) -> String {
        recordPool(pool)
        requestsInFlight.set(Double(requests.current))
        requestsInFlightLimit.set(Double(requests.limit))
        return registry.emitToString()
    }
}
