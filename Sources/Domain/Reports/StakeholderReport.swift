import Forms
import Foundation

/// One measured question after disclosure control: what the page, the chart, the outcome grouping and the exports
/// show for it.
public struct MeasuredQuestion: Sendable, Equatable {
    public let id: String
    public let label: String
    /// The few words that label its bar in charts (the form's `short_label`, else the question number).
    public let shortLabel: String
    public let measure: Measure?
    public let outcome: Outcome?
    public let options: [(code: String, label: String)]
    public let distribution: DisclosedDistribution
    /// Responses that answered the question at all.
    public let answered: Int

    public static func == (lhs: MeasuredQuestion, rhs: MeasuredQuestion) -> Bool {
        lhs.id == rhs.id && lhs.distribution == rhs.distribution && lhs.answered == rhs.answered
    }
}

/// A free-text question's themes after disclosure control.
public struct ThemedQuestion: Sendable {
    public let id: String
    public let label: String
    /// The reviewed answers (the base of every share).
    public let reviewed: ReportValue
    /// Per theme, in the inspection's order: the tagged answers and their share of the reviewed ones.
    public let themes: [(name: String, count: ReportValue, percent: ReportValue)]
}

/// The victims section: links per provider, and per question the distribution and the % positive — every figure
/// one of a single set of protected figures (`ProtectedFigures`), so that no combination of them (a row against its
/// total, a question against the number of responses) recovers a hidden one.
public struct VictimsSection: Sendable, Equatable {
    public let providers: [ReportStore.ProviderLinks]
    /// Responses held (the links table's total).
    public let responses: Int
    /// The total of responses as shown: a count or `[c]`.
    public let responsesValue: ReportValue
    public let questions: [MeasuredQuestion]
    /// Free-text questions, how many answers each has, and that count as it may be shown (the text itself is never
    /// part of the report model).
    public let freeText: [(id: String, label: String, answers: Int, shown: ReportValue)]
    /// Per free-text question, the reviewed answers and, per theme, those tagged with it, as they may be shown.
    public let themes: [ThemedQuestion]
    public let rules: DisclosureRules
    /// Per provider the shown links figures (issued, opened, started, submitted, withdrawn, responses), then the total row.
    let linkRows: [[ReportValue]]
    let linkTotals: [ReportValue]

    public static func == (lhs: VictimsSection, rhs: VictimsSection) -> Bool {
        lhs.providers == rhs.providers && lhs.responses == rhs.responses && lhs.questions == rhs.questions && lhs.linkRows == rhs.linkRows
    }

