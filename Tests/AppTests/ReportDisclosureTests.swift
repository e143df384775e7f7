import Domain
import Foundation
import Operations
import Testing
import Web

@Suite("Report disclosure control: [c], [u], secondary suppression and exports")
struct ReportDisclosureTests {
    let rules = DisclosureRules.standard

    @Test("a base under 10 is [c], 10 to 29 is shown with [u], 30 and over is shown plainly")
    func baseThresholds() {
        #expect(PositiveShare(positive: 5, base: 9, rules: rules).value == .suppressed)
        #expect(PositiveShare(positive: 5, base: 9, rules: rules).baseValue == .suppressed)
        #expect(PositiveShare(positive: 5, base: 10, rules: rules).value == .percent(50, lowReliability: true))
        #expect(PositiveShare(positive: 5, base: 10, rules: rules).value.display == "50% [u]")
        #expect(PositiveShare(positive: 15, base: 29, rules: rules).lowReliability)
        #expect(PositiveShare(positive: 15, base: 30, rules: rules).value == .percent(50, lowReliability: false))
        #expect(PositiveShare(positive: 0, base: 0, rules: rules).value == .suppressed)
    }

    @Test("the thresholds are configurable")
    func configurable() {
        let strict = DisclosureRules(suppressBelow: 20, lowReliabilityBelow: 50)
        #expect(PositiveShare(positive: 5, base: 15, rules: strict).value == .suppressed)
        #expect(PositiveShare(positive: 20, base: 40, rules: strict).lowReliability)
        #expect(ReportValue.share(3, of: 15, rules: strict) == .suppressed)
        // A low-reliability threshold below the suppression threshold is raised to it.
        #expect(DisclosureRules(suppressBelow: 10, lowReliabilityBelow: 5).lowReliabilityBelow == 10)
    }

    /// Cells with a published total: a model of singleton figures and one total (priority 3).
    func protect(_ cells: [Int], total: Bool = true) -> Set<Int> {
        var model = ProtectedFigures.Builder()
        let atoms = model.atoms(cells.count)
        for (i, v) in cells.enumerated() { model.figure([atoms[i]], value: v) }
        if total { model.figure(atoms, value: cells.reduce(0, +), priority: 3) }
        return ProtectedFigures(model, rules: rules).hidden
    }

    @Test("primary suppression hides counts of 1 to 9 and shows zeros")
    func primary() {
        #expect(protect([0, 1, 9, 10, 50], total: false) == [1, 2])
    }

    @Test("one hidden cell in a published total is protected by hiding the next smallest non-zero cell")
    func secondaryAgainstTotal() {
        #expect(protect([5, 20, 30, 0]) == [0, 1])
    }

    @Test("a zero is not chosen when a non-zero cell can protect the hidden one")
    func secondaryPrefersNonZero() {
        #expect(protect([3, 0, 40]) == [0, 2])
    }

    @Test("two small hidden cells whose sum is under the threshold box each other in (3 + 4 = 7 is known): a third is hidden")
    func twoSmallHidden() {
        #expect(protect([3, 4, 40]) == [0, 1, 2])
        // 4 + 6 = 10: each could be anything from 0 to 10, wide enough.
        #expect(protect([4, 6, 40]) == [0, 1])
    }

    @Test(
        "after suppression no hidden cell is determined by the published total and sums (brute force over small cases)",
        arguments: [
            [4, 25, 40, 2, 0, 7],
            [1, 100, 0, 0, 0, 0],
            [12, 3, 50, 18, 0, 5],
            [9, 9, 9, 9, 9, 9],
            [40, 4, 0, 6, 0, 0],
        ]
    )
    func nothingRecoverable(cells: [Int]) {
        // Options 0,1 positive, 2,3 not positive, 4,5 excluded from the base: the all-options total, the positive
        // sum and the base are published.
        let sums: [Set<Int>] = [[0, 1, 2, 3, 4, 5], [0, 1], [0, 1, 2, 3]]
        var model = ProtectedFigures.Builder()
        let atoms = model.atoms(cells.count)
        for (i, v) in cells.enumerated() { model.figure([atoms[i]], value: v) }
        var sumFigures: [Int] = []
        for sum in sums { sumFigures.append(model.figure(sum.sorted().map { atoms[$0] }, value: sum.reduce(0) { $0 + cells[$1] }, priority: 2)) }
        let protected = ProtectedFigures(model, rules: rules)
        let hidden = Set(cells.indices.filter { !protected.isShown($0) })
        let active = sums.indices.filter { protected.isShown(sumFigures[$0]) }.map { sums[$0] }
        for cell in cells.indices where cells[cell] > 0 && cells[cell] < 10 {
            #expect(hidden.contains(cell), "primary \(cell) of \(cells)")
        }
        for cell in hidden {
            #expect(!Self.recoverable(cell, cells: cells, hidden: hidden, sums: active), "cell \(cell) of \(cells) recoverable")
        }
    }

