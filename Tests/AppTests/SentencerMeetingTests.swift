import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Operations
import Postgres
import Testing
import Web

extension SentencerTests {
    @Suite("Sentencer meetings: the record, drafts, final and revisions")
    struct SentencerMeetingTests {
        @Test("a meeting is recorded page by page against the schedule, each page saved as a draft, attendees by role and count")
        func recordPageByPage() async throws {
            try await TestApp.run { client, app in
                let world = try await SentencerWorld.make(client, app)
                let inspector = try await world.assignedInspector()
                let form = try await inspector.get(world.newPath)
                #expect(form.status == .ok)
                #expect(form.text.contains("Date of the meeting"))
                #expect(form.text.contains("How the meeting was held"))
                #expect(form.text.contains("name=\"court_name\""))
                let id = try await world.startMeeting(inspector)
                var stored = try await world.stored(id)
                #expect(stored.revision == 1)
                #expect(stored.status == "draft")

                let attendees = try await world.savePage(
                    inspector,
                    id,
                    "attendees",
                    [("attendees_lay_magistrate", "3"), ("attendees_bench_chair", "1")]
                )
                #expect(attendees.status == .seeOther)
                #expect(attendees.headers[.location] == SentencerWorld.pagePath(id, "t1"))
                stored = try await world.stored(id)
                #expect(stored.revision == 2)

                let t1 = try await world.savePage(
                    inspector,
                    id,
                    "t1",
                    [
                        ("t1_rating", "not_very_confident"), ("t1_views_divided", "divided"),
                        ("t1_evidence", "Reports arrive late, said the bench chair."),
                        ("t1_quote", "We often wait a week."), ("t1_quote_role", "bench_chair"), ("t1_follow_up", "follow_up"),
                    ]
                )
                #expect(t1.headers[.location] == SentencerWorld.pagePath(id, "t2"))

                let header = try await app.db.query(
                    "SELECT meeting_date::text AS d, meeting_format, meeting_mode, court_type, court_name, week_plus_two FROM sentencer_meeting WHERE id = \(id)"
                )[0]
                #expect(try header.decode("d", as: String.self) == "2026-11-20")
                #expect(try header.decode("meeting_format", as: String.self) == "bench_group")
                #expect(try header.decode("meeting_mode", as: String.self) == "in_person")
                #expect(try header.decode("court_name", as: String.self) == "Cardiff Magistrates' Court")
                #expect(try header.decode("week_plus_two", as: Bool.self) == false)
                let attendance = try await app.db.query(
                    "SELECT role, attendees FROM sentencer_meeting_attendance WHERE meeting_id = \(id) ORDER BY role"
                ).map { "\(try $0.decode("role", as: String.self))=\(try $0.decode("attendees", as: Int.self))" }
                #expect(attendance == ["bench_chair=1", "lay_magistrate=3"])
                let topic = try await app.db.query("SELECT * FROM sentencer_meeting_topic WHERE meeting_id = \(id)")
                #expect(topic.count == 1)
                #expect(try topic[0].decode("rating", as: String.self) == "not_very_confident")
                #expect(try topic[0].decode("views_divided", as: Bool.self))
                #expect(try topic[0].decode("follow_up", as: Bool.self))
                #expect(try topic[0].decode("quote_role", as: String?.self) == "bench_chair")
                #expect(try await app.db.query("SELECT 1 FROM sentencer_meeting_revision WHERE meeting_id = \(id)").count == 3)

                // The record shows the answers as labels.
                let record = try await inspector.get("/sentencer-meetings/\(id)")
                #expect(record.status == .ok)
                #expect(record.text.contains("Not very confident"))
                #expect(record.text.contains("Reports arrive late, said the bench chair."))
                #expect(record.text.contains("Bench chair"))
                #expect(record.text.contains("Draft"))
            }
        }

        @Test("'views divided' is offered for group meetings and not for one-to-one meetings")
        func viewsDividedOnlyForGroups() async throws {
            try await TestApp.run { client, app in
                let world = try await SentencerWorld.make(client, app)
                let inspector = try await world.assignedInspector()
                let group = try await world.startMeeting(inspector, format: "liaison_meeting")
                #expect(try await inspector.get(SentencerWorld.pagePath(group, "t3")).text.contains("name=\"t3_views_divided\""))
                let single = try await world.startMeeting(inspector, format: "one_to_one")
                let page = try await inspector.get(SentencerWorld.pagePath(single, "t3"))
                #expect(page.status == .ok)
                #expect(!page.text.contains("t3_views_divided"))
                // A posted tick on a one-to-one is dropped, not stored.
                try await world.savePage(inspector, single, "t3", [("t3_rating", "very_confident"), ("t3_views_divided", "divided")])
                #expect(!(try await world.stored(single).answers.contains("t3_views_divided")))
            }
        }