    /// Builds the section from raw counts, applying disclosure control to every figure together.
    public init(providers: [ReportStore.ProviderLinks], counts: ReportStore.VictimAnswerCounts, form: FormDefinition?, rules: DisclosureRules) {
        self.providers = providers
        self.rules = rules
        var model = ProtectedFigures.Builder()
        // Links: per provider five disjoint counts — never opened, opened but not started, started but not submitted,
        // submitted and kept, withdrawn — so that "opened ≤ issued" and the like hold by construction; and responses.
        var linkFigures: [[Int]] = []
        var columnAtoms = Array(repeating: [Int](), count: 6)
        var responseAtoms: [Int] = []
        for p in providers {
            let parts = [p.issued - p.opened, p.opened - p.started, p.started - p.submitted, p.submitted - p.withdrawn, p.withdrawn]
            let values = [p.issued, p.opened, p.started, p.submitted, p.withdrawn]
            var sums: [[Int]]
            if parts.allSatisfy({ $0 >= 0 }) {
                let funnel = model.atoms(5)
                sums = (0..<5).map { Array(funnel[$0...]) }
            } else {
                // Counts that do not nest (a data fault): each its own count.
                sums = model.atoms(5).map { [$0] }
            }
            let response = model.atom()
            responseAtoms.append(response)
            sums.append([response])
            var row: [Int] = []
            for (column, atoms) in sums.enumerated() {
                row.append(model.figure(atoms, value: column < 5 ? values[column] : p.responses))
                columnAtoms[column] += atoms
            }
            linkFigures.append(row)
        }
        let totalValues = (0..<6).map { column in linkFigures.indices.reduce(0) { $0 + model.figures[linkFigures[$1][column]].value } }
        let totalFigures = (0..<6).map { model.figure(columnAtoms[$0], value: totalValues[$0], priority: 3) }
        responses = totalValues[5]

        // Questions: per single-answer question an atom per option and one for "no answer" (every response is in
        // exactly one); per multiple-answer question the respondents and, per option, its count and the rest.
        struct Pending {
            let question: Forms.Question
            let raw: [Int]
            let options: [Int]
            let base: Int?
            let positive: Int?
            let answered: Int
        }
        var pending: [Pending] = []
        var freeTextFigures: [(id: String, label: String, answers: Int, figure: Int)] = []
        var themeFigures: [(question: Forms.Question, reviewed: Int, tagged: [(name: String, count: Int, figure: Int)])] = []
        for question in form?.questions ?? [] {
            let answered = counts.answered[question.id] ?? 0
            if question.type == .freeText {
                let (a, none) = (model.atom(), model.atom())
                model.equal(responseAtoms, [a, none])
                freeTextFigures.append((question.id, question.label.text(.en), answered, model.figure([a], value: answered, priority: 1)))
                // Themes: the reviewed answers (part of the answers) and, per theme, those tagged and the rest, as a
                // multiple-answer question whose respondents are the reviewed answers.
                let (reviewed, unreviewed) = (model.atom(), model.atom())
                model.equal([a], [reviewed, unreviewed])
                let reviewedCount = counts.reviewed[question.id] ?? 0
                let base = model.figure([reviewed], value: reviewedCount, priority: 2)
                let small = rules.isPrimary(reviewedCount)
                let tagged = counts.themes.map { theme -> (name: String, count: Int, figure: Int) in
                    let (chosen, rest) = (model.atom(), model.atom())
                    model.equal([reviewed], [chosen, rest])
                    let count = theme.tagged[question.id] ?? 0
                    return (theme.name, count, model.figure([chosen], value: count, hideWith: base, forced: small))
                }
                themeFigures.append((question, base, tagged))
                continue
            }
            guard question.type.hasOptions else { continue }
            let byCode = counts.codes[question.id] ?? [:]
            let raw = question.options.map { byCode[$0.code] ?? 0 }
            let excluded = Set(question.options.indices.filter { question.options[$0].excludedFromBase })
            if question.type == .multipleChoice {
                let (a, none) = (model.atom(), model.atom())
                model.equal(responseAtoms, [a, none])
                let base = model.figure([a], value: answered, priority: 2)
                let small = rules.isPrimary(answered)
                let options = raw.map { count -> Int in
                    let (chosen, rest) = (model.atom(), model.atom())
                    model.equal([a], [chosen, rest])
                    return model.figure([chosen], value: count, hideWith: base, forced: small)
                }
                pending.append(Pending(question: question, raw: raw, options: options, base: base, positive: Int?.none, answered: answered))
                continue
            }
            let atoms = model.atoms(raw.count)
            let none = model.atom()
            model.equal(responseAtoms, atoms + [none])
            let inBase = raw.indices.filter { !excluded.contains($0) }
            let baseCount = inBase.reduce(0) { $0 + raw[$1] }
            let base = model.figure(inBase.map { atoms[$0] }, value: baseCount, priority: 2)
            let positiveIndexes = question.measure == nil ? [] : raw.indices.filter { question.options[$0].positive }
            let positive =
                positiveIndexes.isEmpty
                ? nil
                : model.figure(positiveIndexes.map { atoms[$0] }, value: positiveIndexes.reduce(0) { $0 + raw[$1] }, priority: 1, hideWith: base)
            // No distribution at all for a base under the threshold: its zeros would give the answers away.
            let small = rules.isPrimary(baseCount)
            let options = raw.indices.map { model.figure([atoms[$0]], value: raw[$0], hideWith: small ? base : nil, forced: small) }
            pending.append(Pending(question: question, raw: raw, options: options, base: base, positive: positive, answered: answered))
        }

        let protected = ProtectedFigures(model, rules: rules)
        linkRows = linkFigures.map { $0.map(protected.value) }
        linkTotals = totalFigures.map(protected.value)
        responsesValue = linkTotals[5]
        questions = pending.map { item in
            let question = item.question
            let excluded = Set(question.options.indices.filter { question.options[$0].excludedFromBase })
            let baseShown = item.base.map(protected.isShown) ?? false
            let baseCount = item.base.map { protected.figures[$0].value } ?? 0
            let percents: [ReportValue] = item.options.enumerated().map { index, figure in
                if question.type != .multipleChoice && excluded.contains(index) { return .notAvailable }
                guard baseShown, protected.isShown(figure) else { return .suppressed }
                return ReportValue.share(item.raw[index], of: baseCount, rules: rules)
            }
            let share = item.positive.map { figure in
                PositiveShare(
                    positive: protected.figures[figure].value,
                    base: baseCount,
                    rules: rules,
                    withdrawn: !(baseShown && protected.isShown(figure)),
                    baseWithdrawn: !baseShown
                )
            }
            return MeasuredQuestion(
                id: question.id,
                label: question.label.text(.en),
                shortLabel: question.shortLabel ?? ReportContent.shortLabel(question.id),
                measure: question.measure,
                outcome: question.outcome,
                options: question.options.map { ($0.code, $0.label.text(.en)) },
                distribution: DisclosedDistribution(
                    counts: item.options.map(protected.value),
                    percents: percents,
                    total: item.base.map(protected.value) ?? .notAvailable,
                    positive: share
                ),
                answered: item.answered
            )
        }
        freeText = freeTextFigures.map { ($0.id, $0.label, $0.answers, protected.value($0.figure)) }
        themes = themeFigures.map { item in
            let reviewed = protected.value(item.reviewed)
            let baseCount = protected.figures[item.reviewed].value
            return ThemedQuestion(
                id: item.question.id,
                label: item.question.label.text(.en),
                reviewed: reviewed,
                themes: item.tagged.map { theme in
                    let count = protected.value(theme.figure)
                    let percent: ReportValue =
                        if case .count = reviewed, case .count = count {
                            baseCount == 0 ? .notAvailable : .share(theme.count, of: baseCount, rules: rules)
                        } else { .suppressed }
                    return (theme.name, count, percent)
                }
            )
        }
    }

