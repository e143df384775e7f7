import Foundation
import Postgres

/// The programme report (issue 22): the published inspections of a programme side by side and pooled, computed from
/// the evidence each left when it was published (`InspectionEvidence`).
///
/// **Disclosure.** Every figure here is a sum, a ratio or an order statistic of figures that the inspections'
/// published reports already show: a figure an inspection's report hid is left out of every pool (and counted as left
/// out), never added in. So no programme figure, alone or with any inspection report or other programme report, can
/// tell more than the published inspection reports together do (docs/disclosure.md, "Programme reports"). Pure.
package struct ProgrammeReport: Sendable {
    package typealias Row = InspectionEvidence.Row

    /// One inspection's figure for a question, as its report showed it.
    package struct InspectionShare: Sendable {
        package let member: ProgrammeStore.Member
        /// The % positive, when the report showed it (and so its positive answers).
        package let share: PositiveShare?
        /// The base, when the report showed it (it may show a base whose % it hides).
        package let base: Int?
    }

    /// A victim question across the programme.
    package struct PooledQuestion: Sendable {
        package let id: String
        package let label: String
        package let outcome: String
        package let pooled: PositiveShare
        package let perInspection: [InspectionShare]
        /// Inspections whose report hid this question's % positive (a base or numerator under the threshold).
        package let leftOut: Int
        package let lowest: Double?
        package let median: Double?
        package let highest: Double?
        package var included: Int { perInspection.count { $0.share != nil } }
    }

    /// Links and responses pooled over providers of one kind.
    package struct PooledRate: Sendable {
        package let kind: String
        package let providers: Int
        package let leftOut: Int
        package let issued: Int
        package let responses: Int
    }

    /// Meetings giving each rating on one topic, over every inspection.
    package struct PooledRatings: Sendable {
        package let topic: String
        package let label: String
        package let counts: [String: Int]
        package let inspections: Int
    }

    /// A theme over every inspection that used it.
    package struct PooledTheme: Sendable {
        package let question: String
        package let theme: String
        package let tagged: Int
        package let reviewed: Int
        package let inspections: Int
        package let leftOut: Int
    }

    /// A survey measure: the inspected areas pooled, against every other area.
    package struct SurveyComparison: Sendable {
        package let id: String
        package let label: String
        package let year: Int
        package let inspected: PositiveShare?
        package let areasIncluded: Int
        package let areasLeftOut: Int
        /// All other areas: the national figure less the inspected areas, only when every inspected area is shown.
        package let rest: PositiveShare?
    }

    package let programme: ProgrammeStore.Programme
    /// The published inspections with evidence, in fieldwork order.
    package let inspections: [ProgrammeStore.Member]
    /// Inspections in the programme not yet published (not counted).
    package let unpublished: Int
    package let rules: DisclosureRules
    package let questions: [PooledQuestion]
    package let rates: [PooledRate]
    package let ratings: [PooledRatings]
    package let themes: [PooledTheme]
    package let survey: [SurveyComparison]
    /// Responses and links issued per inspection, as its report showed them (nil: `[c]`).
    package let responses: [Int: (issued: Int?, responses: Int?)]

    package init(programme: ProgrammeStore.Programme, members: [ProgrammeStore.Member], evidence: [Int: [Row]], rules: DisclosureRules) {
        self.programme = programme
        self.rules = rules
        let published = members.filter { $0.publishedOn != nil && evidence[$0.id] != nil }
        inspections = published
        unpublished = members.count { $0.publishedOn == nil }
        // Each member's evidence by section, sorted once (not filtered again for every question).
        let bySection = evidence.mapValues { Dictionary(grouping: $0, by: \.section) }
        func rows(_ member: ProgrammeStore.Member, _ section: InspectionEvidence.Section) -> [Row] {
            bySection[member.id]?[section] ?? []
        }

        // Victim questions, in the order of their ids.
        var questionLabels: [String: (label: String, outcome: String)] = [:]
        for member in published {
            for row in rows(member, .victimMeasure) where questionLabels[row.item] == nil { questionLabels[row.item] = (row.label, row.grouping) }
        }
        questions = questionLabels.keys.sorted().map { id in
            let shares = published.map { member -> InspectionShare in
                let row = rows(member, .victimMeasure).first { $0.item == id }
                guard let row, let count = row.count, let base = row.base else { return InspectionShare(member: member, share: nil, base: row?.base) }
                return InspectionShare(member: member, share: PositiveShare(positive: count, base: base, rules: rules), base: base)
            }
            let asked = published.filter { member in rows(member, .victimMeasure).contains { $0.item == id } }.count
            let shown = shares.compactMap(\.share)
            let percents = shown.compactMap(\.percent).sorted()
            return PooledQuestion(
                id: id,
                label: questionLabels[id]?.label ?? id,
                outcome: questionLabels[id]?.outcome ?? "",
                pooled: PositiveShare(positive: shown.reduce(0) { $0 + $1.positive }, base: shown.reduce(0) { $0 + $1.base }, rules: rules),
                perInspection: shares,
                leftOut: asked - shown.count,
                lowest: percents.first,
                median: Self.median(percents),
                highest: percents.last
            )
        }

        // Response rates by provider kind.
        var byKind: [String: (providers: Int, leftOut: Int, issued: Int, responses: Int)] = [:]
        for member in published {
            for row in rows(member, .links) {
                var entry = byKind[row.grouping] ?? (0, 0, 0, 0)
                if let count = row.count, let base = row.base {
                    entry.providers += 1
                    entry.issued += base
                    entry.responses += count
                } else {
                    entry.leftOut += 1
                }
                byKind[row.grouping] = entry
            }
        }
        rates = byKind.keys.sorted().map { kind in
            let e = byKind[kind]!
            return PooledRate(kind: kind, providers: e.providers, leftOut: e.leftOut, issued: e.issued, responses: e.responses)
        }
        var perInspection: [Int: (issued: Int?, responses: Int?)] = [:]
        for member in published {
            let links = rows(member, .links)
            let issued = links.allSatisfy { $0.base != nil } ? links.reduce(0) { $0 + ($1.base ?? 0) } : nil
            let answered = links.allSatisfy { $0.count != nil } ? links.reduce(0) { $0 + ($1.count ?? 0) } : nil
            perInspection[member.id] = (issued, answered)
        }
        responses = perInspection

        // Sentencer ratings by topic (not under the threshold: docs/disclosure.md rule 6).
        var topics: [String: (label: String, counts: [String: Int], inspections: Set<Int>)] = [:]
        for member in published {
            for row in rows(member, .sentencerRating) {
                var entry = topics[row.item] ?? (row.label, [:], [])
                entry.counts[row.code, default: 0] += row.count ?? 0
                entry.inspections.insert(member.id)
                topics[row.item] = entry
            }
        }
        ratings = topics.keys.sorted().map { topic in
            let e = topics[topic]!
            return PooledRatings(topic: topic, label: e.label, counts: e.counts, inspections: e.inspections.count)
        }

        // Themes, matched by name (ignoring case) within a question.
        var themeTotals: [String: (question: String, theme: String, tagged: Int, reviewed: Int, inspections: Int, leftOut: Int)] = [:]
        for member in published {
            for row in rows(member, .theme) {
                let key = row.item + "\u{1F}" + row.code.lowercased()
                var entry = themeTotals[key] ?? (row.item, row.label, 0, 0, 0, 0)
                if let count = row.count, let base = row.base {
                    entry.tagged += count
                    entry.reviewed += base
                    entry.inspections += 1
                } else {
                    entry.leftOut += 1
                }
                themeTotals[key] = entry
            }
        }
        themes = themeTotals.keys.sorted().map { key in
            let e = themeTotals[key]!
            return PooledTheme(
                question: e.question,
                theme: e.theme,
                tagged: e.tagged,
                reviewed: e.reviewed,
                inspections: e.inspections,
                leftOut: e.leftOut
            )
        }

        // Survey: per question, the latest year any member's report used; one figure per area (the latest published).
        var surveyItems: [String: String] = [:]
        for member in published { for row in rows(member, .survey) where surveyItems[row.item] == nil { surveyItems[row.item] = row.label } }
        survey = surveyItems.keys.sorted().compactMap { id in
            let all = published.flatMap { member in rows(member, .survey).filter { $0.item == id }.map { (member, $0) } }
            guard let year = all.compactMap(\.1.surveyYear).max() else { return nil }
            let ofYear = all.filter { $0.1.surveyYear == year }
            var areas: [String: Row] = [:]
            var national: Row?
            for (member, row) in ofYear.sorted(by: { ($0.0.publishedOn ?? $0.0.fieldworkStartsOn) < ($1.0.publishedOn ?? $1.0.fieldworkStartsOn) }) {
                if row.grouping == "area" { areas[member.areaName] = row } else { national = row }
            }
            let shownAreas = areas.values.filter { $0.count != nil && $0.base != nil }
            let inspected =
                shownAreas.isEmpty
                ? nil
                : PositiveShare(
                    positive: shownAreas.reduce(0) { $0 + ($1.count ?? 0) },
                    base: shownAreas.reduce(0) { $0 + ($1.base ?? 0) },
                    rules: rules
                )
            var rest: PositiveShare?
            if shownAreas.count == areas.count, let inspected, let nationalCount = national?.count, let nationalBase = national?.base,
                nationalBase >= inspected.base, nationalCount >= inspected.positive
            {
                rest = PositiveShare(positive: nationalCount - inspected.positive, base: nationalBase - inspected.base, rules: rules)
            }
            return SurveyComparison(
                id: id,
                label: surveyItems[id] ?? id,
                year: year,
                inspected: inspected,
                areasIncluded: shownAreas.count,
                areasLeftOut: areas.count - shownAreas.count,
                rest: rest
            )
        }
    }

    /// The middle value of sorted `values` (the mean of the two middle ones for an even count); nil when empty.
    package static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let middle = values.count / 2
        return values.count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2
    }

    package static func percent(_ value: Double?) -> ReportValue { value.map { .percent($0, lowReliability: false) } ?? .notAvailable }

    package static func kindLabel(_ kind: String) -> String {
        switch kind {
        case "trust": "Probation trust"
        case "nps": "National Probation Service"
        case "crc": "Community rehabilitation company"
        case "": "Not recorded"
        default: kind
        }
    }

    // MARK: Tables

    /// `programme_inspections`: the published inspections the report covers.
    package var inspectionsTable: ReportTable {
        ReportTable(
            name: "programme_inspections",
            caption: "Published inspections in this report",
            columns: [
                ("inspection_id", "Inspection id"), ("inspection", "Inspection"), ("area", "Area"), ("fieldwork_starts_on", "Fieldwork started"),
                ("published_on", "Published"), ("links_issued", "Links issued"), ("responses", "Victims' responses"),
            ],
            rows: inspections.map { member in
                let figures = responses[member.id]
                return [
                    .text(String(member.id)), .text(member.title), .text(member.areaName), .text(member.fieldworkStartsOn.govuk),
                    .text(member.publishedOn?.govuk ?? ""), figures?.issued.map(ReportValue.count) ?? .suppressed,
                    figures?.responses.map(ReportValue.count) ?? .suppressed,
                ]
            }
        )
    }

    /// `programme_victims_measures`: per question, the pooled % positive and the spread across inspections.
    package var measuresTable: ReportTable {
        ReportTable(
            name: "programme_victims_measures",
            caption: "Victims: % positive by question across the programme, with 95% confidence interval and spread across inspections",
            columns: [
                ("question_id", "Question id"), ("question", "Question"), ("inspections_included", "Inspections included"),
                ("inspections_left_out", "Inspections left out (figure hidden in their report)"), ("base", "Base"),
                ("percent_positive", "% positive"), ("interval_low", "95% interval from"), ("interval_high", "95% interval to"),
                ("lowest", "Lowest inspection"), ("median", "Median inspection"), ("highest", "Highest inspection"),
            ],
            rows: questions.map { q in
                let interval = q.pooled.interval
                return [
                    // The base is a sum of shown bases, so it is always shown.
                    .text(q.id), .text(q.label), .count(q.included), .count(q.leftOut), .count(q.pooled.base), q.pooled.value,
                    interval.map { .percent($0.low, lowReliability: q.pooled.lowReliability) } ?? .suppressed,
                    interval.map { .percent($0.high, lowReliability: q.pooled.lowReliability) } ?? .suppressed,
                    Self.percent(q.lowest), Self.percent(q.median), Self.percent(q.highest),
                ]
            }
        )
    }

    /// `programme_victims_by_inspection`: every inspection's % positive per question (the small multiples' data).
    package var byInspectionTable: ReportTable {
        ReportTable(
            name: "programme_victims_by_inspection",
            caption: "Victims: % positive by question and inspection, as each inspection's report published it",
            columns: [
                ("question_id", "Question id"), ("inspection_id", "Inspection id"), ("area", "Area"), ("base", "Base"),
                ("percent_positive", "% positive"), ("interval_low", "95% interval from"), ("interval_high", "95% interval to"),
            ],
            rows: questions.flatMap { q in
                q.perInspection.map { item in
                    let share = item.share
                    let interval = share?.interval
                    return [
                        .text(q.id), .text(String(item.member.id)), .text(item.member.areaName), item.base.map(ReportValue.count) ?? .suppressed,
                        share?.value ?? .suppressed,
                        interval.map { .percent($0.low, lowReliability: share?.lowReliability ?? false) } ?? .suppressed,
                        interval.map { .percent($0.high, lowReliability: share?.lowReliability ?? false) } ?? .suppressed,
                    ]
                }
            }
        )
    }

    /// `programme_response_rates`: links and responses by provider type.
    package var ratesTable: ReportTable {
        ReportTable(
            name: "programme_response_rates",
            caption: "Victims: response rates by provider type",
            columns: [
                ("provider_type", "Provider type"), ("providers_included", "Providers included"),
                ("providers_left_out", "Providers left out (figures hidden)"), ("links_issued", "Links issued"), ("responses", "Responses"),
                ("response_rate", "Response rate"),
            ],
            rows: rates.map { r in
                [
                    .text(Self.kindLabel(r.kind)), .count(r.providers), .count(r.leftOut), .count(r.issued), .count(r.responses),
                    r.issued == 0 ? .notAvailable : .share(r.responses, of: r.issued, rules: rules),
                ]
            }
        )
    }

    /// `programme_sentencer_ratings`: meetings giving each rating, per topic.
    package var ratingsTable: ReportTable {
        ReportTable(
            name: "programme_sentencer_ratings",
            caption: "Sentencers: meetings giving each rating, by topic, across the programme",
            columns: [("topic", "Topic"), ("topic_label", "Topic name"), ("inspections", "Inspections")]
                + SentencersSection.ratings.map { ($0.0, $0.1) },
            rows: ratings.map { r in
                [.text(r.topic.uppercased()), .text(r.label), .count(r.inspections)] + SentencersSection.ratings.map { .count(r.counts[$0.0] ?? 0) }
            }
        )
    }

    /// `programme_themes`: reviewed answers tagged with each theme.
    package var themesTable: ReportTable {
        ReportTable(
            name: "programme_themes",
            caption: "Victims' own words: reviewed answers by theme across the programme",
            columns: [
                ("question_id", "Question id"), ("theme", "Theme"), ("inspections_included", "Inspections included"),
                ("inspections_left_out", "Inspections left out (figures hidden)"), ("answers_tagged", "Answers with this theme"),
                ("reviewed_answers", "Reviewed answers"), ("percent_of_reviewed", "% of reviewed answers"),
            ],
            rows: themes.map { t in
                [
                    .text(t.question), .text(t.theme), .count(t.inspections), .count(t.leftOut), .count(t.tagged), .count(t.reviewed),
                    t.reviewed == 0 ? .notAvailable : .share(t.tagged, of: t.reviewed, rules: rules),
                ]
            }
        )
    }

    /// `programme_service_users`: the survey's measures for the inspected areas against all other areas.
    package var surveyTable: ReportTable {
        ReportTable(
            name: "programme_service_users",
            caption: "People on probation (survey): inspected areas against all other areas",
            columns: [
                ("question_id", "Question id"), ("question", "Question"), ("survey_year", "Survey year"), ("areas_included", "Areas included"),
                ("areas_left_out", "Areas left out (figure hidden)"), ("inspected_base", "Inspected areas: base"),
                ("inspected_percent", "Inspected areas: % positive"), ("rest_base", "Other areas: base"), ("rest_percent", "Other areas: % positive"),
            ],
            rows: survey.map { s in
                [
                    .text(s.id), .text(s.label), .text(String(s.year)), .count(s.areasIncluded), .count(s.areasLeftOut),
                    s.inspected?.baseValue ?? .suppressed, s.inspected?.value ?? .suppressed, s.rest?.baseValue ?? .suppressed,
                    s.rest?.value ?? .suppressed,
                ]
            }
        )
    }

    /// Every table, in page order: what the CSV and JSON exports contain.
    package var tables: [ReportTable] { [inspectionsTable, measuresTable, byInspectionTable, ratesTable, ratingsTable, themesTable, surveyTable] }

    /// The small multiples: per question, every inspection's % positive with its interval.
    package var charts: [BarChart] {
        questions.map { q in
            BarChart(
                id: "programme-\(q.id)",
                title: q.label,
                bars: q.perInspection.map { item in
                    BarChart.Bar(
                        label: item.member.areaName,
                        percent: item.share?.percent,
                        interval: item.share?.interval,
                        valueText: item.share?.value.display ?? "[c]"
                    )
                },
                labelWidth: 200,
                summary: "Each inspection's % positive, with its 95% confidence interval as whiskers; [c] where its report hid the figure."
            )
        }
    }
}