        @Test("marking final records who and when; editing it afterwards adds a revision whose history shows the change")
        func finalThenRevision() async throws {
            try await TestApp.run { client, app in
                let world = try await SentencerWorld.make(client, app)
                let inspector = try await world.assignedInspector()
                let id = try await world.startMeeting(inspector)
                try await world.completeMeeting(inspector, id)
                let record = try await inspector.get("/sentencer-meetings/\(id)")
                let revision = try #require(SentencerWorld.revision(in: record.text))
                let final = try await inspector.post("/sentencer-meetings/\(id)/final", [("revision", revision)])
                #expect(final.status == .seeOther)
                let row = try await app.db.query(
                    """
                    SELECT m.status, m.revision, u.email, m.finalised_at FROM sentencer_meeting m JOIN staff_user u ON u.id = m.finalised_by
                    WHERE m.id = \(id)
                    """
                )[0]
                #expect(try row.decode("status", as: String.self) == "final")
                #expect(try row.decode("email", as: String.self) == "ann@example.gov.uk")
                #expect(try row.decode("finalised_at", as: Date.self) == app.clock.now)
                let finalRevision: Int = try row.decode("revision")
                #expect(finalRevision == Int(revision)! + 1)
                let shown = try await inspector.get("/sentencer-meetings/\(id)")
                #expect(shown.text.contains("Marked final by Inspector A"))
                #expect(!shown.text.contains("Mark as final</button>"))

                app.clock.advance(by: 60)
                let edit = try await world.savePage(
                    inspector,
                    id,
                    "t2",
                    [("t2_rating", "very_confident"), ("t2_evidence", "Much better since the new rota")]
                )
                #expect(edit.status == .seeOther)
                let after = try await world.stored(id)
                #expect(after.status == "final")
                #expect(after.revision == finalRevision + 1)
                let changed = try await app.db.query(
                    "SELECT array_to_json(changed_fields)::text AS c FROM sentencer_meeting_revision WHERE meeting_id = \(id) AND revision = \(after.revision)"
                )[0].decode("c", as: String.self)
                #expect(changed == "[\"t2_rating\",\"t2_evidence\"]")

                let history = try await inspector.get("/sentencer-meetings/\(id)/history")
                #expect(history.status == .ok)
                #expect(history.text.contains("Revision \(after.revision)"))
                #expect(history.text.contains("Notes for t2"))
                #expect(history.text.contains("Much better since the new rota"))
                #expect(history.text.contains("Fairly confident"))
                #expect(history.text.contains("Very confident"))
                #expect(history.text.contains("Marked final. No answers changed."))
                // The full answers of the earlier revision are kept.
                let earlier = try await app.db.query(
                    "SELECT answers::text AS a FROM sentencer_meeting_revision WHERE meeting_id = \(id) AND revision = \(finalRevision)"
                )[0].decode("a", as: String.self)
                #expect(earlier.contains("Notes for t2"))
                #expect(try await world.auditCount("sentencer_meeting.finalised", meeting: id) == 1)
                #expect(try await world.auditCount("sentencer_meeting.revised", meeting: id) == 1)
            }
        }

        @Test("a record with an unrated topic cannot be marked final: the missing answers are listed and it stays a draft")
        func finalNeedsEveryAnswer() async throws {
            try await TestApp.run { client, app in
                let world = try await SentencerWorld.make(client, app)
                let inspector = try await world.assignedInspector()
                let id = try await world.startMeeting(inspector)
                try await world.savePage(inspector, id, "attendees", [("attendees_district_judge", "1")])
                let record = try await inspector.get("/sentencer-meetings/\(id)")
                let revision = try #require(SentencerWorld.revision(in: record.text))
                let refused = try await inspector.post("/sentencer-meetings/\(id)/final", [("revision", revision)])
                #expect(refused.status == .badRequest)
                #expect(refused.text.contains("Answer these before you mark the record final"))
                #expect(refused.text.contains("href=\"/sentencer-meetings/\(id)/pages/t1#t1_rating\""))
                #expect(try await world.stored(id).status == "draft")
            }
        }

