import Domain
import Hummingbird

/// The home page and the health check.
struct HomeRoutes: Sendable {
    let dependencies: AppDependencies

    func register(on router: Router<AppRequestContext>) {
        router.get("/") { _, _ in
            dependencies.templates.page("home", HomePage())
        }
        router.get("/healthz") { _, context in
            do {
                try await DatabaseHealth.check(dependencies.database)
                return Response(
                    status: .ok,
                    headers: [.contentType: "text/plain; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: "ok\n"))
                )
            } catch {
                context.logger.warning("health check failed", metadata: ["error": "\(error)"])
                return Response(
                    status: .serviceUnavailable,
                    headers: [.contentType: "text/plain; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: "database unavailable\n"))
                )
            }
        }
    }
}

struct HomePage: Sendable {
    let title = "Stakeholder Views"
}
