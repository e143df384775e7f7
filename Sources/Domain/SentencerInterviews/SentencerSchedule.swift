import Forms
import Foundation
import Postgres

/// The sentencer interview schedule (DOMAIN.md §4) as this service uses it: the form in
/// `forms/sentencer-interview.yaml`, plus two header fields the form does not have (how the meeting was held, and the
/// court's name), kept in the same answers under reserved keys.
package enum SentencerSchedule {
    /// The form id of the schedule.
    package static let formID = "sentencer-interview"
    /// The reserved answer key for how the meeting was held (`in_person`, `phone`, `video`).
    package static let modeKey = "meeting_mode"
    /// The reserved answer key for the court's name (a place, never a person).
    package static let courtNameKey = "court_name"
    /// The answer keys that are not schedule questions.
    package static let extraKeys = [modeKey, courtNameKey]
    /// The page the extra header fields are on.
    package static let meetingPage = "meeting"
    /// The attendance page.
    package static let attendeesPage = "attendees"
    /// Most attendees in one role at one meeting; more is taken to be a typing mistake.
    static let maximumAttendees = 50
    /// Longest court name.
    package static let courtNameMaximum = 100

    /// How a meeting was held.
    package static let modes: [(code: String, label: String)] = [("in_person", "In person"), ("phone", "Phone"), ("video", "Video")]

    /// Sentencer roles, in the schedule's order, with the attendance question for each.
    package static let roles: [(code: String, label: String)] = [
        ("lay_magistrate", "Lay magistrates"),
        ("bench_chair", "Bench chairs"),
        ("district_judge", "District judges (magistrates' courts)"),
        ("crown_court_judge", "Crown Court judges or recorders"),
        ("resident_judge", "Resident judges"),
        ("legal_adviser", "Legal advisers"),
    ]

    /// Meeting formats, in the schedule's order.
    package static let formats: [(code: String, label: String)] = [
        ("one_to_one", "One-to-one"), ("bench_group", "Bench group meeting"), ("liaison_meeting", "Liaison meeting"),
    ]

    /// The topic codes T1–T8 (page ids of the schedule).
    static let topics = ["t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8"]

    /// The attendance question id for a role code.
    static func attendanceQuestion(_ role: String) -> String { "attendees_\(role)" }

    /// The label of a mode code, or the code.
    package static func modeLabel(_ code: String) -> String { modes.first { $0.code == code }?.label ?? code }

    /// The label of a format code, or the code.
    package static func formatLabel(_ code: String) -> String { formats.first { $0.code == code }?.label ?? code }
}

/// The header of a meeting, read from its answers (present once the meeting page has been saved).
struct SentencerHeader: Sendable, Equatable {
    let date: LocalDate
    let format: String
    let mode: String
    let courtType: String
    let courtName: String
    let weekPlusTwo: Bool

    /// Nil when the answers lack a valid header (never the case for a stored meeting).
    init?(_ answers: Answers) {
        guard case .date(let parts)? = answers["meeting_date"], let iso = parts.isoString, let date = LocalDate(iso: iso),
            let format = answers["meeting_format"]?.codes.first,
            let mode = answers[SentencerSchedule.modeKey]?.codes.first,
            let courtType = answers["court_type"]?.codes.first,
            case .text(let courtName)? = answers[SentencerSchedule.courtNameKey],
            let week = answers["week_plus_2"]?.codes.first
        else { return nil }
        self.date = date
        self.format = format
        self.mode = mode
        self.courtType = courtType
        self.courtName = courtName
        self.weekPlusTwo = week == "yes"
    }
}

/// One topic's answers, as the `sentencer_meeting_topic` table holds them.
package struct SentencerTopic: Sendable, Equatable {
    let topic: String
    let rating: String?
    let viewsDivided: Bool
    let followUp: Bool
    let evidence: String?
    let quote: String?
    let quoteRole: String?

    /// The answered topics in `answers`, T1 to T8 (a topic with no answer at all is left out).
    static func all(in answers: Answers) -> [SentencerTopic] {
        SentencerSchedule.topics.compactMap { topic in
            func text(_ suffix: String) -> String? {
                if case .text(let value)? = answers["\(topic)_\(suffix)"] { return value }
                return nil
            }
            let row = SentencerTopic(
                topic: topic,
                rating: answers["\(topic)_rating"]?.codes.first,
                viewsDivided: answers["\(topic)_views_divided"]?.codes.contains("divided") ?? false,
                followUp: answers["\(topic)_follow_up"]?.codes.contains("follow_up") ?? false,
                evidence: text("evidence"),
                quote: text("quote"),
                quoteRole: answers["\(topic)_quote_role"]?.codes.first
            )
            let empty = row.rating == nil && !row.viewsDivided && !row.followUp && row.evidence == nil && row.quote == nil && row.quoteRole == nil
            return empty ? nil : row
        }
    }
}

/// Attendance by role (roles with at least one attendee), in the schedule's order.
func sentencerAttendance(in answers: Answers) -> [(role: String, count: Int)] {
    SentencerSchedule.roles.compactMap { role in
        guard let count = answers[SentencerSchedule.attendanceQuestion(role.code)]?.integer, count > 0 else { return nil }
        return (role.code, count)
    }
}