        @Test("saving a page without changes adds no revision")
        func unchangedSaveAddsNothing() async throws {
            try await TestApp.run { client, app in
                let world = try await SentencerWorld.make(client, app)
                let inspector = try await world.assignedInspector()
                let id = try await world.startMeeting(inspector)
                try await world.savePage(inspector, id, "attendees", [("attendees_district_judge", "1")])
                let before = try await world.stored(id).revision
                let again = try await world.savePage(inspector, id, "attendees", [("attendees_district_judge", "1")])
                #expect(again.status == .seeOther)
                #expect(try await world.stored(id).revision == before)
            }
        }
    }

    @Suite("Sentencer meetings: two inspectors at once, and lost sessions")
    struct SentencerConcurrencyTests {
        @Test("when two inspectors edit the same page, the second save is refused with both versions shown and nothing overwritten")
        func secondSaveRefused() async throws {
            try await TestApp.run { client, app in
                let world = try await SentencerWorld.make(client, app)
                let browsers = try await world.assignedInspectors(["ann@example.gov.uk", "bob@example.gov.uk"])
                let (ann, bob) = (browsers[0], browsers[1])
                let id = try await world.startMeeting(ann)
                let path = SentencerWorld.pagePath(id, "t4")
                let annRevision = try #require(SentencerWorld.revision(in: try await ann.get(path).text))
                let bobRevision = try #require(SentencerWorld.revision(in: try await bob.get(path).text))
                #expect(annRevision == bobRevision)

                let first = try await ann.post(path, [("t4_rating", "very_confident"), ("t4_evidence", "Ann's notes"), ("revision", annRevision)])
                #expect(first.status == .seeOther)
                let afterFirst = try await world.stored(id)

                let second = try await bob.post(
                    path,
                    [("t4_rating", "not_at_all_confident"), ("t4_evidence", "Bob's notes"), ("revision", bobRevision)]
                )
                #expect(second.status == .conflict)
                #expect(second.text.contains("Someone else changed this record while you were editing it"))
                #expect(second.text.contains("Inspector A saved this record"))
                #expect(second.text.contains("Ann&#39;s notes") || second.text.contains("Ann&#x27;s notes"))
                #expect(second.text.contains("Bob&#39;s notes") || second.text.contains("Bob&#x27;s notes"))
                #expect(second.text.contains("Not at all confident"))
                // Nothing overwritten.
                let afterSecond = try await world.stored(id)
                #expect(afterSecond.revision == afterFirst.revision)
                #expect(afterSecond.answers.contains("Ann's notes"))
                #expect(!afterSecond.answers.contains("Bob's notes"))
                #expect(try await world.auditCount("sentencer_meeting.conflict", meeting: id) == 1)

                // Bob may then choose, explicitly, to save his version on top of the current revision.
                let revision = try #require(SentencerWorld.revision(in: second.text))
                #expect(Int(revision) == afterFirst.revision)
                let overwrite = try await bob.post(
                    path,
                    [("t4_rating", "not_at_all_confident"), ("t4_evidence", "Bob's notes"), ("revision", revision)]
                )
                #expect(overwrite.status == .seeOther)
                #expect(try await world.stored(id).answers.contains("Bob's notes"))
                // Ann's version is still in the history.
                let history = try await ann.get("/sentencer-meetings/\(id)/history")
                #expect(history.text.contains("Ann&#39;s notes") || history.text.contains("Ann&#x27;s notes"))
            }
        }

        @Test("marking final a record someone changed since it was opened is refused, and the record stays a draft")
        func finalAgainstOldRevision() async throws {
            try await TestApp.run { client, app in
                let world = try await SentencerWorld.make(client, app)
                let browsers = try await world.assignedInspectors(["ann@example.gov.uk", "bob@example.gov.uk"])
                let id = try await world.startMeeting(browsers[0])
                try await world.completeMeeting(browsers[0], id)
                let opened = try #require(SentencerWorld.revision(in: try await browsers[0].get("/sentencer-meetings/\(id)").text))
                try await world.savePage(browsers[1], id, "t8", [("t8_evidence", "Bob added this")])
                let refused = try await browsers[0].post("/sentencer-meetings/\(id)/final", [("revision", opened)])
                #expect(refused.status == .conflict)
                #expect(refused.text.contains("The record was not marked final: Inspector B changed it"))
                #expect(refused.text.contains("Bob added this"))
                #expect(try await world.stored(id).status == "draft")
            }
        }

