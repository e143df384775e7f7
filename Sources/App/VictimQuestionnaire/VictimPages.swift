import Forms

/// What every victim page template gets: the language, its words, and the page's own content.
struct VictimPage<Content: Sendable>: Sendable {
    let lang: String
    let text: [String: String]
    let otherLang: String
    let content: Content

    init(lang: Language, content: Content) {
        self.lang = lang.rawValue
        self.otherLang = lang.other.rawValue
        var words: [String: String] = [:]
        for key in VictimText.allCases { words[key.rawValue] = key.text(lang) }
        self.text = words
        self.content = content
    }
}

struct Empty: Sendable {}

struct LanguageOnly: Sendable {
    let otherLanguageHref: String
}

struct StartModel: Sendable {
    let action: String
    let alreadyAnswered: Bool
    let resuming: Bool
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
}
