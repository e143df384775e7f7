import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Logs one line per request: method, route pattern (never the raw path, which may hold a questionnaire token),
/// status and duration, and counts it in the metrics under the same pattern. The request id Hummingbird puts in the
/// context logger is on every line.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: AppMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            log(request, context, status: response.status.code, start: start)
            return response
        } catch let error as any HTTPResponseError {
            log(request, context, status: error.status.code, start: start)
            throw error
        } catch {
            log(request, context, status: 500, start: start)
            throw error
        }
    }

    private func log(_ request: Request, _ context: Context, status: Int, start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let milliseconds = elapsed.seconds * 1000
        metrics.recordRequest(method: request.method.rawValue, route: context.endpointPath, status: status, duration: elapsed)
        context.logger.info(
            "request",
            metadata: [
                "http.method": "\(request.method.rawValue)",
                "http.route": "\(context.endpointPath ?? "unmatched")",
                "http.status": "\(status)",
                "http.duration_ms": "\(String(format: "%.1f", milliseconds))",
            ]
        )
    }
}

/// Security headers on every response; `Cache-Control: no-store` unless a route set its own (static files do); and
/// `Strict-Transport-Security` when the service is served over https (`PUBLIC_BASE_URL`).
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Send `Strict-Transport-Security` (two years, subdomains included).
    var strictTransportSecurity = false
    /// The HSTS value: browsers then refuse plain http to this host for two years.
    static var strictTransportSecurityValue: String { "max-age=63072000; includeSubDomains" }

    static var headers: HTTPFields {
        [
            .contentSecurityPolicy:
                "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; form-action 'self'; "
                + "frame-ancestors 'none'; base-uri 'none'",
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            HTTPField.Name("Referrer-Policy")!: "no-referrer",
            HTTPField.Name("X-Frame-Options")!: "DENY",
            HTTPField.Name("Permissions-Policy")!: "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
            HTTPField.Name("Cross-Origin-Opener-Policy")!: "same-origin",
        ]
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        for field in Self.headers { response.headers[field.name] = field.value }
        if strictTransportSecurity { response.headers[.strictTransportSecurity] = Self.strictTransportSecurityValue }
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}

/// Turns any error a route did not map into a plain 500 page with no detail, and database outages into a 503
/// "try again" page. The error itself is logged (its description never holds answers or bound values).
struct ErrorPageMiddleware<Context: RequestContext>: RouterMiddleware {
    let pages: ErrorPages

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            return pages.response(status: error.status, message: error.body)
        } catch let refusal as Refusal {
            return refusal.response
        } catch let error as any HTTPResponseError {
            return pages.response(status: error.status, message: nil)
        } catch {
            if ServiceUnavailable.isTransient(error) {
                context.logger.warning("database unavailable", metadata: ["error": "\(error)"])
                return pages.response(status: .serviceUnavailable, message: nil)
            }
            context.logger.error("unhandled error", metadata: ["error": "\(error)"])
            return pages.response(status: .internalServerError, message: nil)
        }
    }
}