    /// `victims_themes`: per free-text question and theme, the reviewed answers tagged with it and their share of
    /// the reviewed answers.
    public var themesTable: ReportTable {
        ReportTable(
            name: "victims_themes",
            caption: "Victims' own words: reviewed answers by theme",
            columns: [
                ("question_id", "Question id"), ("question", "Question"), ("theme", "Theme"), ("answers_tagged", "Answers with this theme"),
                ("percent_of_reviewed", "% of reviewed answers"), ("reviewed_answers", "Reviewed answers"),
            ],
            rows: themes.flatMap { q in
                q.themes.map { [.text(q.id), .text(q.label), .text($0.name), $0.count, $0.percent, q.reviewed] }
            }
        )
    }

    /// The questions with a % positive measure.
    public var measured: [MeasuredQuestion] { questions.filter { $0.distribution.positive != nil } }

    /// `victims_links`: per provider, links and responses and the response rate (responses ÷ links issued), then
    /// the total over providers. A rate is shown only where both its numbers are.
    public var linksTable: ReportTable {
        func rate(_ row: [ReportValue]) -> ReportValue {
            guard case .count(let issued) = row[0], case .count(let responses) = row[5] else { return .suppressed }
            return issued == 0 ? .notAvailable : .share(responses, of: issued, rules: rules)
        }
        return ReportTable(
            name: "victims_links",
            caption: "Questionnaire links and responses by provider",
            columns: [
                ("provider", "Provider"), ("links_issued", "Links issued"), ("links_opened", "Opened"), ("links_started", "Started"),
                ("links_submitted", "Submitted online"), ("links_withdrawn", "Withdrawn"), ("responses", "Responses (online and paper)"),
                ("response_rate", "Response rate"),
            ],
            rows: zip(providers, linkRows).map { p, row in [.text(p.name)] + row + [rate(row)] }
                + (providers.isEmpty ? [] : [[.text(Self.allProviders)] + linkTotals + [rate(linkTotals)]])
        )
    }

    /// The name of the links table's total row.
    public static let allProviders = "All providers"

