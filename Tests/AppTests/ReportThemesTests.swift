import Domain
import Forms
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Operations
import Postgres
import Testing
import Web

@testable import Domain
@testable import Operations
@testable import Web

/// Issue 19, themes: each inspection's list (seeded from forms/themes/victim-themes.yaml), tags on reviewed answers with
/// suggestions the reviewer confirms, and the counts in the report under disclosure control.
@Suite("Report: themes of victims' own words")
struct ReportThemesTests {
    /// The answers (response id) to `question`, oldest first.
    func answers(_ app: TestApp, _ question: String) async throws -> [String] {
        try await app.db.query(
            "SELECT r.id::text AS id FROM victim_response r WHERE r.answers ? \(question) ORDER BY r.id"
        ).map { try $0.decode("id") }
    }

    func themeIDs(_ app: TestApp, _ inspection: Int) async throws -> [String: Int] {
        Dictionary(
            uniqueKeysWithValues: try await app.db.query("SELECT id, name FROM inspection_theme WHERE inspection_id = \(inspection)").map {
                (try $0.decode("name", as: String.self), try $0.decode("id", as: Int.self))
            }
        )
    }

    @Test("the default list is data: the shipped file loads; duplicates, empty or long names and unknown keys are problems with lines")
    func catalogue() throws {
        let shipped = try ThemeCatalogue.load(formsDirectory: "forms")
        #expect(shipped.count == 8)
        #expect(shipped.allSatisfy { !$0.name.isEmpty && $0.welshName != nil && !$0.suggestedBy.isEmpty })
        let bad = """
            themes:
              - id: kept_informed
                name: Kept informed
              - id: kept_informed
                name: KEPT INFORMED
              - id: Bad-Id
                name: ""
              - id: long
                name: \(String(repeating: "x", count: 61))
                suggested_by: ["", ok]
                colour: red
            """
        #expect(throws: FormLoadError.self) { try ThemeCatalogue.load(yaml: bad, file: "t.yaml") }
        do {
            _ = try ThemeCatalogue.load(yaml: bad, file: "t.yaml")
        } catch {
            let messages = error.problems.map(\.description)
            #expect(messages.contains { $0.hasPrefix("t.yaml:4:") && $0.contains("the id 'kept_informed' is used by more than one theme") })
            #expect(messages.contains { $0.contains("the name 'KEPT INFORMED' is used by more than one theme") })
            #expect(messages.contains { $0.contains("'name' of theme 3 is empty") || $0.contains("'name' in theme 3 has no value") })
            #expect(messages.contains { $0.contains("theme 3") && $0.contains("Bad-Id") })
            #expect(messages.contains { $0.contains("longer than 60 characters") })
            #expect(messages.contains { $0.contains("has an empty phrase") })
            #expect(messages.contains { $0.contains("unknown key 'colour'") })
        }
        // `forms check` reads the list beside the definitions.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("themes-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/themes", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try bad.write(toFile: folder + "/themes/victim-themes.yaml", atomically: true, encoding: .utf8)
        #expect(ThemeCatalogue.check(paths: [folder]).count >= 6)
        #expect(ThemeCatalogue.check(paths: ["forms"]).isEmpty)
    }

