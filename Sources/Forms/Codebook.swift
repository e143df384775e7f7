/// The layout of an imported survey file: its variables, their codes and its missing-value codes.
public struct Codebook: Sendable, Hashable {
    /// The survey years (fieldwork years) this codebook describes; another year needs its own checked codebook.
    public let appliesToYears: [Int]
    /// Codes that mean "no usable answer", shared by every variable that lists them.
    public let missingCodes: [MissingCode]
    /// The variable holding each row's weight; rows weigh 1.0 when it is absent or empty.
    public let weightVariable: String?
    /// The variables, in file order.
    public let variables: [CodebookVariable]

    /// Makes a codebook.
    public init(appliesToYears: [Int], missingCodes: [MissingCode], weightVariable: String?, variables: [CodebookVariable]) {
        self.appliesToYears = appliesToYears
        self.missingCodes = missingCodes
        self.weightVariable = weightVariable
        self.variables = variables
    }

    /// The variable with this id.
    public func variable(id: String) -> CodebookVariable? {
        variables.first { $0.id == id }
    }
}

/// A code that marks a value as not usable: a don't know / not applicable, or missing.
public struct MissingCode: Sendable, Hashable {
    /// What a missing code means.
    public enum Meaning: String, Sendable, Hashable, CaseIterable {
        /// The person answered "don't know" or "not applicable": left out of bases.
        case dontKnowOrNotApplicable = "dont_know_or_not_applicable"
        /// No answer was recorded.
        case missing
    }

    /// The code as it appears in the file, for example "8".
    public let code: String
    /// What the code means.
    public let meaning: Meaning
    /// Its label.
    public let label: LocalizedText

    /// Makes a missing code.
    public init(code: String, meaning: Meaning, label: LocalizedText) {
        self.code = code
        self.meaning = meaning
        self.label = label
    }
}

/// What role a variable plays in the import.
public enum VariableRole: String, Sendable, Hashable, CaseIterable {
    /// The fieldwork year.
    case year
    /// The provider (Probation Trust) code, mapped to an area through the lineage table.
    case provider
    /// The provider's name, kept for checking only.
    case providerName = "provider_name"
    /// A smaller area inside the provider (LDU): suppressed where fewer than 10 rows.
    case subarea
    /// A sequential, non-identifying row id.
    case identifier
    /// How the questionnaire was completed, or in which language.
    case context
    /// Order or sentence details.
    case order
    /// A question whose answers are reported.
    case question
    /// A demographic variable (special-category data): only for breakdowns that pass disclosure control.
    case demographic
    /// The row weight.
    case weight
}

/// The type of values a variable holds.
public enum VariableType: String, Sendable, Hashable, CaseIterable {
    /// One of the listed codes (or a missing code).
    case code
    /// A whole number between `min` and `max`.
    case integer
    /// A decimal number of at least zero (weights).
    case decimal
    /// Free text, such as a provider name.
    case text
    /// 0 or 1.
    case flag
}

/// One variable (column) of the imported file.
public struct CodebookVariable: Sendable, Hashable {
    /// The column name.
    public let id: String
    /// What the variable holds.
    public let label: LocalizedText
    /// The few words that label a question variable's bar in the report's charts (not part of the fingerprint).
    public let shortLabel: String?
    /// The type of its values.
    public let type: VariableType
    /// The role it plays.
    public let role: VariableRole
    /// Whether every row must have a (non-missing) value.
    public let required: Bool
    /// The allowed codes with their labels, for `code` variables.
    public let codes: [Option]
    /// Which of the codebook's missing codes this variable may hold.
    public let missing: [String]
    /// The smallest allowed value, for `integer` variables.
    public let min: Int?
    /// The largest allowed value, for `integer` variables.
    public let max: Int?
    /// The report measure, for `question` variables.
    public let measure: Measure?
    /// The inspection outcome, for `question` variables.
    public let outcome: Outcome?

    /// Makes a variable.
    public init(
        id: String,
        label: LocalizedText,
        shortLabel: String? = nil,
        type: VariableType,
        role: VariableRole,
        required: Bool,
        codes: [Option] = [],
        missing: [String] = [],
        min: Int? = nil,
        max: Int? = nil,
        measure: Measure? = nil,
        outcome: Outcome? = nil
    ) {
        self.id = id
        self.label = label
        self.shortLabel = shortLabel
        self.type = type
        self.role = role
        self.required = required
        self.codes = codes
        self.missing = missing
        self.min = min
        self.max = max
        self.measure = measure
        self.outcome = outcome
    }

    /// The codes counted as positive ("% positive" numerator).
    public var positiveCodes: [String] {
        codes.filter(\.positive).map(\.code)
    }
}
