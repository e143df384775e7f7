import Forms
import Foundation
import Postgres

/// A table as the template draws it: headings and rows of cells, numbers right-aligned.
package struct TableView: Sendable, Codable {
    struct Cell: Sendable, Codable {
        let text: String
        let numeric: Bool
        let isHeader: Bool
    }
    struct Row: Sendable, Codable {
        let cells: [Cell]
    }
    let caption: String
    let headings: [Cell]
    let rows: [Row]
    let hasRows: Bool

    /// The table's rows; the first `headerColumns` columns are row headers; `skip` names columns left off the page
    /// (machine ids that only the exports need).
    package init(_ table: ReportTable, headerColumns: Int = 1, skip: Set<String> = []) {
        let keep = table.columns.indices.filter { !skip.contains(table.columns[$0]) }
        caption = table.caption
        headings = keep.map { Cell(text: table.headings[$0], numeric: !Self.isText(table.rows.first?[$0]), isHeader: true) }
        rows = table.rows.map { row in
            Row(
                cells: keep.enumerated().map { position, column in
                    Cell(text: row[column].display, numeric: !Self.isText(row[column]), isHeader: position < headerColumns)
                }
            )
        }
        hasRows = !rows.isEmpty
    }

    static func isText(_ value: ReportValue?) -> Bool {
        if case .text = value { return true }
        return value == nil
    }

    /// The markup `templates/report/table.mustache` draws for this table, built here, escaped by construction, for
    /// pages with hundreds of small tables where rendering each cell through Mustache is the cost (the programme
    /// report's small multiples). `ReportRenderingTests` checks that the two stay the same.
    package var html: String {
        func numeric(_ cell: Cell, _ base: String) -> String { cell.numeric ? " \(base)--numeric" : "" }
        let caption = HTMLText.escape(self.caption)
        var out = "<div class=\"app-table-wrapper\" role=\"region\" aria-label=\"\(caption)\" tabindex=\"0\">\n"
        out += "<table class=\"govuk-table report-table\">\n"
        out += "<caption class=\"govuk-table__caption govuk-table__caption--s\">\(caption)</caption>\n"
        out += "<thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">\n"
        for heading in headings {
            out += "<th scope=\"col\" class=\"govuk-table__header\(numeric(heading, "govuk-table__header"))\">\(HTMLText.escape(heading.text))</th>"
        }
        out += "\n</tr></thead>\n<tbody class=\"govuk-table__body\">\n"
        for row in rows {
            out += "<tr class=\"govuk-table__row\">"
            for cell in row.cells {
                if cell.isHeader {
                    out += "<th scope=\"row\" class=\"govuk-table__header\(numeric(cell, "govuk-table__header"))\">\(HTMLText.escape(cell.text))</th>"
                } else {
                    out += "<td class=\"govuk-table__cell\(numeric(cell, "govuk-table__cell"))\">\(HTMLText.escape(cell.text))</td>"
                }
            }
            out += "</tr>\n"
        }
        return out + "</tbody>\n</table>\n</div>\n"
    }
}

/// The report page's view model: the viewer's chrome around the report's content, which is either built now from the
/// raw figures or, once the inspection is published, read from its frozen snapshot.
package struct ReportPage: Sendable {
    let title: String
    let staff: StaffChrome
    /// Whether the reader may open the safeguarding list (the lead inspector or an administrator).
    let canSeeSafeguarding: Bool
    /// "Published on DATE — these figures are frozen", or nil before publication.
    let publishedNotice: String?
    let report: ReportContent

    package init(_ content: ReportContent, session: StaffSession, canSeeSafeguarding: Bool, publishedOn: LocalDate?) {
        title = content.title
        staff = StaffChrome(session)
        self.canSeeSafeguarding = canSeeSafeguarding
        publishedNotice = publishedOn.map(PublishedReport.pageNotice)
        report = content
    }
}

