import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Operations
import Postgres
import Testing
import Web

@Suite("Bad input on staff pages is refused with a clear page, the right status, and nothing changed")
struct AccountsBadInputTests {
    @Test("invalid UTF-8, raw or percent-encoded, gets a 400 page and changes nothing")
    func invalidUTF8() async throws {
        try await TestApp.run { client, app in
            let admin = try await app.signedIn(client, as: .admin)
            let token = try #require(admin.csrfToken)
            let before = try await app.accounts.store.users().count
            let prefix = Array("csrf_token=\(token)&role=inspector&organisation=&email=x%40example.gov.uk&display-name=".utf8)
            for tail: [UInt8] in [[0xC3, 0x28], Array("%FF%FE".utf8), Array("%C3%28".utf8), Array("%00".utf8)] {
                let response = try await admin.postRaw("/admin/users/new", body: prefix + tail)
                #expect(response.status == .badRequest)
                #expect(response.text.contains("could not be read"))
                #expect(!response.text.contains("URLEncodedForm"))
            }
            #expect(try await app.accounts.store.users().count == before)
        }
    }

    @Test("a malformed percent escape gets a 400 page")
    func malformedEscape() async throws {
        try await TestApp.run { client, app in
            let admin = try await app.signedIn(client, as: .admin)
            let response = try await admin.postRaw("/admin/areas/new", body: Array("csrf_token=\(admin.csrfToken ?? "")&name=%G1".utf8))
            #expect(response.status == .badRequest)
        }
    }

    @Test("oversized fields are refused: a long name gets a field error, a huge value a 400 page, a huge body a 413")
    func oversized() async throws {
        try await TestApp.run { client, app in
            let admin = try await app.signedIn(client, as: .admin)
            try await admin.get("/admin/users/new")
            let longName = try await admin.post(
                "/admin/users/new",
                [("display-name", String(repeating: "n", count: 101)), ("email", "long@example.gov.uk"), ("role", "inspector"), ("organisation", "")]
            )
            #expect(longName.status == .badRequest)
            #expect(longName.text.contains("Their full name must be 100 characters or fewer"))
            #expect(!longName.text.contains(String(repeating: "n", count: 101)))
            let longEmail = try await admin.post(
                "/admin/users/new",
                [
                    ("display-name", "Ok"), ("email", String(repeating: "e", count: 250) + "@example.gov.uk"), ("role", "inspector"),
                    ("organisation", ""),
                ]
            )
            #expect(longEmail.status == .badRequest)
            #expect(longEmail.text.contains("Email address must be 254 characters or fewer"))
            let huge = try await admin.post("/admin/users/new", [("display-name", String(repeating: "x", count: 20_000))])
            #expect(huge.status == .badRequest)
            #expect(huge.text.contains("too long"))
            let body = try await admin.post("/admin/users/new", [("display-name", String(repeating: "x", count: 300_000))])
            #expect(body.status == .contentTooLarge)
            let signIn = StaffBrowser(client)
            try await signIn.get("/sign-in")
            let longPassword = try await signIn.post(
                "/sign-in",
                [("email", "admin@example.gov.uk"), ("password", String(repeating: "p", count: 201))]
            )
            #expect(longPassword.status == .badRequest)
            #expect(try await app.accounts.store.users().count == 1)
        }
    }

    @Test("too many fields get a 400 page")
    func tooManyFields() async throws {
        try await TestApp.run { client, app in
            let admin = try await app.signedIn(client, as: .admin)
            let fields = (0..<150).map { ("f\($0)", "v") }
            #expect(try await admin.post("/admin/areas/new", fields).status == .badRequest)
        }
    }

    @Test("a forged or malformed session cookie leads to the sign-in page and is cleared; no page shows an error dump")
    func forgedCookies() async throws {
        try await TestApp.run { client, app in
            try await app.createUser("admin@example.gov.uk", role: .admin)
            for forged in [SecretToken.generate(), "short", String(repeating: "A", count: 43), "'; DROP TABLE staff_session; --", "%00%FF"] {
                let browser = StaffBrowser(client)
                browser.setCookie(Accounts.sessionCookie, forged)
                let response = try await browser.get("/admin/users")
                #expect(response.status == .seeOther, "\(forged)")
                #expect(response.headers[.location]?.hasPrefix("/sign-in") == true)
                #expect(
                    response.headers[values: .setCookie].contains {
                        $0.hasPrefix("sv_session=;") || $0.hasPrefix("sv_session=") && $0.contains("Max-Age=0")
                    }
                )
                let post = try await browser.post("/admin/users/new", [("display-name", "x")], csrf: "x")
                #expect(post.status == .seeOther)
            }
            #expect(try await app.db.query("SELECT 1 FROM staff_session").isEmpty)
            #expect(try await app.accounts.store.users().count == 1)
        }
    }

    @Test("unknown ids in admin URLs get the 404 page")
    func unknownIDs() async throws {
        try await TestApp.run { client, app in
            let admin = try await app.signedIn(client, as: .admin)
            #expect(try await admin.get("/admin/users/999999").status == .notFound)
            #expect(try await admin.get("/admin/users/not-a-number").status == .notFound)
            #expect(try await admin.post("/admin/users/999999/disable", []).status == .notFound)
        }
    }

    @Test("every staff page carries Cache-Control: no-store and the security headers")
    func staffHeaders() async throws {
        try await TestApp.run { client, app in
            let admin = try await app.signedIn(client, as: .admin)
            for uri in ["/sign-in", "/staff", "/account/password", "/admin/users", "/admin/users/new", "/admin/organisations", "/admin/audit"] {
                let response = try await admin.get(uri)
                #expect(response.status == .ok, "\(uri)")
                #expect(response.headers[.cacheControl] == "no-store", "\(uri)")
                let csp = response.headers[.contentSecurityPolicy] ?? ""
                #expect(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"), "\(uri)")
                #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer", "\(uri)")
                #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff", "\(uri)")
                #expect(response.headers[HTTPField.Name("Permissions-Policy")!] != nil, "\(uri)")
                #expect(!response.text.contains("<script"), "\(uri)")
                #expect(!response.text.contains("style="), "\(uri)")
            }
            let redirect = try await StaffBrowser(client).get("/admin/users")
            #expect(redirect.headers[.cacheControl] == "no-store")
        }
    }
}
