import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Operations
import Postgres
import Testing
import Web

@Suite("Staff sessions: expiry, ending, forms kept across expiry")
struct AccountsSessionTests {
    @Test("a session unused for 30 minutes has ended; one used within that time carries on")
    func idleTimeout() async throws {
        try await TestApp.run { client, app in
            let browser = try await app.signedIn(client, as: .inspector)
            app.clock.advance(by: 29 * 60)
            #expect(try await browser.get("/staff").status == .ok)
            app.clock.advance(by: 29 * 60)
            #expect(try await browser.get("/staff").status == .ok)
            app.clock.advance(by: 30 * 60)
            let expired = try await browser.get("/staff")
            #expect(expired.status == .seeOther)
            #expect(expired.headers[.location] == "/sign-in?return=/staff")
            #expect(browser.cookies[Accounts.sessionCookie] == nil)
        }
    }

    @Test("a session ends 12 hours after sign-in however busy it is")
    func absoluteTimeout() async throws {
        try await TestApp.run { client, app in
            let browser = try await app.signedIn(client, as: .inspector)
            for _ in 0..<28 {  // 11 hours 40 minutes
                app.clock.advance(by: 25 * 60)
                #expect(try await browser.get("/staff").status == .ok)
            }
            app.clock.advance(by: 25 * 60)  // 12 hours 5 minutes after sign-in
            #expect(try await browser.get("/staff").status == .seeOther)
        }
    }

    @Test("the idle and absolute timeouts follow the configuration")
    func configuredTimeouts() async throws {
        let configure: @Sendable (inout AppConfiguration) -> Void = { $0.sessionIdleTimeout = .seconds(120) }
        try await TestApp.run(configure: configure) { client, app in
            let browser = try await app.signedIn(client, as: .inspector)
            app.clock.advance(by: 100)
            #expect(try await browser.get("/staff").status == .ok)
            app.clock.advance(by: 121)
            #expect(try await browser.get("/staff").status == .seeOther)
        }
    }

    @Test("changing one's password ends every other session of that user but keeps this browser signed in")
    func passwordChangeEndsOtherSessions() async throws {
        try await TestApp.run { client, app in
            let id = try await app.createUser("inspector@example.gov.uk", role: .inspector)
            let laptop = StaffBrowser(client)
            try await laptop.signIn("inspector@example.gov.uk", TestApp.password)
            let phone = StaffBrowser(client)
            try await phone.signIn("inspector@example.gov.uk", TestApp.password)
            #expect(try await app.accounts.sessions.count(userID: id) == 2)
            try await laptop.get("/account/password")
            let new = "purple elephant marmalade"
            let response = try await laptop.post(
                "/account/password",
                [("current-password", TestApp.password), ("new-password", new), ("confirm-password", new)]
            )
            #expect(response.status == .seeOther)
            #expect(try await laptop.get("/staff?password-changed=1").text.contains("Your password has been changed"))
            #expect(try await phone.get("/staff").status == .seeOther)
            #expect(try await app.accounts.sessions.count(userID: id) == 1)
            let fresh = StaffBrowser(client)
            try await fresh.signIn("inspector@example.gov.uk", new)
            #expect(try await app.accounts.audit.entries(AuditFilter()).contains { $0.event == "user.password_changed" })
        }
    }

    @Test("a new password must be long enough, not common, confirmed, and the current password must be right")
    func passwordRules() async throws {
        try await TestApp.run { client, app in
            let browser = try await app.signedIn(client, as: .vlo)
            try await browser.get("/account/password")
            let cases: [(String, String, String, String)] = [
                ("wrong current password", "purple elephant marmalade", "purple elephant marmalade", "Your current password is not correct"),
                (TestApp.password, "short", "short", "Password must be 12 characters or more"),
                (TestApp.password, "Password1234", "Password1234", "That password is too common"),
                (TestApp.password, "purple elephant marmalade", "purple elephant", "The passwords do not match"),
                (TestApp.password, "vlo@example.gov.uk", "vlo@example.gov.uk", "must not be your email address"),
            ]
            for (current, new, confirm, message) in cases {
                let response = try await browser.post(
                    "/account/password",
                    [("current-password", current), ("new-password", new), ("confirm-password", confirm)]
                )
                #expect(response.status == .badRequest, "\(message)")
                #expect(response.text.contains(message), "\(message)")
                #expect(response.text.contains("govuk-error-summary"))
                #expect(!response.text.contains(new), "the password is not echoed back")
            }
            let fresh = StaffBrowser(client)
            try await fresh.signIn("vlo@example.gov.uk", TestApp.password)
        }
    }

