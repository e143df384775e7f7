import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Operations
import Postgres
import Testing
import Web

@Suite("Report: free-text review, redaction and safeguarding")
struct ReportFreeTextTests {
    @Test("redaction replaces every occurrence of each phrase, ignoring case, longest phrase first")
    func redact() {
        let result = FreeTextReviewStore.redact(
            "Jane Smith called. jane smith was kind; Jane helped.",
            phrases: ["jane smith", " Jane ", "", "absent"]
        )
        #expect(result.text == "[redacted] called. [redacted] was kind; [redacted] helped.")
        #expect(result.count == 3)
    }

    @Test(
        "redaction ends and is exact: phrases found in their own replacement, whole words only, Unicode, overlaps, 10,000 phrases",
        arguments: ["Ed", "Red", "act", "e", "redacted", "[redacted]", "d]"]
    )
    func redactionTerminates(phrase: String) {
        let text = "Ed worked with Red. [redacted] act e."
        let result = FreeTextReviewStore.redact(text, phrases: [phrase])
        // Exactly the whole-word occurrences in the original, once each; the result is never longer than needed.
        let expected: [String: (String, Int)] = [
            "Ed": ("[redacted] worked with Red. [redacted] act e.", 1),
            "Red": ("Ed worked with [redacted]. [redacted] act e.", 1),
            "act": ("Ed worked with Red. [redacted] [redacted] e.", 1),
            "e": ("Ed worked with Red. [redacted] act [redacted].", 1),
            "redacted": ("Ed worked with Red. [[redacted]] act e.", 1),
            "[redacted]": ("Ed worked with Red. [redacted] act e.", 1),
            "d]": ("Ed worked with Red. [redacted] act e.", 0),
        ]
        #expect(result.text == expected[phrase]?.0)
        #expect(result.count == expected[phrase]?.1)
    }

    /// The redacted text and count as "text|count", for comparing in one expectation.
    static func redacted(_ text: String, phrases: [String]) -> String {
        let result = FreeTextReviewStore.redact(text, phrases: phrases)
        return "\(result.text)|\(result.count)"
    }

    @Test("redaction edge cases: empty and whitespace phrases, a phrase longer than the text, overlaps, Welsh letters, emoji, combining marks")
    func redactionEdges() {
        #expect(Self.redacted("Anything", phrases: ["", "  ", "\n"]) == "Anything|0")
        #expect(Self.redacted("Short", phrases: ["Short text that is longer"]) == "Short|0")
        // Overlapping phrases: the longest at a position wins; each character is replaced at most once.
        #expect(Self.redacted("Mary Ann Jones rang", phrases: ["Mary", "Mary Ann", "Ann Jones"]) == "[redacted] Jones rang|1")
        // Welsh letters are letters: "Gŵyn" is not a match inside "Gŵynedd"; case is ignored with ŵ and Ŵ.
        #expect(Self.redacted("GŴYN a Gŵynedd", phrases: ["gŵyn"]) == "[redacted] a Gŵynedd|1")
        #expect(Self.redacted("Siân said so; sian too", phrases: ["siân"]) == "[redacted] said so; sian too|1")
        // Emoji and combining characters stay whole.
        #expect(Self.redacted("Zoe\u{0301} 🙂 Zoe", phrases: ["Zoe"]) == "Zoe\u{0301} 🙂 [redacted]|1")
        #expect(Self.redacted("Thanks 🙂🙂 a lot", phrases: ["🙂"]) == "Thanks [redacted][redacted] a lot|2")
        // Markup and template text are phrases like any other.
        #expect(Self.redacted("<b>{{x}}</b>", phrases: ["{{x}}"]) == "<b>[redacted]</b>|1")
        // 10,000 phrases over the longest answer allowed (2,000 characters).
        let phrases = (0..<10_000).map { "name\($0)" }
        let text = String(repeating: "name42 was kind. ", count: 117)
        let many = FreeTextReviewStore.redact(text, phrases: phrases)
        #expect(many.count == 117)
        #expect(!many.text.contains("name42"))
    }

