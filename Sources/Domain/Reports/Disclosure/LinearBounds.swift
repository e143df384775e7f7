import Foundation

/// The range a linear form can take over the non-negative solutions of a system of linear equations: what an
/// attacker who knows every published figure can work out about a hidden one.
///
/// Variables are non-negative reals (a relaxation of the counts they stand for, so the bounds are never tighter
/// than an attacker's with integers would be by more than rounding). Equations are `Σ coefficient × variable =
/// value`. Before any linear program is solved, equations with one unknown left fix it (presolve), and the rest split
/// into independent components, so that each bound is a small problem. The solver is a dense two-phase simplex with
/// Bland's rule (no cycling), written here because the problems are tiny (tens of variables) and no linear
/// programming library is among the project's dependencies.
public struct LinearBounds: Sendable {
    /// One equation: `Σ terms[v] × x_v = value`.
    public struct Equation: Sendable, Equatable {
        public var terms: [Int: Double]
        public var value: Double

        public init(_ terms: [Int: Double], _ value: Double) {
            self.terms = terms.filter { $0.value != 0 }
            self.value = value
        }
    }

    /// A bound pair: `maximum` nil when the form can grow without limit.
    public struct Range: Sendable, Equatable {
        public let minimum: Double
        public let maximum: Double?

        public init(minimum: Double, maximum: Double?) {
            self.minimum = minimum
            self.maximum = maximum
        }

        /// `maximum − minimum`, infinite when unbounded.
        public var width: Double { maximum.map { $0 - minimum } ?? .infinity }
    }

    static let epsilon = 1e-7

    /// Values fixed by presolve.
    let fixed: [Int: Double]
    /// Equations left after presolve, over unfixed variables only.
    let remaining: [Equation]
    /// Whether presolve found the system inconsistent.
    public let isInfeasible: Bool

    /// Presolves `equations` over `variableCount` non-negative variables.
    public init(variableCount: Int, equations: [Equation]) {
        var fixed: [Int: Double] = [:]
        var equations = equations
        var infeasible = false
        var changed = true
        while changed && !infeasible {
            changed = false
            var next: [Equation] = []
            for equation in equations {
                var terms: [Int: Double] = [:]
                var value = equation.value
                for (variable, coefficient) in equation.terms {
                    if let known = fixed[variable] { value -= coefficient * known } else { terms[variable] = coefficient }
                }
                if terms.isEmpty {
                    if abs(value) > Self.epsilon { infeasible = true }
                    continue
                }
                if terms.count == 1, let (variable, coefficient) = terms.first {
                    let solution = value / coefficient
                    if solution < -Self.epsilon { infeasible = true }
                    fixed[variable] = max(0, solution)
                    changed = true
                    continue
                }
                // All coefficients of one sign summing to zero: every variable in it is zero.
                if abs(value) <= Self.epsilon && (terms.values.allSatisfy { $0 > 0 } || terms.values.allSatisfy { $0 < 0 }) {
                    for variable in terms.keys { fixed[variable] = 0 }
                    changed = true
                    continue
                }
                next.append(Equation(terms, value))
            }
            equations = next
        }
        _ = variableCount
        self.fixed = fixed
        self.remaining = equations
        self.isInfeasible = infeasible
    }

    /// The range of `Σ form[v] × x_v`, or nil when the system has no solution.
    public func range(of form: [Int: Double]) -> Range? {
        if isInfeasible { return nil }
        var constant = 0.0
        var free: [Int: Double] = [:]
        for (variable, coefficient) in form where coefficient != 0 {
            if let known = fixed[variable] { constant += coefficient * known } else { free[variable] = coefficient }
        }
        if free.isEmpty { return Range(minimum: constant, maximum: constant) }
        // The component: every equation reachable from the form's variables through shared variables.
        var variables = Set(free.keys)
        var chosen = Set<Int>()
        var grew = true
        while grew {
            grew = false
            for (index, equation) in remaining.enumerated() where !chosen.contains(index) {
                if equation.terms.keys.contains(where: variables.contains) {
                    chosen.insert(index)
                    variables.formUnion(equation.terms.keys)
                    grew = true
                }
            }
        }
        let order = variables.sorted()
        let column = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        let rows = chosen.sorted().map { remaining[$0] }
        let matrix = rows.map { equation in order.map { equation.terms[$0] ?? 0 } }
        guard let simplex = Simplex(matrix: matrix, rhs: rows.map(\.value), width: order.count) else { return nil }
        var objective = Array(repeating: 0.0, count: order.count)
        for (variable, coefficient) in free { objective[column[variable]!] = coefficient }
        guard let low = simplex.minimum(objective) else { return Range(minimum: -.infinity, maximum: nil) }
        let high = simplex.minimum(objective.map { -$0 }).map { -$0 }
        return Range(minimum: constant + low, maximum: high.map { constant + $0 })
    }
}

