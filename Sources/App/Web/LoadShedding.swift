import Hummingbird
import Synchronization

/// Counts the requests being handled and refuses one more than `limit` (`MAX_CONCURRENT_REQUESTS`).
///
/// Without a limit every request beyond what the database pool can serve waits in the pool's queue: under overload
/// the queue, memory and latency grow until requests time out. With it, the excess is answered at once with 503 and
/// `Retry-After`, so the requests that are admitted keep their latency and the process keeps its size.
final class ConcurrencyLimit: Sendable {
    let limit: Int
    private let inFlight = Atomic<Int>(0)
    private let shedCount = Atomic<Int>(0)
    /// The second (since the process started) of the last "shedding" log line: at most one a second, not one per
    /// refused request, so logging does not add to the overload.
    private let lastLogged = Atomic<Int>(-1)
    private let started = ContinuousClock.now

    init(limit: Int) {
        precondition(limit > 0, "the concurrency limit must be at least 1")
        self.limit = limit
    }

    /// Takes a place if one is free; the caller must `leave()` after a true answer.
    func enter() -> Bool {
        let now = inFlight.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue
        if now <= limit { return true }
        inFlight.wrappingSubtract(1, ordering: .acquiringAndReleasing)
        shedCount.wrappingAdd(1, ordering: .relaxed)
        return false
    }

    func leave() {
        inFlight.wrappingSubtract(1, ordering: .acquiringAndReleasing)
    }

    /// The whole seconds since this limit was made, for `shouldLog(second:)`.
    var second: Int { Int((ContinuousClock.now - started).components.seconds) }

    /// True once for each `second`: whether the caller should log that requests are being shed.
    func shouldLog(second: Int) -> Bool {
        let last = lastLogged.load(ordering: .relaxed)
        return last != second && lastLogged.compareExchange(expected: last, desired: second, ordering: .relaxed).exchanged
    }

    /// Requests being handled now.
    var current: Int { inFlight.load(ordering: .relaxed) }
    /// Requests refused since the process started (a hook for the metrics work).
    var shed: Int { shedCount.load(ordering: .relaxed) }
}

/// Answers 503 with the "please try again" page, at once, when `MAX_CONCURRENT_REQUESTS` requests are already being
/// handled. `/healthz`, `/metrics` and static files are not counted: a load balancer must still see the instance
/// alive, the operator must still see why it is shedding, and the stylesheet of the 503 page must still load.
struct LoadSheddingMiddleware<Context: RequestContext>: RouterMiddleware {
    let limit: ConcurrencyLimit
    let pages: ErrorPages
    let metrics: AppMetrics
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path == "/healthz" || path == MetricsRoutes.path || path.hasPrefix("/assets/") {
            return try await next(request, context)
        }
        guard limit.enter() else {
            metrics.recordShed()
            if limit.shouldLog(second: limit.second) {
                context.logger.warning("shedding requests", metadata: ["http.in_flight.limit": "\(limit.limit)", "http.shed.total": "\(limit.shed)"])
            }
            return pages.response(status: .serviceUnavailable, message: nil)
        }
        defer { limit.leave() }
        return try await next(request, context)
    }
}
