/// What a definition file describes: a questionnaire people answer, an interview record, or an import codebook.
public enum FormKind: String, Sendable, Hashable, CaseIterable {
    /// A questionnaire answered by a respondent (the victim questionnaire).
    case questionnaire
    /// A record an inspector fills in during a meeting (the sentencer interview schedule).
    case interview
    /// The layout and codes of an imported data file (the service-user survey).
    case codebook
}

/// One of the five outcomes the 2013 Inspection Framework reports on.
public enum Outcome: String, Sendable, Hashable, CaseIterable {
    /// Assisting sentencing.
    case assistingSentencing = "assisting_sentencing"
    /// Delivering the sentence of the court.
    case deliveringTheSentence = "delivering_the_sentence"
    /// Reducing the likelihood of reoffending.
    case reducingReoffending = "reducing_reoffending"
    /// Protecting the public.
    case protectingThePublic = "protecting_the_public"
    /// Delivering effective work for victims.
    case effectiveWorkForVictims = "effective_work_for_victims"
}

/// The report measure a question or variable is evidence for.
public enum Measure: String, Sendable, Hashable, CaseIterable {
    /// Victims: how soon after sentence the first contact came.
    case timely
    /// Victims: having a named Victim Liaison Officer.
    case contact
    /// Victims: quality of the VLO's work (explanation, ease of contact, knowledge, materials, respect).
    case vloQuality = "vlo_quality"
    /// Victims: kept informed of key stages.
    case informed
    /// Victims: able to ask for licence conditions and have views taken into account.
    case input
    /// Victims: feeling safer because of the arrangements.
    case safe
    /// Victims: told about other support and restorative justice (criterion 5.5).
    case otherSupport = "other_support"
    /// Overall satisfaction.
    case satisfied
    /// Free text, read for themes and never counted.
    case qualitative
    /// Sentencers: confidence in probation's work on a topic.
    case sentencerConfidence = "sentencer_confidence"
    /// Service users: treated with respect and listened to.
    case relationship
    /// Service users: involved in their plan, expectations explained, workable appointments.
    case engagement
    /// Service users: help with housing, work, drugs and alcohol, money.
    case helpWithNeeds = "help_with_needs"
    /// Service users: thought about the effect on victims.
    case victimAwareness = "victim_awareness"
    /// Service users: feel less likely to reoffend.
    case desistance
}

/// The kind of question, which decides its input and its answer.
public enum QuestionType: String, Sendable, Hashable, CaseIterable {
    /// One option from a list (radios).
    case singleChoice = "single_choice"
    /// Any number of options from a list (checkboxes); one may be exclusive ("none of these").
    case multipleChoice = "multiple_choice"
    /// An ordered scale such as strongly agree … strongly disagree (radios).
    case scale
    /// Yes, no, and usually don't know (radios).
    case yesNo = "yes_no"
    /// Free text up to `maxLength` characters (textarea with a character count).
    case freeText = "free_text"
    /// A whole number, optionally between `min` and `max`.
    case number
    /// A date entered as day, month and year.
    case date

    /// Whether the answer is one or more option codes.
    public var hasOptions: Bool {
        switch self {
        case .singleChoice, .multipleChoice, .scale, .yesNo: true
        case .freeText, .number, .date: false
        }
    }
}

/// The kind of ordered scale a `scale` question uses.
public enum ScaleKind: String, Sendable, Hashable, CaseIterable {
    /// Strongly agree … strongly disagree.
    case agreement
    /// Very satisfied … very dissatisfied.
    case satisfaction
    /// Very easy … very difficult.
    case ease
    /// Very confident … not at all confident.
    case confidence
    /// Always … never.
    case frequency
}

/// One answer option with a stable code.
public struct Option: Sendable, Hashable {
    /// The stable code stored with answers; never changes once answers exist.
    public let code: String
    /// What the person sees.
    public let label: LocalizedText
    /// Left out of the base of a percentage (not applicable, don't know, prefer not to say, chose not to be told).
    public let excludedFromBase: Bool
    /// In a multiple-choice question, may only be chosen on its own ("none of these").
    public let exclusive: Bool
    /// Counted as positive in "% positive" (the top two categories of a scale).
    public let positive: Bool

    /// Makes an option.
    public init(code: String, label: LocalizedText, excludedFromBase: Bool = false, exclusive: Bool = false, positive: Bool = false) {
        self.code = code
        self.label = label
        self.excludedFromBase = excludedFromBase
        self.exclusive = exclusive
        self.positive = positive
    }
}

/// Show a question only when an earlier question's answer includes one of some codes.
public struct Condition: Sendable, Hashable {
    /// The id of the controlling question, which is on an earlier page.
    public let question: String
    /// The codes any one of which makes the question shown.
    public let anyOf: [String]

