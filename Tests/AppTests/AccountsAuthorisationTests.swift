import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Operations
import Postgres
import Testing
import Web

@Suite("Authorisation: the role matrix and CSRF")
struct AccountsAuthorisationTests {
    @Test("every staff route answers each role as Role.permissions says, and sends anonymous visitors to sign in")
    func roleMatrix() async throws {
        let folder = NSTemporaryDirectory() + "sv-matrix-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await TestApp.run(configure: ProbeWorld.configure(folder: folder)) { client, app in
            let routes = app.dependencies.staffRoutes.all
            #expect(routes.count >= 17)
            #expect(Set(routes.map(\.permission)) == Set(Permission.allCases), "every permission guards at least one route")
            // Real objects behind every parameter: the inspection (with the inspector assigned and the VLO's provider
            // inspected), a meeting, a link, a user and an upload job, so an allowed role reaches the handler.
            let world = try await ProbeWorld.make(client, app)
            let browsers: [Role: StaffBrowser] = [
                .admin: world.admin, .inspector: world.inspector, .vlo: world.vlo, .surveyCoordinator: world.coordinator,
            ]
            #expect(Set(browsers.keys) == Set(Role.allCases), "a browser for every role")
            for route in routes {
                let uri = world.path(route)
                // Anonymous: redirected to sign in, GET or POST.
                let anonymous = StaffBrowser(client)
                let response = route.method == .get ? try await anonymous.get(uri) : try await anonymous.post(uri, [])
                #expect(response.status == .seeOther, "anonymous \(route.method) \(uri)")
                #expect(response.headers[.location]?.hasPrefix("/sign-in?return=") == true, "anonymous \(route.method) \(uri)")
                for role in Role.allCases where route.path != "/sign-out" {
                    let browser = try #require(browsers[role])
                    // Posts carry a valid token, so only the permission decides. The empty form fails validation,
                    // or (disable, reset password, close the window) acts on the world's objects.
                    let response =
                        route.method == .get
                        ? try await browser.get(uri)
                        : try await browser.raw(
                            ProbeWorld.address(route, uri, token: browser.csrfToken),
                            body: route.tokenInAddress ? [] : StaffBrowser.encode([("csrf_token", browser.csrfToken ?? "")]),
                            contentType: "application/x-www-form-urlencoded"
                        )
                    // An empty list of inspectors un-assigns everyone: put the inspector back.
                    if route.method == .post { try await world.reassign() }
                    let allowed = role.permissions.contains(route.permission)
                    if allowed {
                        #expect(response.status != .forbidden && response.status.code < 500, "\(role) \(route.method) \(uri): \(response.status)")
                        // (A job that has not been checked yet has no problem list to download.)
                        if !route.path.hasSuffix("problems.csv") {
                            #expect(response.status != .notFound, "\(role) \(route.method) \(uri): the world has no object for this route")
                        }
                        #expect(response.headers[.location]?.hasPrefix("/sign-in") != true, "\(role) \(route.method) \(uri)")
                    } else {
                        #expect(response.status == .forbidden, "\(role) \(route.method) \(uri): \(response.status)")
                        #expect(response.text.contains("You do not have permission"), "\(role) \(route.method) \(uri)")
                    }
                }
            }
        }
    }

    @Test("the matrix: only administrators manage users and organisations and read the audit log; only VLOs issue links")
    func matrixDeclaration() {
        #expect(Role.admin.permissions == Set(Permission.allCases).subtracting([.issueLinks, .issueSurveyCodes]))
        #expect(
            Role.inspector.permissions == [
                .useStaffPages, .manageInspections, .enterPaperReturns, .importSurvey, .recordSentencerMeetings, .viewReport, .publishReport,
                .viewProgrammes,
            ]
        )
        #expect(Role.vlo.permissions == [.useStaffPages, .issueLinks])
        #expect(Role.surveyCoordinator.permissions == [.useStaffPages, .issueSurveyCodes])
        #expect(Role.surveyCoordinator.organisationKind == .provider)
    }

    @Test("a staff POST without a CSRF token, or with another session's token, gets 403 and changes nothing")
    func csrfRefused() async throws {
        try await TestApp.run { client, app in
            let admin = try await app.signedIn(client, as: .admin)
            let other = try await app.signedIn(client, as: .admin, email: "second@example.gov.uk")
            let before = try await app.accounts.store.users().count
            let fields = [("display-name", "New Person"), ("email", "new@example.gov.uk"), ("role", "inspector"), ("organisation", "")]
            for token in ["", "x", String(repeating: "a", count: 43), try #require(other.csrfToken)] {
                let response = try await admin.post("/admin/users/new", fields, csrf: token)
                #expect(response.status == .forbidden, "token \(token)")
                #expect(response.text.contains("You cannot do that"))
            }
            #expect(try await app.accounts.store.users().count == before)
            // With the right token it works.
            let accepted = try await admin.post("/admin/users/new", fields)
            #expect(accepted.status == .ok)
            #expect(try await app.accounts.store.users().count == before + 1)
        }
    }

    @Test("a stale token from a session that has ended is refused after signing in again")
    func staleToken() async throws {
        try await TestApp.run { client, app in
            let admin = try await app.signedIn(client, as: .admin)
            let stale = try #require(admin.csrfToken)
            try await admin.post("/sign-out", [])
            try await admin.signIn("admin@example.gov.uk", TestApp.password)
            #expect(admin.csrfToken != stale)
            let response = try await admin.post("/admin/areas/new", [("code", "X"), ("name", "X")], csrf: stale)
            #expect(response.status == .forbidden)
            #expect(try await app.accounts.store.areas().isEmpty)
        }
    }

    @Test("signing out needs the token too, so another site cannot sign people out")
    func signOutNeedsToken() async throws {
        try await TestApp.run { client, app in
            let browser = try await app.signedIn(client, as: .vlo)
            #expect(try await browser.post("/sign-out", [], csrf: "").status == .forbidden)
            #expect(try await browser.get("/staff").status == .ok)
        }
    }

    @Test("the sign-in form needs the token from its pre-session cookie")
    func signInCSRF() async throws {
        try await TestApp.run { client, app in
            try await app.createUser("inspector@example.gov.uk", role: .inspector)
            let browser = StaffBrowser(client)
            let page = try await browser.get("/sign-in")
            let cookie = try #require(page.headers[values: .setCookie].first { $0.hasPrefix("sv_presession=") })
            #expect(cookie.contains("SameSite=Strict"))
            let fields = [("email", "inspector@example.gov.uk"), ("password", TestApp.password)]
            #expect(try await browser.post("/sign-in", fields, csrf: "").status == .forbidden)
            #expect(try await browser.post("/sign-in", fields, csrf: SecretToken.generate()).status == .forbidden)
            let token = try #require(browser.csrfToken)
            let noCookie = StaffBrowser(client)
            #expect(try await noCookie.post("/sign-in", fields, csrf: token).status == .forbidden)
            #expect(try await app.db.query("SELECT 1 FROM staff_session").isEmpty)
            #expect(try await browser.post("/sign-in", fields).status == .seeOther)
        }
    }

    @Test("someone with a temporary password can only change it until they have")
    func mustChangePassword() async throws {
        try await TestApp.run { client, app in
            try await app.createUser("new@example.gov.uk", role: .inspector, mustChange: true)
            let browser = StaffBrowser(client)
            try await browser.get("/sign-in")
            let signIn = try await browser.post("/sign-in", [("email", "new@example.gov.uk"), ("password", TestApp.password)])
            #expect(signIn.headers[.location] == "/account/password")
            let blocked = try await browser.get("/staff")
            #expect(blocked.status == .seeOther)
            #expect(blocked.headers[.location] == "/account/password")
            let page = try await browser.get("/account/password")
            #expect(page.text.contains("You signed in with a temporary password"))
            let new = "purple elephant marmalade"
            try await browser.post("/account/password", [("current-password", TestApp.password), ("new-password", new), ("confirm-password", new)])
            #expect(try await browser.get("/staff").status == .ok)
        }
    }
}
