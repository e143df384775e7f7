import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

@testable import Domain
@testable import Operations
@testable import Web

extension SentencerTests {
    @Suite("Sentencer meetings: who may see them, the audit log, lists and exports")
    struct SentencerAccessTests {
        @Test("only assigned inspectors and administrators see or edit meetings: an unassigned inspector and a VLO get 403 everywhere")
        func accessRules() async throws {
            try await TestApp.run { client, app in
                let world = try await SentencerWorld.make(client, app)
                let assigned = try await world.assignedInspector()
                let id = try await world.startMeeting(assigned)
                let outsider = try await app.signedIn(client, as: .inspector, email: "outsider@example.gov.uk")
                let vlo = try await app.signedIn(client, as: .vlo)
                let admin = try await app.signedIn(client, as: .admin)
                let inspection = world.fixtures.inspectionID
                let gets = [
                    world.listPath, world.newPath, "/inspections/\(inspection)/sentencer-evidence.csv",
                    "/inspections/\(inspection)/sentencer-evidence.json",
                    "/sentencer-meetings/\(id)", "/sentencer-meetings/\(id)/history", SentencerWorld.pagePath(id, "t1"),
                ]
                let before = try await world.stored(id)
                for browser in [outsider, vlo] {
                    for path in gets {
                        #expect(try await browser.get(path).status == .forbidden, "\(path)")
                    }
                    #expect(
                        try await browser.post(SentencerWorld.pagePath(id, "t1"), [("t1_rating", "no_view"), ("revision", "1")]).status == .forbidden
                    )
                    #expect(try await browser.post("/sentencer-meetings/\(id)/final", [("revision", "1")]).status == .forbidden)
                    #expect(try await browser.post(world.newPath, SentencerWorld.meetingFields()).status == .forbidden)
                }
                #expect(try await world.stored(id).revision == before.revision)
                #expect(try await app.db.query("SELECT 1 FROM sentencer_meeting").count == 1)
                for path in gets {
                    #expect(try await admin.get(path).status == .ok, "admin \(path)")
                    #expect(try await assigned.get(path).status == .ok, "assigned \(path)")
                }
                // An admin may edit too.
                #expect(try await world.savePage(admin, id, "t1", [("t1_rating", "no_view")]).status == .seeOther)
                // Unknown meetings and pages are 404, not errors.
                #expect(try await assigned.get("/sentencer-meetings/999999").status == .notFound)
                #expect(try await assigned.get(SentencerWorld.pagePath(id, "nope")).status == .notFound)
                #expect(try await assigned.get("/inspections/999999/sentencer-meetings").status == .notFound)
            }
        }

        @Test("every view of a meeting record, its pages and its history is in the audit log, without any answer text")
        func viewsAudited() async throws {
            try await TestApp.run { client, app in
                let world = try await SentencerWorld.make(client, app)
                let inspector = try await world.assignedInspector()
                let id = try await world.startMeeting(inspector)
                try await world.savePage(inspector, id, "t1", [("t1_rating", "no_view"), ("t1_evidence", "Secret-ish evidence text")])
                let start = try await world.auditCount("sentencer_meeting.viewed", meeting: id)
                #expect(start == 1)  // the t1 page opened by savePage
                try await inspector.get("/sentencer-meetings/\(id)")
                try await inspector.get("/sentencer-meetings/\(id)/history")
                try await inspector.get(SentencerWorld.pagePath(id, "t2"))
                #expect(try await world.auditCount("sentencer_meeting.viewed", meeting: id) == start + 3)
                let pages = try await app.db.query(
                    """
                    SELECT details->>'page' AS page, u.email FROM audit_event a JOIN staff_user u ON u.id = a.actor_user_id
                    WHERE a.event = 'sentencer_meeting.viewed' AND a.subject_id = \(String(id)) ORDER BY a.id
                    """
                ).map { "\(try $0.decode("page", as: String.self)) \(try $0.decode("email", as: String.self))" }
                #expect(pages == ["t1 ann@example.gov.uk", "record ann@example.gov.uk", "history ann@example.gov.uk", "t2 ann@example.gov.uk"])
                let all = try await app.db.query("SELECT details::text AS d FROM audit_event").map { try $0.decode("d", as: String.self) }
                #expect(!all.contains { $0.contains("Secret-ish") || $0.contains("Cardiff") })
                try await inspector.get("/inspections/\(world.fixtures.inspectionID)/sentencer-evidence.csv")
                #expect(try await app.db.query("SELECT 1 FROM audit_event WHERE event = 'sentencer_meeting.exported'").count == 1)
            }
        }

