import Forms
import Foundation
import Postgres

/// A stored meeting with sentencers (no sentencer names anywhere: roles and counts only).
package struct SentencerMeeting: Sendable {
    /// Draft until marked final.
    package enum Status: String, Sendable {
        case draft, final
    }

    package let id: Int64
    package let inspectionID: Int
    package let formID: String
    package let formVersion: Int
    package let status: Status
    package let revision: Int
    package let answers: Answers
    package let updatedByName: String
    package let updatedAt: Date
    package let finalisedByName: String?
    package let finalisedAt: Date?
}

/// One saved version of a meeting, for the history page.
package struct SentencerRevision: Sendable {
    package let revision: Int
    package let status: SentencerMeeting.Status
    package let answers: Answers
    let changedFields: [String]
    package let savedByName: String
    package let savedAt: Date
}

/// One line of an inspection's list of meetings.
package struct SentencerMeetingSummary: Sendable {
    package let id: Int64
    package let date: LocalDate
    package let format: String
    package let mode: String
    let courtType: String
    package let courtName: String
    package let weekPlusTwo: Bool
    package let status: SentencerMeeting.Status
    package let revision: Int
    package let attendees: Int
}

/// A programming error in using the store: callers validate the meeting page and look the meeting up first.
enum SentencerMeetingError: Error {
    /// The answers lack the meeting page's header.
    case headerIncomplete
    /// No meeting has that id.
    case notFound
}

/// Who is saving, for the revision row and the audit log.
package struct SentencerEditor: Sendable {
    let userID: StaffUser.ID
    let actor: AuditActor

    package init(userID: StaffUser.ID, actor: AuditActor) {
        self.userID = userID
        self.actor = actor
    }
}

