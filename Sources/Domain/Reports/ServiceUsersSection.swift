import Forms
import Foundation

/// The service-users section: per survey question, the area's latest-year % positive with interval and base, the
/// national figure (all areas, this one included) with its interval, the lowest, highest and average of the areas inspected so
/// far, a difference flag when both bases are at least 30, and the area's trend over earlier years.
public struct ServiceUsersSection: Sendable, Equatable {
    /// One question's latest-year comparison.
    public struct Comparison: Sendable, Equatable {
        public let id: String
        public let label: String
        /// The few words that label its bar in charts.
        public let shortLabel: String
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
            let protected = yearsCopy.filter(counts.years.contains).map { year in
                (year, NationalProtection(counts, year: year, variable: variable.id, positive: positive, excluded: excluded, rules: rules))
            }
            let byYear = Dictionary(uniqueKeysWithValues: protected)
            let latest = counts.years.last.flatMap { byYear[$0] }
            let area = latest?.share(counts.areaID) ?? PositiveShare(positive: 0, base: 0, rules: rules)
            let national = latest?.national ?? PositiveShare(positive: 0, base: 0, rules: rules)
            let difference =
                area.shown && national.shown
                ? ReportStatistics.difference(area.positive, area.base, national.positive, national.base, minimumBase: rules.lowReliabilityBelow)
                : nil
            let inspected = counts.inspected.sorted().compactMap { latest?.share($0).percent }
            let trend = yearsCopy.map { year -> (year: Int, share: PositiveShare?) in (year, byYear[year]?.share(counts.areaID)) }
            return Comparison(
                id: variable.id,
                label: variable.label.text(.en),
                shortLabel: variable.shortLabel ?? variable.id.uppercased(),
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

    /// One survey year and question protected across every area at once: per area its base and its positive and
    /// other answers in the base, the same three for the whole country (all areas, so that no area's figure is the
    /// national total less its own), all through `ProtectedFigures`. An area's figures therefore come out the same in
    /// every report that shows them.
    struct NationalProtection {
        let protected: ProtectedFigures
        let figures: [Int: (base: Int, positive: Int, other: Int)]
        let nationalFigures: (base: Int, positive: Int, other: Int)
        let rules: DisclosureRules

        init(_ counts: ReportStore.SurveyCounts, year: Int, variable: String, positive: Set<Int>, excluded: Set<Int>, rules: DisclosureRules) {
            self.rules = rules
            var model = ProtectedFigures.Builder()
            func split(_ codes: [Int: Int]?) -> (Int, Int) {
                let codes = codes ?? [:]
                let yes = codes.filter { positive.contains($0.key) }.values.reduce(0, +)
                let base = codes.filter { !excluded.contains($0.key) }.values.reduce(0, +)
                return (yes, base - yes)
            }
            // Atoms: (positive, other in base) per area as its provider codes map, and for unmapped codes.
            var atoms: [Int: (atoms: (Int, Int), values: (Int, Int))] = [:]
            for (area, variables) in counts.areas[year] ?? [:] {
                atoms[area] = ((model.atom(), model.atom()), split(variables[variable]))
            }
            let unmapped = ((model.atom(), model.atom()), split(counts.unmapped[year]?[variable]))
            var figures: [Int: (base: Int, positive: Int, other: Int)] = [:]
            func add(_ members: [(atoms: (Int, Int), values: (Int, Int))], priority: Int) -> (base: Int, positive: Int, other: Int) {
                let yes = members.reduce(0) { $0 + $1.values.0 }
                let other = members.reduce(0) { $0 + $1.values.1 }
                let base = model.figure(members.flatMap { [$0.atoms.0, $0.atoms.1] }, value: yes + other, priority: priority)
                let positiveFigure = model.figure(members.map(\.atoms.0), value: yes, priority: priority, hideWith: base)
                let otherFigure = model.figure(members.map(\.atoms.1), value: other, priority: priority, hideWith: base)
                return (base, positiveFigure, otherFigure)
            }
            for area in Set(counts.families.keys).union(atoms.keys).sorted() {
                let members = counts.family(area).sorted().compactMap { atoms[$0] }
                if !members.isEmpty { figures[area] = add(members, priority: 0) }
            }
            nationalFigures = add(atoms.keys.sorted().compactMap { atoms[$0] } + [unmapped], priority: 3)
            self.figures = figures
            protected = ProtectedFigures(model, rules: rules)
        }

        func share(_ f: (base: Int, positive: Int, other: Int)) -> PositiveShare {
            let baseShown = protected.isShown(f.base)
            return PositiveShare(
                positive: protected.figures[f.positive].value,
                base: protected.figures[f.base].value,
                rules: rules,
                withdrawn: !(baseShown && protected.isShown(f.positive) && protected.isShown(f.other)),
                baseWithdrawn: !baseShown
            )
        }

        /// An area's share after protection (nothing for an area without answers).
        func share(_ area: Int) -> PositiveShare {
            figures[area].map(share) ?? PositiveShare(positive: 0, base: 0, rules: rules)
        }

        /// The whole country's share.
        var national: PositiveShare { share(nationalFigures) }
    }

    static func interval(_ share: PositiveShare, _ edge: KeyPath<ConfidenceInterval, Double>) -> ReportValue {
        share.interval.map { .percent($0[keyPath: edge], lowReliability: share.lowReliability) } ?? .suppressed
    }

    /// What the national figure covers: every area, this one included, so that an area's suppressed figure is never
    /// the national total less "all other areas".
    public static let nationalScope = "all areas"

    /// `service_users_measures`: the latest year's comparison per question.
    public var measuresTable: ReportTable {
        ReportTable(
            name: "service_users_measures",
            caption: "People on probation, \(latestYear.map(String.init) ?? "no survey year"): % positive by question, against all areas",
            columns: [
                ("question_id", "Question id"), ("question", "Question"), ("outcome", "Outcome"), ("measure", "Measure"), ("year", "Year"),
                ("base", "Base"), ("percent_positive", "% positive"), ("interval_low", "95% interval from"), ("interval_high", "95% interval to"),
                ("national_scope", "National figure covers"), ("national_base", "National base"),
                ("national_percent_positive", "National % positive"),
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
                        Self.interval(q.area, \.high), .text(Self.nationalScope), q.national.baseValue, q.national.value,
                        Self.interval(q.national, \.low),
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
