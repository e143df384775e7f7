import Foundation

/// A proportion's 95% confidence interval, as fractions between 0 and 1.
public struct ConfidenceInterval: Sendable, Equatable, Codable {
    public let low: Double
    public let high: Double

    public init(low: Double, high: Double) {
        self.low = low
        self.high = high
    }
}

/// The statistics the report uses: Wilson score intervals and the two-proportion z test. Pure functions.
public enum ReportStatistics {
    /// The normal quantile for a two-sided 95% interval.
    public static let z95 = 1.959963984540054

    /// The Wilson score interval for `successes` out of `base`; nil when the base is zero (no division by zero).
    ///
    /// Unlike the Wald interval it stays inside [0, 1] and behaves for proportions near 0 or 1 and small bases.
    public static func wilson(successes: Int, base: Int, z: Double = z95) -> ConfidenceInterval? {
        guard base > 0, successes >= 0, successes <= base else { return nil }
        let n = Double(base)
        let p = Double(successes) / n
        let z2 = z * z
        let denominator = 1 + z2 / n
        let centre = (p + z2 / (2 * n)) / denominator
        let half = (z / denominator) * ((p * (1 - p) / n) + z2 / (4 * n * n)).squareRoot()
        return ConfidenceInterval(low: max(0, centre - half), high: min(1, centre + half))
    }

    /// The result of comparing an area's proportion with another.
    public enum Difference: String, Sendable, Equatable, Codable {
        case higher
        case lower
        case noReliableDifference = "no_reliable_difference"

        /// The words shown on the page.
        public var label: String {
            switch self {
            case .higher: "Higher"
            case .lower: "Lower"
            case .noReliableDifference: "No reliable difference"
            }
        }
    }

    /// The pooled two-proportion z statistic for x1/n1 against x2/n2; nil when a base is zero. Zero when both
    /// proportions are 0 or both are 1 (no variance, no difference).
    public static func twoProportionZ(_ x1: Int, _ n1: Int, _ x2: Int, _ n2: Int) -> Double? {
        guard n1 > 0, n2 > 0, (0...n1).contains(x1), (0...n2).contains(x2) else { return nil }
        let p1 = Double(x1) / Double(n1)
        let p2 = Double(x2) / Double(n2)
        let pooled = Double(x1 + x2) / Double(n1 + n2)
        let variance = pooled * (1 - pooled) * (1 / Double(n1) + 1 / Double(n2))
        guard variance > 0 else { return 0 }
        return (p1 - p2) / variance.squareRoot()
    }

    /// Higher, lower or no reliable difference at the 5% level (two-sided); nil — no flag at all — unless both bases
    /// are at least `minimumBase` (the report's rule: 30).
    public static func difference(_ x1: Int, _ n1: Int, _ x2: Int, _ n2: Int, minimumBase: Int) -> Difference? {
        guard n1 >= minimumBase, n2 >= minimumBase, let z = twoProportionZ(x1, n1, x2, n2) else { return nil }
        if z >= z95 { return .higher }
        if z <= -z95 { return .lower }
        return .noReliableDifference
    }
}