/// Sentencer meetings in PostgreSQL (sql/0040). Every save is a transaction that updates the meeting, adds a revision,
/// rewrites the attendance and topic rows from the answers, and records an audit event.
package struct SentencerMeetingStore: Sendable {
    let database: PostgresClient
    let audit: AuditLog
    let now: @Sendable () -> Date

    package init(database: PostgresClient, audit: AuditLog, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.audit = audit
        self.now = now
    }

    /// What happened to a save.
    package enum SaveOutcome: Sendable {
        /// Saved as this revision (unchanged when nothing differed).
        case saved(revision: Int)
        /// The record had moved on from the revision the edit was based on: nothing was written.
        case conflict(current: SentencerMeeting)
    }

    /// Creates a draft meeting from its first page; returns its id.
    package func create(inspectionID: Int, form: FormDefinition, answers: Answers, by editor: SentencerEditor) async throws -> Int64 {
        guard let header = SentencerHeader(answers) else { throw SentencerMeetingError.headerIncomplete }
        let json = try PostgresJSON(encoding: answers)
        let at = now()
        return try await database.withTransaction { connection in
            try await FormVersionStore.markUsed(form, on: connection)
            let id = try await connection.query(
                """
                INSERT INTO sentencer_meeting (inspection_id, form_id, form_version, status, revision, answers, meeting_date,
                    meeting_format, meeting_mode, court_type, court_name, week_plus_two, created_by, created_at, updated_by, updated_at)
                VALUES (\(inspectionID), \(form.id), \(form.version), 'draft', 1, \(json)::jsonb, \(header.date), \(header.format),
                    \(header.mode), \(header.courtType), \(header.courtName), \(header.weekPlusTwo), \(editor.userID), \(at),
                    \(editor.userID), \(at))
                RETURNING id
                """
            )[0].decode("id", as: Int64.self)
            try await addRevision(id, 1, .draft, json, [], editor, at, connection)
            try await project(id, answers, connection)
            try await audit.record(
                .sentencerMeetingCreated,
                actor: editor.actor,
                subject: .sentencerMeeting(id),
                details: ["inspection": .int(Int64(inspectionID)), "revision": .int(1)],
                on: connection
            )
            return id
        }
    }

    /// Saves `answers` over the meeting if it is still at `revision`; `finalise` also marks it final. A save that changes
    /// nothing (and does not finalise) writes nothing.
    package func save(
        meetingID: Int64,
        basedOn revision: Int,
        answers: Answers,
        finalise: Bool,
        changedKeys: (Answers) -> [String],
        by editor: SentencerEditor
    ) async throws -> SaveOutcome {
        guard let header = SentencerHeader(answers) else { throw SentencerMeetingError.headerIncomplete }
        let at = now()
        let json = try PostgresJSON(encoding: answers)
        let outcome: SaveOutcome? = try await database.withTransaction { connection in
            let locked = try await connection.query(
                "SELECT revision, status, answers FROM sentencer_meeting WHERE id = \(meetingID) FOR UPDATE"
            )
            guard let row = locked.first else { throw SentencerMeetingError.notFound }
            let current: Int = try row.decode("revision")
            guard current == revision else { return nil }
            let wasFinal = try row.decode("status", as: String.self) == SentencerMeeting.Status.final.rawValue
            let changed = changedKeys(try row.decode("answers", as: PostgresJSON.self).decode(Answers.self))
            let becomesFinal = finalise && !wasFinal
            guard !changed.isEmpty || becomesFinal else { return .saved(revision: current) }
            let next = current + 1
            let status: SentencerMeeting.Status = wasFinal || finalise ? .final : .draft
            try await connection.execute(
                """
                UPDATE sentencer_meeting SET answers = \(json)::jsonb, revision = \(next), status = \(status.rawValue),
                    meeting_date = \(header.date), meeting_format = \(header.format), meeting_mode = \(header.mode),
                    court_type = \(header.courtType), court_name = \(header.courtName), week_plus_two = \(header.weekPlusTwo),
                    updated_by = \(editor.userID), updated_at = \(at),
                    finalised_by = coalesce(finalised_by, \(becomesFinal ? editor.userID : nil)),
                    finalised_at = coalesce(finalised_at, \(becomesFinal ? at : nil))
                WHERE id = \(meetingID)
                """
            )
            try await addRevision(meetingID, next, status, json, changed, editor, at, connection)
            try await project(meetingID, answers, connection)
            try await audit.record(
                becomesFinal ? .sentencerMeetingFinalised : (wasFinal ? .sentencerMeetingRevised : .sentencerMeetingSaved),
                actor: editor.actor,
                subject: .sentencerMeeting(meetingID),
                details: ["revision": .int(Int64(next)), "changed_fields": .int(Int64(changed.count))],
                on: connection
            )
            return .saved(revision: next)
        }
        if let outcome { return outcome }
        guard let current = try await meeting(id: meetingID) else { throw SentencerMeetingError.notFound }
        return .conflict(current: current)
    }

    private func addRevision(
        _ id: Int64,
        _ revision: Int,
        _ status: SentencerMeeting.Status,
        _ json: PostgresJSON,
        _ changed: [String],
        _ editor: SentencerEditor,
        _ at: Date,
        _ connection: PostgresConnection
    ) async throws {
        try await connection.execute(
            """
            INSERT INTO sentencer_meeting_revision (meeting_id, revision, status, answers, changed_fields, saved_by, saved_at)
            VALUES (\(id), \(revision), \(status.rawValue), \(json)::jsonb, \(changed)::text[], \(editor.userID), \(at))
            """
        )
    }

    /// Rewrites the attendance and topic rows of a meeting from its answers.
    private func project(_ id: Int64, _ answers: Answers, _ connection: PostgresConnection) async throws {
        try await connection.execute("DELETE FROM sentencer_meeting_attendance WHERE meeting_id = \(id)")
        try await connection.execute("DELETE FROM sentencer_meeting_topic WHERE meeting_id = \(id)")
        for (role, count) in sentencerAttendance(in: answers) {
            try await connection.execute(
                "INSERT INTO sentencer_meeting_attendance (meeting_id, role, attendees) VALUES (\(id), \(role), \(count))"
            )
        }
        for topic in SentencerTopic.all(in: answers) {
            try await connection.execute(
                """
                INSERT INTO sentencer_meeting_topic (meeting_id, topic, rating, views_divided, follow_up, evidence, quote, quote_role)
                VALUES (\(id), \(topic.topic), \(topic.rating), \(topic.viewsDivided), \(topic.followUp), \(topic.evidence),
                        \(topic.quote), \(topic.quoteRole))
                """
            )
        }
    }

    /// The meeting with `id`, or nil.
    package func meeting(id: Int64) async throws -> SentencerMeeting? {
        let rows = try await database.query(
            """
            SELECT m.id, m.inspection_id, m.form_id, m.form_version, m.status, m.revision, m.answers, m.updated_at,
                   m.finalised_at, u.display_name AS updated_by_name, f.display_name AS finalised_by_name
            FROM sentencer_meeting m
            JOIN staff_user u ON u.id = m.updated_by
            LEFT JOIN staff_user f ON f.id = m.finalised_by
            WHERE m.id = \(id)
            """
        )
        return try rows.first.map { row in
            SentencerMeeting(
                id: try row.decode("id"),
                inspectionID: try row.decode("inspection_id"),
                formID: try row.decode("form_id"),
                formVersion: try row.decode("form_version"),
                status: SentencerMeeting.Status(rawValue: try row.decode("status")) ?? .draft,
                revision: try row.decode("revision"),
                answers: try row.decode("answers", as: PostgresJSON.self).decode(Answers.self),
                updatedByName: try row.decode("updated_by_name"),
                updatedAt: try row.decode("updated_at"),
                finalisedByName: try row.decode("finalised_by_name"),
                finalisedAt: try row.decode("finalised_at")
            )
        }
    }

    /// Every revision of a meeting, newest first.
    package func revisions(meetingID: Int64) async throws -> [SentencerRevision] {
        try await database.query(
            """
            SELECT r.revision, r.status, r.answers, array_to_json(r.changed_fields)::text AS changed, r.saved_at,
                   u.display_name AS saved_by_name
            FROM sentencer_meeting_revision r JOIN staff_user u ON u.id = r.saved_by
            WHERE r.meeting_id = \(meetingID)
            ORDER BY r.revision DESC
            """
        ).map { row in
            SentencerRevision(
                revision: try row.decode("revision"),
                status: SentencerMeeting.Status(rawValue: try row.decode("status")) ?? .draft,
                answers: try row.decode("answers", as: PostgresJSON.self).decode(Answers.self),
                changedFields: try PostgresJSON(text: try row.decode("changed")).decode([String].self),
                savedByName: try row.decode("saved_by_name"),
                savedAt: try row.decode("saved_at")
            )
        }
    }

    /// The meetings of an inspection, by date.
    package func meetings(inspectionID: Int) async throws -> [SentencerMeetingSummary] {
        try await database.query(
            """
            SELECT m.id, m.meeting_date, m.meeting_format, m.meeting_mode, m.court_type, m.court_name, m.week_plus_two,
                   m.status, m.revision, coalesce((SELECT sum(a.attendees) FROM sentencer_meeting_attendance a WHERE a.meeting_id = m.id), 0)::int AS attendees
            FROM sentencer_meeting m
            WHERE m.inspection_id = \(inspectionID)
            ORDER BY m.meeting_date, m.id
            """
        ).map { row in
            SentencerMeetingSummary(
                id: try row.decode("id"),
                date: try row.decode("meeting_date"),
                format: try row.decode("meeting_format"),
                mode: try row.decode("meeting_mode"),
                courtType: try row.decode("court_type"),
                courtName: try row.decode("court_name"),
                weekPlusTwo: try row.decode("week_plus_two"),
                status: SentencerMeeting.Status(rawValue: try row.decode("status")) ?? .draft,
                revision: try row.decode("revision"),
                attendees: try row.decode("attendees")
            )
        }
    }

    /// Per sentencer role: how many meetings they attended and how many of them attended in all.
    package func attendanceByRole(inspectionID: Int) async throws -> [String: (meetings: Int, attendees: Int)] {
        var result: [String: (meetings: Int, attendees: Int)] = [:]
        for row in try await database.query(
            """
            SELECT a.role, count(*)::int AS meetings, sum(a.attendees)::int AS attendees
            FROM sentencer_meeting_attendance a JOIN sentencer_meeting m ON m.id = a.meeting_id
            WHERE m.inspection_id = \(inspectionID)
            GROUP BY a.role
            """
        ) {
            result[try row.decode("role")] = (try row.decode("meetings"), try row.decode("attendees"))
        }
        return result
    }

    /// The topics of every meeting of an inspection, keyed by meeting id.
    package func topics(inspectionID: Int) async throws -> [Int64: [SentencerTopic]] {
        var result: [Int64: [SentencerTopic]] = [:]
        for row in try await database.query(
            """
            SELECT t.* FROM sentencer_meeting_topic t JOIN sentencer_meeting m ON m.id = t.meeting_id
            WHERE m.inspection_id = \(inspectionID) ORDER BY t.meeting_id, t.topic
            """
        ) {
            let topic = SentencerTopic(
                topic: try row.decode("topic"),
                rating: try row.decode("rating"),
                viewsDivided: try row.decode("views_divided"),
                followUp: try row.decode("follow_up"),
                evidence: try row.decode("evidence"),
                quote: try row.decode("quote"),
                quoteRole: try row.decode("quote_role")
            )
            result[try row.decode("meeting_id"), default: []].append(topic)
        }
        return result
    }

    /// Attendance of every meeting of an inspection, keyed by meeting id then role.
    package func attendance(inspectionID: Int) async throws -> [Int64: [String: Int]] {
        var result: [Int64: [String: Int]] = [:]
        for row in try await database.query(
            """
            SELECT a.meeting_id, a.role, a.attendees FROM sentencer_meeting_attendance a
            JOIN sentencer_meeting m ON m.id = a.meeting_id WHERE m.inspection_id = \(inspectionID)
            """
        ) {
            result[try row.decode("meeting_id"), default: [:]][try row.decode("role")] = try row.decode("attendees")
        }
        return result
    }
}

