import Foundation
import HummingbirdTesting
import Postgres
import Testing

@testable import Domain
@testable import Operations
@testable import Web

/// Programmes and their reports (issue 22): the adversary is an inspector with every published inspection report and
/// every programme report, old and new, who subtracts one from another.
@Suite("Programmes")
struct ProgrammeTests {
    /// A published inspection of a new area: providers of `shape` (kind, links, responses), fieldwork `daysAgo` before
    /// the test clock's date. Published through the same store as the publish page.
    static func published(
        _ app: TestApp,
        _ index: Int,
        shape: [(kind: String, links: Int, responses: Int)],
        daysAgo: Int = 200,
        author: Int? = nil
    ) async throws -> Int {
        let today = app.dependencies.today
        let plan = ProgrammeDemo.Plan(
            areaCode: "PT\(index)",
            areaName: "Test area \(index)",
            country: "england",
            providers: shape.enumerated().map { i, s in ("PT\(index)-\(i)", "Area \(index) provider \(i)", s.kind, s.links, s.responses) },
            fieldworkStartsOn: today.adding(days: -daysAgo),
            seed: UInt64(900 + index)
        )
        return try await ProgrammeDemo.publishedInspection(
            app.db,
            plan: plan,
            title: "Programme test \(index)",
            forms: app.dependencies.forms,
            rules: app.dependencies.configuration.disclosureRules,
            secrets: testLinkSecrets,
            author: author,
            today: today,
            now: app.clock.now
        )
    }

    /// Creates a programme through the admin page; returns its id.
    static func create(_ admin: StaffBrowser, name: String, from: (Int, Int, Int), to: (Int, Int, Int)) async throws -> Int {
        let response = try await admin.post(
            "/programmes/new",
            [
                ("name", name), ("starts-on-day", String(from.0)), ("starts-on-month", String(from.1)), ("starts-on-year", String(from.2)),
                ("ends-on-day", String(to.0)), ("ends-on-month", String(to.1)), ("ends-on-year", String(to.2)),
            ]
        )
        #expect(response.status == .seeOther, "\(response.text)")
        let location = try #require(response.headers[.location])
        return try #require(Int(location.split(separator: "/").last.map(String.init) ?? ""))
    }