    /// An independent check by brute force: a hidden cell is recoverable when every assignment of the hidden cells
    /// (0 to the largest cell + 5 each) that matches the published sums gives it the same value.
    static func recoverable(_ cell: Int, cells: [Int], hidden: Set<Int>, sums: [Set<Int>]) -> Bool {
        let order = hidden.sorted()
        var seen = Set<Int>()
        func search(_ i: Int, _ values: [Int]) {
            if seen.count > 1 { return }
            if i == order.count {
                var trial = cells
                for (k, index) in order.enumerated() { trial[index] = values[k] }
                if sums.allSatisfy({ sum in sum.reduce(0) { $0 + trial[$1] } == sum.reduce(0) { $0 + cells[$1] } }) {
                    seen.insert(trial[cell])
                }
                return
            }
            for v in 0...((cells.max() ?? 0) + 5) { search(i + 1, values + [v]) }
        }
        // Past four hidden cells the search is too long; the linear-programming attack covers those.
        if order.count > 4 { return false }
        search(0, [])
        return seen.count == 1
    }

    @Test("bounds by linear programming: a known system's ranges, an unbounded one, an inconsistent one")
    func linearBounds() throws {
        // x0 + x1 = 10, x1 + x2 = 4, all ≥ 0: x0 from 6 to 10, x1 from 0 to 4, x2 from 0 to 4.
        let system = LinearBounds(variableCount: 3, equations: [.init([0: 1, 1: 1], 10), .init([1: 1, 2: 1], 4)])
        #expect(try #require(system.range(of: [0: 1])) == .init(minimum: 6, maximum: 10))
        #expect(try #require(system.range(of: [2: 1])) == .init(minimum: 0, maximum: 4))
        #expect(try #require(system.range(of: [0: 1, 2: 1])) == .init(minimum: 6, maximum: 14))
        // x3 is in no equation: from 0 without limit.
        let free = try #require(LinearBounds(variableCount: 4, equations: [.init([0: 1], 3)]).range(of: [3: 1]))
        #expect(free.minimum == 0 && free.maximum == nil && free.width == .infinity)
        // Determined by presolve: x0 = 3, so x1 = 2.
        #expect(try #require(LinearBounds(variableCount: 2, equations: [.init([0: 1], 3), .init([0: 1, 1: 1], 5)]).range(of: [1: 1])).width == 0)
        #expect(LinearBounds(variableCount: 2, equations: [.init([0: 1, 1: 1], 2), .init([0: 1], 5)]).range(of: [1: 1]) == nil)
    }

    @Test("a yes/no question whose small 'no' would follow from % positive and its base gets no % positive")
    func positiveWithdrawn() {
        // yes 40 (positive), no 4, not sure 6 (excluded): 40/44 would give away the 4.
        let d = DisclosedDistribution(counts: [40, 4, 6], positive: [0], excluded: [2], partition: true, rules: rules)
        #expect(d.counts == [.count(40), .suppressed, .suppressed])
        #expect(d.positive?.value == .suppressed)
        #expect(d.total == .suppressed)
    }

    @Test("a scale question with a small cell among the positives hides a second positive but keeps % positive")
    func positiveKept() throws {
        // strongly agree 3, agree 20, neither 12, disagree 15, strongly disagree 0, not applicable 0.
        let d = DisclosedDistribution(counts: [3, 20, 12, 15, 0, 0], positive: [0, 1], excluded: [5], partition: true, rules: rules)
        #expect(d.counts == [.suppressed, .suppressed, .count(12), .count(15), .count(0), .count(0)])
        let share = try #require(d.positive)
        #expect(share.shown && share.base == 50 && share.positive == 23)
        #expect(share.value == .percent(46, lowReliability: false))
    }