        @Test("the list shows an inspection's meetings with counts by sentencer role and by format")
        func listCounts() async throws {
            try await TestApp.run { client, app in
                let world = try await SentencerWorld.make(client, app)
                let inspector = try await world.assignedInspector()
                let group = try await world.startMeeting(inspector, format: "bench_group")
                try await world.savePage(inspector, group, "attendees", [("attendees_lay_magistrate", "4"), ("attendees_legal_adviser", "1")])
                let single = try await world.startMeeting(inspector, format: "one_to_one")
                try await world.savePage(inspector, single, "attendees", [("attendees_lay_magistrate", "1")])
                let list = try await inspector.get(world.listPath)
                #expect(list.status == .ok)
                #expect(list.text.contains("Meetings (0 final, 2 draft)"))
                let compact = list.text.replacingOccurrences(of: "\n", with: "")
                #expect(
                    compact.contains(
                        "Lay magistrates</th><td class=\"govuk-table__cell govuk-table__cell--numeric\">2</td><td class=\"govuk-table__cell govuk-table__cell--numeric\">5</td>"
                    )
                )
                #expect(
                    compact.contains(
                        "Legal advisers</th><td class=\"govuk-table__cell govuk-table__cell--numeric\">1</td><td class=\"govuk-table__cell govuk-table__cell--numeric\">1</td>"
                    )
                )
                #expect(compact.contains("Bench group meeting</th><td class=\"govuk-table__cell govuk-table__cell--numeric\">1</td>"))
                #expect(compact.contains("One-to-one</th><td class=\"govuk-table__cell govuk-table__cell--numeric\">1</td>"))
                #expect(compact.contains("Liaison meeting</th><td class=\"govuk-table__cell govuk-table__cell--numeric\">0</td>"))
                #expect(!list.text.contains("%"))
            }
        }

        @Test("the CSV export has the documented columns, one row per meeting and topic, and neutralises formula cells")
        func csvExport() async throws {
            try await TestApp.run { client, app in
                let world = try await SentencerWorld.make(client, app)
                let inspector = try await world.assignedInspector()
                let id = try await world.startMeeting(inspector)
                try await world.savePage(inspector, id, "attendees", [("attendees_resident_judge", "2")])
                try await world.savePage(
                    inspector,
                    id,
                    "t1",
                    [
                        ("t1_rating", "very_confident"), ("t1_evidence", "=HYPERLINK(\"http://x\")"), ("t1_quote", "+1, said the judge"),
                        ("t1_quote_role", "resident_judge"),
                    ]
                )
                try await world.savePage(
                    inspector,
                    id,
                    "t2",
                    [("t2_rating", "no_view"), ("t2_evidence", "@SUM(A1)"), ("t2_quote", "-2 is fine"), ("t2_quote_role", "legal_adviser")]
                )
                let response = try await inspector.get("/inspections/\(world.fixtures.inspectionID)/sentencer-evidence.csv")
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
                #expect(response.headers[.contentDisposition]?.contains("attachment") == true)
                let lines = response.text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
                #expect(
                    lines[0]
                        == "meeting_id,status,revision,meeting_date,meeting_format,meeting_mode,court_type,court_name,week_plus_two,"
                        + "attendees_lay_magistrate,attendees_bench_chair,attendees_district_judge,attendees_crown_court_judge,"
                        + "attendees_resident_judge,attendees_legal_adviser,topic,rating,views_divided,follow_up,evidence,quote,quote_role"
                )
                #expect(lines.count == 3)
                #expect(
                    lines[1].hasPrefix("\(id),draft,4,2026-11-20,bench_group,in_person,magistrates,Cardiff Magistrates' Court,false,0,0,0,0,2,0,t1,")
                )
                #expect(lines[1].contains("\"'=HYPERLINK(\"\"http://x\"\")\""))
                #expect(lines[1].contains("\"'+1, said the judge\",resident_judge"))
                #expect(lines[2].contains(",t2,no_view,false,false,'@SUM(A1),'-2 is fine,legal_adviser"))
                #expect(!response.text.contains(",=") && !response.text.contains(",@") && !response.text.contains(",+"))
            }
        }

        @Test("the JSON export nests attendees and topics per meeting with the same fields")
        func jsonExport() async throws {
            try await TestApp.run { client, app in
                let world = try await SentencerWorld.make(client, app)
                let inspector = try await world.assignedInspector()
                let id = try await world.startMeeting(inspector)
                try await world.savePage(inspector, id, "attendees", [("attendees_crown_court_judge", "1")])
                try await world.savePage(inspector, id, "t7", [("t7_rating", "fairly_confident"), ("t7_views_divided", "divided")])
                let response = try await inspector.get("/inspections/\(world.fixtures.inspectionID)/sentencer-evidence.json")
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                let object = try #require(try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any])
                #expect(object["inspection_id"] as? Int == world.fixtures.inspectionID)
                let meetings = try #require(object["meetings"] as? [[String: Any]])
                #expect(meetings.count == 1)
                #expect(meetings[0]["meeting_id"] as? Int == Int(id))
                #expect(meetings[0]["court_name"] as? String == "Cardiff Magistrates' Court")
                let attendees = try #require(meetings[0]["attendees"] as? [String: Int])
                #expect(
                    attendees == [
                        "lay_magistrate": 0, "bench_chair": 0, "district_judge": 0, "crown_court_judge": 1, "resident_judge": 0, "legal_adviser": 0,
                    ]
                )
                let topics = try #require(meetings[0]["topics"] as? [[String: Any]])
                #expect(topics.count == 1)
                #expect(topics[0]["topic"] as? String == "t7")
                #expect(topics[0]["rating"] as? String == "fairly_confident")
                #expect(topics[0]["views_divided"] as? Bool == true)
            }
        }
    }

    @Suite("Sentencer meetings: bad input")
    struct SentencerBadInputTests {
        @Test("attendee counts that are negative or over 50, or none at all, get a message on the field, keep the input and write nothing")
        func badCounts() async throws {
            try await TestApp.run { client, app in
                let world = try await SentencerWorld.make(client, app)
                let inspector = try await world.assignedInspector()
                let id = try await world.startMeeting(inspector)
                let before = try await world.stored(id)
                let response = try await world.savePage(
                    inspector,
                    id,
                    "attendees",
                    [("attendees_lay_magistrate", "-1"), ("attendees_bench_chair", "51"), ("attendees_legal_adviser", "2")]
                )
                #expect(response.status == .badRequest)
                #expect(response.text.contains("Enter a number of lay magistrates between 0 and 50"))
                #expect(response.text.contains("Enter a number of bench chairs between 0 and 50"))
                #expect(response.text.contains("href=\"#attendees_lay_magistrate\""))
                #expect(response.text.contains("value=\"-1\""))
                #expect(response.text.contains("value=\"51\""))
                #expect(response.text.contains("value=\"2\""))
                #expect(response.text.contains("<title>Error: "))
                let none = try await world.savePage(inspector, id, "attendees", [("attendees_lay_magistrate", "0")])
                #expect(none.status == .badRequest)
                #expect(none.text.contains("Enter how many attended in at least one role"))
                let after = try await world.stored(id)
                #expect(after.revision == before.revision)
                #expect(after.answers == before.answers)
                #expect(try await app.db.query("SELECT 1 FROM sentencer_meeting_attendance").isEmpty)
            }
        }

        @Test("a meeting date before the inspection was announced or in the future is refused on the field and nothing is created")
        func datesOutsideInspection() async throws {
            try await TestApp.run { client, app in
                let world = try await SentencerWorld.make(client, app)
                let inspector = try await world.assignedInspector()
                try await inspector.get(world.newPath)
                for (day, month) in [("30", "9"), ("27", "11")] {
                    let response = try await inspector.post(world.newPath, SentencerWorld.meetingFields(day: day, month: month))
                    #expect(response.status == .badRequest, "\(day)/\(month)")
                    #expect(
                        response.text.contains(
                            "The date of the meeting must be between 1 October 2026 (the inspection was announced) and 26 November 2026"
                        )
                    )
                    #expect(response.text.contains("href=\"#meeting_date-day\""))
                    #expect(response.text.contains("value=\"Cardiff Magistrates&#39;") || response.text.contains("value=\"Cardiff Magistrates&#x27;"))
                    #expect(response.text.contains("value=\"\(day)\""))
                }
                // A missing mode and court name are asked for too.
                let missing = try await inspector.post(
                    world.newPath,
                    SentencerWorld.meetingFields().filter { $0.0 != "meeting_mode" && $0.0 != "court_name" }
                )
                #expect(missing.status == .badRequest)
                #expect(missing.text.contains("Select how the meeting was held"))
                #expect(missing.text.contains("Enter the name of the court"))
                #expect(try await app.db.query("SELECT 1 FROM sentencer_meeting").isEmpty)
                // The bounds themselves are allowed.
                #expect(try await inspector.post(world.newPath, SentencerWorld.meetingFields(day: "1", month: "10")).status == .seeOther)
                #expect(try await inspector.post(world.newPath, SentencerWorld.meetingFields(day: "26", month: "11")).status == .seeOther)
            }
        }

        @Test("the schema itself refuses a meeting dated before its inspection was announced")
        func schemaRefusesDateOutsideInspection() async throws {
            try await TestApp.run { client, app in
                let world = try await SentencerWorld.make(client, app)
                let inspector = try await world.assignedInspector()
                let id = try await world.startMeeting(inspector)
                do {
                    try await app.db.execute("UPDATE sentencer_meeting SET meeting_date = '2026-09-30' WHERE id = \(id)")
                    Issue.record("the update was accepted")
                } catch let error as PostgresError {
                    #expect(error.code == .checkViolation)
                }
                #expect(try await app.db.execute("UPDATE sentencer_meeting SET meeting_date = '2026-10-01' WHERE id = \(id)") == 1)
            }
        }

        @Test("a rating not in the schedule and notes over 4,000 characters get messages on their fields and nothing is written")
        func badRatingAndLongNotes() async throws {
            try await TestApp.run { client, app in
                let world = try await SentencerWorld.make(client, app)
                let inspector = try await world.assignedInspector()
                let id = try await world.startMeeting(inspector)
                let before = try await world.stored(id)
                let long = String(repeating: "a", count: 4001)
                let response = try await world.savePage(
                    inspector,
                    id,
                    "t3",
                    [("t3_rating", "extremely_confident"), ("t3_evidence", long), ("t3_quote", "Keep this quote")]
                )
                #expect(response.status == .badRequest)
                #expect(response.text.contains("href=\"#t3_rating\""))
                #expect(response.text.contains("href=\"#t3_evidence\""))
                #expect(response.text.contains("Your answer must be 4,000 characters or fewer"))
                #expect(response.text.contains("Keep this quote"))
                #expect(response.text.contains("Select the role of the person who said the quote"))
                #expect(response.text.contains(long))
                let after = try await world.stored(id)
                #expect(after.revision == before.revision)
                #expect(after.answers == before.answers)
                #expect(try await app.db.query("SELECT 1 FROM sentencer_meeting_topic").isEmpty)
            }
        }

        @Test("a save carrying no revision or a made-up one is treated as out of date and writes nothing")
        func missingRevision() async throws {
            try await TestApp.run { client, app in
                let world = try await SentencerWorld.make(client, app)
                let inspector = try await world.assignedInspector()
                let id = try await world.startMeeting(inspector)
                try await inspector.get(SentencerWorld.pagePath(id, "t1"))
                for revision in [nil, "0", "99", "x"] as [String?] {
                    var fields = [("t1_rating", "no_view")]
                    if let revision { fields.append(("revision", revision)) }
                    let response = try await inspector.post(SentencerWorld.pagePath(id, "t1"), fields)
                    #expect(response.status == .conflict, "\(revision ?? "none")")
                }
                #expect(try await world.stored(id).revision == 1)
            }
        }
    }

    @Suite("Sentencer meetings: CSV cells")
    struct SentencerCSVCellTests {
        @Test("cells starting with = + - @ tab or carriage return get an apostrophe; commas, quotes and line breaks are quoted")
        func neutralising() {
            #expect(SentencerExport.cell("=1+1") == "'=1+1")
            #expect(SentencerExport.cell("+44") == "'+44")
            #expect(SentencerExport.cell("-3") == "'-3")
            #expect(SentencerExport.cell("@cmd") == "'@cmd")
            #expect(SentencerExport.cell("\tx") == "'\tx")
            #expect(SentencerExport.cell("plain") == "plain")
            #expect(SentencerExport.cell("a, b") == "\"a, b\"")
            #expect(SentencerExport.cell("say \"hi\"") == "\"say \"\"hi\"\"\"")
            #expect(SentencerExport.cell("two\nlines") == "\"two\nlines\"")
            #expect(SentencerExport.cell("a=b") == "a=b")
        }
    }
}