    @Test("suggestions on the demo answers: measured against a reviewer's own tagging (precision and recall printed for the note)")
    func suggestionsOnDemoAnswers() throws {
        let themes = try ThemeCatalogue.load(formsDirectory: "forms").enumerated().map { index, theme in
            FreeTextThemeStore.Theme(id: index, name: theme.id, welshName: nil, description: "", suggestedBy: theme.suggestedBy)
        }
        // How a reviewer tagged the demo's nine answers (written before the phrases were compared with them).
        let truth: [String: Set<String>] = [
            "My VLO Sam rang me before every parole hearing.": ["kept_informed", "liaison_officer_support"],
            "Being told about the licence conditions in plain words.": ["licence_conditions", "scheme_explained"],
            "She always called back the same day.": ["liaison_officer_support"],
            "Knowing who to call.": ["liaison_officer_support"],
            "The letter explained the choices clearly.": ["scheme_explained"],
            "Tell us sooner when he moves prison.": ["kept_informed", "delays_and_chasing", "not_told_about_release"],
            "Nothing, it was fine.": [],
            "I had to chase for news of the release date.": ["delays_and_chasing", "not_told_about_release"],
            "Fewer changes of VLO.": ["liaison_officer_support"],
        ]
        var (right, suggested, expected) = (0, 0, 0)
        for (text, tags) in truth {
            let names = Set(FreeTextThemeStore.suggested(for: text, among: themes).map { themes[$0].name })
            right += names.intersection(tags).count
            suggested += names.count
            expected += tags.count
        }
        let precision = Double(right) / Double(max(1, suggested))
        let recall = Double(right) / Double(max(1, expected))
        print(
            "theme suggestions on the demo answers: \(right) right of \(suggested) suggested (precision \(precision)), \(right) of \(expected) expected (recall \(recall))"
        )
        #expect(precision >= 0.7 && recall >= 0.7, "precision \(precision), recall \(recall)")
        // Whole words only: "released" does not suggest from "unreleased", "safe" not from "safeguard".
        let safe = try #require(themes.first { $0.name == "feeling_safe" })
        #expect(FreeTextThemeStore.suggestion(for: "a safeguard was set", theme: safe) == nil)
        #expect(FreeTextThemeStore.suggestion(for: "I feel SAFE now", theme: safe) == "safe")
    }

    @Test("themes page: seeded once; bad names refused on the field with nothing changed; markup kept as text; change and delete")
    func themesPage() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let inspector = try await app.signedIn(client, as: .admin)
            let base = "/inspections/\(fixtures.inspectionID)/report/themes"
            let page = try await inspector.get(base)
            #expect(page.status == .ok && page.text.contains("Kept informed") && page.text.contains("Cael y wybodaeth ddiweddaraf"))
            let count = { try await app.db.query("SELECT count(*) AS n FROM inspection_theme")[0].decode("n", as: Int.self) }
            #expect(try await count() == 8)
            _ = try await inspector.get(base)
            #expect(try await count() == 8, "seeded once")

            let empty = try await inspector.post(base, [("name", "  "), ("description", "x")])
            #expect(empty.status == .badRequest && empty.text.contains("Enter a name for the theme") && empty.text.contains("href=\"#name\""))
            let long = try await inspector.post(base, [("name", String(repeating: "n", count: 61))])
            #expect(long.status == .badRequest && long.text.contains("60 characters or fewer"))
            let duplicate = try await inspector.post(base, [("name", "kept INFORMED"), ("suggested_by", "kept")])
            #expect(duplicate.status == .badRequest && duplicate.text.contains("There is already a theme called"))
            #expect(duplicate.text.contains(">kept</textarea>"), "what was typed is kept")
            #expect(try await count() == 8, "nothing added")

            let markup = "<script>alert(1)</script> {{x}} '; DROP TABLE inspection_theme; --"
            let added = try await inspector.post(base, [("name", String(markup.prefix(60))), ("suggested_by", "court\nparole")])
            #expect(added.status == .seeOther)
            let list = try await inspector.get(base)
            #expect(!list.text.contains("<script>alert(1)</script>") && list.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(list.text.contains("court, parole"))
            #expect(try await count() == 9)

