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

/// Primary and secondary cell suppression over a table whose cells are counts and some of whose sums are published.
///
/// Primary: every cell from 1 to `suppressBelow − 1` is hidden. Secondary: while some hidden cell can be worked out
/// from the shown cells and the published sums (its unit vector lies in their span, restricted to the hidden cells),
/// hide the smallest shown non-zero cell in a published sum containing it whose hiding protects it (a zero only
/// when no non-zero cell will do); when no such cell exists, withdraw that sum instead. Sums are withdrawn in the order given,
/// so list the least important first. Pure; the result does not depend on anything but the input.
public struct CellSuppression: Sendable, Equatable {
    /// Indexes of hidden cells.
    public let hidden: Set<Int>
    /// Indexes (into the `sums` passed) of the sums that must not be published.
    public let withdrawnSums: Set<Int>

    public init(cells: [Int], sums: [Set<Int>], rules: DisclosureRules) {
        var hidden = Set(cells.indices.filter { rules.isPrimary(cells[$0]) })
        var withdrawn = Set<Int>()
        // Each step hides a cell or withdraws a sum, so this ends after at most cells + sums steps.
        for _ in 0...(cells.count + sums.count) {
            let active = sums.indices.filter { !withdrawn.contains($0) }
            guard let exposed = hidden.sorted().first(where: { Self.isRecoverable($0, hidden: hidden, sums: active.map { sums[$0] }) }) else {
                break
            }
            let containing = active.filter { sums[$0].contains(exposed) }
            let candidates = Set(containing.flatMap { sums[$0] }).subtracting(hidden).filter { cells.indices.contains($0) }
            let ordered = candidates.sorted { a, b in
                let (ka, kb) = (cells[a] == 0 ? Int.max : cells[a], cells[b] == 0 ? Int.max : cells[b])
                return ka != kb ? ka < kb : a < b
            }
            // A cell whose hiding protects the exposed one; failing that, withdraw a sum; failing that, hide anyway.
            let protecting = ordered.first { candidate in
                !Self.isRecoverable(exposed, hidden: hidden.union([candidate]), sums: active.map { sums[$0] })
            }
            if let protecting {
                hidden.insert(protecting)
            } else if let sum = containing.first {
                withdrawn.insert(sum)
            } else if let best = ordered.first {
                hidden.insert(best)
            } else {
                break
            }
        }
        self.hidden = hidden
        self.withdrawnSums = withdrawn
    }

    /// Whether hidden cell `cell` can be worked out from the published `sums` (the shown cells being known).
    static func isRecoverable(_ cell: Int, hidden: Set<Int>, sums: [Set<Int>]) -> Bool {
        let order = hidden.sorted()
        let rows: [[Double]] = sums.map { sum in order.map { sum.contains($0) ? 1 : 0 } }.filter { $0.contains(1) }
        guard !rows.isEmpty, let column = order.firstIndex(of: cell) else { return false }
        var unit = Array(repeating: 0.0, count: order.count)
        unit[column] = 1
        return rank(rows) == rank(rows + [unit])
    }

    /// The rank of a small matrix by Gaussian elimination with partial pivoting.
    static func rank(_ matrix: [[Double]]) -> Int {
        var m = matrix
        guard let width = m.first?.count else { return 0 }
        var rank = 0
        for column in 0..<width where rank < m.count {
            guard let pivot = (rank..<m.count).max(by: { abs(m[$0][column]) < abs(m[$1][column]) }), abs(m[pivot][column]) > 1e-9 else {
                continue
            }
            m.swapAt(rank, pivot)
            for row in 0..<m.count where row != rank {
                let factor = m[row][column] / m[rank][column]
                if factor != 0 { for c in column..<width { m[row][c] -= factor * m[rank][c] } }
            }
            rank += 1
        }
        return rank
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

    public init(positive: Int, base: Int, rules: DisclosureRules, withdrawn: Bool = false) {
        self.base = base
        self.positive = positive
        let reliability = rules.reliability(base: base)
        shown = !withdrawn && reliability != .suppressed
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
    public var baseValue: ReportValue { shown ? .count(base) : .suppressed }
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

    /// Applies primary and secondary suppression to `counts` (one per option).
    ///
    /// For a single-answer question the published sums are the base (options not excluded from it) and, for a
    /// measured question (`positive` non-empty), the positive answers; percentages are of the base, so no total
    /// over excluded options is published. For a multiple-answer question (`partition` false) the options do not
    /// add up to anything published, so only primary suppression applies to the cells and percentages are of the
    /// respondents.
    public init(counts raw: [Int], positive: Set<Int>, excluded: Set<Int>, partition: Bool, respondents: Int? = nil, rules: DisclosureRules) {
        let base = Set(raw.indices).subtracting(excluded)
        let baseCount = partition ? base.reduce(0) { $0 + raw[$1] } : (respondents ?? 0)
        let positiveCount = positive.reduce(0) { $0 + raw[$1] }
        let hasMeasure = !positive.isEmpty
        // Sums in the order they are withdrawn: the positive count first, then the base.
        let sums: [Set<Int>] = hasMeasure ? [positive, base] : [base]
        let baseIndex = sums.count - 1
        let suppression = CellSuppression(cells: raw, sums: partition ? sums : [], rules: rules)
        var withdrawn = partition ? suppression.withdrawnSums : []
        if baseCount < rules.suppressBelow { withdrawn.insert(baseIndex) }
        let baseShown = !withdrawn.contains(baseIndex)
        counts = raw.indices.map { suppression.hidden.contains($0) ? .suppressed : .count(raw[$0]) }
        percents = raw.indices.map { index in
            if partition && excluded.contains(index) { return .notAvailable }
            guard baseShown, !suppression.hidden.contains(index) else { return .suppressed }
            return ReportValue.share(raw[index], of: baseCount, rules: rules)
        }
        total = baseShown ? .count(baseCount) : .suppressed
        self.positive = hasMeasure ? PositiveShare(positive: positiveCount, base: baseCount, rules: rules, withdrawn: !withdrawn.isEmpty) : nil
    }
}