/// A programme report as the page and exports show it; frozen as it is when published (`programme_snapshot`).
package struct PublishedProgrammeReport: Sendable, Codable {
    package static let formatVersion = 1

    package struct Chart: Sendable, Codable {
        package let id: String
        package let title: String
        package let svg: String
        package let table: TableView
        /// The table's markup, drawn once here: twenty tables of a row per inspection are most of the page.
        package let tableHTML: String
    }

    package struct Summary: Sendable, Codable {
        package let label: String
        package let value: String
    }

    /// The inspections covered (id, title), for the snapshot list.
    package let inspections: [ProgrammeStore.Member]
    package let unpublished: Int
    package let summary: [Summary]
    package let measures: TableView
    package let charts: [Chart]
    package let rates: TableView
    package let ratings: TableView
    package let themes: TableView
    package let survey: TableView
    package let inspectionsTable: TableView
    package let tables: [ReportTable]
    package let meta: [String: String]

    package init(_ report: ProgrammeReport, publishedOn: LocalDate?, label: String?) {
        inspections = report.inspections
        unpublished = report.unpublished
        let measuresTable = report.measuresTable
        let byInspection = report.byInspectionTable
        measures = TableView(measuresTable, headerColumns: 1, skip: ["question_id"])
        rates = TableView(report.ratesTable)
        ratings = TableView(report.ratingsTable, headerColumns: 2)
        themes = TableView(report.themesTable, headerColumns: 2)
        survey = TableView(report.surveyTable, headerColumns: 2, skip: ["question_id"])
        inspectionsTable = TableView(report.inspectionsTable, headerColumns: 2, skip: ["inspection_id"])
        charts = zip(report.questions, report.charts).map { question, chart in
            let rows = byInspection.rows.filter { $0.first == .text(question.id) }
            let table = TableView(
                ReportTable(
                    name: byInspection.name,
                    caption: "\(question.label): by inspection",
                    columns: Array(zip(byInspection.columns, byInspection.headings)),
                    rows: rows
                ),
                headerColumns: 1,
                skip: ["question_id", "inspection_id"]
            )
            return Chart(id: chart.id, title: question.label, svg: chart.svg, table: table, tableHTML: table.html)
        }
        let pooledBase = report.questions.map(\.pooled.base).max() ?? 0
        summary = [
            Summary(label: "Published inspections in this report", value: String(report.inspections.count)),
            Summary(label: "Inspections in the programme not yet published", value: String(report.unpublished)),
            Summary(label: "Largest base of a victim question", value: String(pooledBase)),
        ]
        tables = report.tables
        var meta = [
            "programme_id": String(report.programme.id), "programme": report.programme.name, "inspections": String(report.inspections.count),
            "suppress_below": String(report.rules.suppressBelow),
            "disclosure":
                "Every figure is pooled from figures the inspections' published reports showed; a figure hidden there is left out here",
        ]
        if let publishedOn {
            meta["published_on"] = publishedOn.description
            meta["notice"] = PublishedReport.notice(publishedOn)
        }
        if let label { meta["label"] = label }
        self.meta = meta
    }

    package var csv: String {
        (meta["notice"].map { ReportExport.csvCell("# \($0)") + "\r\n" } ?? "") + ReportExport.csv(tables)
    }

    package var json: String { ReportExport.json(tables, meta: meta) }
}

extension AuditSubject {
    /// A programme (issue 22).
    package static func programme(_ id: Int) -> AuditSubject { AuditSubject(type: "programme", id: String(id)) }
}
