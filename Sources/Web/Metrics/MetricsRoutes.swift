import Domain
import Foundation
import Hummingbird

/// `GET /metrics` for the operator's Prometheus: the text exposition format, only with `Authorization: Bearer
/// METRICS_TOKEN`. Anyone else gets a short 401 and never a metric.
struct MetricsRoutes: Sendable {
    let metrics: AppMetrics
    let database: PostgresClient
    let requests: ConcurrencyLimit
    /// The SHA-256 of METRICS_TOKEN: the request's token is hashed and compared in constant time, so neither the
    /// token's characters nor its length show in the time a refusal takes.
    let tokenDigest: Data

    static let path = "/metrics"

    init(dependencies: AppDependencies, token: String) {
        metrics = dependencies.metrics
        database = dependencies.database
        requests = dependencies.requestLimit
        tokenDigest = SecretToken.sha256(token)
    }

    func register(on router: Router<AppRequestContext>) {
        router.get(RouterPath(Self.path)) { request, _ in
            guard authorised(request) else { return Self.refusal }
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.render(pool: database.statistics, requests: requests)))
            )
        }
    }

    /// Whether the request carries `Authorization: Bearer <METRICS_TOKEN>`.
    func authorised(_ request: Request) -> Bool {
        guard let header = request.headers[.authorization] else { return false }
        let scheme = "bearer "
        guard header.count > scheme.count, header.prefix(scheme.count).lowercased() == scheme else { return false }
        let given = SecretToken.sha256(header.dropFirst(scheme.count).trimmingCharacters(in: .whitespaces))
        return SecretToken.constantTimeEquals(given, tokenDigest)
    }

    /// 401 with a plain message that says what is needed, and nothing else.
    static var refusal: Response {
        Response(
            status: .unauthorized,
            headers: [.contentType: "text/plain; charset=utf-8", .wwwAuthenticate: "Bearer realm=\"metrics\""],
            body: .init(byteBuffer: ByteBuffer(string: "The metrics need the operator's token: send Authorization: Bearer METRICS_TOKEN.\n"))
        )
    }
}