            let id = try #require(try await themeIDs(app, fixtures.inspectionID)["Feeling safe"])
            let change = try await inspector.post(
                base + "/\(id)",
                [("name", "Feeling safer"), ("welsh_name", "Teimlo'n fwy diogel"), ("action", "save")]
            )
            #expect(change.status == .seeOther)
            #expect(try await themeIDs(app, fixtures.inspectionID)["Feeling safer"] == id)
            let clash = try await inspector.post(base + "/\(id)", [("name", "Kept informed"), ("action", "save")])
            #expect(clash.status == .badRequest && clash.text.contains("There is already a theme called"))
            #expect(try await inspector.post(base + "/\(id)", [("action", "delete")]).status == .seeOther)
            #expect(try await themeIDs(app, fixtures.inspectionID)["Feeling safer"] == nil)
            // A deleted theme's page leads back to the list; an emptied list is not seeded again.
            #expect(try await inspector.get(base + "/\(id)").status == .seeOther)
            try await app.db.execute("DELETE FROM inspection_theme")
            #expect(try await inspector.get(base).text.contains("This inspection has no themes."))
            #expect(try await count() == 0)
            let events = try await app.db.query(
                "SELECT details ->> 'action' AS action FROM audit_event WHERE event = 'report.theme_changed' ORDER BY id"
            )
            .map { try $0.decode("action", as: String.self) }
            #expect(events == ["added", "changed", "deleted"])
        }
    }

    @Test("tags: suggested themes are ticked, only what is posted is saved, kept in the revision; another inspection's theme is refused")
    func tagging() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            try await insertVictimResponses(
                app,
                fixtures,
                count: 1,
                answers: #"{"v20_should_change": {"text": "I had to chase for news of the release date."}}"#
            )
            let inspector = try await app.signedIn(client, as: .admin)
            let base = "/inspections/\(fixtures.inspectionID)/report"
            let review = try await inspector.get(base + "/free-text")
            // The page title says where you are: the page, then the inspection.
            #expect(review.text.contains("<title>Review free-text answers – Wales 2026 – HM Inspectorate of Probation</title>"))
            let ids = try await themeIDs(app, fixtures.inspectionID)
            let release = try #require(ids["Not told about release"])
            let delays = try #require(ids["Delays and chasing"])
            let informed = try #require(ids["Kept informed"])
            // Suggested and ticked, saying why; an unsuggested theme is there unticked.
            #expect(review.text.contains("value=\"\(release)\" checked") && review.text.contains("Suggested: the answer says ‘release date’"))
            #expect(review.text.contains("value=\"\(delays)\" checked"))
            #expect(review.text.contains("value=\"\(informed)\">"))
            let id = try #require(try await answers(app, "v20_should_change").first)
            let fields: [(String, String)] = [("response", id), ("question", "v20_should_change"), ("revision", "0"), ("action", "save")]

            // Another inspection's theme: refused, nothing saved, the reviewer's choice explained.
            let other = try await InspectionStore(database: app.db).create(
                title: "Other",
                areaID: fixtures.areaID,
                providerIDs: [fixtures.providerA],
                dates: InspectionDates(
                    announcedOn: try #require(LocalDate(iso: "2026-10-01")),
                    fieldworkStartsOn: try #require(LocalDate(iso: "2026-12-07")),
                    weekPlusTwoOn: try #require(LocalDate(iso: "2026-12-21")),
                    victimWindowOpensOn: try #require(LocalDate(iso: "2026-11-09")),
                    victimWindowClosesOn: try #require(LocalDate(iso: "2026-12-21"))
                )
            )
            _ = try await inspector.get("/inspections/\(other)/report/themes")
            let foreign = try #require(try await themeIDs(app, other)["Kept informed"])
            let refused = try await inspector.post(base + "/free-text", fields + [("theme", String(foreign))])
            #expect(refused.status == .conflict && refused.text.contains("no longer a theme of this inspection"))
            let tampered = try await inspector.post(base + "/free-text", fields + [("theme", "1 OR 1=1")])
            #expect(tampered.status == .badRequest && tampered.text.contains("not a theme of this inspection"))
            #expect(try await app.db.query("SELECT count(*) AS n FROM victim_free_text_review")[0].decode("n", as: Int.self) == 0)
            // The database refuses it too, whatever the page does.
            await #expect(throws: PostgresError.self) {
                try await app.db.execute(
                    "INSERT INTO victim_free_text_review (response_id, question_id, redacted_text, redactions, reviewed_by, reviewed_at) SELECT \(id)::uuid, 'v20_should_change', 'x', 0, min(id), now() FROM staff_user"
                )
                try await app.db.execute("INSERT INTO victim_free_text_theme VALUES (\(id)::uuid, 'v20_should_change', \(foreign))")
            }
            try await app.db.execute("DELETE FROM victim_free_text_review")

            // The reviewer unticks one suggestion: only what is posted is saved.
            let saved = try await inspector.post(base + "/free-text", fields + [("theme", String(release))])
            #expect(saved.status == .seeOther)
            let tags = try await app.db.query("SELECT theme_id FROM victim_free_text_theme").map { try $0.decode("theme_id", as: Int.self) }
            #expect(tags == [release])
            // The answer page ticks the saved tags, not the suggestions; a correction replaces them, kept per revision.
            let answer = try await inspector.get(base + "/free-text/answer?response=\(id)&question=v20_should_change")
            #expect(answer.text.contains("value=\"\(release)\" checked") && answer.text.contains("value=\"\(delays)\" aria-describedby"))
            let corrected = try await inspector.post(
                base + "/free-text",
                [
                    ("response", id), ("question", "v20_should_change"), ("revision", "1"), ("action", "save"), ("theme", String(delays)),
                    ("theme", String(informed)),
                ]
            )
            #expect(corrected.status == .seeOther)
            let revisions = try await app.db.query("SELECT array_to_string(themes, '|') AS t FROM victim_free_text_review_revision ORDER BY revision")
                .map { try $0.decode("t", as: String.self) }
            #expect(revisions == ["Not told about release", "Kept informed|Delays and chasing"])
        }
    }

    @Test("the report counts answers per theme under disclosure control, in the page, the chart, the exports and the snapshot")
    func reportCounts() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            try await insertVictimResponses(
                app,
                fixtures,
                count: 14,
                answers: #"{"v19_helped_most": {"text": "She always called back the same day."}}"#
            )
            let admin = try await app.signedIn(client, as: .admin)
            let base = "/inspections/\(fixtures.inspectionID)/report"
            _ = try await admin.get(base + "/themes")
            let ids = try await themeIDs(app, fixtures.inspectionID)
            let officer = try #require(ids["Support from the liaison officer"])
            let respect = try #require(ids["Treated with respect"])
            let responses = try await answers(app, "v19_helped_most")
            // Nine reviewed: under the threshold of 10, every theme count is hidden.
            func review(_ id: String, _ themes: [Int]) async throws {
                let fields =
                    [("response", id), ("question", "v19_helped_most"), ("revision", "0"), ("action", "save")] + themes.map { ("theme", String($0)) }
                #expect(try await admin.post(base + "/free-text", fields).status == .seeOther)
            }
            for (index, id) in responses.prefix(9).enumerated() { try await review(id, index < 3 ? [officer, respect] : [officer]) }
            var csv = try await admin.get(base + ".csv").text
            let themeRows = { (csv: String) in
                csv.split(separator: "\r\n").filter { $0.hasPrefix("v19_helped_most,") && $0.contains("Support from the liaison officer") }
            }
            #expect(themeRows(csv).count == 1 && themeRows(csv)[0].hasSuffix(",[c],[c],[c]"))
            // Twelve reviewed: 12 with the officer theme is shown (100%); 3 with respect is hidden, and no other
            // figure gives it back (reviewed 12 is shown, but "the rest" of respect is not).
            for id in responses.dropFirst(9).prefix(3) { try await review(id, [officer]) }
            csv = try await admin.get(base + ".csv").text
            #expect(themeRows(csv).first?.hasSuffix(",12,100% [u],12") == true, "\(themeRows(csv))")
            let respectRow = csv.split(separator: "\r\n").first { $0.hasPrefix("v19_helped_most,") && $0.contains("Treated with respect") }
            #expect(respectRow?.hasSuffix(",[c],[c],12") == true, "\(respectRow ?? "")")
            let json = try await admin.get(base + ".json").text
            #expect(json.contains("\"victims_themes\""))
            let page = try await admin.get(base)
            #expect(page.text.contains("Reviewed answers to V19 by theme") && page.text.contains("themes-v19_helped_most-title"))
            #expect(page.text.contains("12 of 14 answers reviewed"))
            // Published (after the window closed): the counts are frozen in the snapshot, and later changes do not move them.
            try app.moveClock(to: "2026-12-22")
            let publisher = try await app.signedIn(client, as: .admin, email: "publisher@example.gov.uk")
            let published = try await publisher.post("/inspections/\(fixtures.inspectionID)/publish", [("confirm", "yes")])
            #expect(published.status == .seeOther && published.headers[.location] == base)
            try await app.db.execute("DELETE FROM victim_free_text_theme")
            let frozen = try await publisher.get(base + ".csv").text
            #expect(themeRows(frozen).first?.hasSuffix(",12,100% [u],12") == true, "\(themeRows(frozen))")
            #expect(try await publisher.post(base + "/themes", [("name", "Late")]).status == .conflict)
        }
    }
}
