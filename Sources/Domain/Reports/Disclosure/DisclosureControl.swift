import Foundation

/// The disclosure-control thresholds (DOMAIN.md §6). Defaults: a base or cell under 10 is hidden (`[c]`); a base of
/// 10–29 is shown with `[u]` (low reliability) and never gets a difference flag. Read from `REPORT_SUPPRESS_BELOW`
/// and `REPORT_LOW_RELIABILITY_BELOW`.
public struct DisclosureRules: Sendable, Equatable {
    /// A base, or a cell count from 1 up to this minus one, is suppressed.
    public var suppressBelow: Int
    /// A base under this (and at least `suppressBelow`) is marked `[u]` and gets no difference flag.
    public var lowReliabilityBelow: Int

    public init(suppressBelow: Int = 10, lowReliabilityBelow: Int = 30) {
        self.suppressBelow = max(1, suppressBelow)
        self.lowReliabilityBelow = max(self.suppressBelow, lowReliabilityBelow)
    }

    /// The defaults: 10 and 30.
    public static let standard = DisclosureRules()

    /// Whether a cell count must be hidden on its own account (zero is not disclosive and is shown).
    public func isPrimary(_ count: Int) -> Bool { count > 0 && count < suppressBelow }

    /// How a proportion with this base may be shown.
    public func reliability(base: Int) -> Reliability {
        if base < suppressBelow { return .suppressed }
        if base < lowReliabilityBelow { return .low }
        return .reliable
    }

    /// The display class of a base.
    public enum Reliability: Sendable, Equatable {
        case suppressed
        case low
        case reliable
    }
}

/// A number as the report may show it: a count, a percentage, or one of the GSS shorthand marks.
public enum ReportValue: Sendable, Equatable, Codable {
    /// Plain text such as a provider's or question's name.
    case text(String)
    /// A count.
    case count(Int)
    /// A percentage (0–100); `lowReliability` adds `[u]`.
    case percent(Double, lowReliability: Bool)
    /// Hidden by disclosure control: `[c]`.
    case suppressed
    /// Nothing to show (no data, or a flag withheld because a base is under 30): `[x]`.
    case notAvailable

    /// The text on the page and in CSV exports.
    public var display: String {
        switch self {
        case .text(let text): text
        case .count(let count): String(count)
        case .percent(let value, let low): Self.formatPercent(value) + (low ? " [u]" : "")
        case .suppressed: "[c]"
        case .notAvailable: "[x]"
        }
    }

    /// Whole percentages, as the report prints them ("62%").
    static func formatPercent(_ value: Double) -> String {
        "\(Int((value).rounded()))%"
    }

    /// The percentage of `part` in `whole` under `rules`: `[c]` for a whole under the suppression threshold, `[u]`
    /// for a low-reliability whole. Never divides by zero.
    public static func share(_ part: Int, of whole: Int, rules: DisclosureRules) -> ReportValue {
        switch rules.reliability(base: whole) {
        case .suppressed: .suppressed
        case .low: .percent(100 * Double(part) / Double(whole), lowReliability: true)
        case .reliable: .percent(100 * Double(part) / Double(whole), lowReliability: false)
        }
    }
}

/// "% positive" for one measure after disclosure control: the base, the positive count and percentage and the
/// Wilson 95% interval; or `[c]`.
public struct PositiveShare: Sendable, Equatable {
    /// Answers counted in the base (not excluded from it).
    public let base: Int
    /// Answers counted as positive.
    public let positive: Int
    /// Whether it may be shown at all.
    public let shown: Bool
    /// `[u]`: a base of 10–29.
    public let lowReliability: Bool
    /// Whether the base may be shown (it can be when the share cannot: a small numerator).
    public let baseShown: Bool

    /// The share of `positive` in `base`; `withdrawn` hides the share, `baseWithdrawn` the base (by default hidden
    /// when the share is).
    public init(positive: Int, base: Int, rules: DisclosureRules, withdrawn: Bool = false, baseWithdrawn: Bool? = nil) {
        self.base = base
        self.positive = positive
        let reliability = rules.reliability(base: base)
        shown = !withdrawn && reliability != .suppressed
        baseShown = !(baseWithdrawn ?? withdrawn) && reliability != .suppressed
        lowReliability = reliability == .low
    }

