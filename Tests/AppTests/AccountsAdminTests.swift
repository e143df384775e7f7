import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Operations
import Postgres
import Testing
import Web

@Suite("Admin pages: users, organisations, audit log")
struct AccountsAdminTests {
    /// The temporary password on a "User added" or "Password reset" page.
    static func temporaryPassword(in html: String) throws -> String {
        let marker = try #require(html.range(of: "id=\"temporary-password\">"))
        let rest = html[marker.upperBound...]
        return String(rest[..<(try #require(rest.firstIndex(of: "<")))])
    }

    @Test("an admin adds an inspector, who signs in with the temporary password once and must choose their own")
    func createUser() async throws {
        try await TestApp.run { client, app in
            let admin = try await app.signedIn(client, as: .admin)
            try await admin.get("/admin/users/new")
            let created = try await admin.post(
                "/admin/users/new",
                [("display-name", "Ffion Jones"), ("email", "Ffion@Example.gov.uk"), ("role", "inspector"), ("organisation", "")]
            )
            #expect(created.status == .ok)
            #expect(created.text.contains("User added"))
            let temporary = try Self.temporaryPassword(in: created.text)
            #expect(temporary.count == 23)
            let user = try #require(try await app.accounts.store.users().first { $0.email == "ffion@example.gov.uk" })
            #expect(user.role == .inspector)
            #expect(user.mustChangePassword)
            #expect(user.organisationID == (try await app.accounts.store.inspectorateID()))
            let ffion = StaffBrowser(client)
            try await ffion.get("/sign-in")
            let signIn = try await ffion.post("/sign-in", [("email", "ffion@example.gov.uk"), ("password", temporary)])
            #expect(signIn.headers[.location] == "/account/password")
            let entries = try await app.accounts.audit.entries(
                {
                    var f = AuditFilter()
                    f.event = "user.created"
                    return f
                }()
            )
            #expect(entries.contains { $0.subjectID == String(user.id) && $0.actorEmail == "admin@example.gov.uk" })
            #expect(!entries.contains { $0.details.contains(temporary) })
        }
    }

    @Test("a VLO needs a provider, and inspectors and admins cannot belong to one; the database refuses it too")
    func organisationFitsRole() async throws {
        try await TestApp.run { client, app in
            let provider = try await app.providerOrganisation()
            let admin = try await app.signedIn(client, as: .admin)
            try await admin.get("/admin/users/new")
            let noProvider = try await admin.post(
                "/admin/users/new",
                [("display-name", "V"), ("email", "v@example.gov.uk"), ("role", "vlo"), ("organisation", "")]
            )
            #expect(noProvider.status == .badRequest)
            #expect(noProvider.text.contains("Select the provider the Victim Liaison Officer works for"))
            let inspectorInProvider = try await admin.post(
                "/admin/users/new",
                [("display-name", "I"), ("email", "i@example.gov.uk"), ("role", "inspector"), ("organisation", String(provider))]
            )
            #expect(inspectorInProvider.status == .badRequest)
            let vlo = try await admin.post(
                "/admin/users/new",
                [("display-name", "V"), ("email", "v@example.gov.uk"), ("role", "vlo"), ("organisation", String(provider))]
            )
            #expect(vlo.status == .ok)
            // The schema holds the rule even for code that skips the page's checks.
            await #expect(throws: PostgresError.self) {
                try await app.db.execute("UPDATE staff_user SET role = 'inspector' WHERE email = 'v@example.gov.uk'")
            }
        }
    }

    @Test("a provider survey coordinator is managed like a VLO: a provider is needed, and the database holds the rule")
    func surveyCoordinatorBelongsToAProvider() async throws {
        try await TestApp.run { client, app in
            let provider = try await app.providerOrganisation()
            let admin = try await app.signedIn(client, as: .admin)
            let form = try await admin.get("/admin/users/new")
            #expect(form.text.contains("value=\"survey_coordinator\""))
            #expect(form.text.contains("Provider survey coordinator"))
            let noProvider = try await admin.post(
                "/admin/users/new",
                [("display-name", "C"), ("email", "c@example.gov.uk"), ("role", "survey_coordinator"), ("organisation", "")]
            )
            #expect(noProvider.status == .badRequest)
            #expect(noProvider.text.contains("Select the provider the provider survey coordinator works for"))
            #expect(try await app.accounts.store.users().allSatisfy { $0.email != "c@example.gov.uk" })
            let added = try await admin.post(
                "/admin/users/new",
                [("display-name", "C"), ("email", "c@example.gov.uk"), ("role", "survey_coordinator"), ("organisation", String(provider))]
            )
            #expect(added.status == .ok)
            let user = try #require(try await app.accounts.store.users().first { $0.email == "c@example.gov.uk" })
            #expect(user.role == .surveyCoordinator)
            #expect(user.organisationID == provider)
            #expect(user.maySeeWork(of: provider))
            #expect(!user.maySeeWork(of: provider + 1_000))
            // The generated organisation kind makes the database refuse a coordinator in the inspectorate, and an
            // inspector in a provider.
            let inspectorate = try await app.accounts.store.inspectorateID()
            await #expect(throws: PostgresError.self) {
                try await app.db.execute("UPDATE staff_user SET organisation_id = \(inspectorate) WHERE email = 'c@example.gov.uk'")
            }
            await #expect(throws: PostgresError.self) {
                try await app.db.execute("UPDATE staff_user SET role = 'inspector' WHERE email = 'c@example.gov.uk'")
            }
            await #expect(throws: PostgresError.self) {
                try await app.db.execute("UPDATE staff_user SET role = 'surveyor' WHERE email = 'c@example.gov.uk'")
            }
        }
    }

    @Test("a duplicate email is refused with a message on the field")
    func duplicateEmail() async throws {
        try await TestApp.run { client, app in
            let admin = try await app.signedIn(client, as: .admin)
            try await admin.get("/admin/users/new")
            let response = try await admin.post(
                "/admin/users/new",
                [("display-name", "Again"), ("email", "ADMIN@example.gov.uk"), ("role", "inspector"), ("organisation", "")]
            )
            #expect(response.status == .badRequest)
            #expect(response.text.contains("There is already a user with that email address"))
            #expect(response.text.contains("href=\"#email\""))
        }
    }

    @Test("an admin changes a user's role and organisation, and the change is audited")
    func changeRole() async throws {
        try await TestApp.run { client, app in
            let provider = try await app.providerOrganisation()
            let id = try await app.createUser("person@example.gov.uk", role: .inspector, name: "Person")
            let admin = try await app.signedIn(client, as: .admin)
            let page = try await admin.get("/admin/users/\(id)")
            #expect(page.text.contains("value=\"inspector\" checked"))
            let response = try await admin.post(
                "/admin/users/\(id)",
                [("display-name", "Person Renamed"), ("role", "vlo"), ("organisation", String(provider))]
            )
            #expect(response.status == .seeOther)
            let user = try #require(try await app.accounts.store.user(id: id))
            #expect(user.role == .vlo)
            #expect(user.organisationID == provider)
            #expect(user.displayName == "Person Renamed")
            #expect(try await app.accounts.audit.entries(AuditFilter()).contains { $0.event == "user.updated" && $0.details.contains("vlo") })
        }
    }

    @Test("an admin cannot change their own role or disable themselves")
    func noSelfLockout() async throws {
        try await TestApp.run { client, app in
            let admin = try await app.signedIn(client, as: .admin)
            let me = try #require(try await app.accounts.store.credentials(email: "admin@example.gov.uk")).user
            try await admin.get("/admin/users/\(me.id)")
            let demote = try await admin.post("/admin/users/\(me.id)", [("display-name", "Me"), ("role", "inspector"), ("organisation", "")])
            #expect(demote.status == .badRequest)
            #expect(demote.text.contains("You cannot change your own role"))
            let disable = try await admin.post("/admin/users/\(me.id)/disable", [])
            #expect(disable.status == .badRequest)
            #expect(try await app.accounts.store.user(id: me.id)?.role == .admin)
            #expect(try await app.accounts.store.user(id: me.id)?.active == true)
        }
    }

    @Test("disabling a user ends their sessions at once and stops them signing in")
    func disableUser() async throws {
        try await TestApp.run { client, app in
            let vlo = try await app.signedIn(client, as: .vlo)
            let id = try #require(try await app.accounts.store.credentials(email: "vlo@example.gov.uk")).user.id
            let admin = try await app.signedIn(client, as: .admin)
            try await admin.get("/admin/users/\(id)/disable")
            #expect(try await admin.post("/admin/users/\(id)/disable", []).status == .seeOther)
            #expect(try await vlo.get("/staff").status == .seeOther)
            let again = StaffBrowser(client)
            try await again.get("/sign-in")
            #expect(try await again.post("/sign-in", [("email", "vlo@example.gov.uk"), ("password", TestApp.password)]).status == .badRequest)
            #expect(try await admin.get("/admin/users").text.contains("Disabled"))
        }
    }

    @Test("resetting a password ends the user's sessions and gives a temporary password that must be changed")
    func resetPassword() async throws {
        try await TestApp.run { client, app in
            let inspector = try await app.signedIn(client, as: .inspector)
            let id = try #require(try await app.accounts.store.credentials(email: "inspector@example.gov.uk")).user.id
            let admin = try await app.signedIn(client, as: .admin)
            try await admin.get("/admin/users/\(id)/reset-password")
            let response = try await admin.post("/admin/users/\(id)/reset-password", [])
            #expect(response.status == .ok)
            let temporary = try Self.temporaryPassword(in: response.text)
            #expect(try await inspector.get("/staff").status == .seeOther)
            let old = StaffBrowser(client)
            try await old.get("/sign-in")
            #expect(try await old.post("/sign-in", [("email", "inspector@example.gov.uk"), ("password", TestApp.password)]).status == .badRequest)
            let fresh = StaffBrowser(client)
            try await fresh.get("/sign-in")
            let signIn = try await fresh.post("/sign-in", [("email", "inspector@example.gov.uk"), ("password", temporary)])
            #expect(signIn.headers[.location] == "/account/password")
        }
    }

    @Test("an admin adds an area and a provider; the provider becomes an organisation VLOs can belong to")
    func organisations() async throws {
        try await TestApp.run { client, app in
            let admin = try await app.signedIn(client, as: .admin)
            try await admin.get("/admin/areas/new")
            let area = try await admin.post(
                "/admin/areas/new",
                [
                    ("code", "CYMRU"), ("name", "Wales"), ("country", "wales"), ("valid-from-day", "1"), ("valid-from-month", "6"),
                    ("valid-from-year", "2014"),
                ]
            )
            #expect(area.status == .seeOther)
            let areaID = try #require(try await app.accounts.store.areas().first?.id)
            let page = try await admin.get("/admin/organisations/new")
            #expect(page.text.contains("Wales (CYMRU)"))
            let bad = try await admin.post(
                "/admin/organisations/new",
                [
                    ("code", "nps wales"), ("name", ""), ("area", String(areaID)), ("valid-from-day", "31"), ("valid-from-month", "2"),
                    ("valid-from-year", "2014"),
                ]
            )
            #expect(bad.status == .badRequest)
            #expect(bad.text.contains("Code must be up to 20 capital letters"))
            #expect(bad.text.contains("Enter the provider’s name"))
            #expect(bad.text.contains("Select the kind of provider"))
            #expect(bad.text.contains("Enter a real date"))
            let created = try await admin.post(
                "/admin/organisations/new",
                [
                    ("code", "NPS-WALES"), ("name", "NPS Wales"), ("kind", "nps"), ("area", String(areaID)), ("valid-from-day", "1"),
                    ("valid-from-month", "6"), ("valid-from-year", "2014"),
                ]
            )
            #expect(created.status == .seeOther)
            let list = try await admin.get("/admin/organisations")
            #expect(list.text.contains("NPS Wales"))
            #expect(list.text.contains("National Probation Service division"))
            #expect(try await app.accounts.audit.entries(AuditFilter()).contains { $0.event == "organisation.created" })
            let form = try await admin.get("/admin/users/new")
            #expect(form.text.contains(">NPS Wales</option>"))
        }
    }

    @Test("the audit log page lists entries newest first and filters by event, user and date")
    func auditPage() async throws {
        try await TestApp.run { client, app in
            let admin = try await app.signedIn(client, as: .admin)
            let vlo = StaffBrowser(client)
            try await app.createUser("vlo@example.gov.uk", role: .vlo)
            try await vlo.get("/sign-in")
            try await vlo.post("/sign-in", [("email", "vlo@example.gov.uk"), ("password", "not it at all")])
            let all = try await admin.get("/admin/audit")
            #expect(all.status == .ok)
            #expect(all.text.contains("sign_in.failed"))
            #expect(all.text.contains("sign_in.succeeded"))
            #expect(all.text.contains("<option value=\"sign_in.failed\">sign_in.failed</option>"), "the filter lists recorded events")
            let failed = try await admin.get("/admin/audit?event=sign_in.failed")
            #expect(failed.text.contains("wrong_password"))
            #expect(!failed.text.contains("<td class=\"govuk-table__cell\">sign_in.succeeded</td>"))
            let adminID = try #require(try await app.accounts.store.credentials(email: "admin@example.gov.uk")).user.id
            let byAdmin = try await admin.get("/admin/audit?user=\(adminID)")
            #expect(byAdmin.text.contains("<td class=\"govuk-table__cell\">sign_in.succeeded</td>"))
            #expect(!byAdmin.text.contains("<td class=\"govuk-table__cell\">sign_in.failed</td>"))
            let vloID = try #require(try await app.accounts.store.credentials(email: "vlo@example.gov.uk")).user.id
            let aboutVLO = try await admin.get("/admin/audit?subject=user:\(vloID)")
            #expect(aboutVLO.text.contains("Showing entries about user:\(vloID)"))
            #expect(aboutVLO.text.contains("<td class=\"govuk-table__cell\">sign_in.failed</td>"))
            #expect(!aboutVLO.text.contains("<td class=\"govuk-table__cell\">sign_in.succeeded</td>"))
            #expect(try await admin.get("/admin/audit?subject=nonsense").status == .badRequest)
            let future = try await admin.get("/admin/audit?from=2099-01-01")
            #expect(future.text.contains("No entries match"))
            let badDate = try await admin.get("/admin/audit?from=yesterday")
            #expect(badDate.status == .badRequest)
            #expect(badDate.text.contains("Enter the date as YYYY-MM-DD"))
        }
    }
}