    @Test("a question answered fewer than 10 times shows [c] for its total and share")
    func smallQuestion() {
        let d = DisclosedDistribution(counts: [5, 2, 0], positive: [0], excluded: [], partition: true, rules: rules)
        #expect(d.total == .suppressed)
        #expect(d.positive?.value == .suppressed)
        #expect(d.percents.allSatisfy { $0 == .suppressed })
    }

    @Test("CSV cells beginning with =, +, -, @, tab or carriage return are neutralised, and quoting is correct")
    func csvNeutralising() {
        #expect(ReportExport.csvCell("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(ReportExport.csvCell("+1") == "'+1")
        #expect(ReportExport.csvCell("-2") == "'-2")
        #expect(ReportExport.csvCell("@SUM(A1)") == "'@SUM(A1)")
        #expect(ReportExport.csvCell("\tx") == "'\tx")
        #expect(ReportExport.csvCell("a, b") == "\"a, b\"")
        #expect(ReportExport.csvCell("62% [u]") == "62% [u]")
        #expect(ReportExport.csvCell("[c]") == "[c]")
    }

    @Test("the CSV and JSON exports carry the table names, column names and the [c] and [u] marks")
    func exports() {
        let table = ReportTable(
            name: "t",
            caption: "T",
            columns: [("name", "Name"), ("n", "N"), ("p", "P")],
            rows: [[.text("=cmd"), .suppressed, .percent(12.34, lowReliability: true)], [.text("b"), .count(40), .notAvailable]]
        )
        let csv = ReportExport.csv([table])
        #expect(csv == "# table: t\r\nname,n,p\r\n'=cmd,[c],12% [u]\r\nb,40,[x]\r\n\r\n")
        let json = ReportExport.json([table], meta: ["b": "2", "a": "<1>"])
        #expect(
            json
                == #"{"report":{"a":"\u003c1>","b":"2"},"tables":[{"caption":"T","columns":["name","n","p"],"name":"t","rows":[{"name":"=cmd","n":{"flag":"c"},"p":{"flag":"u","percent":12.3}},{"name":"b","n":40,"p":{"flag":"x"}}]}]}"#
        )
    }

    @Test("a chart with no shown bar draws nothing; bars have whiskers and value labels, and text is escaped")
    func chart() {
        let empty = BarChart(id: "c", title: "T", bars: [.init(label: "V4", percent: nil, interval: nil, valueText: "[c]")])
        #expect(!empty.hasData && empty.svg.isEmpty)
        let chart = BarChart(
            id: "c",
            title: "A <b>",
            bars: [
                .init(label: "V4", percent: 80, interval: ConfidenceInterval(low: 49, high: 94.3), valueText: "80% [u]"),
                .init(label: "V5", percent: nil, interval: nil, valueText: "[c]"),
            ]
        )
        #expect(chart.svg.contains("role=\"img\""))
        #expect(chart.svg.contains("A &lt;b&gt;"))
        #expect(chart.svg.contains("80% [u]") && chart.svg.contains(">[c]<"))
        #expect(chart.svg.components(separatedBy: "<rect x=\"120.0\"").count == 2, "one bar drawn")
    }
}

@Suite("Report disclosure control: percentages of the base")
struct ReportBaseTests {
    @Test("percentages are of the base; an option excluded from the base has a count but no percentage")
    func percentOfBase() {
        // Agree 30, disagree 20, don't know 12 (excluded): base 50.
        let d = DisclosedDistribution(counts: [30, 20, 12], positive: [0], excluded: [2], partition: true, rules: .standard)
        #expect(d.total == .count(50))
        #expect(d.percents == [.percent(60, lowReliability: false), .percent(40, lowReliability: false), .notAvailable])
        #expect(d.counts == [.count(30), .count(20), .count(12)])
        #expect(d.positive?.value == .percent(60, lowReliability: false))
    }
}