extension AuditEvent {
    /// A meeting with sentencers was recorded (its first page saved).
    static let sentencerMeetingCreated: AuditEvent = "sentencer_meeting.created"
    /// A draft meeting record was saved.
    static let sentencerMeetingSaved: AuditEvent = "sentencer_meeting.saved"
    /// A meeting record was marked final.
    static let sentencerMeetingFinalised: AuditEvent = "sentencer_meeting.finalised"
    /// A final meeting record was edited (a new revision).
    static let sentencerMeetingRevised: AuditEvent = "sentencer_meeting.revised"
    /// A save was refused because the record had changed since the form was shown.
    package static let sentencerMeetingConflict: AuditEvent = "sentencer_meeting.conflict"
    /// A meeting record (or one of its pages, or its history) was shown.
    package static let sentencerMeetingViewed: AuditEvent = "sentencer_meeting.viewed"
    /// An inspection's list of sentencer meetings was shown.
    package static let sentencerMeetingsListed: AuditEvent = "sentencer_meeting.listed"
    /// An inspection's sentencer evidence was exported.
    package static let sentencerEvidenceExported: AuditEvent = "sentencer_meeting.exported"
}

extension AuditSubject {
    /// A sentencer meeting record.
    package static func sentencerMeeting(_ id: Int64) -> AuditSubject { AuditSubject(type: "sentencer_meeting", id: String(id)) }
}
