import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Operations
import Postgres
import Testing
import Web

/// Every sentencer-meeting suite, one test at a time: each drives many requests against its own schema, and running
/// them all at once beside the other suites exhausts the test cluster's connections.
@Suite("Sentencer meetings", .serialized)
struct SentencerTests {}

/// Inspectors assigned to the fixture inspection, and helpers that fill in the sentencer schedule over HTTP.
struct SentencerWorld {
    let app: TestApp
    let fixtures: Fixtures
    let client: any TestClientProtocol

    static func make(_ client: any TestClientProtocol, _ app: TestApp) async throws -> SentencerWorld {
        SentencerWorld(app: app, fixtures: try await Fixtures.make(app.db), client: client)
    }

    /// Creates inspectors with these emails, assigns them all to the inspection, and signs each in.
    func assignedInspectors(_ emails: [String]) async throws -> [StaffBrowser] {
        var ids: [Int] = []
        for email in emails { ids.append(Int(try await app.createUser(email, role: .inspector, name: "Inspector \(email.prefix(1).uppercased())"))) }
        try await InspectionStore(database: app.db).assign(inspectionID: fixtures.inspectionID, inspectors: ids, lead: ids.first)
        var browsers: [StaffBrowser] = []
        for email in emails {
            let browser = StaffBrowser(client)
            try await browser.signIn(email, TestApp.password)
            browsers.append(browser)
        }
        return browsers
    }

    /// One assigned inspector.
    func assignedInspector() async throws -> StaffBrowser {
        try await assignedInspectors(["ann@example.gov.uk"])[0]
    }

    var listPath: String { "/inspections/\(fixtures.inspectionID)/sentencer-meetings" }
    var newPath: String { "/inspections/\(fixtures.inspectionID)/sentencer-meetings/new" }

    /// A valid first page.
    static func meetingFields(format: String = "bench_group", day: String = "20", month: String = "11", year: String = "2026") -> [(String, String)] {
        [
            ("meeting_date-day", day), ("meeting_date-month", month), ("meeting_date-year", year), ("meeting_format", format),
            ("court_type", "magistrates"), ("week_plus_2", "no"), ("meeting_mode", "in_person"), ("court_name", "Cardiff Magistrates' Court"),
        ]
    }

    /// Records a meeting's first page and returns the new meeting's id.
    func startMeeting(
        _ browser: StaffBrowser,
        format: String = "bench_group",
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Int64 {
        try await browser.get(newPath)
        let response = try await browser.post(newPath, Self.meetingFields(format: format))
        #expect(response.status == .seeOther, sourceLocation: sourceLocation)
        let location = try #require(response.headers[.location], sourceLocation: sourceLocation)
        let id = location.split(separator: "/").dropFirst().first.flatMap { Int64($0) }
        return try #require(id, sourceLocation: sourceLocation)
    }

    static func pagePath(_ meeting: Int64, _ page: String) -> String { "/sentencer-meetings/\(meeting)/pages/\(page)" }

    /// Opens a page (to get its revision) and posts `fields` on it.
    @discardableResult
    func savePage(_ browser: StaffBrowser, _ meeting: Int64, _ page: String, _ fields: [(String, String)]) async throws -> TestResponse {
        let form = try await browser.get(Self.pagePath(meeting, page))
        let revision = try #require(Self.revision(in: form.text))
        return try await browser.post(Self.pagePath(meeting, page), fields + [("revision", revision)])
    }

    /// Fills in every page after the first with valid answers.
    func completeMeeting(_ browser: StaffBrowser, _ meeting: Int64) async throws {
        try await savePage(browser, meeting, "attendees", [("attendees_lay_magistrate", "3"), ("attendees_legal_adviser", "1")])
        for topic in ["t1", "t2", "t3", "t4", "t5", "t6", "t7"] {
            let response = try await savePage(
                browser,
                meeting,
                topic,
                [("\(topic)_rating", "fairly_confident"), ("\(topic)_evidence", "Notes for \(topic)")]
            )
            #expect(response.status == .seeOther, "\(topic)")
        }
        try await savePage(browser, meeting, "t8", [("t8_evidence", "Nothing else")])
    }

    /// The hidden revision field's value on a page.
    static func revision(in html: String) -> String? {
        guard let range = html.range(of: "name=\"revision\" value=\"") else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    /// The meeting's stored revision, status and answers (as JSON text).
    func stored(_ meeting: Int64) async throws -> (revision: Int, status: String, answers: String) {
        let row = try await app.db.query("SELECT revision, status, answers::text AS answers FROM sentencer_meeting WHERE id = \(meeting)")[0]
        return (try row.decode("revision"), try row.decode("status"), try row.decode("answers"))
    }

    /// How many audit entries have `event` for this meeting.
    func auditCount(_ event: String, meeting: Int64) async throws -> Int {
        try await app.db.query(
            """
            SELECT count(*)::int AS n FROM audit_event
            WHERE event = \(event) AND subject_type = 'sentencer_meeting' AND subject_id = \(String(meeting))
            """
        )[0].decode("n")
    }
}
