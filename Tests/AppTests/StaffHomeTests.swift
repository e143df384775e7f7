import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

@testable import Domain
@testable import Operations
@testable import Web

/// Issue 23, item 3: the staff home is a task list per role, each item linking to where the work is done.
@Suite("Staff home: what to do next")
struct StaffHomeTests {
    @Test("dates as GOV.UK writes them")
    func govukDates() throws {
        #expect(try #require(LocalDate(iso: "2026-11-01")).govuk == "1 November 2026")
        #expect(try #require(LocalDate(iso: "2027-01-31")).govuk == "31 January 2027")
    }

    @Test("inspector: window, answers to review, draft meetings, the report; VLO: their links; administrator: inspections without a lead")
    func taskLists() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            try await insertVictimResponses(app, fixtures, count: 2, answers: #"{"v19_helped_most": {"text": "Kind."}}"#)
            let admin = try await app.signedIn(client, as: .admin)
            // Before anyone is assigned: the administrator is told the inspection has no lead inspector.
            var home = try await admin.get("/staff")
            #expect(home.status == .ok && home.text.contains("1 inspection without a lead inspector."))
            #expect(home.text.contains("href=\"/inspections\">Assign lead inspectors"))

            let lead = try await app.signedIn(client, as: .inspector, email: "lead@example.gov.uk")
            let other = try await app.signedIn(client, as: .inspector, email: "other@example.gov.uk")
            let ids = try await app.db.query(
                "SELECT id FROM staff_user WHERE email IN ('lead@example.gov.uk', 'other@example.gov.uk') ORDER BY email"
            )
            .map { try $0.decode("id", as: Int.self) }
            try await InspectionStore(database: app.db).assign(inspectionID: fixtures.inspectionID, inspectors: [ids[0]], lead: ids[0])
            let base = "/inspections/\(fixtures.inspectionID)"
            home = try await lead.get("/staff")
            #expect(home.text.contains("Wales 2026"))
            // The test clock is 26 November 2026: the window runs 9 November to 21 December.
            #expect(home.text.contains("The victim questionnaire window is open until 21 December 2026. 2 victim responses so far."))
            #expect(home.text.contains("2 free-text answers waiting for review.") && home.text.contains("href=\"\(base)/report/free-text\""))
            #expect(home.text.contains("href=\"\(base)/report\">Read the report"))
            #expect(!home.text.contains("Publish the report"), "not while the window is open")
            // An inspector assigned to nothing is told so.
            #expect(try await other.get("/staff").text.contains("You are not assigned to an inspection that is under way."))

            // A VLO sees the inspections covering their provider, with their own links.
            let vlo = try await app.vlo(client, provider: fixtures.providerA, email: "vlo-a@example.gov.uk")
            _ = try await fixtures.issue(app, count: 3, provider: fixtures.providerA)
            _ = try await fixtures.issue(app, count: 5, provider: fixtures.providerB)
            home = try await vlo.get("/staff")
            #expect(home.text.contains("Your organisation has issued 3 links: 0 answered online, 3 not answered yet."))
            #expect(home.text.contains("href=\"/links/\(fixtures.inspectionID)\">Issue or find questionnaire links"))

            // After the window: the lead is offered publication once the answers are reviewed.
            try app.moveClock(to: "2026-12-22")
            let later = try await app.signedIn(client, as: .inspector, email: "lead2@example.gov.uk")
            let laterID = try await app.db.query("SELECT id FROM staff_user WHERE email = 'lead2@example.gov.uk'")[0].decode("id", as: Int.self)
            try await InspectionStore(database: app.db).assign(inspectionID: fixtures.inspectionID, inspectors: [laterID], lead: laterID)
            home = try await later.get("/staff")
            #expect(home.text.contains("The victim questionnaire window has closed."))
            #expect(home.text.contains("The report can be published once the work above is done.") && home.text.contains("href=\"\(base)/publish\""))
        }
    }
}
