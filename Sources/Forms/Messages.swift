/// The key of a message a person sees: error messages and the renderer's own words.
public enum MessageKey: String, Sendable, Hashable, CaseIterable {
    case requiredChoice = "error.required.choice"
    case requiredChoices = "error.required.choices"
    case requiredText = "error.required.text"
    case requiredNumber = "error.required.number"
    case requiredDate = "error.required.date"
    case choiceUnknown = "error.choice.unknown"
    case choiceOneOnly = "error.choice.one_only"
    case choiceExclusive = "error.choice.exclusive"
    case textTooLong = "error.text.too_long"
    case numberWhole = "error.number.whole"
    case numberBetween = "error.number.between"
    case numberMin = "error.number.min"
    case numberMax = "error.number.max"
    case dateIncomplete = "error.date.incomplete"
    case dateInvalid = "error.date.invalid"
    case answerInvalid = "error.answer.invalid"
    case answerUnsavable = "error.answer.unsavable"
    case errorPrefix = "ui.error.prefix"
    case titleErrorPrefix = "ui.title.error_prefix"
    case errorSummaryTitle = "ui.error_summary.title"
    case optional = "ui.optional"
    case or = "ui.or"
    case selectAllThatApply = "ui.checkboxes.hint"
    case dateHint = "ui.date.hint"
    case dateDay = "ui.date.day"
    case dateMonth = "ui.date.month"
    case dateYear = "ui.date.year"
    case characterLimit = "ui.character_count.limit"
    case charactersRemainingOne = "ui.character_count.remaining.one"
    case charactersRemainingOther = "ui.character_count.remaining.other"
    case charactersOverOne = "ui.character_count.over.one"
    case charactersOverOther = "ui.character_count.over.other"
}

/// The message catalogue in English and Welsh. The Welsh awaits professional review, like the forms' Welsh.
public enum Messages {
    /// English messages by key. `{name}` marks a value filled in when the message is made.
    public static let english: [String: String] = [
        "error.required.choice": "Select an answer",
        "error.required.choices": "Select at least one answer",
        "error.required.text": "Enter an answer",
        "error.required.number": "Enter a number",
        "error.required.date": "Enter a date",
        "error.choice.unknown": "Select one of the options shown",
        "error.choice.one_only": "Select only one answer",
        "error.choice.exclusive": "Select \u{201C}{option}\u{201D} on its own, or choose other answers without it",
        "error.text.too_long": "Your answer must be {max} characters or fewer",
        "error.number.whole": "Enter a whole number, like 12",
        "error.number.between": "Enter a number between {min} and {max}",
        "error.number.min": "Enter a number that is {min} or more",
        "error.number.max": "Enter a number that is {max} or less",
        "error.date.incomplete": "Enter a full date, with a day, month and year",
        "error.date.invalid": "Enter a real date, like 27 3 2024",
        "error.answer.invalid": "Check your answer",
        "error.answer.unsavable": "Your answer contains a character that cannot be saved (a null character): remove it and try again",
        "ui.error.prefix": "Error:",
        "ui.title.error_prefix": "Error: ",
        "ui.error_summary.title": "There is a problem",
        "ui.optional": "(optional)",
        "ui.or": "or",
        "ui.checkboxes.hint": "Select all that apply.",
        "ui.date.hint": "For example, 27 3 2024",
        "ui.date.day": "Day",
        "ui.date.month": "Month",
        "ui.date.year": "Year",
        "ui.character_count.limit": "You can enter up to {max} characters",
        "ui.character_count.remaining.one": "You have 1 character remaining",
        "ui.character_count.remaining.other": "You have {count} characters remaining",
        "ui.character_count.over.one": "You have 1 character too many",
        "ui.character_count.over.other": "You have {count} characters too many",
    ]

    /// Welsh messages by key (awaiting professional review). Welsh nouns stay singular after a number ("2,000 nod").
    public static let welsh: [String: String] = [
        "error.required.choice": "Dewiswch ateb",
        "error.required.choices": "Dewiswch o leiaf un ateb",
        "error.required.text": "Rhowch ateb",
        "error.required.number": "Rhowch rif",
        "error.required.date": "Rhowch ddyddiad",
        "error.choice.unknown": "Dewiswch un o\u{2019}r opsiynau a ddangosir",
        "error.choice.one_only": "Dewiswch un ateb yn unig",
        "error.choice.exclusive": "Dewiswch \u{201C}{option}\u{201D} ar ei ben ei hun, neu dewiswch atebion eraill hebddo",
        "error.text.too_long": "Rhaid i\u{2019}ch ateb fod yn {max} nod neu lai",
        "error.number.whole": "Rhowch rif cyfan, fel 12",
        "error.number.between": "Rhowch rif rhwng {min} a {max}",
        "error.number.min": "Rhowch rif sy\u{2019}n {min} neu fwy",
        "error.number.max": "Rhowch rif sy\u{2019}n {max} neu lai",
        "error.date.incomplete": "Rhowch ddyddiad llawn, gyda diwrnod, mis a blwyddyn",
        "error.date.invalid": "Rhowch ddyddiad go iawn, fel 27 3 2024",
        "error.answer.invalid": "Gwiriwch eich ateb",
        "error.answer.unsavable": "Mae eich ateb yn cynnwys nod na ellir ei gadw (nod nwl): tynnwch ef a rhowch gynnig arall arni",
        "ui.error.prefix": "Gwall:",
        "ui.title.error_prefix": "Gwall: ",
        "ui.error_summary.title": "Mae problem wedi codi",
        "ui.optional": "(dewisol)",
        "ui.or": "neu",
        "ui.checkboxes.hint": "Dewiswch bob un sy\u{2019}n berthnasol.",
        "ui.date.hint": "Er enghraifft, 27 3 2024",
        "ui.date.day": "Diwrnod",
        "ui.date.month": "Mis",
        "ui.date.year": "Blwyddyn",
        "ui.character_count.limit": "Gallwch roi hyd at {max} nod",
        "ui.character_count.remaining.one": "Mae gennych 1 nod ar \u{F4}l",
        "ui.character_count.remaining.other": "Mae gennych {count} nod ar \u{F4}l",
        "ui.character_count.over.one": "Mae gennych 1 nod yn ormod",
        "ui.character_count.over.other": "Mae gennych {count} nod yn ormod",
    ]

    /// The catalogue for a language.
    public static func catalogue(_ language: Language) -> [String: String] {
        switch language {
        case .en: english
        case .cy: welsh
        }
    }

    /// The message for a key in a language, with `{name}` placeholders filled from `values`.
    ///
    /// A key missing from the catalogue (a test guards against it) gives the key itself rather than failing.
    public static func text(_ key: MessageKey, _ language: Language, _ values: [String: String] = [:]) -> String {
        var message = catalogue(language)[key.rawValue] ?? key.rawValue
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            message = message.replacingAll("{\(name)}", with: value)
        }
        return message
    }

    /// A whole number with thousands separated by commas, as written in English and Welsh ("2,000").
    public static func formatNumber(_ number: Int) -> String {
        let digits = String(number.magnitude)
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return number < 0 ? "-" + result : result
    }
}

extension String {
    /// Every occurrence of `target` replaced (Foundation-free, so the catalogue has no platform differences).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        result += rest
        return result
    }
}
