import Domain
import Foundation
import Operations
import Testing
import Web

@Suite("Report statistics: Wilson intervals and the two-proportion test")
struct ReportStatisticsTests {
    func close(_ a: Double, _ b: Double, _ tolerance: Double = 0.0005) -> Bool { abs(a - b) <= tolerance }

    @Test(
        "the Wilson 95% interval matches published values",
        arguments: [
            (8, 10, 0.4902, 0.9433),
            (50, 100, 0.4038, 0.5962),
            (0, 10, 0.0, 0.2775),
            (10, 10, 0.7225, 1.0),
            (1, 30, 0.0059, 0.1667),
            (81, 263, 0.2553, 0.3662),
        ]
    )
    func wilson(successes: Int, base: Int, low: Double, high: Double) throws {
        let interval = try #require(ReportStatistics.wilson(successes: successes, base: base))
        #expect(close(interval.low, low), "\(successes)/\(base) low \(interval.low)")
        #expect(close(interval.high, high), "\(successes)/\(base) high \(interval.high)")
    }

    @Test("the Wilson interval has no value for a zero base or impossible counts (never a division by zero)")
    func wilsonEmpty() {
        #expect(ReportStatistics.wilson(successes: 0, base: 0) == nil)
        #expect(ReportStatistics.wilson(successes: 11, base: 10) == nil)
        #expect(ReportStatistics.wilson(successes: -1, base: 10) == nil)
    }

    @Test("the two-proportion z statistic matches a hand calculation")
    func zStatistic() throws {
        // 60/100 against 45/100: pooled 0.525, SE = sqrt(0.525 × 0.475 × 0.02) = 0.070622, z = 0.15 / 0.070622 = 2.124.
        let z = try #require(ReportStatistics.twoProportionZ(60, 100, 45, 100))
        #expect(close(z, 2.124, 0.001))
        #expect(ReportStatistics.twoProportionZ(0, 50, 0, 80) == 0)
        #expect(ReportStatistics.twoProportionZ(1, 0, 1, 10) == nil)
    }

    @Test("the difference flag: higher, lower or no reliable difference, and none at all unless both bases are at least 30")
    func differenceFlag() {
        #expect(ReportStatistics.difference(60, 100, 45, 100, minimumBase: 30) == .higher)
        #expect(ReportStatistics.difference(45, 100, 60, 100, minimumBase: 30) == .lower)
        #expect(ReportStatistics.difference(55, 100, 45, 100, minimumBase: 30) == .noReliableDifference)
        // A large difference but one base of 29: no flag.
        #expect(ReportStatistics.difference(29, 29, 10, 1000, minimumBase: 30) == nil)
        #expect(ReportStatistics.difference(30, 30, 10, 1000, minimumBase: 30) == .higher)
        #expect(ReportStatistics.difference(10, 1000, 29, 29, minimumBase: 30) == nil)
    }
}
