import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import TestSupport
import Testing

@testable import Domain
@testable import Operations
@testable import Web

/// Issue 18, item 3: what a security reviewer expects by default, each attacked.
@Suite("Secure defaults: cookies, HSTS, the link secret's file, cross-site starts, upload jobs")
struct SecureDefaultsTests {
    // MARK: Cookies and HSTS

    @Test("cookies are Secure whenever PUBLIC_BASE_URL is https; COOKIE_SECURE only changes that when given")
    func cookieSecureFollowsTheAddress() throws {
        #expect(try AppConfiguration(environment: [:]).cookieSecure == false)
        #expect(try AppConfiguration(environment: ["PUBLIC_BASE_URL": "http://views.example.gov.uk"]).cookieSecure == false)
        #expect(try AppConfiguration(environment: ["PUBLIC_BASE_URL": "https://views.example.gov.uk"]).cookieSecure == true)
        #expect(try AppConfiguration(environment: ["PUBLIC_BASE_URL": "https://views.example.gov.uk", "COOKIE_SECURE": ""]).cookieSecure == true)
        #expect(
            try AppConfiguration(environment: ["PUBLIC_BASE_URL": "https://views.example.gov.uk", "COOKIE_SECURE": "false"]).cookieSecure == false
        )
        #expect(try AppConfiguration(environment: ["COOKIE_SECURE": "true"]).cookieSecure == true)
        #expect(try AppConfiguration(environment: ["PUBLIC_BASE_URL": "https://views.example.gov.uk"]).sendsHSTS)
        #expect(try !AppConfiguration(environment: ["PUBLIC_BASE_URL": "http://views.example.gov.uk"]).sendsHSTS)
    }

    /// Every cookie the response sets is Secure, HttpOnly and has a SameSite attribute.
    static func expectCookieRules(_ response: TestResponse, secure: Bool, _ label: String) {
        for cookie in response.headers[values: .setCookie] {
            let attributes = cookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            #expect(attributes.contains("secure") == secure, "\(label): \(cookie)")
            #expect(attributes.contains("httponly"), "\(label): \(cookie)")
            #expect(attributes.contains { $0.hasPrefix("samesite=") }, "\(label): \(cookie)")
            #expect(!attributes.contains { $0.hasPrefix("domain=") }, "\(label): \(cookie) is not host-only")
        }
    }

    @Test("over https, every route in the catalogue and every victim page sends HSTS and only Secure, HttpOnly, SameSite cookies")
    func httpsEverywhere() async throws {
        let folder = NSTemporaryDirectory() + "sv-https-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let configure: (inout AppConfiguration) -> Void = {
            ProbeWorld.configure(folder: folder)(&$0)
            $0.publicBaseURL = "https://views.example.gov.uk"
        }
        try await TestApp.run(configure: configure) { client, app in
            let world = try await ProbeWorld.make(client, app)
            var checked = 0
            var cookies = 0
            func check(_ response: TestResponse, _ label: String) {
                #expect(
                    response.headers[.strictTransportSecurity] == "max-age=63072000; includeSubDomains",
                    "\(label) (\(response.status)): Strict-Transport-Security"
                )
                Self.expectCookieRules(response, secure: true, label)
                #expect(response.headers[.server] == nil, "\(label): a Server header names the software")
                #expect(response.headers[.accessControlAllowOrigin] == nil, "\(label): a CORS header")
                cookies += response.headers[values: .setCookie].count
                checked += 1
            }
            for route in app.dependencies.staffRoutes.all where route.path != "/sign-out" {
                let uri = world.path(route)
                let browser = world.browser(for: route)
                if route.method == .get {
                    check(try await browser.get(uri), "GET \(uri)")
                } else {
                    check(try await browser.raw(ProbeWorld.address(route, uri, token: browser.csrfToken), body: []), "POST \(uri)")
                }
                check(try await StaffBrowser(client).get(uri), "anonymous GET \(uri)")
            }
            // Sign-in sets the session cookie (and the pre-session one), sign-out clears it.
            let signIn = StaffBrowser(client)
            check(try await signIn.get("/sign-in"), "GET /sign-in")
            try await app.createUser("https@example.gov.uk", role: .inspector)
            check(try await signIn.post("/sign-in", [("email", "https@example.gov.uk"), ("password", TestApp.password)]), "POST /sign-in")
            check(try await signIn.post("/sign-out", []), "POST /sign-out")
            // The victim's journey sets and clears its session cookie.
            let links = try await world.fixtures.issue(app, count: 1)
            var victim = VictimBrowser(client)
            for uri in ["/", "/healthz", "/start", "/privacy", "/q/\(links[0].token)", "/assets/css/app.css", "/no-such-page"] {
                check(try await client.execute(uri: uri, method: .get), "GET \(uri)")
            }
            let started = try await client.execute(
                uri: "/q/\(links[0].token)",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"]
            )
            check(started, "POST /q/TOKEN")
            #expect(started.headers[values: .setCookie].contains { $0.hasPrefix("sv_q=") })
            try await victim.get("/q/\(links[0].token)")
            check(try await client.execute(uri: "/exit", method: .get, headers: [.cookie: "sv_q=x"]), "GET /exit")
            #expect(checked > 60)
            #expect(cookies >= 4, "the walk set cookies to check")
        }
    }

    @Test("over plain http (development) there is no HSTS header; folders of static files are never listed")
    func noHSTSOverHTTP() async throws {
        let plainHTTP: (inout AppConfiguration) -> Void = { $0.publicBaseURL = "http://127.0.0.1:8080" }
        try await TestApp.run(configure: plainHTTP) { client, _ in
            for uri in ["/", "/start", "/sign-in", "/healthz", "/no-such-page"] {
                #expect(try await client.execute(uri: uri, method: .get).headers[.strictTransportSecurity] == nil, "\(uri)")
            }
            // A folder is a 404 page (or a redirect to one), never a list of its files; a way out of Public is refused.
            for uri in ["/assets", "/assets/", "/assets/css", "/assets/css/", "/assets/../sql/0080_tamper_evidence.sql", "/assets/%2e%2e/sql"] {
                let response = try await client.execute(uri: uri, method: .get)
                #expect([.notFound, .movedPermanently, .badRequest].contains(response.status), "\(uri): \(response.status)")
                let body = String(buffer: response.body)
                #expect(!body.contains("href=\"app.css\"") && !body.contains(">app.css<") && !body.contains("tamper"), "\(uri) lists or serves files")
            }
            // Methods no route has are refused (404 or 405), never served.
            for (uri, method) in [("/healthz", HTTPRequest.Method.post), ("/", .delete), ("/start", .put)] {
                let status = try await client.execute(uri: uri, method: method).status
                #expect([.notFound, .methodNotAllowed].contains(status), "\(method) \(uri): \(status)")
            }
        }
    }

    @Test("staff passwords are salted: two bcrypt hashes of one password differ, and both verify")
    func passwordHashesSalted() async throws {
        let hasher = PasswordHasher(cost: 4)
        let first = try await hasher.hash("purple elephant marmalade")
        let second = try await hasher.hash("purple elephant marmalade")
        #expect(first != second)
        #expect(try await hasher.verify("purple elephant marmalade", hash: first))
        #expect(try await hasher.verify("purple elephant marmalade", hash: second))
    }

    // MARK: The link secret's file

    static func folder() throws -> String {
        let folder = NSTemporaryDirectory() + "sv-secret-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test("the link secret file is created with mode 0600 even under a permissive umask, and read back the same")
    func secretFileCreatedPrivate() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let previous = umask(0)
        defer { umask(previous) }
        let first = try LinkSecrets.load(environment: [:], dataDirectory: folder)
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: folder + "/link-secret")[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        let again = try LinkSecrets.load(environment: [:], dataDirectory: folder)
        #expect(first.code(for: "AAAAAAAAAAAAAAAAAAAAAAAAAA") == again.code(for: "AAAAAAAAAAAAAAAAAAAAAAAAAA"))
    }

    @Test("a link secret file with mode 0644 is refused at start with the chmod to run, and is left as it was")
    func widerModeRefused() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/link-secret"
        let text = String(repeating: "ab", count: 32)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o644]))
        for mode in [0o644, 0o640, 0o604, 0o660] {
            chmod(path, mode_t(mode))
            do {
                _ = try LinkSecrets.load(environment: [:], dataDirectory: folder)
                Issue.record("mode \(String(mode, radix: 8)) accepted")
            } catch {
                #expect("\(error)".contains("has mode \(String(mode, radix: 8))"))
                #expect("\(error)".contains("chmod 600 \(path)"))
            }
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == text)
        // LINK_SECRET set: the file is not read at all.
        #expect((try? LinkSecrets.load(environment: ["LINK_SECRET": text], dataDirectory: folder)) != nil)
    }

    @Test("a link or folder planted at the secret's path is refused, never followed or overwritten")
    func plantedPathRefused() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let target = folder + "/elsewhere"
        #expect(FileManager.default.createFile(atPath: target, contents: Data("keep".utf8), attributes: [.posixPermissions: 0o600]))
        try FileManager.default.createSymbolicLink(atPath: folder + "/link-secret", withDestinationPath: target)
        #expect(throws: (any Error).self) { try LinkSecrets.load(environment: [:], dataDirectory: folder) }
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep")
        // A dangling link: O_EXCL refuses to create through it.
        try FileManager.default.removeItem(atPath: target)
        #expect(throws: (any Error).self) { try LinkSecrets.load(environment: [:], dataDirectory: folder) }
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    // MARK: Cross-site starts (session planting)

    @Test("another site's page cannot start a questionnaire (link or code) in the victim's browser: 403, no session, link unused")
    func crossSiteStartRefused() async throws {
        let https: (inout AppConfiguration) -> Void = { $0.publicBaseURL = "https://views.example.gov.uk" }
        try await TestApp.run(configure: https) { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let links = try await fixtures.issue(app, count: 2)
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            let attacks: [(String, HTTPFields)] = [
                ("Sec-Fetch-Site cross-site", [HTTPField.Name("Sec-Fetch-Site")!: "cross-site"]),
                ("Sec-Fetch-Site same-site", [HTTPField.Name("Sec-Fetch-Site")!: "same-site"]),
                ("Origin of another site", [.origin: "https://evil.example"]),
                ("Origin of the http twin", [.origin: "http://views.example.gov.uk"]),
            ]
            for (label, extra) in attacks {
                var headers = form
                for field in extra { headers[field.name] = field.value }
                let byLink = try await client.execute(
                    uri: "/q/\(links[0].token)",
                    method: .post,
                    headers: headers,
                    body: ByteBuffer(string: "action=start")
                )
                #expect(byLink.status == .forbidden, "\(label): link")
                #expect(byLink.headers[values: .setCookie].isEmpty, "\(label): link set a cookie")
                let byCode = try await client.execute(
                    uri: "/start",
                    method: .post,
                    headers: headers,
                    body: ByteBuffer(string: "code=\(links[1].code)")
                )
                #expect(byCode.status == .forbidden, "\(label): code")
                #expect(byCode.headers[values: .setCookie].isEmpty, "\(label): code set a cookie")
            }
            let sessions = try await app.db.query("SELECT count(*) AS n FROM victim_session")[0].decode("n", as: Int.self)
            #expect(sessions == 0)
            let started = try await app.db.query("SELECT count(*) AS n FROM invitation WHERE started_at IS NOT NULL")[0].decode("n", as: Int.self)
            #expect(started == 0)
            // The victim's own browser (same origin, by either header) still starts.
            var same = form
            same[HTTPField.Name("Sec-Fetch-Site")!] = "same-origin"
            same[.origin] = "null"  // what browsers send under Referrer-Policy: no-referrer
            let own = try await client.execute(uri: "/q/\(links[0].token)", method: .post, headers: same, body: ByteBuffer(string: "action=start"))
            #expect(own.status == .seeOther, "same-origin start: \(own.status)")
            var origin = form
            origin[.origin] = "https://views.example.gov.uk"
            let byOrigin = try await client.execute(uri: "/start", method: .post, headers: origin, body: ByteBuffer(string: "code=\(links[1].code)"))
            #expect(byOrigin.status == .seeOther, "same-origin code: \(byOrigin.status)")
        }
    }

    // MARK: Upload jobs

    @Test("a survey upload job is seen only by its uploader and administrators: another inspector gets 404 on every job route")
    func uploadJobsPrivate() async throws {
        let folder = NSTemporaryDirectory() + "sv-jobs-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await TestApp.run(configure: ProbeWorld.configure(folder: folder)) { client, app in
            let world = try await ProbeWorld.make(client, app)
            let job = SurveyImportRoutes.basePath + "/jobs/\(world.jobID)"
            #expect(try await world.inspector.get(job).status == .ok, "the uploader")
            #expect(try await world.admin.get(job).status == .ok, "an administrator")
            let other = try await app.signedIn(client, as: .inspector, email: "other-inspector@example.gov.uk")
            #expect(try await other.get(job).status == .notFound)
            #expect(try await other.get(job + "/problems.csv").status == .notFound)
            let before = try await app.db.query("SELECT phase FROM survey_import_job WHERE id = \(world.jobID)::uuid")[0].decode(
                "phase",
                as: String.self
            )
            let post = try await other.raw(job + "/import?csrf_token=\(other.csrfToken ?? "")", body: Array("accept_valid_rows=yes".utf8))
            #expect(post.status == .notFound)
            let after = try await app.db.query("SELECT phase FROM survey_import_job WHERE id = \(world.jobID)::uuid")[0].decode(
                "phase",
                as: String.self
            )
            #expect(before == after)
        }
    }
}
