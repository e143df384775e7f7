import Forms
import Foundation

/// The service-users section: per survey question, the area's latest-year % positive with interval and base, the
/// national figure (all other areas) with its interval, the lowest, highest and average of the areas inspected so
/// far, a difference flag when both bases are at least 30, and the area's trend over earlier years.
public struct ServiceUsersSection: Sendable, Equatable {
    /// One question's latest-year comparison.
    public struct Comparison: Sendable, Equatable {
        public let id: String
        public let label: String
        public let outcome: Outcome?
        public let measure: Measure?
        public let area: PositiveShare
        public let national: PositiveShare
        /// Nil when either base is under the low-reliability threshold (no flag is shown).
        public let difference: ReportStatistics.Difference?
        /// Percentages of the inspected areas whose base is not suppressed.
        public let inspected: [Double]
        /// Per year (ascending), the area's share.
        public let trend: [(year: Int, share: PositiveShare?)]

        public static func == (lhs: Comparison, rhs: Comparison) -> Bool {
            lhs.id == rhs.id && lhs.area == rhs.area && lhs.national == rhs.national && lhs.difference == rhs.difference
                && lhs.inspected == rhs.inspected
        }
    }

    public let latestYear: Int?
    /// Every year from the first to the latest import; a year without an import has nil shares in the trend.
    public let years: [Int]
    public let mappedCodes: Int
    public let questions: [Comparison]
    public let rules: DisclosureRules

    /// The question variables of `codebook` that carry a measure: the ones the report summarises.
    public static func questionVariables(_ codebook: Codebook?) -> [CodebookVariable] {
        (codebook?.variables ?? []).filter { $0.role == .question && $0.measure != nil && !$0.codes.isEmpty }
    }

    public init(counts: ReportStore.SurveyCounts, codebook: Codebook?, rules: DisclosureRules) {
        self.rules = rules
        mappedCodes = counts.mappedCodes
        latestYear = counts.years.last
        if let first = counts.years.first, let last = counts.years.last { years = Array(first...last) } else { years = [] }
        let yearsCopy = years
        questions = Self.questionVariables(codebook).map { variable in
            let positive = Set(variable.codes.filter(\.positive).compactMap { Int($0.code) })
            let excluded = Set(variable.codes.filter(\.excludedFromBase).compactMap { Int($0.code) })
            func share(_ codes: [Int: Int]?) -> PositiveShare {
                let codes = codes ?? [:]
                let base = codes.filter { !excluded.contains($0.key) }.values.reduce(0, +)
                let yes = codes.filter { positive.contains($0.key) }.values.reduce(0, +)
                return PositiveShare(positive: yes, base: base, rules: rules)
            }
            let latest = counts.years.last
            let area = share(latest.flatMap { counts.area[$0]?[variable.id] })
            let national = share(latest.flatMap { counts.other[$0]?[variable.id] })
            let difference =
                area.shown
                ? ReportStatistics.difference(area.positive, area.base, national.positive, national.base, minimumBase: rules.lowReliabilityBelow)
                : nil
            let inspected = counts.inspectedAreas.keys.sorted().compactMap { share(counts.inspectedAreas[$0]?[variable.id]).percent }
            let trend = yearsCopy.map { year -> (year: Int, share: PositiveShare?) in
                counts.years.contains(year) ? (year, share(counts.area[year]?[variable.id])) : (year, nil)
            }
            return Comparison(
                id: variable.id,
                label: variable.label.text(.en),
                outcome: variable.outcome,
                measure: variable.measure,
                area: area,
                national: national,
                difference: difference,
                inspected: inspected,
                trend: trend
            )
        }
    }

    static func interval(_ share: PositiveShare, _ edge: KeyPath<ConfidenceInterval, Double>) -> ReportValue {
        share.interval.map { .percent($0[keyPath: edge], lowReliability: share.lowReliability) } ?? .suppressed
    }

    /// `service_users_measures`: the latest year's comparison per question.
    public var measuresTable: ReportTable {
        ReportTable(
            name: "service_users_measures",
            caption: "People on probation, \(latestYear.map(String.init) ?? "no survey year"): % positive by question, against all other areas",
            columns: [
                ("question_id", "Question id"), ("question", "Question"), ("outcome", "Outcome"), ("measure", "Measure"), ("year", "Year"),
                ("base", "Base"), ("percent_positive", "% positive"), ("interval_low", "95% interval from"), ("interval_high", "95% interval to"),
                ("national_base", "National base"), ("national_percent_positive", "National % positive"),
                ("national_interval_low", "National interval from"), ("national_interval_high", "National interval to"),
                ("difference", "Difference from national"), ("inspected_lowest", "Lowest of areas inspected"),
                ("inspected_highest", "Highest of areas inspected"), ("inspected_average", "Average of areas inspected"),
            ],
            rows: latestYear == nil
                ? []
                : questions.map { q in
                    let inspectedValues: [ReportValue] =
                        q.inspected.isEmpty
                        ? [.notAvailable, .notAvailable, .notAvailable]
                        : [
                            .percent(q.inspected.min() ?? 0, lowReliability: false), .percent(q.inspected.max() ?? 0, lowReliability: false),
                            .percent(q.inspected.reduce(0, +) / Double(q.inspected.count), lowReliability: false),
                        ]
                    return [
                        .text(q.id), .text(q.label), .text(q.outcome?.rawValue ?? ""), .text(q.measure?.rawValue ?? ""),
                        .text(latestYear.map(String.init) ?? ""), q.area.baseValue, q.area.value, Self.interval(q.area, \.low),
                        Self.interval(q.area, \.high), q.national.baseValue, q.national.value, Self.interval(q.national, \.low),
                        Self.interval(q.national, \.high), q.difference.map { .text($0.label) } ?? .notAvailable,
                    ] + inspectedValues
                }
        )
    }

    /// `service_users_trend`: the area's % positive per question and survey year.
    public var trendTable: ReportTable {
        ReportTable(
            name: "service_users_trend",
            caption: "People on probation: the area's % positive by survey year",
            columns: [("question_id", "Question id"), ("year", "Year"), ("base", "Base"), ("percent_positive", "% positive")],
            rows: questions.flatMap { q in
                q.trend.map { item in
                    guard let share = item.share else { return [.text(q.id), .text(String(item.year)), .notAvailable, .notAvailable] }
                    return [.text(q.id), .text(String(item.year)), share.baseValue, share.value]
                }
            }
        )
    }
}
