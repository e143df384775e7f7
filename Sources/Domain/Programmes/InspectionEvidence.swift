import Foundation
import Postgres

/// The figures an inspection's published report showed, one row each, kept for programme reports (sql/0090,
/// `inspection_evidence`). Built from the report at the moment it is published, after disclosure control: a figure
/// the report hid is kept as hidden (no count), never as its value, so nothing computed from the evidence can tell
/// more than the published reports already do. No answer, free text, link or person is in it.
package struct InspectionEvidence: Sendable, Equatable {
    /// One published figure.
    package struct Row: Sendable, Equatable, Codable {
        package var section: Section
        package var item: String
        package var code = ""
        package var grouping = ""
        package var label = ""
        /// The figure as published; nil where the report showed `[c]`.
        package var count: Int?
        /// Its base as published; nil where hidden (or none).
        package var base: Int?
        package var surveyYear: Int?

        package enum CodingKeys: String, CodingKey {
            case section, item, code, grouping, label, count, base
            case surveyYear = "survey_year"
        }
    }

    /// What a row is (the `section` column's values, checked by the table too).
    package enum Section: String, Sendable, Codable, CaseIterable {
        /// Per measured question: positive answers (`count`) of the base.
        case victimMeasure = "victim_measure"
        /// Per question and answer code: answers choosing it (`count`) of the question's base.
        case victimOption = "victim_option"
        /// Per provider (`item` its id, `grouping` its kind): responses (`count`) of links issued (`base`).
        case links
        /// Per free-text question and theme: reviewed answers tagged (`count`) of reviewed answers (`base`).
        case theme
        /// Per topic and rating: meetings giving it.
        case sentencerRating = "sentencer_rating"
        /// Per meeting format: final meetings.
        case sentencerMeetings = "sentencer_meetings"
        /// Per role: attendees (`count`) over meetings attended (`base`).
        case sentencerAttendance = "sentencer_attendance"
        /// Per survey question, `grouping` 'area' or 'national': positive answers of the base, in `surveyYear`.
        case survey
    }

    package let rows: [Row]

    package init(rows: [Row]) { self.rows = rows }

    /// The figures `report` shows. `providerKinds` gives each provider's kind (trust, nps, crc) by id.
    package init(_ report: StakeholderReport, providerKinds: [Int: String]) {
        var rows: [Row] = []
        func count(_ value: ReportValue) -> Int? {
            if case .count(let n) = value { return n }
            return nil
        }
        let victims = report.victims
        for question in victims.questions {
            let distribution = question.distribution
            if let share = distribution.positive {
                rows.append(
                    Row(
                        section: .victimMeasure,
                        item: question.id,
                        grouping: question.outcome?.rawValue ?? "",
                        label: question.label,
                        count: share.shown ? share.positive : nil,
                        base: share.baseShown ? share.base : nil
                    )
                )
            }
            for (index, option) in question.options.enumerated() {
                rows.append(
                    Row(
                        section: .victimOption,
                        item: question.id,
                        code: option.code,
                        label: option.label,
                        count: count(distribution.counts[index]),
                        base: count(distribution.total)
                    )
                )
            }
        }
        for (provider, row) in zip(victims.providers, victims.linkRows) {
            rows.append(
                Row(
                    section: .links,
                    item: String(provider.providerID),
                    grouping: providerKinds[provider.providerID] ?? "",
                    label: provider.name,
                    count: count(row[5]),
                    base: count(row[0])
                )
            )
        }
        for question in victims.themes {
            for theme in question.themes {
                rows.append(
                    Row(
                        section: .theme,
                        item: question.id,
                        code: theme.name,
                        label: theme.name,
                        count: count(theme.count),
                        base: count(question.reviewed)
                    )
                )
            }
        }
        let sentencers = report.sentencers
        for (topic, ratings) in sentencers.figures.ratings {
            for (rating, n) in ratings {
                rows.append(Row(section: .sentencerRating, item: topic, code: rating, label: sentencers.topicLabel(topic), count: n))
            }
        }
        for (format, n) in sentencers.figures.meetingsByFormat {
            rows.append(Row(section: .sentencerMeetings, item: format, count: n))
        }
        for (role, attendance) in sentencers.figures.attendance {
            rows.append(Row(section: .sentencerAttendance, item: role, count: attendance.attendees, base: attendance.meetings))
        }
        if let year = report.serviceUsers.latestYear {
            for question in report.serviceUsers.questions {
                for (grouping, share) in [("area", question.area), ("national", question.national)] {
                    rows.append(
                        Row(
                            section: .survey,
                            item: question.id,
                            grouping: grouping,
                            label: question.label,
                            count: share.shown ? share.positive : nil,
                            base: share.baseShown ? share.base : nil,
                            surveyYear: year
                        )
                    )
                }
            }
        }
        self.rows = rows.sorted { ($0.section.rawValue, $0.item, $0.code, $0.grouping) < ($1.section.rawValue, $1.item, $1.code, $1.grouping) }
    }

    /// Stores the rows for `inspectionID` in one statement (inside the publishing transaction).
    package func write(inspectionID: Int, on connection: PostgresConnection) async throws {
        guard !rows.isEmpty else { return }
        let json = try PostgresJSON(encoding: rows)
        try await connection.execute(
            """
            INSERT INTO inspection_evidence (inspection_id, section, item, code, grouping, label, count, base, survey_year)
            SELECT \(inspectionID), r.section, r.item, r.code, r.grouping, r.label, r.count, r.base, r.survey_year
            FROM jsonb_to_recordset(\(json)) AS r(section text, item text, code text, grouping text, label text, count integer,
                                                  base integer, survey_year integer)
            """
        )
    }
}
