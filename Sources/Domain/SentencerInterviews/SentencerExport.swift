import Foundation

/// An inspection's sentencer evidence as CSV or JSON. Counts of meetings and roles, ratings, notes and quotes by
/// role: no names (the schema has nowhere to keep one), so no disclosure control is needed beyond that.
///
/// **CSV columns** (one row per meeting and answered topic; a meeting with no topic answered yet has one row with the
/// topic columns empty; codes as in sql/0040 and forms/sentencer-interview.yaml):
///
/// | column | meaning |
/// | --- | --- |
/// | `meeting_id` | the meeting record's id |
/// | `status` | `draft` or `final` |
/// | `revision` | the record's current revision |
/// | `meeting_date` | `YYYY-MM-DD` |
/// | `meeting_format` | `one_to_one`, `bench_group`, `liaison_meeting` |
/// | `meeting_mode` | `in_person`, `phone`, `video` |
/// | `court_type` | `magistrates`, `crown`, `both` |
/// | `court_name` | the court's name |
/// | `week_plus_two` | `true` or `false` |
/// | `attendees_lay_magistrate` … `attendees_legal_adviser` | attendees in each role (0 when none), six columns in the schedule's order |
/// | `topic` | `t1` … `t8` |
/// | `rating` | `very_confident`, `fairly_confident`, `not_very_confident`, `not_at_all_confident`, `no_view`; empty for T8 |
/// | `views_divided` | `true` when a group's views were divided (the rating is the main view) |
/// | `follow_up` | `true` when flagged for follow-up with the provider |
/// | `evidence` | evidence notes (roles, never names) |
/// | `quote` | one quote |
/// | `quote_role` | who said it, as a role code |
///
/// A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with an apostrophe so a spreadsheet
/// does not run it as a formula. The JSON has the same fields, nested: `{"inspection_id", "meetings": [{…header,
/// "attendees": {role: count}, "topics": [{…}]}]}`; it is not neutralised (it is not opened by spreadsheets).
package struct SentencerExport: Sendable {
    package enum Format: String, Sendable {
        case csv, json
    }

    let inspectionID: Int
    package let meetings: [SentencerMeetingSummary]
    let attendance: [Int64: [String: Int]]
    let topics: [Int64: [SentencerTopic]]

    package init(inspectionID: Int, meetings: [SentencerMeetingSummary], attendance: [Int64: [String: Int]], topics: [Int64: [SentencerTopic]]) {
        self.inspectionID = inspectionID
        self.meetings = meetings
        self.attendance = attendance
        self.topics = topics
    }

    /// The CSV header, in order.
    static let columns: [String] =
        ["meeting_id", "status", "revision", "meeting_date", "meeting_format", "meeting_mode", "court_type", "court_name", "week_plus_two"]
        + SentencerSchedule.roles.map { "attendees_\($0.code)" }
        + ["topic", "rating", "views_divided", "follow_up", "evidence", "quote", "quote_role"]

    /// The CSV text (RFC 4180, CRLF line ends, every cell neutralised and quoted when needed).
    package func csv() -> String {
        var lines = [Self.columns.map(Self.cell).joined(separator: ",")]
        for meeting in meetings {
            let counts = attendance[meeting.id] ?? [:]
            let header =
                [
                    String(meeting.id), meeting.status.rawValue, String(meeting.revision), meeting.date.description, meeting.format, meeting.mode,
                    meeting.courtType, meeting.courtName, String(meeting.weekPlusTwo),
                ] + SentencerSchedule.roles.map { String(counts[$0.code] ?? 0) }
            let rows = topics[meeting.id] ?? []
            if rows.isEmpty { lines.append((header + Array(repeating: "", count: 7)).map(Self.cell).joined(separator: ",")) }
            for topic in rows {
                let cells = [
                    topic.topic, topic.rating ?? "", String(topic.viewsDivided), String(topic.followUp), topic.evidence ?? "", topic.quote ?? "",
                    topic.quoteRole ?? "",
                ]
                lines.append((header + cells).map(Self.cell).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// A CSV cell: neutralised against formula injection, then quoted if it holds a comma, quote or line break.
    static func cell(_ value: String) -> String { ReportExport.csvCell(value) }

    struct JSONTopic: Encodable {
        let topic: String
        let rating: String?
        let viewsDivided: Bool
        let followUp: Bool
        let evidence: String?
        let quote: String?
        let quoteRole: String?
    }

    struct JSONMeeting: Encodable {
        let meetingId: Int64
        let status: String
        let revision: Int
        let meetingDate: String
        let meetingFormat: String
        let meetingMode: String
        let courtType: String
        let courtName: String
        let weekPlusTwo: Bool
        let attendees: [String: Int]
        let topics: [JSONTopic]
    }

    struct JSONExport: Encodable {
        let inspectionId: Int
        let formId: String
        let meetings: [JSONMeeting]
    }

    /// The JSON text (sorted keys, snake_case).
    package func json() throws -> String {
        let export = JSONExport(
            inspectionId: inspectionID,
            formId: SentencerSchedule.formID,
            meetings: meetings.map { meeting in
                JSONMeeting(
                    meetingId: meeting.id,
                    status: meeting.status.rawValue,
                    revision: meeting.revision,
                    meetingDate: meeting.date.description,
                    meetingFormat: meeting.format,
                    meetingMode: meeting.mode,
                    courtType: meeting.courtType,
                    courtName: meeting.courtName,
                    weekPlusTwo: meeting.weekPlusTwo,
                    attendees: Dictionary(uniqueKeysWithValues: SentencerSchedule.roles.map { ($0.code, attendance[meeting.id]?[$0.code] ?? 0) }),
                    topics: (topics[meeting.id] ?? []).map {
                        JSONTopic(
                            topic: $0.topic,
                            rating: $0.rating,
                            viewsDivided: $0.viewsDivided,
                            followUp: $0.followUp,
                            evidence: $0.evidence,
                            quote: $0.quote,
                            quoteRole: $0.quoteRole
                        )
                    }
                )
            }
        )
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(export), as: UTF8.self)
    }
}
