import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Operations
import Postgres
import TestSupport
import Testing
import Web

@Suite("The web foundation: health, pages, headers, errors")
struct WebFoundationTests {
    @Test("/healthz answers ok when the database answers")
    func healthy() async throws {
        try await TestApp.run { client, _ in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text == "ok\n")
            }
        }
    }

    @Test("/healthz answers 503 when the database is unreachable, and no page shows a stack trace")
    func unhealthy() async throws {
        let unreachable = PostgresClient(
            configuration: PostgresConfiguration(connectionString: "host=/nonexistent-socket-dir dbname=x", poolSize: 1),
            logger: quietLogger
        )
        var configuration = AppConfiguration()
        configuration.publicDirectory = projectRoot + "/Public"
        let dependencies = AppDependencies(
            configuration: configuration,
            database: unreachable,
            templates: try await Templates(directory: projectRoot + "/templates"),
            forms: try .load(directory: projectRoot + "/forms"),
            linkSecrets: testLinkSecrets,
            logger: quietLogger,
            passwordPolicy: PasswordPolicy(commonPasswords: [])
        )
        let app = Application(router: buildRouter(dependencies), logger: quietLogger)
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.text == "database unavailable\n")
            }
        }
        await unreachable.shutdown()
    }

    @Test("every response carries the security headers; pages are not cached, the stylesheet is")
    func securityHeaders() async throws {
        try await TestApp.run { client, _ in
            for uri in ["/", "/healthz", "/no-such-page", "/assets/css/app.css"] {
                try await client.execute(uri: uri, method: .get) { response in
                    let csp = response.headers[.contentSecurityPolicy] ?? ""
                    #expect(csp.contains("default-src 'none'"), "\(uri)")
                    #expect(csp.contains("frame-ancestors 'none'"), "\(uri)")
                    #expect(!csp.contains("unsafe-inline"), "\(uri)")
                    #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff", "\(uri)")
                    #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer", "\(uri)")
                    #expect(response.headers[HTTPField.Name("Permissions-Policy")!]?.contains("camera=()") == true, "\(uri)")
                    if uri.hasPrefix("/assets") {
                        #expect(response.status == .ok)
                        #expect(response.headers[.cacheControl]?.contains("max-age") == true)
                    } else {
                        #expect(response.headers[.cacheControl] == "no-store", "\(uri)")
                    }
                }
            }
        }
    }

    @Test("the home page is an accessible HTML page in English")
    func homePage() async throws {
        try await TestApp.run { client, _ in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let html = response.text
                #expect(html.contains("<html lang=\"en\""))
                #expect(html.contains("<main class=\"govuk-main-wrapper\" id=\"main-content\""))
                #expect(html.contains("href=\"#main-content\" class=\"govuk-skip-link\""))
                #expect(html.contains("<h1 class=\"govuk-heading-xl\">Stakeholder Views</h1>"))
                // Where to go next: the access code page (in both languages) and staff sign-in.
                #expect(html.contains("href=\"/start\""))
                #expect(html.contains("href=\"/start?lang=cy\" lang=\"cy\""))
                #expect(html.contains("href=\"/sign-in\">Sign in (staff)</a>"))
            }
            for uri in ["/start", "/start?lang=cy", "/sign-in"] {
                try await client.execute(uri: uri, method: .get) { response in #expect(response.status == .ok, "\(uri)") }
            }
        }
    }

    @Test("an unknown page gets a plain 404 page, not an error dump")
    func notFound() async throws {
        try await TestApp.run { client, _ in
            try await client.execute(uri: "/no-such-page?x=<script>", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.text.contains("Page not found"))
                #expect(!response.text.contains("<script>"))
            }
        }
    }
}