/// Everything the report page shows, after disclosure control: Codable, so that publishing can freeze it.
package struct ReportContent: Sendable, Codable {
    struct Question: Sendable, Codable {
        let heading: String
        let hasAnswers: Bool
        let summary: String
        let table: TableView
    }
    struct FreeText: Sendable, Codable {
        let label: String
        let answers: String
        let reviewed: [String]
        let hasReviewed: Bool
        /// The reviewed answers by theme (optional: snapshots published before themes have none).
        let themes: TableView?
        let themesChartSVG: String?
    }
    struct OutcomeGroup: Sendable, Codable {
        let label: String
        let hasEvidence: Bool
        let table: TableView
    }

    /// One figure of the summary at the top: what an inspector quotes, as already shown below.
    struct SummaryRow: Sendable, Codable {
        let label: String
        let value: String
    }
    struct Summary: Sendable, Codable {
        let rows: [SummaryRow]
    }
    /// The summary (optional: snapshots published before it have none).
    let summary: Summary?
    let title: String
    let inspectionTitle: String
    let areaName: String
    let csvHref: String
    let jsonHref: String
    let suppressBelow: Int
    let lowReliabilityBelow: Int
    // Victims.
    let responsesText: String
    let hasResponses: Bool
    let hasProviders: Bool
    package let links: TableView
    let hasMeasuresChart: Bool
    let measuresChartSVG: String
    let measuresNoChart: String
    let measures: TableView
    let questions: [Question]
    let freeText: [FreeText]
    let reviewHref: String
    let safeguardingHref: String
    let safeguardingCount: Int
    let outcomes: [OutcomeGroup]
    // Sentencers.
    struct NoteGroup: Sendable, Codable {
        let heading: String
        let items: [String]
    }
    let sentencerStatus: String
    let hasSentencers: Bool
    let sentencerMeetings: TableView
    let sentencerAttendance: TableView
    let sentencerRatings: TableView
    let sentencerNotes: [NoteGroup]
    let hasSentencerNotes: Bool
    // People on probation.
    let surveyStatus: String
    let hasSurvey: Bool
    let hasSurveyChart: Bool
    let surveyChartSVG: String
    let surveyMeasures: TableView
    let surveyTrend: TableView

    package init(_ report: StakeholderReport) {
        let victims = report.victims
        title = "Stakeholder views: \(report.inspection.title)"
        inspectionTitle = report.inspection.title
        areaName = report.inspection.areaName
        csvHref = "/inspections/\(report.inspection.id)/report.csv"
        jsonHref = "/inspections/\(report.inspection.id)/report.json"
        suppressBelow = report.rules.suppressBelow
        lowReliabilityBelow = report.rules.lowReliabilityBelow
        hasResponses = victims.responses > 0
        responsesText =
            victims.responses == 0
            ? "No victim responses yet."
            : victims.responsesValue == .suppressed
                ? "Fewer than \(report.rules.suppressBelow) victim responses so far, or a number that would reveal a smaller one: answers are shown once there are enough."
                : "\(victims.responsesValue.display) victim responses."
        hasProviders = !victims.providers.isEmpty
        links = TableView(victims.linksTable)
        summary = Summary(rows: Self.summary(report))
        let chart = BarChart(
            id: "victims-positive",
            title: "Victims: % positive by question",
            bars: victims.measured.compactMap { q in
                guard let share = q.distribution.positive else { return nil }
                return BarChart.Bar(label: q.shortLabel, percent: share.percent, interval: share.interval, valueText: share.value.display)
            },
            labelWidth: 210
        )
        hasMeasuresChart = chart.hasData
        measuresChartSVG = chart.svg
        measuresNoChart =
            victims.responses == 0
            ? "No chart: there are no responses yet."
            : "No chart: every question has fewer than \(report.rules.suppressBelow) answers in its base, so no percentage can be shown yet."
        measures = TableView(victims.measuresTable, headerColumns: 2, skip: ["outcome", "measure"])
        let distribution = victims.distributionTable
        questions = victims.questions.map { q in
            let rows = distribution.rows.filter { $0.first == .text(q.id) }
            let table = ReportTable(
                name: distribution.name,
                caption: "Answers to \(Self.shortLabel(q.id))",
                columns: zip(distribution.columns, distribution.headings).map { ($0, $1) },
                rows: rows
            )
            let summary: String
            if q.answered == 0 {
                summary = "No answers to this question yet."
            } else if let share = q.distribution.positive {
                summary =
                    share.shown
                    ? "\(share.value.display) positive (95% confidence interval \(share.intervalText)), base \(share.base)."
                    : "% positive: [c] (too few answers to show)."
            } else {
                summary = "Base: \(q.distribution.total.display) answers."
            }
            return Question(
                heading: "\(Self.shortLabel(q.id)): \(q.label)",
                hasAnswers: q.answered > 0,
                summary: summary,
                table: TableView(table, headerColumns: 1, skip: ["question_id", "option_code"])
            )
        }
        // Quotes: reviewed, redacted answers an inspector marked quotable, and only where at least the threshold of
        // people answered the question, so that a quote cannot be tied to a small group.
        let themesTable = victims.themesTable
        freeText = victims.freeText.map { item in
            let reviewed = report.freeText.filter { $0.questionID == item.id }
            let enough = item.answers >= report.rules.suppressBelow && item.shown != .suppressed
            let quotes = enough ? reviewed.filter(\.quotable).compactMap(\.redacted) : []
            let themed = victims.themes.first { $0.id == item.id }
            // The number reviewed as disclosure control lets it be shown (a count under the threshold is [c]).
            let reviewedShown = themed?.reviewed.display ?? ReportValue.suppressed.display
            let answers: String
            if item.answers == 0 {
                answers = "No answers yet."
            } else if !enough {
                answers =
                    "\(reviewedShown) answers reviewed. Quotes are shown only where at least \(report.rules.suppressBelow) people answered "
                    + "the question, and the number of answers is hidden here ([c])."
            } else {
                answers = "\(reviewedShown) of \(item.shown.display) answers reviewed; \(quotes.count) marked for quoting."
            }
            var themes: TableView?
            var chartSVG: String?
            if let themed, !themed.themes.isEmpty, themed.reviewed != .count(0) {
                let rows = themesTable.rows.filter { $0.first == .text(item.id) }
                themes = TableView(
                    ReportTable(
                        name: themesTable.name,
                        caption: "Reviewed answers to \(Self.shortLabel(item.id)) by theme",
                        columns: zip(themesTable.columns, themesTable.headings).map { ($0, $1) },
                        rows: rows
                    ),
                    headerColumns: 1,
                    skip: ["question_id", "question", "reviewed_answers"]
                )
                let chart = BarChart(
                    id: "themes-\(item.id)",
                    title: "Reviewed answers to \(Self.shortLabel(item.id)) by theme: % of reviewed answers",
                    bars: themed.themes.map { theme in
                        var percent: Double?
                        if case .percent(let value, _) = theme.percent { percent = value }
                        return BarChart.Bar(label: theme.name, percent: percent, interval: nil, valueText: theme.percent.display)
                    },
                    labelWidth: 280,
                    summary: "Bar chart of the percentage of reviewed answers tagged with each theme; an answer may have several themes."
                )
                chartSVG = chart.hasData ? chart.svg : nil
            }
            return FreeText(
                label: "\(Self.shortLabel(item.id)): \(item.label)",
                answers: answers,
                reviewed: quotes,
                hasReviewed: !quotes.isEmpty,
                themes: themes,
                themesChartSVG: chartSVG
            )
        }
        reviewHref = "/inspections/\(report.inspection.id)/report/free-text"
        safeguardingHref = "/inspections/\(report.inspection.id)/report/safeguarding"
        safeguardingCount = report.freeText.filter(\.safeguarding).count
        let sentencers = report.sentencers
        hasSentencers = sentencers.meetings > 0
        let drafts = sentencers.figures.drafts
        sentencerStatus =
            (sentencers.meetings == 0
                ? "No final records of meetings with sentencers yet."
                : "\(sentencers.meetings) meetings with sentencers (\(sentencers.figures.weekPlusTwo) in week +2). "
                    + "Figures are counts of meetings, never percentages, and are not compared with other areas.")
            + (drafts > 0 ? " \(drafts) draft records are not included until they are marked final." : "")
        sentencerMeetings = TableView(sentencers.meetingsTable)
        sentencerAttendance = TableView(sentencers.attendanceTable)
        sentencerRatings = TableView(sentencers.ratingsTable, headerColumns: 2)
        sentencerNotes = sentencers.notesByTopic.map { NoteGroup(heading: $0.topic, items: $0.items) }
        hasSentencerNotes = !sentencerNotes.isEmpty
        let survey = report.serviceUsers
        if let year = survey.latestYear, survey.mappedCodes > 0 {
            hasSurvey = true
            surveyStatus =
                "Results for \(year), the latest survey year imported, against the national figure (all areas, this one included). "
                + "A difference is shown only where both bases are at least \(report.rules.lowReliabilityBelow)."
        } else {
            hasSurvey = false
            surveyStatus =
                survey.latestYear == nil
                ? "No service-user survey has been imported yet."
                : "No survey provider codes are linked to this area yet, so its results cannot be picked out."
        }
        let surveyChart = BarChart(
            id: "service-users-positive",
            title: "People on probation: % positive by question, \(survey.latestYear.map(String.init) ?? "")",
            bars: survey.questions.map { q in
                BarChart.Bar(label: q.shortLabel, percent: q.area.percent, interval: q.area.interval, valueText: q.area.value.display)
            },
            labelWidth: 210
        )
        hasSurveyChart = hasSurvey && surveyChart.hasData
        surveyChartSVG = hasSurveyChart ? surveyChart.svg : ""
        surveyMeasures = TableView(
            survey.measuresTable,
            headerColumns: 2,
            skip: ["outcome", "measure", "year", "national_scope", "national_interval_low", "national_interval_high"]
        )
        let trend = ReportTable(
            name: "service_users_trend_grid",
            caption: "The area's % positive by survey year",
            columns: [("question_id", "Question"), ("question", "Wording")] + survey.years.map { ("y\($0)", String($0)) },
            rows: survey.questions.map { q in
                [.text(q.id.uppercased()), .text(q.label)] + q.trend.map { $0.share?.value ?? .notAvailable }
            }
        )
        surveyTrend = TableView(trend, headerColumns: 2)
        let outcomesTable = report.outcomesTable
        outcomes = Outcome.allCases.map { outcome in
            let rows = outcomesTable.rows.filter { $0.first == .text(outcome.rawValue) }
            let table = ReportTable(
                name: outcomesTable.name,
                caption: outcome.label,
                columns: zip(outcomesTable.columns, outcomesTable.headings).map { ($0, $1) },
                rows: rows
            )
            return OutcomeGroup(label: outcome.label, hasEvidence: !rows.isEmpty, table: TableView(table, headerColumns: 3, skip: ["outcome"]))
        }
    }

    /// "V6" for "v6_scheme_explained".
    /// The handful of figures an inspector quotes, each exactly as the section below shows it (so through the same
    /// disclosure control): victim responses and the response rate, victims' overall satisfaction, sentencer meetings,
    /// and people on probation's overall satisfaction against the national figure.
    static func summary(_ report: StakeholderReport) -> [SummaryRow] {
        let victims = report.victims
        var rows = [SummaryRow(label: "Victim responses", value: victims.responses == 0 ? "None yet" : victims.responsesValue.display)]
        if let total = victims.linksTable.rows.last, total.first == .text(VictimsSection.allProviders), let rate = total.last {
            rows.append(SummaryRow(label: "Response rate (responses ÷ links issued)", value: rate.display))
        }
        if let satisfied = victims.measured.first(where: { $0.measure == .satisfied }), let share = satisfied.distribution.positive {
            rows.append(
                SummaryRow(
                    label: "Victims satisfied overall",
                    value: share.shown ? "\(share.value.display) (base \(share.base))" : "\(share.value.display) (too few answers to show)"
                )
            )
        }
        rows.append(
            SummaryRow(
                label: "Meetings with sentencers",
                value: report.sentencers.meetings == 0 ? "None recorded yet" : "\(report.sentencers.meetings) (final records)"
            )
        )
        if report.serviceUsers.latestYear != nil, let overall = report.serviceUsers.questions.first(where: { $0.measure == .satisfied }) {
            let national = overall.national.value.display
            let versus: String =
                switch overall.difference {
                case .higher: " — higher than the national \(national)"
                case .lower: " — lower than the national \(national)"
                case .noReliableDifference: " — no reliable difference from the national \(national)"
                case nil: ""
                }
            rows.append(
                SummaryRow(
                    label: "People on probation satisfied overall (\(report.serviceUsers.latestYear.map(String.init) ?? ""))",
                    value: overall.area.value.display + versus
                )
            )
        }
        return rows
    }

    package static func shortLabel(_ id: String) -> String {
        String(id.prefix { $0 != "_" }).uppercased()
    }
}
