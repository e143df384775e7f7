import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Operations
import Postgres
import Testing
import Web

/// Security probes built from the route catalogue, so new routes are covered without editing these tests.
@Suite("Security probes", .serialized)
struct SecurityProbeTests {
    /// Routes anyone may use: the home page, health, the victim's journey and signing in.
    static let publicRoutes: Set<String> = [
        "GET /", "GET /healthz", "GET /q/:token", "POST /q/:token", "GET /p/:code", "POST /p/:code", "GET /start", "POST /start",
        "GET /questionnaire",
        "GET /questionnaire/page/:page", "POST /questionnaire/page/:page", "GET /questionnaire/check", "POST /questionnaire/submit",
        "GET /questionnaire/done", "GET /questionnaire/withdraw", "POST /questionnaire/withdraw", "POST /questionnaire/withdraw-code",
        "GET /questionnaire/language/:language",
        "GET /exit", "GET /privacy", "GET /accessibility", "GET /sign-in", "POST /sign-in",
    ]

    static func folder() -> String { NSTemporaryDirectory() + "sv-probe-\(UUID().uuidString)" }

    @Test("every route the router has is either public or in the staff catalogue, so the probes below reach it")
    func catalogueIsComplete() async throws {
        try await TestApp.run { _, app in
            let router = buildRouter(app.dependencies)
            let catalogued = Set(app.dependencies.staffRoutes.all.map { "\($0.method) \(RouterPath($0.path).description)" })
            let known = Set(
                Self.publicRoutes.map { text in
                    let parts = text.split(separator: " ", maxSplits: 1)
                    return "\(parts[0]) \(RouterPath(String(parts[1])).description)"
                }
            )
            let routes = router.routes.map(\.description)
            #expect(routes.count > 40)
            for route in routes {
                #expect(catalogued.contains(route) || known.contains(route), "\(route) is neither public nor in the staff catalogue")
            }
            for route in catalogued { #expect(routes.contains(route), "\(route) is catalogued but not routed") }
        }
    }

    @Test("every staff POST is refused without a session (to sign in), without a CSRF token or with a wrong one (403), and changes nothing")
    func postsNeedSessionAndToken() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await TestApp.run(configure: ProbeWorld.configure(folder: folder)) { client, app in
            let world = try await ProbeWorld.make(client, app)
            let other = try await app.signedIn(client, as: .admin, email: "other.admin@example.gov.uk")
            let posts = app.dependencies.staffRoutes.all.filter { $0.method == .post }
            #expect(posts.count >= 20)
            var cases = 0
            for route in posts {
                let uri = world.path(route)
                let browser = world.browser(for: route)
                let valid = try #require(browser.csrfToken)
                let before = try await StoredState.fingerprint(app.db)
                // No session.
                let anonymous = try await StaffBrowser(client).raw(
                    ProbeWorld.address(route, uri, token: valid),
                    body: StaffBrowser.encode([("csrf_token", valid)]),
                    contentType: "application/x-www-form-urlencoded"
                )
                #expect(anonymous.status == .seeOther, "anonymous POST \(uri)")
                #expect(anonymous.headers[.location]?.hasPrefix("/sign-in") == true, "anonymous POST \(uri)")
                // No token, an empty one, a made-up one, another session's, and (uploads) one in the wrong place.
                var refusals: [(String, String, [UInt8])] = [
                    ("no token", uri, []),
                    ("empty token", ProbeWorld.address(route, uri, token: ""), StaffBrowser.encode([("csrf_token", "")])),
                    (
                        "made-up token", ProbeWorld.address(route, uri, token: SecretToken.generate()),
                        StaffBrowser.encode([("csrf_token", SecretToken.generate())])
                    ),
                    (
                        "another session's token", ProbeWorld.address(route, uri, token: other.csrfToken),
                        StaffBrowser.encode([("csrf_token", other.csrfToken ?? "")])
                    ),
                    (
                        "token one character short", ProbeWorld.address(route, uri, token: String(valid.dropLast())),
                        StaffBrowser.encode([("csrf_token", String(valid.dropLast()))])
                    ),
                ]
                if route.tokenInAddress { refusals.append(("token in the body, not the address", uri, StaffBrowser.encode([("csrf_token", valid)]))) }
                for (label, address, body) in refusals {
                    let response = try await browser.raw(address, body: body, contentType: "application/x-www-form-urlencoded")
                    #expect(response.status == .forbidden, "\(label): POST \(uri) → \(response.status)")
                    #expect(response.text.contains("You cannot do that"), "\(label): POST \(uri)")
                    cases += 1
                }
                #expect(try await StoredState.fingerprint(app.db) == before, "POST \(uri) changed stored data without a valid token")
                // Still signed in: a refused token does not end the session.
                #expect(try await browser.get("/staff").status == .ok)
            }
            print("security probe: \(cases) refused-token requests over \(posts.count) staff POST routes (+ \(posts.count) anonymous)")
        }
    }

