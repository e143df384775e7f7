import Domain
import Hummingbird

/// Answers 503 with the "please try again" page, at once, when the limit's requests are already being handled. `/healthz`, `/metrics` and static files are not counted: a load balancer must still see the instance
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
        let entered = ContinuousClock.now
        defer { limit.leave(entered: entered) }
        return try await next(request, context)
    }
}
