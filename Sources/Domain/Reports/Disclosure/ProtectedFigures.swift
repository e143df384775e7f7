import Foundation

/// A set of published figures over a set of counts, and which of them disclosure control hides.
///
/// **The model.** The true data are *atoms*: non-negative counts that no figure splits (for a provider's links:
/// never opened, opened but not started, …; for a question: each answer, and "no answer"). Every figure the
/// service shows or exports is the sum of some atoms (a cell, a base, a total, a numerator behind a percentage).
/// Some relations between atoms are public knowledge whether or not any figure shows them (*structural equations*:
/// every response answers a single-answer question once or not at all). An attacker knows the structural equations
/// and every figure shown; what they can learn of a hidden figure is the range it can take over every non-negative
/// assignment of the atoms consistent with all that (`LinearBounds`).
///
/// **The rule.** A figure from 1 to `suppressBelow − 1` is hidden (primary); a figure marked `hideWith` is hidden with
/// another (a numerator with its base; a whole distribution with a base under the threshold). Then, while some
/// hidden figure's range is narrower than `suppressBelow` (determined exactly, or boxed in), hide one more figure that
/// shares an atom or an equation with it: the one with the lowest `priority`, then the smallest non-zero value —
/// preferring one whose hiding widens the range enough. Pure: the result depends only on the input.
public struct ProtectedFigures: Sendable {
    /// One published figure: the sum of `atoms`.
    public struct Figure: Sendable, Equatable {
        public let atoms: [Int]
        public let value: Int
        /// Lower is hidden first when a secondary cell is needed (cells 0, subtotals 1, totals 2, national 3).
        public let priority: Int
        /// A figure this one must be hidden with (by index).
        public let hideWith: Int?
        /// Hidden regardless of its value (a figure the rules do not allow, such as a distribution with a small base).
        public let forced: Bool

        public init(atoms: [Int], value: Int, priority: Int = 0, hideWith: Int? = nil, forced: Bool = false) {
            self.atoms = atoms
            self.value = value
            self.priority = priority
            self.hideWith = hideWith
            self.forced = forced
        }
    }

    /// A growing list of atoms, equations and figures.
    public struct Builder: Sendable {
        public private(set) var atomCount = 0
        public private(set) var equations: [LinearBounds.Equation] = []
        public private(set) var figures: [Figure] = []

        public init() {}

        /// A new atom's index.
        public mutating func atom() -> Int {
            atomCount += 1
            return atomCount - 1
        }

        /// `count` new atoms.
        public mutating func atoms(_ count: Int) -> [Int] { (0..<count).map { _ in atom() } }

        /// A public relation: `Σ plus − Σ minus = 0`.
        public mutating func equal(_ plus: [Int], _ minus: [Int]) {
            var terms: [Int: Double] = [:]
            for a in plus { terms[a, default: 0] += 1 }
            for a in minus { terms[a, default: 0] -= 1 }
            equations.append(LinearBounds.Equation(terms, 0))
        }

        /// Adds a figure; returns its index.
        @discardableResult
        public mutating func figure(_ atoms: [Int], value: Int, priority: Int = 0, hideWith: Int? = nil, forced: Bool = false) -> Int {
            figures.append(Figure(atoms: atoms, value: value, priority: priority, hideWith: hideWith, forced: forced))
            return figures.count - 1
        }
    }

    public let figures: [Figure]
    /// Indexes of hidden figures.
    public let hidden: Set<Int>

    /// Whether figure `index` is shown.
    public func isShown(_ index: Int) -> Bool { !hidden.contains(index) }

    /// The figure as a report value: its count, or `[c]`.
    public func value(_ index: Int) -> ReportValue { isShown(index) ? .count(figures[index].value) : .suppressed }

    public init(_ builder: Builder, rules: DisclosureRules) {
        let figures = builder.figures
        self.figures = figures
        let threshold = Double(rules.suppressBelow)
        var hidden = Set(figures.indices.filter { figures[$0].forced || rules.isPrimary(figures[$0].value) })
        func close(_ set: inout Set<Int>) {
            var grew = true
            while grew {
                grew = false
                for i in figures.indices where !set.contains(i) {
                    if let other = figures[i].hideWith, set.contains(other) {
                        set.insert(i)
                        grew = true
                    }
                }
            }
        }
        close(&hidden)
        // Which figures touch which atoms, and atoms joined by equations, to find a hidden figure's neighbours.
        var linked = Array(repeating: Set<Int>(), count: builder.atomCount)
        for equation in builder.equations {
            let atoms = Array(equation.terms.keys)
            for a in atoms { linked[a].formUnion(atoms) }
        }
        func system(_ hidden: Set<Int>) -> LinearBounds {
            var equations = builder.equations
            for i in figures.indices where !hidden.contains(i) {
                equations.append(LinearBounds.Equation(Dictionary(figures[i].atoms.map { ($0, 1.0) }, uniquingKeysWith: +), Double(figures[i].value)))
            }
            return LinearBounds(variableCount: builder.atomCount, equations: equations)
        }
        func width(_ index: Int, _ bounds: LinearBounds) -> Double {
            bounds.range(of: Dictionary(figures[index].atoms.map { ($0, 1.0) }, uniquingKeysWith: +))?.width ?? .infinity
        }
        // Each round hides at least one figure, so this ends.
        for _ in 0...figures.count {
            let bounds = system(hidden)
            // A hidden figure made only of atoms shown as cells of their own hides nothing (a % positive withdrawn
            // beside its one shown option): it needs no protection.
            let shownCells = Set(figures.indices.filter { !hidden.contains($0) && figures[$0].atoms.count == 1 }.map { figures[$0].atoms[0] })
            guard
                let exposed = hidden.sorted().first(where: {
                    !figures[$0].atoms.allSatisfy(shownCells.contains) && width($0, bounds) < threshold - LinearBounds.epsilon
                })
            else { break }
            // Neighbours: shown figures sharing an atom with the exposed one or an equation with its atoms.
            var reach = Set(figures[exposed].atoms)
            for a in figures[exposed].atoms { reach.formUnion(linked[a]) }
            // Grow through shown figures and equations once more, so that totals over a cell's row are in reach.
            for i in figures.indices where !hidden.contains(i) && figures[i].atoms.contains(where: reach.contains) {
                reach.formUnion(figures[i].atoms)
            }
            let candidates = figures.indices.filter { !hidden.contains($0) && figures[$0].atoms.contains(where: reach.contains) }
                .sorted { a, b in
                    let (fa, fb) = (figures[a], figures[b])
                    if fa.priority != fb.priority { return fa.priority < fb.priority }
                    let (va, vb) = (fa.value == 0 ? Int.max : fa.value, fb.value == 0 ? Int.max : fb.value)
                    return va != vb ? va < vb : a < b
                }
            guard let first = candidates.first else { break }
            let chosen =
                candidates.first { candidate in
                    var trial = hidden
                    trial.insert(candidate)
                    close(&trial)
                    return width(exposed, system(trial)) >= threshold - LinearBounds.epsilon
                } ?? first
            hidden.insert(chosen)
            close(&hidden)
        }
        self.hidden = hidden
    }
}