    /// `victims_measures`: per measured question, the base, % positive and its Wilson 95% interval.
    public var measuresTable: ReportTable {
        ReportTable(
            name: "victims_measures",
            caption: "Victims: % positive by question, with 95% confidence interval",
            columns: [
                ("question_id", "Question id"), ("question", "Question"), ("outcome", "Outcome"), ("measure", "Measure"), ("base", "Base"),
                ("percent_positive", "% positive"), ("interval_low", "95% interval from"), ("interval_high", "95% interval to"),
            ],
            rows: measured.compactMap { q in
                guard let share = q.distribution.positive else { return nil }
                let interval = share.interval
                return [
                    .text(q.id), .text(q.label), .text(q.outcome?.rawValue ?? ""), .text(q.measure?.rawValue ?? ""), share.baseValue, share.value,
                    interval.map { .percent($0.low, lowReliability: share.lowReliability) } ?? .suppressed,
                    interval.map { .percent($0.high, lowReliability: share.lowReliability) } ?? .suppressed,
                ]
            }
        )
    }

    /// `victims_distribution`: per question and option, the count and the percentage of answers.
    public var distributionTable: ReportTable {
        ReportTable(
            name: "victims_distribution",
            caption: "Victims: answers by question and option",
            columns: [
                ("question_id", "Question id"), ("option_code", "Option code"), ("option", "Answer"), ("count", "Count"), ("percent", "% of base"),
            ],
            rows: questions.flatMap { q in
                q.options.indices.map { i in
                    [.text(q.id), .text(q.options[i].code), .text(q.options[i].label), q.distribution.counts[i], q.distribution.percents[i]]
                }
            }
        )
    }
}

/// The report for one inspection: every section, already through disclosure control.
public struct StakeholderReport: Sendable {
    public let inspection: ReportStore.InspectionFacts
    public let victims: VictimsSection
    public let serviceUsers: ServiceUsersSection
    public let sentencers: SentencersSection
    public let rules: DisclosureRules
    /// Reviewed free-text answers (redacted text only); never part of the exports.
    public private(set) var freeText: [FreeTextReviewStore.Item] = []

    /// The report with the reviewed free text added.
    public func with(freeText: [FreeTextReviewStore.Item]) -> StakeholderReport {
        var copy = self
        copy.freeText = freeText
        return copy
    }

    public init(
        inspection: ReportStore.InspectionFacts,
        victims: VictimsSection,
        serviceUsers: ServiceUsersSection,
        sentencers: SentencersSection,
        rules: DisclosureRules
    ) {
        self.inspection = inspection
        self.victims = victims
        self.serviceUsers = serviceUsers
        self.sentencers = sentencers
        self.rules = rules
    }

    /// Every table, in page order: what the CSV and JSON exports contain.
    public var tables: [ReportTable] {
        [
            victims.linksTable, victims.measuresTable, victims.distributionTable, victims.themesTable, sentencers.meetingsTable,
            sentencers.attendanceTable,
            sentencers.ratingsTable, serviceUsers.measuresTable, serviceUsers.trendTable, outcomesTable,
        ]
    }

    /// `outcomes`: each measured question under its inspection outcome.
    public var outcomesTable: ReportTable {
        ReportTable(
            name: "outcomes",
            caption: "Evidence by inspection outcome",
            columns: [
                ("outcome", "Outcome"), ("source", "Source"), ("question_id", "Question id"), ("question", "Question"),
                ("percent_positive", "% positive"), ("base", "Base"),
            ],
            rows: Outcome.allCases.flatMap { outcome in
                victims.measured.filter { $0.outcome == outcome }.compactMap { q -> [ReportValue]? in
                    guard let share = q.distribution.positive else { return nil }
                    return [.text(outcome.rawValue), .text("victims"), .text(q.id), .text(q.label), share.value, share.baseValue]
                }
                    + (serviceUsers.latestYear == nil ? [] : serviceUsers.questions).filter { $0.outcome == outcome }.map { q -> [ReportValue] in
                        [.text(outcome.rawValue), .text("service_users"), .text(q.id), .text(q.label), q.area.value, q.area.baseValue]
                    }
            }
        )
    }
}

extension Outcome {
    /// The outcome's name in the 2013 Inspection Framework.
    public var label: String {
        switch self {
        case .assistingSentencing: "Assisting sentencing"
        case .deliveringTheSentence: "Delivering the sentence of the court"
        case .reducingReoffending: "Reducing the likelihood of reoffending"
        case .protectingThePublic: "Protecting the public"
        case .effectiveWorkForVictims: "Delivering effective work for victims"
        }
    }
}