    /// A JSON export's table `name` as rows of column → cell.
    static func table(_ json: String, _ name: String) throws -> [[String: Any]] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let tables = try #require(object["tables"] as? [[String: Any]])
        return try #require(tables.first { $0["name"] as? String == name }?["rows"] as? [[String: Any]])
    }

    /// A count cell, or nil for `[c]`/`[x]`.
    static func count(_ cell: Any?) -> Int? { (cell as? NSNumber)?.intValue }
    /// A percent cell, or nil for a flag.
    static func percent(_ cell: Any?) -> Double? { ((cell as? [String: Any])?["percent"] as? NSNumber)?.doubleValue }

    /// What an inspector can work out from the inspections' own exports for a question: the shown bases and the positive
    /// answers behind each shown % (a % of a shown base gives its numerator away).
    static func shown(_ exports: [String], question: String) throws -> (base: Int, positive: Int, inspections: Int, hidden: Int) {
        var (base, positive, inspections, hidden) = (0, 0, 0, 0)
        for json in exports {
            guard let row = try table(json, "victims_measures").first(where: { $0["question_id"] as? String == question }) else { continue }
            if let b = count(row["base"]), let p = percent(row["percent_positive"]) {
                base += b
                positive += Int((p * Double(b) / 100).rounded())
                inspections += 1
            } else {
                hidden += 1
            }
        }
        return (base, positive, inspections, hidden)
    }

    @Test("every programme figure is a sum of figures the inspections' reports showed: nothing hidden there can be recovered")
    func poolsOnlyShownFigures() async throws {
        try await TestApp.run { client, app in
            // Four inspections; the last two small, so that many of their figures are hidden.
            var ids: [Int] = []
            for (index, shape) in [
                [("nps", 90, 60), ("crc", 60, 35)], [("nps", 70, 44), ("trust", 40, 25)], [("nps", 40, 13), ("crc", 30, 6)],
                [("crc", 30, 11), ("trust", 20, 3)],
            ].enumerated() {
                ids.append(try await Self.published(app, index, shape: shape.map { ($0.0, $0.1, $0.2) }, daysAgo: 300 - 40 * index))
            }
            let admin = try await app.signedIn(client, as: .admin)
            let programme = try await Self.create(admin, name: "Programme 2026", from: (1, 1, 2025), to: (31, 12, 2029))
            // The first three, then a frozen report, then the fourth and another frozen report.
            for id in ids.prefix(3) {
                #expect(try await admin.post("/programmes/\(programme)/inspections", [("inspection", String(id))]).status == .seeOther)
            }
            let first = try await admin.post("/programmes/\(programme)/publish", [("label", "After the third inspection")])
            #expect(first.status == .seeOther)
            #expect(try await admin.post("/programmes/\(programme)/inspections", [("inspection", String(ids[3]))]).status == .seeOther)
            let second = try await admin.post("/programmes/\(programme)/publish", [("label", "After the fourth inspection")])
            #expect(second.status == .seeOther)

            var exports: [String] = []
            for id in ids { exports.append(try await admin.get("/inspections/\(id)/report.json").text) }
            let live = try await admin.get("/programmes/\(programme)/report.json").text
            let snapshotThree = try await admin.get(try #require(first.headers[.location]) + "/report.json").text
            let snapshotFour = try await admin.get(try #require(second.headers[.location]) + "/report.json").text
            // The second frozen report is the live one (only its label and date differ).
            #expect(snapshotFour.components(separatedBy: "\"tables\":").last == live.components(separatedBy: "\"tables\":").last)
            #expect(snapshotThree.components(separatedBy: "\"tables\":").last != live.components(separatedBy: "\"tables\":").last)

            let measures = try Self.table(live, "programme_victims_measures")
            #expect(measures.count >= 10)
            var hiddenSomewhere = 0
            for row in measures {
                let question = try #require(row["question_id"] as? String)
                let known = try Self.shown(exports, question: question)
                hiddenSomewhere += known.hidden
                // The pool is exactly what the inspections showed: base, positives, included and left out.
                #expect(Self.count(row["base"]) == known.base, "base of \(question)")
                #expect(Self.count(row["inspections_included"]) == known.inspections, "\(question)")
                #expect(Self.count(row["inspections_left_out"]) == known.hidden, "\(question)")
                if known.base > 0, let pooled = Self.percent(row["percent_positive"]) {
                    #expect(Int((pooled * Double(known.base) / 100).rounded()) == known.positive, "positives of \(question)")
                }
                // Differencing the two frozen reports gives the fourth inspection's own shown figure, or nothing.
                let three = try #require(
                    try Self.table(snapshotThree, "programme_victims_measures").first { $0["question_id"] as? String == question }
                )
                let four = try #require(try Self.table(snapshotFour, "programme_victims_measures").first { $0["question_id"] as? String == question })
                let fourth = try Self.shown([exports[3]], question: question)
                #expect((Self.count(four["base"]) ?? 0) - (Self.count(three["base"]) ?? 0) == fourth.base, "difference for \(question)")
            }
            // The test can fail: the small inspections do hide figures that a naive pool would have added in.
            #expect(hiddenSomewhere > 0)

            // Each inspection's own row in the small multiples is what its report published.
            let byInspection = try Self.table(live, "programme_victims_by_inspection")
            for (id, json) in zip(ids, exports) {
                for own in try Self.table(json, "victims_measures") {
                    let question = own["question_id"] as? String
                    let row = try #require(
                        byInspection.first { $0["question_id"] as? String == question && $0["inspection_id"] as? String == String(id) }
                    )
                    #expect(Self.count(row["base"]) == Self.count(own["base"]))
                    #expect(Self.percent(row["percent_positive"]) == Self.percent(own["percent_positive"]))
                }
            }

            // Response rates by provider type are the shown provider rows of that type.
            var kinds: [String: String] = [:]
            for row in try await app.db.query("SELECT name, kind FROM provider") { kinds[try row.decode("name")] = try row.decode("kind") }
            var expected: [String: (issued: Int, responses: Int)] = [:]
            for json in exports {
                for row in try Self.table(json, "victims_links") {
                    guard let name = row["provider"] as? String, let kind = kinds[name], let issued = Self.count(row["links_issued"]),
                        let responses = Self.count(row["responses"])
                    else { continue }
                    expected[kind, default: (0, 0)].issued += issued
                    expected[kind, default: (0, 0)].responses += responses
                }
            }
            let rates = try Self.table(live, "programme_response_rates")
            #expect(rates.count == 3)
            for row in rates {
                let kind = try #require(
                    ["Probation trust": "trust", "National Probation Service": "nps", "Community rehabilitation company": "crc"][
                        row["provider_type"] as? String ?? ""
                    ]
                )
                #expect(Self.count(row["links_issued"]) == expected[kind]?.issued, "\(kind)")
                #expect(Self.count(row["responses"]) == expected[kind]?.responses, "\(kind)")
            }

            // The page: the summary, the small multiples with their tables, and the frozen report listed.
            let page = try await admin.get("/programmes/\(programme)/report")
            #expect(page.status == .ok)
            #expect(page.text.contains("<title>Programme report – Programme 2026"))
            #expect(page.text.contains("Published inspections in this report"))
            #expect(page.text.contains("class=\"report-chart\""))
            #expect(page.text.contains("Test area 3"))
            let detail = try await admin.get("/programmes/\(programme)").text
            #expect(detail.contains("After the third inspection"))
            #expect(detail.contains("After the fourth inspection"))
        }
    }

    @Test("a frozen programme report does not change when more inspections are published, and the database refuses to edit it")
    func frozen() async throws {
        try await TestApp.run { client, app in
            let a = try await Self.published(app, 1, shape: [("nps", 60, 40)], daysAgo: 300)
            let admin = try await app.signedIn(client, as: .admin)
            let programme = try await Self.create(admin, name: "Frozen", from: (1, 1, 2025), to: (31, 12, 2029))
            #expect(try await admin.post("/programmes/\(programme)/inspections", [("inspection", String(a))]).status == .seeOther)
            let done = try await admin.post("/programmes/\(programme)/publish", [("label", "After the first inspection")])
            let location = try #require(done.headers[.location])
            let frozenJSON = try await admin.get(location + "/report.json").text
            let frozenPage = withoutCSRF(try await admin.get(location).text)
            #expect(frozenPage.contains("these figures are frozen"))

            let b = try await Self.published(app, 2, shape: [("crc", 50, 30)], daysAgo: 250)
            #expect(try await admin.post("/programmes/\(programme)/inspections", [("inspection", String(b))]).status == .seeOther)
            // The live report did change (so the comparison can fail) ...
            #expect(try Self.table(try await admin.get("/programmes/\(programme)/report.json").text, "programme_inspections").count == 2)
            // ... the frozen one did not.
            #expect(try await admin.get(location + "/report.json").text == frozenJSON)
            #expect(withoutCSRF(try await admin.get(location).text) == frozenPage)
            #expect(try Self.table(frozenJSON, "programme_inspections").count == 1)

            // Same label again: refused; nothing added.
            let again = try await admin.post("/programmes/\(programme)/publish", [("label", "after the first inspection")])
            #expect(again.status == .badRequest)
            #expect(again.text.contains("already has a report called"))
            #expect(try await app.count("SELECT count(*) FROM programme_snapshot") == 1)

            // Not even the owner's connection may change a frozen report or the evidence behind it.
            for statement in [
                "UPDATE programme_snapshot SET label = 'x'", "DELETE FROM programme_snapshot", "UPDATE inspection_evidence SET count = 1",
                "DELETE FROM inspection_evidence", "TRUNCATE inspection_evidence",
            ] {
                await #expect(throws: PostgresError.self) { try await app.db.execute(PostgresQuery(unsafeSQL: statement)) }
            }
            #expect(try await admin.get(location + "/report.json").text == frozenJSON)
        }
    }

    @Test("retention deletes the answers, not the evidence: the programme report is the same after it")
    func survivesRetention() async throws {
        try await TestApp.run { client, app in
            let a = try await Self.published(app, 1, shape: [("nps", 60, 40), ("crc", 30, 12)], daysAgo: 300)
            let admin = try await app.signedIn(client, as: .admin)
            let programme = try await Self.create(admin, name: "Kept", from: (1, 1, 2025), to: (31, 12, 2029))
            #expect(try await admin.post("/programmes/\(programme)/inspections", [("inspection", String(a))]).status == .seeOther)
            let before = try await admin.get("/programmes/\(programme)/report.json").text
            let evidence = try await app.count("SELECT count(*) FROM inspection_evidence")
            #expect(evidence > 50)
            // What a DBA finds in the evidence: no answer's text, no link, no person.
            let texts = try await app.db.query("SELECT label, item, code FROM inspection_evidence").map {
                try $0.decode("label", as: String.self) + " " + $0.decode("item", as: String.self) + " " + $0.decode("code", as: String.self)
            }
            let freeText = try await app.db.query("SELECT answers::text AS a FROM victim_response").map { try $0.decode("a", as: String.self) }
            #expect(!freeText.isEmpty)
            for phrase in ["rang me before every parole hearing", "called back the same day", "chase for news"] {
                #expect(freeText.contains { $0.contains(phrase) })
                #expect(!texts.contains { $0.contains(phrase) })
            }
            let columns = try await app.db.query(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'inspection_evidence' AND table_schema = current_schema()"
            ).map { try $0.decode("column_name", as: String.self) }
            #expect(Set(columns) == ["inspection_id", "section", "item", "code", "grouping", "label", "count", "base", "survey_year"])

            try app.moveClock(to: "2028-06-01")
            let outcome = try await Retention(database: app.db, months: 12, now: { app.clock.now }).run(
                today: app.dependencies.today,
                now: app.clock.now,
                actor: .commandLine
            )
            #expect(!outcome.items.isEmpty)
            #expect(try await app.count("SELECT count(*) FROM victim_response") == 0)
            #expect(try await app.count("SELECT count(*) FROM inspection_evidence") == evidence)
            let admin2 = try await app.signedIn(client, as: .admin, email: "admin2@example.gov.uk")
            #expect(try await admin2.get("/programmes/\(programme)/report.json").text == before)
        }
    }

    @Test("bad input: a clear message and nothing changed")
    func badInput() async throws {
        try await TestApp.run { client, app in
            let admin = try await app.signedIn(client, as: .admin)
            // Form errors: empty, unreal dates, end before start.
            let empty = try await admin.post("/programmes/new", [])
            #expect(empty.status == .unprocessableContent)
            #expect(empty.text.contains("Enter a name for the programme"))
            #expect(empty.text.contains("Enter the date the programme starts"))
            let unreal = try await admin.post(
                "/programmes/new",
                [("name", "P"), ("starts-on-day", "31"), ("starts-on-month", "2"), ("starts-on-year", "2027"), ("ends-on-day", "x")]
            )
            #expect(unreal.status == .unprocessableContent)
            #expect(unreal.text.contains("Enter a real date, for example 1 4 2027"))
            #expect(unreal.text.contains("value=\"31\""))
            let backwards = try await admin.post(
                "/programmes/new",
                [
                    ("name", "P"), ("starts-on-day", "1"), ("starts-on-month", "4"), ("starts-on-year", "2027"), ("ends-on-day", "1"),
                    ("ends-on-month", "4"), ("ends-on-year", "2026"),
                ]
            )
            #expect(backwards.status == .unprocessableContent)
            #expect(backwards.text.contains("The programme must end on or after the day it starts"))
            #expect(try await app.count("SELECT count(*) FROM programme") == 0)

            // A programme with no published inspection: the report says so; publishing is refused.
            let programme = try await Self.create(admin, name: "Empty programme", from: (1, 1, 2025), to: (31, 12, 2029))
            let duplicate = try await admin.post(
                "/programmes/new",
                [
                    ("name", "empty PROGRAMME"), ("starts-on-day", "1"), ("starts-on-month", "1"), ("starts-on-year", "2025"), ("ends-on-day", "1"),
                    ("ends-on-month", "1"), ("ends-on-year", "2026"),
                ]
            )
            #expect(duplicate.status == .unprocessableContent)
            #expect(duplicate.text.contains("There is already a programme called"))
            let report = try await admin.get("/programmes/\(programme)/report")
            #expect(report.status == .ok)
            #expect(report.text.contains("No inspection in this programme has a published report yet"))
            let refused = try await admin.post("/programmes/\(programme)/publish", [("label", "After nothing")])
            #expect(refused.status == .conflict)
            #expect(refused.text.contains("needs at least one published inspection"))
            let unlabelled = try await admin.post("/programmes/\(programme)/publish", [("label", "")])
            #expect(unlabelled.status == .badRequest)
            #expect(try await app.count("SELECT count(*) FROM programme_snapshot") == 0)

            // One inspection: said plainly.
            let a = try await Self.published(app, 1, shape: [("nps", 60, 40)], daysAgo: 300)
            #expect(try await admin.post("/programmes/\(programme)/inspections", [("inspection", String(a))]).status == .seeOther)
            #expect(try await admin.get("/programmes/\(programme)/report").text.contains("Only one inspection is published"))

            // Moving a published inspection to another programme, or removing it: refused with the reason.
            let other = try await Self.create(admin, name: "Other programme", from: (1, 1, 2025), to: (31, 12, 2029))
            let moved = try await admin.post("/programmes/\(other)/inspections", [("inspection", String(a))])
            #expect(moved.status == .conflict)
            #expect(moved.text.contains("already in the programme ‘Empty programme’"))
            let removed = try await admin.post("/programmes/\(programme)/inspections", [("remove", String(a))])
            #expect(removed.status == .conflict)
            #expect(removed.text.contains("a published inspection stays in its programme"))
            #expect(try await app.count("SELECT count(*) FROM programme_inspection WHERE programme_id = \(programme)") == 1)
            await #expect(throws: PostgresError.self) {
                try await app.db.execute("UPDATE programme_inspection SET programme_id = \(other) WHERE inspection_id = \(a)")
            }

            // Dates that would leave an inspection out: refused, nothing changed. An inspection outside the dates: refused.
            let narrowed = try await admin.post(
                "/programmes/\(programme)/edit",
                [
                    ("name", "Empty programme"), ("starts-on-day", "1"), ("starts-on-month", "6"), ("starts-on-year", "2026"), ("ends-on-day", "31"),
                    ("ends-on-month", "12"), ("ends-on-year", "2029"),
                ]
            )
            #expect(narrowed.status == .unprocessableContent)
            #expect(narrowed.text.contains("The dates must include every inspection in the programme"))
            #expect(try await app.count("SELECT count(*) FROM programme WHERE id = \(programme) AND starts_on = '2025-01-01'") == 1)
            let late = try await Self.create(admin, name: "Later programme", from: (1, 1, 2030), to: (31, 12, 2031))
            let b = try await Self.published(app, 2, shape: [("nps", 30, 20)], daysAgo: 100)
            let outside = try await admin.post("/programmes/\(late)/inspections", [("inspection", String(b))])
            #expect(outside.status == .conflict)
            #expect(outside.text.contains("outside the programme’s dates"))
            // Nothing chosen, a made-up inspection, a made-up programme.
            #expect(try await admin.post("/programmes/\(late)/inspections", []).status == .conflict)
            #expect(try await admin.post("/programmes/\(late)/inspections", [("inspection", "999999")]).status == .conflict)
            #expect(try await admin.get("/programmes/999999").status == .notFound)
            #expect(try await admin.get("/programmes/abc/report").status == .notFound)
            #expect(try await app.count("SELECT count(*) FROM programme_inspection") == 1)

            // A deleted provider's name was kept with the evidence: the report still renders its figures.
            try await app.db.execute("UPDATE provider SET name = 'Renamed' WHERE code = 'PT1-0'")
            let json = try await admin.get("/programmes/\(programme)/report.json")
            #expect(json.status == .ok)
            #expect(try Self.table(json.text, "programme_response_rates").count == 1)
        }
    }

    @Test("inspectors see programmes with an inspection they are assigned to, read-only; VLOs see none")
    func access() async throws {
        try await TestApp.run { client, app in
            let inspector = try await app.createUser("insp@example.gov.uk", role: .inspector, name: "Insp")
            let a = try await Self.published(app, 1, shape: [("nps", 60, 40)], daysAgo: 300, author: Int(inspector))
            let b = try await Self.published(app, 2, shape: [("nps", 60, 40)], daysAgo: 280)
            let admin = try await app.signedIn(client, as: .admin)
            let mine = try await Self.create(admin, name: "Mine", from: (1, 1, 2025), to: (31, 12, 2029))
            let theirs = try await Self.create(admin, name: "Theirs", from: (1, 1, 2025), to: (31, 12, 2029))
            #expect(try await admin.post("/programmes/\(mine)/inspections", [("inspection", String(a))]).status == .seeOther)
            #expect(try await admin.post("/programmes/\(theirs)/inspections", [("inspection", String(b))]).status == .seeOther)

            let browser = StaffBrowser(client)
            try await browser.signIn("insp@example.gov.uk", TestApp.password)
            let list = try await browser.get("/programmes").text
            #expect(list.contains("Mine"))
            #expect(!list.contains("Theirs"))
            #expect(try await browser.get("/programmes/\(mine)/report").status == .ok)
            #expect(try await browser.get("/programmes/\(theirs)/report").status == .notFound)
            #expect(try await browser.get("/programmes/\(theirs)/report.json").status == .notFound)
            #expect(try await browser.get("/programmes/new").status == .forbidden)
            #expect(try await browser.post("/programmes/\(mine)/inspections", [("remove", String(a))]).status == .forbidden)
            #expect(try await browser.post("/programmes/\(mine)/publish", [("label", "Mine")]).status == .forbidden)
            #expect(!(try await browser.get("/programmes/\(mine)").text.contains("Add an inspection")))

            let vlo = try await app.signedIn(client, as: .vlo)
            #expect(try await vlo.get("/programmes").status == .forbidden)
            #expect(try await vlo.get("/programmes/\(mine)/report").status == .forbidden)
        }
    }
}