    /// Makes a condition.
    public init(question: String, anyOf: [String]) {
        self.question = question
        self.anyOf = anyOf
    }
}

/// One question of a form.
public struct Question: Sendable, Hashable {
    /// The stable id: the input name, the HTML id and the key answers are stored under.
    public let id: String
    /// The kind of question.
    public let type: QuestionType
    /// The question text (legend or label).
    public let label: LocalizedText
    /// A few words for staff pages, such as the label of the question's bar in the report's charts (English; not
    /// shown to people answering, and not part of the fingerprint).
    public let shortLabel: String?
    /// The most characters a short label may have.
    public static let shortLabelLimit = 40
    /// Hint text shown under the question.
    public let hint: LocalizedText?
    /// Whether an answer is needed before the page can be left.
    public let required: Bool
    /// The options, for choice, scale and yes/no questions.
    public let options: [Option]
    /// The scale kind, for `scale` questions.
    public let scale: ScaleKind?
    /// The most characters a free-text answer may have.
    public let maxLength: Int?
    /// The smallest number allowed.
    public let min: Int?
    /// The largest number allowed.
    public let max: Int?
    /// When the question is shown; nil means always.
    public let showWhen: Condition?
    /// The report measure the answer counts towards.
    public let measure: Measure?
    /// The inspection outcome the answer is evidence for.
    public let outcome: Outcome?
    /// Inspection criteria references such as "1.1" (informational).
    public let criteria: [String]

    /// Makes a question.
    public init(
        id: String,
        type: QuestionType,
        label: LocalizedText,
        shortLabel: String? = nil,
        hint: LocalizedText? = nil,
        required: Bool = true,
        options: [Option] = [],
        scale: ScaleKind? = nil,
        maxLength: Int? = nil,
        min: Int? = nil,
        max: Int? = nil,
        showWhen: Condition? = nil,
        measure: Measure? = nil,
        outcome: Outcome? = nil,
        criteria: [String] = []
    ) {
        self.id = id
        self.type = type
        self.label = label
        self.shortLabel = shortLabel
        self.hint = hint
        self.required = required
        self.options = options
        self.scale = scale
        self.maxLength = maxLength
        self.min = min
        self.max = max
        self.showWhen = showWhen
        self.measure = measure
        self.outcome = outcome
        self.criteria = criteria
    }

    /// The option with this code, if the question has it.
    public func option(code: String) -> Option? {
        options.first { $0.code == code }
    }
}

/// A page of a form: one question, or a few that belong together.
public struct FormPage: Sendable, Hashable {
    /// The stable page id, used in URLs.
    public let id: String
    /// The page heading when the page holds more than one question.
    public let title: LocalizedText?
    /// The questions, in order.
    public let questions: [Question]

    /// Makes a page.
    public init(id: String, title: LocalizedText?, questions: [Question]) {
        self.id = id
        self.title = title
        self.questions = questions
    }
}

/// A checked, loaded form definition: a questionnaire, an interview record or a codebook.
public struct FormDefinition: Sendable, Hashable {
    /// The stable form id, equal to the file name without `.yaml` or `.vN.yaml`.
    public let id: String
    /// The version; answers record it, and a definition with answers is never edited in place.
    public let version: Int
    /// What the definition describes.
    public let kind: FormKind
    /// The form's title.
    public let title: LocalizedText
    /// The languages the form is offered in (always English and Welsh).
    public let languages: [Language]
    /// A note on the state of the translation.
    public let translationStatus: String
    /// The pages, in order (empty for a codebook).
    public let pages: [FormPage]
    /// The codebook, for `kind: codebook` only.
    public let codebook: Codebook?

    /// Makes a definition. Definitions normally come from `FormLoader`, which checks them.
    public init(
        id: String,
        version: Int,
        kind: FormKind,
        title: LocalizedText,
        languages: [Language] = [.en, .cy],
        translationStatus: String,
        pages: [FormPage],
        codebook: Codebook? = nil
    ) {
        self.id = id
        self.version = version
        self.kind = kind
        self.title = title
        self.languages = languages
        self.translationStatus = translationStatus
        self.pages = pages
        self.codebook = codebook
    }

    /// Every question of every page, in order.
    public var questions: [Question] {
        pages.flatMap(\.questions)
    }

    /// The question with this id.
    public func question(id: String) -> Question? {
        for page in pages {
            if let question = page.questions.first(where: { $0.id == id }) {
                return question
            }
        }
        return nil
    }

    /// The page with this id.
    public func page(id: String) -> FormPage? {
        pages.first { $0.id == id }
    }
}
