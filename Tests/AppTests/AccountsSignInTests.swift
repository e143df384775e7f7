import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Operations
import Postgres
import Testing
import Web

@Suite("Signing in and out")
struct AccountsSignInTests {
    @Test("a correct email and password start a session with an HttpOnly, SameSite, Secure cookie holding only a random id")
    func signInSetsCookie() async throws {
        let configure: @Sendable (inout AppConfiguration) -> Void = { $0.cookieSecure = true }
        try await TestApp.run(configure: configure) { client, app in
            try await app.createUser("inspector@example.gov.uk", role: .inspector)
            let browser = StaffBrowser(client)
            try await browser.get("/sign-in")
            let response = try await browser.post("/sign-in", [("email", "Inspector@Example.gov.uk "), ("password", TestApp.password)])
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/staff")
            let cookie = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("sv_session=") })
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Lax"))
            #expect(cookie.contains("Secure"))
            let id = try #require(browser.cookies[Accounts.sessionCookie])
            #expect(id.count == 43)
            // Only the SHA-256 of the id is stored.
            let stored = try await app.db.query("SELECT encode(id_hash, 'hex') AS h FROM staff_session")
            #expect(stored.count == 1)
            let hash: String = try stored[0].decode("h")
            #expect(hash == SecretToken.sha256(id).map { String(format: "%02x", $0) }.joined())
            let home = try await browser.get("/staff")
            #expect(home.status == .ok)
            #expect(home.text.contains("Signed in as Test User"))
        }
    }

    @Test("COOKIE_SECURE=false (the default) leaves Secure off the session cookie for local use")
    func cookieNotSecureWhenConfigured() async throws {
        let configure: @Sendable (inout AppConfiguration) -> Void = { $0.cookieSecure = false }
        try await TestApp.run(configure: configure) { client, app in
            try await app.createUser("inspector@example.gov.uk", role: .inspector)
            let browser = StaffBrowser(client)
            try await browser.get("/sign-in")
            let response = try await browser.post("/sign-in", [("email", "inspector@example.gov.uk"), ("password", TestApp.password)])
            let cookie = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("sv_session=") })
            #expect(!cookie.contains("Secure"))
            #expect(cookie.contains("HttpOnly"))
        }
    }

    @Test("a wrong password, an unknown email and a disabled account all get the same message and status, and are audited")
    func genericFailure() async throws {
        try await TestApp.run { client, app in
            let id = try await app.createUser("vlo@example.gov.uk", role: .vlo)
            let disabledID = try await app.createUser("gone@example.gov.uk", role: .inspector)
            _ = try await app.accounts.store.disable(id: disabledID, audit: app.accounts.audit, actor: .commandLine)
            var bodies: [String] = []
            for (email, password) in [
                ("vlo@example.gov.uk", "not the right password"), ("nobody@example.gov.uk", TestApp.password),
                ("gone@example.gov.uk", TestApp.password),
            ] {
                let browser = StaffBrowser(client)
                try await browser.get("/sign-in")
                let response = try await browser.post("/sign-in", [("email", email), ("password", password)])
                #expect(response.status == .badRequest)
                #expect(browser.cookies[Accounts.sessionCookie] == nil)
                #expect(response.text.contains("Enter a correct email address and password"))
                #expect(!response.text.contains(password))
                bodies.append(
                    response.text.replacingOccurrences(of: email, with: "EMAIL").replacingOccurrences(of: browser.csrfToken ?? "-", with: "TOKEN")
                )
            }
            #expect(Set(bodies).count == 1)
            let failures = try await app.accounts.audit.entries(
                {
                    var f = AuditFilter()
                    f.event = "sign_in.failed"
                    return f
                }()
            )
            #expect(failures.count == 3)
            #expect(failures.contains { $0.subjectID == String(id) && $0.details.contains("wrong_password") })
            #expect(failures.contains { $0.subjectID == nil && $0.details.contains("unknown_account") })
            #expect(try await app.db.query("SELECT 1 FROM staff_session").isEmpty)
        }
    }

    @Test("signing in again replaces the browser's session id, and the old id no longer works")
    func sessionRotatedAtSignIn() async throws {
        try await TestApp.run { client, app in
            try await app.createUser("inspector@example.gov.uk", role: .inspector)
            let browser = StaffBrowser(client)
            try await browser.signIn("inspector@example.gov.uk", TestApp.password)
            let first = try #require(browser.cookies[Accounts.sessionCookie])
            try await browser.signIn("inspector@example.gov.uk", TestApp.password)
            let second = try #require(browser.cookies[Accounts.sessionCookie])
            #expect(first != second)
            let replay = StaffBrowser(client)
            replay.setCookie(Accounts.sessionCookie, first)
            let response = try await replay.get("/staff")
            #expect(response.status == .seeOther)
            #expect(response.headers[.location]?.hasPrefix("/sign-in") == true)
            #expect(try await app.db.query("SELECT 1 FROM staff_session").count == 1)
        }
    }

    @Test("signing out ends the session: replaying its cookie leads to the sign-in page, and the audit log has it")
    func signOut() async throws {
        try await TestApp.run { client, app in
            let browser = try await app.signedIn(client, as: .vlo)
            let cookie = try #require(browser.cookies[Accounts.sessionCookie])
            let response = try await browser.post("/sign-out", [])
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/sign-in?signed-out=1")
            #expect(browser.cookies[Accounts.sessionCookie] == nil)
            let page = try await browser.get("/sign-in?signed-out=1")
            #expect(page.text.contains("You have signed out"))
            let replay = StaffBrowser(client)
            replay.setCookie(Accounts.sessionCookie, cookie)
            #expect(try await replay.get("/staff").status == .seeOther)
            let events = try await app.accounts.audit.entries(AuditFilter()).map(\.event)
            #expect(events.contains("sign_out"))
            #expect(events.contains("sign_in.succeeded"))
        }
    }

    @Test("after five failures the account is locked with a growing delay, even for the right password, and unlocks in time")
    func accountThrottling() async throws {
        try await TestApp.run { client, app in
            try await app.createUser("inspector@example.gov.uk", role: .inspector)
            let browser = StaffBrowser(client)
            try await browser.get("/sign-in")
            for _ in 0..<5 {
                let response = try await browser.post("/sign-in", [("email", "inspector@example.gov.uk"), ("password", "wrong password here")])
                #expect(response.status == .badRequest)
            }
            // The sixth failure locks the account for 30 seconds.
            #expect(
                try await browser.post("/sign-in", [("email", "inspector@example.gov.uk"), ("password", "wrong password here")]).status == .badRequest
            )
            let locked = try await browser.post("/sign-in", [("email", "INSPECTOR@example.gov.uk"), ("password", TestApp.password)])
            #expect(locked.status == .tooManyRequests)
            #expect(locked.headers[.retryAfter] == "30")
            #expect(locked.text.contains("Too many attempts"))
            #expect(browser.cookies[Accounts.sessionCookie] == nil)
            // The delay grows: the next failure after the lock ends locks for 60 seconds.
            app.clock.advance(by: 31)
            #expect(
                try await browser.post("/sign-in", [("email", "inspector@example.gov.uk"), ("password", "wrong password here")]).status == .badRequest
            )
            let longer = try await browser.post("/sign-in", [("email", "inspector@example.gov.uk"), ("password", TestApp.password)])
            #expect(longer.status == .tooManyRequests)
            #expect(longer.headers[.retryAfter] == "60")
            app.clock.advance(by: 61)
            try await browser.signIn("inspector@example.gov.uk", TestApp.password)
            // Success clears the account's count.
            #expect(try await app.db.query("SELECT 1 FROM sign_in_throttle WHERE scope = 'account'").isEmpty)
        }
    }

    @Test("an unknown email is throttled exactly like a known one")
    func unknownEmailThrottled() async throws {
        try await TestApp.run { client, _ in
            let browser = StaffBrowser(client)
            try await browser.get("/sign-in")
            for _ in 0..<6 { try await browser.post("/sign-in", [("email", "nobody@example.gov.uk"), ("password", "wrong password here")]) }
            let response = try await browser.post("/sign-in", [("email", "nobody@example.gov.uk"), ("password", "wrong password here")])
            #expect(response.status == .tooManyRequests)
        }
    }

    @Test("one client address is limited across accounts; another address is not affected; the limit survives a new app on the same database")
    func addressThrottling() async throws {
        let policy = {
            var policy = ThrottlePolicy()
            policy.addressLimit = 3
            return policy
        }()
        let configure: @Sendable (inout AppConfiguration) -> Void = { $0.trustForwardedFor = true }
        try await TestApp.run(configure: configure, throttle: policy) { client, app in
            try await app.createUser("inspector@example.gov.uk", role: .inspector)
            let attacker = StaffBrowser(client)
            attacker.headers[HTTPField.Name("X-Forwarded-For")!] = "203.0.113.9"
            try await attacker.get("/sign-in")
            for index in 0..<3 {
                try await attacker.post("/sign-in", [("email", "guess\(index)@example.gov.uk"), ("password", "wrong password here")])
            }
            let refused = try await attacker.post("/sign-in", [("email", "inspector@example.gov.uk"), ("password", TestApp.password)])
            #expect(refused.status == .tooManyRequests)
            // The lock is a row in PostgreSQL, so another instance sees it too.
            let other = Accounts(
                configuration: app.dependencies.configuration,
                database: app.db,
                passwordPolicy: app.accounts.passwordPolicy,
                throttlePolicy: policy,
                now: { app.clock.now }
            )
            #expect(try await other.throttle.lockedUntil(email: "someone@example.gov.uk", address: "203.0.113.9") != nil)
            let colleague = StaffBrowser(client)
            colleague.headers[HTTPField.Name("X-Forwarded-For")!] = "198.51.100.7"
            try await colleague.signIn("inspector@example.gov.uk", TestApp.password)
        }
    }

    @Test("the sign-in page sends people back where they were going, and never to another site")
    func returnPath() async throws {
        try await TestApp.run { client, app in
            try await app.createUser("admin@example.gov.uk", role: .admin)
            let anonymous = StaffBrowser(client)
            let redirect = try await anonymous.get("/admin/users?x=1")
            #expect(redirect.status == .seeOther)
            #expect(redirect.headers[.location] == "/sign-in?return=/admin/users%3Fx%3D1")
            try await anonymous.get("/sign-in?return=/admin/users%3Fx%3D1")
            let response = try await anonymous.post(
                "/sign-in",
                [("email", "admin@example.gov.uk"), ("password", TestApp.password), ("return", "/admin/users?x=1")]
            )
            #expect(response.headers[.location] == "/admin/users?x=1")
            for hostile in ["//evil.example/", "https://evil.example/", "/\\evil.example"] {
                let browser = StaffBrowser(client)
                try await browser.get("/sign-in")
                let signIn = try await browser.post(
                    "/sign-in",
                    [("email", "admin@example.gov.uk"), ("password", TestApp.password), ("return", hostile)]
                )
                #expect(signIn.headers[.location] == "/staff", "\(hostile)")
            }
        }
    }
}