    @Test("free text appears in the report only after review, redacted; the reviewer's flag lists it for the lead inspector only")
    func reviewJourney() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            try await insertVictimResponses(
                app,
                fixtures,
                count: 1,
                answers: #"{"v19_helped_most": {"text": "My VLO Jane Smith rang every week."}}"#
            )
            try await insertVictimResponses(app, fixtures, count: 1, answers: #"{"v20_should_change": {"text": "He is outside my house now."}}"#)
            let lead = try await app.signedIn(client, as: .inspector, email: "lead@example.gov.uk")
            let other = try await app.signedIn(client, as: .inspector, email: "second@example.gov.uk")
            let vlo = try await app.signedIn(client, as: .vlo)
            let ids = try await app.db.query(
                "SELECT id FROM staff_user WHERE email IN ('lead@example.gov.uk', 'second@example.gov.uk') ORDER BY email"
            ).map { try $0.decode("id", as: Int.self) }
            try await InspectionStore(database: app.db).assign(inspectionID: fixtures.inspectionID, inspectors: ids, lead: ids[0])
            let base = "/inspections/\(fixtures.inspectionID)/report"

            var report = try await other.get(base)
            #expect(!report.text.contains("Jane") && !report.text.contains("outside my house"))
            #expect(try await vlo.get(base + "/free-text").status == .forbidden)

            let review = try await other.get(base + "/free-text")
            #expect(review.status == .ok)
            #expect(review.text.contains("My VLO Jane Smith rang every week."))
            let rows = try await app.db.query(
                "SELECT r.id::text AS id, a.key FROM victim_response r, jsonb_each(r.answers) a ORDER BY a.key"
            )
            let helped = try rows.first { try $0.decode("key", as: String.self) == "v19_helped_most" }
            let change = try rows.first { try $0.decode("key", as: String.self) == "v20_should_change" }
            let helpedID = try #require(helped).decode("id", as: String.self)
            let changeID = try #require(change).decode("id", as: String.self)
            // A preview shows the result and saves nothing.
            let preview = try await other.post(
                base + "/free-text",
                [("response", helpedID), ("question", "v19_helped_most"), ("redact", "jane smith"), ("action", "preview")]
            )
            #expect(
                preview.status == .ok && preview.text.contains("My VLO [redacted] rang every week.")
                    && preview.text.contains("1 phrase will be replaced")
            )
            #expect(try await app.db.query("SELECT count(*) AS n FROM victim_free_text_review")[0].decode("n", as: Int.self) == 0)
            let first = try await other.post(
                base + "/free-text",
                [("response", helpedID), ("question", "v19_helped_most"), ("redact", "jane smith"), ("quotable", "yes"), ("action", "save")]
            )
            #expect(first.status == .seeOther)
            let second = try await other.post(
                base + "/free-text",
                [("response", changeID), ("question", "v20_should_change"), ("redact", ""), ("safeguarding", "yes"), ("action", "save")]
            )
            #expect(second.status == .seeOther)
            // A second review from a page that showed the answer unreviewed: refused with both versions on the page,
            // the reviewer's phrases kept; an unknown answer changes nothing.
            let again = try await lead.post(
                base + "/free-text",
                [("response", helpedID), ("question", "v19_helped_most"), ("redact", "VLO"), ("revision", "0"), ("action", "save")]
            )
            #expect(again.status == .conflict && again.text.contains("Someone else reviewed this answer a moment ago"))
            #expect(again.text.contains("My VLO [redacted] rang every week.") && again.text.contains(">VLO</textarea>"))
            #expect(again.text.contains("name=\"revision\" value=\"1\""))
            let bogus = try await other.post(base + "/free-text", [("response", "not-a-uuid"), ("question", "v19_helped_most")])
            #expect(bogus.status == .ok && bogus.text.contains("not found"))

