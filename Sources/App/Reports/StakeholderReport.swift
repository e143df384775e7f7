import Forms
import Foundation

/// One measured question after disclosure control: what the page, the chart, the outcome grouping and the exports
/// show for it.
public struct MeasuredQuestion: Sendable, Equatable {
    public let id: String
    public let label: String
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

/// The victims section: links per provider, and per question the distribution and the % positive.
public struct VictimsSection: Sendable, Equatable {
    public let providers: [ReportStore.ProviderLinks]
    public let responses: Int
    public let questions: [MeasuredQuestion]
    /// Free-text questions and how many answers each has (the text itself is never part of the report model).
    public let freeText: [(id: String, label: String, answers: Int)]
    public let rules: DisclosureRules

    public static func == (lhs: VictimsSection, rhs: VictimsSection) -> Bool {
        lhs.providers == rhs.providers && lhs.responses == rhs.responses && lhs.questions == rhs.questions
    }

    /// Builds the section from raw counts, applying disclosure control to every figure.
    public init(providers: [ReportStore.ProviderLinks], counts: ReportStore.VictimAnswerCounts, form: FormDefinition?, rules: DisclosureRules) {
        self.providers = providers
        self.responses = counts.responses
        self.rules = rules
        var questions: [MeasuredQuestion] = []
        var freeText: [(id: String, label: String, answers: Int)] = []
        for question in form?.questions ?? [] {
            if question.type == .freeText {
                freeText.append((question.id, question.label.text(.en), counts.answered[question.id] ?? 0))
                continue
            }
            guard question.type.hasOptions else { continue }
            let byCode = counts.codes[question.id] ?? [:]
            let raw = question.options.map { byCode[$0.code] ?? 0 }
            let positive = Set(question.options.indices.filter { question.options[$0].positive })
            let excluded = Set(question.options.indices.filter { question.options[$0].excludedFromBase })
            let answered = counts.answered[question.id] ?? 0
            let partition = question.type != .multipleChoice
            questions.append(
                MeasuredQuestion(
                    id: question.id,
                    label: question.label.text(.en),
                    measure: question.measure,
                    outcome: question.outcome,
                    options: question.options.map { ($0.code, $0.label.text(.en)) },
                    distribution: DisclosedDistribution(
                        counts: raw,
                        positive: question.measure == nil ? [] : positive,
                        excluded: excluded,
                        partition: partition,
                        respondents: partition ? nil : answered,
                        rules: rules
                    ),
                    answered: answered
                )
            )
        }
        self.questions = questions
        self.freeText = freeText
    }

    /// The questions with a % positive measure.
    public var measured: [MeasuredQuestion] { questions.filter { $0.distribution.positive != nil } }

    /// `victims_links`: per provider, links and responses and the response rate (responses ÷ links issued).
    public var linksTable: ReportTable {
        ReportTable(
            name: "victims_links",
            caption: "Questionnaire links and responses by provider",
            columns: [
                ("provider", "Provider"), ("links_issued", "Links issued"), ("links_opened", "Opened"), ("links_started", "Started"),
                ("links_submitted", "Submitted online"), ("links_withdrawn", "Withdrawn"), ("responses", "Responses (online and paper)"),
                ("response_rate", "Response rate"),
            ],
            rows: providers.map { p in
                [
                    .text(p.name), .count(p.issued), .count(p.opened), .count(p.started), .count(p.submitted), .count(p.withdrawn),
                    .count(p.responses), p.issued == 0 ? .notAvailable : .share(p.responses, of: p.issued, rules: rules),
                ]
            }
        )
    }

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
            victims.linksTable, victims.measuresTable, victims.distributionTable, sentencers.meetingsTable, sentencers.attendanceTable,
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
