import Domain
import Foundation
import Operations
import Postgres
import Testing
import Web

@Suite("The user commands")
struct AccountsCommandLineTests {
    @Test("user create makes the first admin in the inspectorate; the password rules apply; the audit log names the command line")
    func createAdmin() async throws {
        try await TestApp.run { client, app in
            let commands = AccountsCommandLine(accounts: app.accounts)
            await #expect(throws: AccountsCommandLine.Failure.self) {
                try await commands.createUser(email: "admin@example.gov.uk", displayName: "Ada", role: .admin, providerCode: nil, password: "short")
            }
            await #expect(throws: AccountsCommandLine.Failure.self) {
                try await commands.createUser(email: "not-an-email", displayName: "Ada", role: .admin, providerCode: nil, password: TestApp.password)
            }
            let id = try await commands.createUser(
                email: "Admin@Example.gov.uk",
                displayName: "Ada",
                role: .admin,
                providerCode: nil,
                password: TestApp.password
            )
            let user = try #require(try await app.accounts.store.user(id: id))
            #expect(user.email == "admin@example.gov.uk")
            #expect(user.role == .admin)
            #expect(!user.mustChangePassword)
            #expect(try await commands.listUsers() == ["\(id)\tadmin@example.gov.uk\tadmin\tHM Inspectorate of Probation\tactive"])
            let entry = try #require(try await app.accounts.audit.entries(AuditFilter()).first)
            #expect(entry.event == "user.created")
            #expect(entry.clientAddress == "command-line")
            await #expect(throws: AccountsCommandLine.Failure.self) {
                try await commands.createUser(
                    email: "admin@example.gov.uk",
                    displayName: "Ada",
                    role: .admin,
                    providerCode: nil,
                    password: TestApp.password
                )
            }
            try await StaffBrowser(client).signIn("admin@example.gov.uk", TestApp.password)
        }
    }

    @Test("a VLO needs the code of an existing provider; others cannot have one")
    func vloProvider() async throws {
        try await TestApp.run { _, app in
            let commands = AccountsCommandLine(accounts: app.accounts)
            let provider = try await app.providerOrganisation()
            await #expect(throws: AccountsCommandLine.Failure.self) {
                try await commands.createUser(email: "v@example.gov.uk", displayName: "V", role: .vlo, providerCode: nil, password: TestApp.password)
            }
            await #expect(throws: AccountsCommandLine.Failure.self) {
                try await commands.createUser(
                    email: "v@example.gov.uk",
                    displayName: "V",
                    role: .vlo,
                    providerCode: "NOPE",
                    password: TestApp.password
                )
            }
            await #expect(throws: AccountsCommandLine.Failure.self) {
                try await commands.createUser(
                    email: "i@example.gov.uk",
                    displayName: "I",
                    role: .inspector,
                    providerCode: "NPS-WALES",
                    password: TestApp.password
                )
            }
            let id = try await commands.createUser(
                email: "v@example.gov.uk",
                displayName: "V",
                role: .vlo,
                providerCode: "NPS-WALES",
                password: TestApp.password
            )
            #expect(try await app.accounts.store.user(id: id)?.organisationID == provider)
        }
    }

    @Test("a survey coordinator, like a VLO, needs the code of an existing provider")
    func surveyCoordinatorProvider() async throws {
        try await TestApp.run { _, app in
            let commands = AccountsCommandLine(accounts: app.accounts)
            let provider = try await app.providerOrganisation()
            await #expect(throws: AccountsCommandLine.Failure.self) {
                try await commands.createUser(
                    email: "c@example.gov.uk",
                    displayName: "C",
                    role: .surveyCoordinator,
                    providerCode: nil,
                    password: TestApp.password
                )
            }
            let id = try await commands.createUser(
                email: "c@example.gov.uk",
                displayName: "C",
                role: .surveyCoordinator,
                providerCode: "NPS-WALES",
                password: TestApp.password
            )
            let user = try await app.accounts.store.user(id: id)
            #expect(user?.organisationID == provider)
            #expect(user?.role == .surveyCoordinator)
        }
    }

    @Test("user set-password and user disable end the user's sessions")
    func setPasswordAndDisable() async throws {
        try await TestApp.run { client, app in
            let commands = AccountsCommandLine(accounts: app.accounts)
            let browser = try await app.signedIn(client, as: .inspector)
            try await commands.setPassword(email: "INSPECTOR@example.gov.uk", password: "purple elephant marmalade")
            #expect(try await browser.get("/staff").status == .seeOther)
            try await StaffBrowser(client).signIn("inspector@example.gov.uk", "purple elephant marmalade")
            await #expect(throws: AccountsCommandLine.Failure.self) {
                try await commands.setPassword(email: "inspector@example.gov.uk", password: "password1234")
            }
            try await commands.disable(email: "inspector@example.gov.uk")
            #expect(
                try await app.accounts.sessions.count(
                    userID: try #require(try await app.accounts.store.credentials(email: "inspector@example.gov.uk")).user.id
                ) == 0
            )
            await #expect(throws: AccountsCommandLine.Failure.self) { try await commands.disable(email: "nobody@example.gov.uk") }
        }
    }
}