/// A feasible simplex tableau for `A x = b, x ≥ 0`, from which several objectives can be minimised.
struct Simplex {
    /// Constraint rows: `width` columns then the right-hand side.
    private var rows: [[Double]]
    private var basis: [Int]
    private let width: Int

    /// Phase one; nil when there is no non-negative solution.
    init?(matrix: [[Double]], rhs: [Double], width n: Int) {
        let m = matrix.count
        width = n
        // Rows with a non-negative right-hand side, then one artificial variable per row.
        var rows: [[Double]] = []
        for (i, row) in matrix.enumerated() {
            let sign: Double = rhs[i] < 0 ? -1 : 1
            var full = row.map { $0 * sign }
            full += (0..<m).map { $0 == i ? 1 : 0 }
            full.append(rhs[i] * sign)
            rows.append(full)
        }
        var basis = (0..<m).map { n + $0 }
        var cost = Array(repeating: 0.0, count: n + m + 1)
        for row in rows {
            for j in 0..<n { cost[j] -= row[j] }
            cost[n + m] -= row[n + m]
        }
        Self.run(&rows, &basis, &cost, columns: n + m)
        if -cost[n + m] > 1e-6 { return nil }
        // Drive artificial variables out of the basis; a row with nothing else is redundant.
        var keep: [Int] = []
        for i in 0..<rows.count {
            if basis[i] >= n {
                if let j = (0..<n).first(where: { abs(rows[i][$0]) > LinearBounds.epsilon }) {
                    Self.pivot(&rows, &basis, &cost, row: i, column: j)
                    keep.append(i)
                }
            } else {
                keep.append(i)
            }
        }
        self.rows = keep.map { i in Array(rows[i][0..<n]) + [rows[i][n + m]] }
        self.basis = keep.map { basis[$0] }
    }

    /// The minimum of `c · x`, or nil when unbounded below.
    func minimum(_ c: [Double]) -> Double? {
        var rows = self.rows
        var basis = self.basis
        var cost = c + [0]
        for (i, b) in basis.enumerated() where c[b] != 0 {
            let factor = c[b]
            for j in 0...width { cost[j] -= factor * rows[i][j] }
        }
        guard Self.run(&rows, &basis, &cost, columns: width) else { return nil }
        return -cost[width]
    }

    /// Pivots until no reduced cost is negative; false when the objective is unbounded.
    @discardableResult
    private static func run(_ rows: inout [[Double]], _ basis: inout [Int], _ cost: inout [Double], columns: Int) -> Bool {
        let rhs = cost.count - 1
        for _ in 0..<10_000 {
            guard let entering = (0..<columns).first(where: { cost[$0] < -LinearBounds.epsilon }) else { return true }
            var leaving: Int?
            var best = Double.infinity
            for i in rows.indices where rows[i][entering] > LinearBounds.epsilon {
                let ratio = rows[i][rhs] / rows[i][entering]
                if ratio < best - LinearBounds.epsilon || (abs(ratio - best) <= LinearBounds.epsilon && basis[i] < basis[leaving ?? i]) {
                    best = ratio
                    leaving = i
                }
            }
            guard let leaving else { return false }
            pivot(&rows, &basis, &cost, row: leaving, column: entering)
        }
        return true
    }

    private static func pivot(_ rows: inout [[Double]], _ basis: inout [Int], _ cost: inout [Double], row p: Int, column e: Int) {
        let divisor = rows[p][e]
        for j in rows[p].indices { rows[p][j] /= divisor }
        for i in rows.indices where i != p {
            let factor = rows[i][e]
            if factor != 0 { for j in rows[i].indices { rows[i][j] -= factor * rows[p][j] } }
        }
        let factor = cost[e]
        if factor != 0 { for j in cost.indices { cost[j] -= factor * rows[p][j] } }
        basis[p] = e
    }
}
