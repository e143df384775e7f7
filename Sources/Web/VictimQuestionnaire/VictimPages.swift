import Domain
import Forms

/// What every questionnaire page template gets: the language, its words (for victims or for people on probation),
/// and the page's own content.
struct VictimPage<Content: Sendable>: Sendable {
    let lang: String
    let text: [String: String]
    let otherLang: String
    /// Added to the footer's privacy and accessibility links, so that they speak to the same audience.
    let footerQuery: String
    let content: Content

    init(lang: Language, content: Content, audience: Audience = .victim) {
        self.lang = lang.rawValue
        self.otherLang = lang.other.rawValue
        var words: [String: String] = [:]
        for key in VictimText.allCases { words[key.rawValue] = audience.text(key, lang) }
        self.text = words
        self.footerQuery = audience == .personOnProbation ? "&for=probation" : ""
        self.content = content
    }
}

struct Empty: Sendable {}

struct LanguageOnly: Sendable {
    let otherLanguageHref: String
}

/// The start page behind a link or an access code: a fresh start, or (when answers were saved or sent with the link)
/// the resume code to carry on or to withdraw. The letter alone opens none of them.
struct StartModel: Sendable {
    let action: String
    /// The access code, carried through the form when the person came by code (nil for a link).
    var code: String?
    /// Only when the page posts within a session (withdrawing from the confirmation page).
    var csrf: String?
    let fresh: Bool
    let started: Bool
    let sent: Bool
    var error = false
    var typed = ""
    let otherLanguageHref: String
}

/// The confirmation page.
struct DoneModel: Sendable {
    let resumeCode: String?
    let otherLanguageHref: String
}

struct CodeModel: Sendable {
    let code: String
    let error: Bool
}

struct QuestionModel: Sendable {
    let pageTitle: String
    let backHref: String?
    let action: String
    let csrf: String
    let errorSummary: String
    let questions: String
    let returnTo: String
    let progress: String
    let otherLanguageHref: String
    /// The victim's resume code as shown (nil for a session from before the ballot box).
    let resumeCode: String?
}

struct CheckRow: Sendable {
    let question: String
    let answer: String
    let href: String
}

struct CheckModel: Sendable {
    let rows: [CheckRow]
    let csrf: String
    let otherLanguageHref: String
    var resumeCode: String? = nil
}