        @Test("saves racing on the same revision: exactly one is stored, the others are told the record changed")
        func racingSaves() async throws {
            try await TestApp.run { client, app in
                let world = try await SentencerWorld.make(client, app)
                let browsers = try await world.assignedInspectors(["ann@example.gov.uk", "bob@example.gov.uk", "cat@example.gov.uk"])
                let id = try await world.startMeeting(browsers[0])
                let path = SentencerWorld.pagePath(id, "t5")
                var revisions: [String] = []
                for browser in browsers { revisions.append(try #require(SentencerWorld.revision(in: try await browser.get(path).text))) }
                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for (index, browser) in browsers.enumerated() {
                        let revision = revisions[index]
                        group.addTask {
                            try await browser.post(path, [("t5_rating", "no_view"), ("t5_evidence", "Version \(index)"), ("revision", revision)])
                                .status
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.filter { $0 == .seeOther }.count == 1)
                #expect(statuses.filter { $0 == .conflict }.count == 2)
                #expect(try await world.stored(id).revision == Int(revisions[0])! + 1)
            }
        }

        @Test("a new meeting's first page posted after the session expired comes back after signing in, and no meeting was created")
        func lostSessionOnNewMeeting() async throws {
            try await TestApp.run { client, app in
                let world = try await SentencerWorld.make(client, app)
                let inspector = try await world.assignedInspector()
                try await inspector.get(world.newPath)
                app.clock.advance(by: 31 * 60)
                let posted = try await inspector.post(world.newPath, SentencerWorld.meetingFields())
                let location = try #require(posted.headers[.location])
                #expect(location.hasPrefix("/sign-in?return=\(world.newPath)&restore="))
                #expect(try await app.db.query("SELECT 1 FROM sentencer_meeting").isEmpty)
                let restore = String(location.split(separator: "restore=")[1])
                try await inspector.get(location)
                try await inspector.post(
                    "/sign-in",
                    [("email", "ann@example.gov.uk"), ("password", TestApp.password), ("return", world.newPath), ("restore", restore)]
                )
                let page = try await inspector.get("\(world.newPath)?restore=\(restore)")
                #expect(page.status == .ok)
                #expect(page.text.contains("This is what you entered before you were signed out"))
                #expect(
                    page.text.contains("value=\"Cardiff Magistrates&#39; Court\"") || page.text.contains("value=\"Cardiff Magistrates&#x27; Court\"")
                )
                #expect(page.text.contains("value=\"bench_group\" checked"))
                #expect(page.text.contains("value=\"in_person\" checked"))
                #expect(page.text.contains("value=\"20\""))
            }
        }

        @Test("notes posted after the session expired come back intact after signing in again, and nothing was saved meanwhile")
        func lostSessionKeepsText() async throws {
            try await TestApp.run { client, app in
                let world = try await SentencerWorld.make(client, app)
                let inspector = try await world.assignedInspector()
                let id = try await world.startMeeting(inspector)
                let path = SentencerWorld.pagePath(id, "t6")
                let revision = try #require(SentencerWorld.revision(in: try await inspector.get(path).text))
                let before = try await world.stored(id)
                app.clock.advance(by: 31 * 60)
                let notes = "Liaison meetings lapsed in the summer.\nThe district judge wants them back."
                let posted = try await inspector.post(path, [("t6_rating", "not_very_confident"), ("t6_evidence", notes), ("revision", revision)])
                #expect(posted.status == .seeOther)
                let location = try #require(posted.headers[.location])
                #expect(location.hasPrefix("/sign-in?return=\(path)&restore="))
                #expect(try await world.stored(id).revision == before.revision)
                let restore = String(location.split(separator: "restore=")[1])
                try await inspector.get(location)
                let signIn = try await inspector.post(
                    "/sign-in",
                    [("email", "ann@example.gov.uk"), ("password", TestApp.password), ("return", path), ("restore", restore)]
                )
                #expect(signIn.headers[.location] == "\(path)?restore=\(restore)")
                let page = try await inspector.get("\(path)?restore=\(restore)")
                #expect(page.status == .ok)
                #expect(page.text.contains("This is what you entered before you were signed out"))
                #expect(page.text.contains("Liaison meetings lapsed in the summer.\nThe district judge wants them back."))
                #expect(page.text.contains("value=\"not_very_confident\" checked"))
                #expect(SentencerWorld.revision(in: page.text) == revision)
                // Saving it now works.
                let saved = try await inspector.post(path, [("t6_rating", "not_very_confident"), ("t6_evidence", notes), ("revision", revision)])
                #expect(saved.status == .seeOther)
                #expect(try await world.stored(id).answers.contains("Liaison meetings lapsed"))
            }
        }
    }
}