            // One answer to V19: the quote is not shown (fewer than 10 answered); with ten more it is.
            report = try await other.get(base)
            #expect(!report.text.contains("rang every week"))
            #expect(report.text.contains("Quotes are shown only where at least 10 people answered"))
            try await insertVictimResponses(app, fixtures, count: 10, answers: #"{"v19_helped_most": {"text": "Fine."}}"#)
            report = try await other.get(base)
            #expect(report.text.contains("My VLO [redacted] rang every week."))
            #expect(!report.text.contains("Jane"))
            #expect(!report.text.contains("See the safeguarding list"), "only the lead sees the link")
            let csv = try await other.get(base + ".csv")
            #expect(!csv.text.contains("rang every week"), "free text is not exported")

            #expect(try await other.get(base + "/safeguarding").status == .forbidden)
            let list = try await lead.get(base + "/safeguarding")
            #expect(list.status == .ok)
            #expect(list.text.contains("He is outside my house now."))
            #expect(list.text.contains("What to do next") && list.text.contains("call 999"))
            #expect(!list.text.contains("rang every week"))
            #expect(try await lead.get(base).text.contains("Safeguarding concerns flagged: 1."))

            let events = try await app.db.query("SELECT event FROM audit_event WHERE event LIKE 'report.%' ORDER BY id").map {
                try $0.decode("event", as: String.self)
            }
            #expect(events.filter { $0 == "report.free_text_reviewed" }.count == 2)
            let revisions = try await app.db.query("SELECT count(*) AS n FROM victim_free_text_review_revision")[0].decode("n", as: Int.self)
            #expect(revisions == 2)
            #expect(events.contains("report.free_text_review_viewed"))
            #expect(events.contains("report.safeguarding_viewed"))
        }
    }

    @Test("a review is corrected as a new revision (who and when kept, never an overwrite) until the report is published")
    func corrections() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            try await insertVictimResponses(app, fixtures, count: 1, answers: #"{"v19_helped_most": {"text": "Ed Jones worked hard; Ed called."}}"#)
            let inspector = try await app.signedIn(client, as: .admin)
            let base = "/inspections/\(fixtures.inspectionID)/report"
            let id = try await app.db.query("SELECT id::text AS id FROM victim_response")[0].decode("id", as: String.self)
            let fields = { (redact: String, revision: String) in
                [("response", id), ("question", "v19_helped_most"), ("redact", redact), ("revision", revision), ("action", "save")]
            }
            #expect(try await inspector.get(base + "/free-text").status == .ok)
            #expect(try await inspector.post(base + "/free-text", fields("Ed", "0")).status == .seeOther)
            let list = try await inspector.get(base + "/free-text/reviewed")
            #expect(list.text.contains("[redacted] Jones worked hard; [redacted] called.") && list.text.contains("Revision 1"))
            let answer = try await inspector.get(base + "/free-text/answer?response=\(id)&question=v19_helped_most")
            #expect(answer.status == .ok && answer.text.contains(">Ed</textarea>") && answer.text.contains("Ed Jones worked hard; Ed called."))
            // The correction starts again from the original: "Jones" now, "Ed" kept.
            #expect(try await inspector.post(base + "/free-text", fields("Ed\nJones", "1")).status == .seeOther)
            let rows = try await app.db.query(
                "SELECT revision, redacted_text FROM victim_free_text_review_revision ORDER BY revision"
            ).map { (try $0.decode("revision", as: Int.self), try $0.decode("redacted_text", as: String.self)) }
            #expect(rows.map(\.0) == [1, 2])
            #expect(rows.map(\.1) == ["[redacted] Jones worked hard; [redacted] called.", "[redacted] [redacted] worked hard; [redacted] called."])
            let current = try await app.db.query("SELECT revision, redacted_text FROM victim_free_text_review")[0]
            #expect(try current.decode("revision", as: Int.self) == 2)
            // A stale correction (from revision 1) is refused and saves nothing.
            #expect(try await inspector.post(base + "/free-text", fields("", "1")).status == .conflict)
            #expect(try await app.db.query("SELECT count(*) AS n FROM victim_free_text_review_revision")[0].decode("n", as: Int.self) == 2)
            // An unknown answer leads back to the list; a page past the end says so.
            let unknown = try await inspector.get(base + "/free-text/answer?response=\(UUID().uuidString)&question=v19_helped_most")
            #expect(unknown.status == .seeOther && unknown.headers[.location] == base + "/free-text/reviewed")
            #expect(try await inspector.get(base + "/free-text/reviewed?page=9").text.contains("past the last of them"))
        }
    }
}