    @Test("the victim's POSTs need their session's token: without it 403 and nothing saved")
    func victimPostsNeedToken() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let links = try await fixtures.issue(app, count: 2)
            var browser = VictimBrowser(client)
            try await VictimQuestionnaireTests.complete(&browser, token: links[0].token)
            let before = try await StoredState.fingerprint(app.db)
            for token in ["", "x", SecretToken.generate()] {
                for uri in ["/questionnaire/page/completed_by", "/questionnaire/submit"] {
                    let page = try await browser.post(uri, [("v2_completed_by", "helper"), ("csrf_token", token)], withCSRF: false)
                    #expect(page.status == .forbidden, "\(uri) with token '\(token)'")
                    #expect(page.html.contains("<h1"))
                }
            }
            #expect(try await StoredState.fingerprint(app.db) == before)
            try await browser.post("/questionnaire/submit", [])
            let done = try await browser.follow("/questionnaire/done")
            #expect(done.html.contains("Answers sent"))
            let submitted = try await StoredState.fingerprint(app.db)
            let withdraw = try await browser.post("/questionnaire/withdraw", [("csrf_token", "forged")], withCSRF: false)
            #expect(withdraw.status == .forbidden)
            #expect(try await StoredState.fingerprint(app.db) == submitted)
        }
    }

    // MARK: Rate limits

    @Test("guessing link tokens is refused after the limit, by GET and by POST, and then even a real link waits")
    func tokenGuessingLimited() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let link = try #require(try await fixtures.issue(app).first)
            var random = FuzzSettings.random(for: "token-guessing")
            var browser = VictimBrowser(client)
            var refusedAt: Int?
            for attempt in 1...40 {
                let guess = SecretToken.generate()
                let page =
                    attempt.isMultiple(of: 2) ? try await browser.get("/q/\(guess)") : try await browser.post("/q/\(guess)", [], withCSRF: false)
                #expect(page.status == .notFound || page.status == .tooManyRequests, "seed \(FuzzSettings.seed) attempt \(attempt)")
                if page.status == .tooManyRequests {
                    refusedAt = refusedAt ?? attempt
                    #expect(page.html.contains("<h1"))
                }
                _ = random.next()
            }
            // The limit is 30 failed look-ups per window: the 30th is counted and answered "too many attempts".
            #expect(refusedAt == 30, "refused from the 30th wrong guess in the window")
            #expect(try await browser.get("/q/\(link.token)").status == .tooManyRequests)
            #expect(try await browser.post("/start", [("code", "ABCDE-FGHJK")], withCSRF: false).status == .tooManyRequests)
            // A new window lets the real link work again.
            app.clock.advance(by: 16 * 60)
            #expect(try await browser.get("/q/\(link.token)").status == .ok)
        }
    }

    @Test("guessing access codes on the code page is refused after the limit too")
    func codeGuessingLimited() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let link = try #require(try await fixtures.issue(app).first)
            var browser = VictimBrowser(client)
            var random = FuzzSettings.random(for: "code-guessing")
            let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
            var statuses: [HTTPResponse.Status] = []
            for _ in 1...35 {
                let code = String((0..<10).map { _ in random.pick(alphabet) })
                statuses.append(try await browser.post("/start", [("code", code)], withCSRF: false).status)
            }
            #expect(statuses.prefix(30).allSatisfy { $0 == .notFound || $0 == .unprocessableContent }, "seed \(FuzzSettings.seed): \(statuses)")
            #expect(statuses.suffix(5).allSatisfy { $0 == .tooManyRequests }, "seed \(FuzzSettings.seed): \(statuses)")
            // The real code is refused while the limit holds, and works in the next window.
            #expect(try await browser.post("/start", [("code", link.code)], withCSRF: false).status == .tooManyRequests)
            app.clock.advance(by: 16 * 60)
            #expect(try await browser.post("/start", [("code", link.code)], withCSRF: false).status == .seeOther)
        }
    }

    // MARK: Headers

    @Test("the security headers are on every response: every page, redirect, export, error, asset and health check")
    func headersEverywhere() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await TestApp.run(configure: ProbeWorld.configure(folder: folder)) { client, app in
            let world = try await ProbeWorld.make(client, app)
            var checked = 0
            func check(_ response: TestResponse, _ label: String) {
                for field in SecurityHeaders.expected {
                    #expect(response.headers[field.name] == field.value, "\(label) (\(response.status)): \(field.name)")
                }
                if response.status != .ok || !label.contains("/assets/") {
                    #expect(response.headers[.cacheControl] == "no-store", "\(label): Cache-Control")
                }
                checked += 1
            }
            // Every staff route, signed in (allowed) and anonymous (a redirect).
            for route in app.dependencies.staffRoutes.all where route.path != "/sign-out" {
                let uri = world.path(route)
                let browser = world.browser(for: route)
                if route.method == .get {
                    check(try await browser.get(uri), "GET \(uri)")
                } else {
                    check(try await browser.raw(ProbeWorld.address(route, uri, token: browser.csrfToken), body: []), "POST \(uri) without a token")
                }
                check(try await StaffBrowser(client).get(uri), "anonymous GET \(uri)")
            }
            // The victim's journey, start to finish, and its refusals.
            let links = try await world.fixtures.issue(app, count: 1)
            var victim = VictimBrowser(client)
            for uri in [
                "/", "/healthz", "/start", "/privacy", "/accessibility", "/sign-in", "/q/\(links[0].token)", "/q/not-a-token", "/questionnaire",
            ] {
                try await victim.get(uri)
                check(try await client.execute(uri: uri, method: .get, headers: [.cookie: "sv_q=\(victim.cookie ?? "")"]), "GET \(uri)")
            }
            try await victim.post("/q/\(links[0].token)", [], withCSRF: false)
            for uri in [
                "/questionnaire", "/questionnaire/page/completed_by", "/questionnaire/check",
                "/questionnaire/language/cy?return=/questionnaire/check", "/questionnaire/page/nope", "/exit",
            ] {
                check(try await client.execute(uri: uri, method: .get, headers: [.cookie: "sv_q=\(victim.cookie ?? "")"]), "GET \(uri)")
            }
            // Errors: 404, 405, 400 (bad form), 403 (no token), 413 (too large), 429 (too many guesses), and assets.
            let errors: [(String, HTTPRequest.Method, [UInt8])] = [
                ("/no-such-page", .get, []),
                ("/healthz", .post, []),
                ("/assets/css/app.css", .get, []),
                ("/assets/no-such-file.css", .get, []),
                ("/admin/areas/new", .post, Array("name=%FF".utf8)),
                ("/admin/areas/new", .post, Array("name=x".utf8)),
                ("/admin/areas/new", .post, Array(repeating: UInt8(ascii: "a"), count: 2_000_000)),
            ]
            for (uri, method, body) in errors {
                check(
                    try await world.admin.raw(uri, method: method, body: body, contentType: "application/x-www-form-urlencoded"),
                    "\(method) \(uri)"
                )
            }
            for _ in 0..<31 { try await client.execute(uri: "/q/guess-\(UUID().uuidString)", method: .get) }
            let tooMany = try await client.execute(uri: "/q/guess", method: .get)
            #expect(tooMany.status == .tooManyRequests)
            check(tooMany, "GET /q/guess over the limit")
            #expect(checked > 100)
            print("security probe: headers checked on \(checked) responses")
        }
    }
}

/// The headers every response must carry, written out here so a change to the middleware is a visible test change.
enum SecurityHeaders {
    static let expected: HTTPFields = [
        .contentSecurityPolicy:
            "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
        HTTPField.Name("X-Frame-Options")!: "DENY",
        HTTPField.Name("Permissions-Policy")!: "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
        HTTPField.Name("Cross-Origin-Opener-Policy")!: "same-origin",
    ]
}
