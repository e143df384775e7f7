import Forms
import Foundation
import Postgres

extension ReportStore {
    /// Raw sentencer-meeting figures for one inspection (final records only).
    public struct SentencerFigures: Sendable, Equatable {
        /// format code → meetings.
        public var meetingsByFormat: [String: Int] = [:]
        public var weekPlusTwo = 0
        public var drafts = 0
        /// role code → (meetings with the role, attendees).
        public var attendance: [String: (meetings: Int, attendees: Int)] = [:]
        /// topic → rating code → meetings.
        public var ratings: [String: [String: Int]] = [:]
        /// topic → meetings where views were divided.
        public var divided: [String: Int] = [:]
        /// (topic, evidence note, quote, quote role), in meeting order.
        public var notes: [(topic: String, evidence: String?, quote: String?, quoteRole: String?)] = []
        /// topic → sentencers met (attendees) at the final meetings that recorded the topic.
        public var metPerTopic: [String: Int] = [:]

        public init() {}

        public static func == (lhs: SentencerFigures, rhs: SentencerFigures) -> Bool {
            lhs.meetingsByFormat == rhs.meetingsByFormat && lhs.ratings == rhs.ratings && lhs.drafts == rhs.drafts
        }
    }

    /// The sentencer figures: meetings by format, attendees by role, ratings per topic, notes and quotes by topic.
    public func sentencerFigures(inspectionID: Int) async throws -> SentencerFigures {
        var figures = SentencerFigures()
        for row in try await database.query(
            """
            SELECT status, meeting_format, count(*) AS n, count(*) FILTER (WHERE week_plus_two) AS w
            FROM sentencer_meeting WHERE inspection_id = \(inspectionID) GROUP BY 1, 2
            """
        ) {
            let n = try row.decode("n", as: Int.self)
            if try row.decode("status", as: String.self) == "final" {
                figures.meetingsByFormat[try row.decode("meeting_format"), default: 0] += n
                figures.weekPlusTwo += try row.decode("w", as: Int.self)
            } else {
                figures.drafts += n
            }
        }
        for row in try await database.query(
            """
            SELECT a.role, count(*) AS meetings, sum(a.attendees)::bigint AS attendees
            FROM sentencer_meeting_attendance a JOIN sentencer_meeting m ON m.id = a.meeting_id
            WHERE m.inspection_id = \(inspectionID) AND m.status = 'final' GROUP BY 1
            """
        ) {
            figures.attendance[try row.decode("role")] = (try row.decode("meetings"), try row.decode("attendees"))
        }
        for row in try await database.query(
            """
            SELECT t.topic, coalesce(t.rating, '') AS rating, count(*) AS n, count(*) FILTER (WHERE t.views_divided) AS divided
            FROM sentencer_meeting_topic t JOIN sentencer_meeting m ON m.id = t.meeting_id
            WHERE m.inspection_id = \(inspectionID) AND m.status = 'final' GROUP BY 1, 2
            """
        ) {
            let topic = try row.decode("topic", as: String.self)
            let rating = try row.decode("rating", as: String.self)
            if !rating.isEmpty { figures.ratings[topic, default: [:]][rating] = try row.decode("n", as: Int.self) }
            figures.divided[topic, default: 0] += try row.decode("divided", as: Int.self)
        }
        for row in try await database.query(
            """
            SELECT t.topic, sum(a.attendees)::bigint AS met
            FROM sentencer_meeting_topic t JOIN sentencer_meeting m ON m.id = t.meeting_id
            JOIN (SELECT meeting_id, sum(attendees) AS attendees FROM sentencer_meeting_attendance GROUP BY meeting_id) a
              ON a.meeting_id = m.id
            WHERE m.inspection_id = \(inspectionID) AND m.status = 'final' GROUP BY 1
            """
        ) {
            figures.metPerTopic[try row.decode("topic")] = try row.decode("met", as: Int.self)
        }
        figures.notes = try await database.query(
            """
            SELECT t.topic, t.evidence, t.quote, t.quote_role
            FROM sentencer_meeting_topic t JOIN sentencer_meeting m ON m.id = t.meeting_id
            WHERE m.inspection_id = \(inspectionID) AND m.status = 'final' AND (t.evidence IS NOT NULL OR t.quote IS NOT NULL)
            ORDER BY t.topic, m.meeting_date, m.id
            """
        ).map { (try $0.decode("topic"), try $0.decode("evidence"), try $0.decode("quote"), try $0.decode("quote_role")) }
        return figures
    }
}