    @Test("a form posted after the session expired is kept: after signing in again the person lands on the page with their input")
    func formKeptAcrossExpiry() async throws {
        try await TestApp.run { client, app in
            let browser = try await app.signedIn(client, as: .admin)
            try await browser.get("/admin/users/new")
            app.clock.advance(by: 31 * 60)
            let posted = try await browser.post(
                "/admin/users/new",
                [("display-name", "Ffion Jones"), ("email", "ffion@example.gov.uk"), ("role", "inspector"), ("organisation", "")]
            )
            #expect(posted.status == .seeOther)
            let location = try #require(posted.headers[.location])
            #expect(location.hasPrefix("/sign-in?return=/admin/users/new&restore="))
            // Nothing was created.
            #expect(try await app.accounts.store.users().count == 1)
            let signInPage = try await browser.get(location)
            #expect(signInPage.text.contains("what you entered has been kept"))
            let restore = String(location.split(separator: "restore=")[1])
            let signIn = try await browser.post(
                "/sign-in",
                [("email", "admin@example.gov.uk"), ("password", TestApp.password), ("return", "/admin/users/new"), ("restore", restore)]
            )
            #expect(signIn.headers[.location] == "/admin/users/new?restore=\(restore)")
            let form = try await browser.get("/admin/users/new?restore=\(restore)")
            #expect(form.status == .ok)
            #expect(form.text.contains("value=\"Ffion Jones\""))
            #expect(form.text.contains("value=\"ffion@example.gov.uk\""))
            #expect(form.text.contains("value=\"inspector\" checked"))
            #expect(form.text.contains("This is what you entered before you were signed out"))
            // Used once.
            #expect(!(try await browser.get("/admin/users/new?restore=\(restore)").text.contains("Ffion Jones")))
            #expect(try await app.db.query("SELECT 1 FROM form_stash").isEmpty)
        }
    }

    @Test("a kept form is never shown to someone else, and passwords and tokens are never kept")
    func keptFormIsPrivate() async throws {
        try await TestApp.run { client, app in
            let browser = try await app.signedIn(client, as: .admin)
            try await browser.get("/account/password")
            app.clock.advance(by: 31 * 60)
            let posted = try await browser.post("/admin/users/new", [("display-name", "Secret Name"), ("new-password", "hunter2 hunter2")])
            let location = try #require(posted.headers[.location])
            let restore = String(location.split(separator: "restore=")[1])
            let stored = try await app.db.query("SELECT fields::text AS f FROM form_stash")
            let fields: String = try stored[0].decode("f")
            #expect(fields.contains("Secret Name"))
            #expect(!fields.contains("hunter2"))
            #expect(!fields.contains("csrf_token"))
            let other = try await app.signedIn(client, as: .admin, email: "other-admin@example.gov.uk")
            let page = try await other.get("/admin/users/new?restore=\(restore)")
            #expect(page.status == .ok)
            #expect(!page.text.contains("Secret Name"))
        }
    }

    @Test("a post after expiry without the session's token is not kept")
    func expiredPostWithoutTokenNotKept() async throws {
        try await TestApp.run { client, app in
            let browser = try await app.signedIn(client, as: .admin)
            app.clock.advance(by: 31 * 60)
            let posted = try await browser.post("/admin/users/new", [("display-name", "Forged")], csrf: "")
            #expect(posted.status == .seeOther)
            #expect(posted.headers[.location] == "/sign-in?return=/admin/users/new")
            #expect(try await app.db.query("SELECT 1 FROM form_stash").isEmpty)
        }
    }
}

@Suite("Session housekeeping")
struct AccountsSessionHousekeepingTests {
    @Test("signing in removes sessions and kept forms that can no longer be used")
    func cleanup() async throws {
        try await TestApp.run { client, app in
            let old = try await app.signedIn(client, as: .admin)
            try await old.get("/admin/users/new")
            app.clock.advance(by: 31 * 60)
            try await old.post("/admin/users/new", [("display-name", "Kept")])
            #expect(try await app.db.query("SELECT 1 FROM form_stash").count == 1)
            let stale = try await app.signedIn(client, as: .vlo)
            app.clock.advance(by: 31 * 60)
            _ = stale
            // The stash (30 minutes) and the VLO's idle session have both run out; the next sign-in clears them.
            try await StaffBrowser(client).signIn("admin@example.gov.uk", TestApp.password)
            #expect(try await app.db.query("SELECT 1 FROM form_stash").isEmpty)
            #expect(try await app.db.query("SELECT 1 FROM staff_session").count == 1)
        }
    }

    @Test("wrong current passwords on the change-password page count towards the account's throttle")
    func changePasswordThrottled() async throws {
        try await TestApp.run { client, app in
            let browser = try await app.signedIn(client, as: .inspector)
            try await browser.get("/account/password")
            let new = "purple elephant marmalade"
            for _ in 0..<6 {
                try await browser.post(
                    "/account/password",
                    [("current-password", "guess guess guess"), ("new-password", new), ("confirm-password", new)]
                )
            }
            let locked = try await browser.post(
                "/account/password",
                [("current-password", TestApp.password), ("new-password", new), ("confirm-password", new)]
            )
            #expect(locked.status == .badRequest)
            #expect(locked.text.contains("Too many wrong passwords"))
            let fresh = StaffBrowser(client)
            try await fresh.get("/sign-in")
            #expect(
                try await fresh.post("/sign-in", [("email", "inspector@example.gov.uk"), ("password", TestApp.password)]).status == .tooManyRequests
            )
        }
    }
}