    /// The percentage, when it may be shown.
    public var percent: Double? { shown && base > 0 ? 100 * Double(positive) / Double(base) : nil }
    /// The interval in percent, when the share may be shown.
    public var interval: ConfidenceInterval? {
        guard shown, let i = ReportStatistics.wilson(successes: positive, base: base) else { return nil }
        return ConfidenceInterval(low: 100 * i.low, high: 100 * i.high)
    }

    /// The share as a report value.
    public var value: ReportValue { percent.map { .percent($0, lowReliability: lowReliability) } ?? .suppressed }
    /// The base as a report value (`[c]` under the threshold).
    public var baseValue: ReportValue { baseShown ? .count(base) : .suppressed }
    /// The interval as text ("49% to 94%") or the mark.
    public var intervalText: String {
        guard let interval else { return "[c]" }
        return "\(ReportValue.formatPercent(interval.low)) to \(ReportValue.formatPercent(interval.high))"
    }
}

/// One question's answers after disclosure control: the distribution over its options and its "% positive".
public struct DisclosedDistribution: Sendable, Equatable {
    /// Per option, the count or `[c]`.
    public let counts: [ReportValue]
    /// Per option, the percentage of the base, `[c]`, or `[x]` for an option excluded from the base.
    public let percents: [ReportValue]
    /// The base (answers not excluded from it; respondents for a multiple-answer question), or `[c]`.
    public let total: ReportValue
    /// The positive share, nil when the question is not one with a positive measure.
    public let positive: PositiveShare?

    public init(counts: [ReportValue], percents: [ReportValue], total: ReportValue, positive: PositiveShare?) {
        self.counts = counts
        self.percents = percents
        self.total = total
        self.positive = positive
    }

    /// One question on its own (no other figure published beside it): the distribution of `counts` (one per option)
    /// after `ProtectedFigures`' rules, for a single-answer question (`partition`) or a multiple-answer one with
    /// `respondents` (whose options add up to nothing published).
    public init(counts raw: [Int], positive: Set<Int>, excluded: Set<Int>, partition: Bool, respondents: Int? = nil, rules: DisclosureRules) {
        var model = ProtectedFigures.Builder()
        let atoms = model.atoms(raw.count)
        let inBase = raw.indices.filter { !excluded.contains($0) }
        let baseCount = partition ? inBase.reduce(0) { $0 + raw[$1] } : (respondents ?? 0)
        let respondentsAtom = model.atom()
        if !partition {
            for atom in atoms { model.equal([respondentsAtom], [atom, model.atom()]) }
        }
        let base = model.figure(partition ? inBase.map { atoms[$0] } : [respondentsAtom], value: baseCount, priority: 2)
        let positiveFigure =
            positive.isEmpty
            ? nil : model.figure(positive.sorted().map { atoms[$0] }, value: positive.reduce(0) { $0 + raw[$1] }, priority: 1, hideWith: base)
        let small = rules.isPrimary(baseCount)
        let cells = raw.indices.map { model.figure([atoms[$0]], value: raw[$0], hideWith: small ? base : nil, forced: small) }
        let protected = ProtectedFigures(model, rules: rules)
        let baseShown = protected.isShown(base)
        self.counts = cells.map(protected.value)
        self.percents = raw.indices.map { index in
            if partition && excluded.contains(index) { return .notAvailable }
            guard baseShown, protected.isShown(cells[index]) else { return .suppressed }
            return ReportValue.share(raw[index], of: baseCount, rules: rules)
        }
        self.total = protected.value(base)
        self.positive = positiveFigure.map { figure in
            PositiveShare(
                positive: protected.figures[figure].value,
                base: baseCount,
                rules: rules,
                withdrawn: !(baseShown && protected.isShown(figure))
            )
        }
    }
}