/// The sentencers section: counts of meetings and attendees by role and format, and per topic the spread of
/// ratings as counts. Never a percentage, and never set against a national figure (DOMAIN.md §4). These are
/// inspectors' records of professional views, by role and never by name; counts of meetings are shown as they are.
public struct SentencersSection: Sendable {
    public let figures: ReportStore.SentencerFigures
    public let schedule: FormDefinition?

    static let formats = [("one_to_one", "One-to-one"), ("bench_group", "Bench group"), ("liaison_meeting", "Liaison meeting")]
    static let roles = [
        ("lay_magistrate", "Lay magistrate"), ("bench_chair", "Bench chair"), ("district_judge", "District judge (magistrates' courts)"),
        ("crown_court_judge", "Crown Court judge or recorder"), ("resident_judge", "Resident judge"), ("legal_adviser", "Legal adviser"),
    ]
    static let ratings = [
        ("very_confident", "Very confident"), ("fairly_confident", "Fairly confident"), ("not_very_confident", "Not very confident"),
        ("not_at_all_confident", "Not at all confident"), ("no_view", "No view expressed"),
    ]

    public init(figures: ReportStore.SentencerFigures, schedule: FormDefinition?) {
        self.figures = figures
        self.schedule = schedule
    }

    public var meetings: Int { figures.meetingsByFormat.values.reduce(0, +) }

    func topicLabel(_ topic: String) -> String {
        schedule?.page(id: topic)?.title?.text(.en) ?? schedule?.question(id: "\(topic)_rating")?.label.text(.en) ?? topic.uppercased()
    }

    /// `sentencers_meetings`: meetings by format.
    public var meetingsTable: ReportTable {
        ReportTable(
            name: "sentencers_meetings",
            caption: "Meetings with sentencers by format (final records)",
            columns: [("format", "Format"), ("meetings", "Meetings")],
            rows: Self.formats.map { [.text($0.1), .count(figures.meetingsByFormat[$0.0] ?? 0)] } + [[.text("All meetings"), .count(meetings)]]
        )
    }

    /// `sentencers_attendance`: attendees by role.
    public var attendanceTable: ReportTable {
        ReportTable(
            name: "sentencers_attendance",
            caption: "Sentencers and advisers met, by role",
            columns: [("role", "Role"), ("meetings", "Meetings attended"), ("attendees", "Attendees")],
            rows: Self.roles.map { role in
                let a = figures.attendance[role.0]
                return [.text(role.1), .count(a?.meetings ?? 0), .count(a?.attendees ?? 0)]
            }
        )
    }

    /// `sentencers_ratings`: per topic, meetings giving each rating (counts only).
    public var ratingsTable: ReportTable {
        let topics = (1...7).map { "t\($0)" }
        return ReportTable(
            name: "sentencers_ratings",
            caption: "Confidence by topic: number of meetings giving each rating",
            columns: [("topic", "Topic"), ("topic_label", "Topic name")] + Self.ratings.map { ($0.0, $0.1) } + [("views_divided", "Views divided")],
            rows: topics.map { topic in
                [.text(topic.uppercased()), .text(topicLabel(topic))] + Self.ratings.map { .count(figures.ratings[topic]?[$0.0] ?? 0) }
                    + [.count(figures.divided[topic] ?? 0)]
            }
        )
    }

    /// The fewest sentencers met on a topic before any quote on it is shown.
    public static let quotesNeedMet = 3

    /// A quoted role as its group — judge, magistrate or legal adviser — never the role itself: "resident judge"
    /// beside the court's name is one person.
    static func roleGroup(_ role: String?) -> String {
        switch role {
        case "lay_magistrate", "bench_chair": "magistrate"
        case "district_judge", "crown_court_judge", "resident_judge": "judge"
        case "legal_adviser": "legal adviser"
        default: "sentencer"
        }
    }

    /// Notes and quotes by topic, for the page only (inspectors' own words; not exported). A quote carries only its
    /// role group, and a topic shows quotes only when at least `quotesNeedMet` sentencers were met on it.
    public var notesByTopic: [(topic: String, items: [String])] {
        (1...8).map { "t\($0)" }.compactMap { topic in
            let quotesAllowed = (figures.metPerTopic[topic] ?? 0) >= Self.quotesNeedMet
            let items = figures.notes.filter { $0.topic == topic }.flatMap { note -> [String] in
                var out: [String] = []
                if let evidence = note.evidence, !evidence.isEmpty { out.append(evidence) }
                if quotesAllowed, let quote = note.quote, !quote.isEmpty {
                    out.append("“\(quote)” (\(Self.roleGroup(note.quoteRole)))")
                }
                return out
            }
            return items.isEmpty ? nil : ("\(topic.uppercased()): \(topicLabel(topic))", items)
        }
    }
}
