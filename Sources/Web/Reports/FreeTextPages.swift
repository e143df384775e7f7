import Domain
import Forms
import Foundation

/// The free-text review page: unreviewed answers, each with a form to redact, flag and mark reviewed.
struct FreeTextPage: Sendable {
    struct Item: Sendable {
        let number: Int
        let responseID: String
        let questionID: String
        let question: String
        let text: String
        let themes: ThemeChoices
    }
    let title = "Review free-text answers"
    let staff: StaffChrome
    let csrfToken: String
    let inspectionTitle: String
    let reportHref: String
    let reviewedHref: String
    let themesHref: String
    let suppressBelow: Int
    let action: String
    let items: [Item]
    let hasItems: Bool
    let remaining: String
    let message: String?

    init(
        inspection: ReportStore.InspectionFacts,
        pending: (items: [FreeTextReviewStore.Item], total: Int),
        form: FormDefinition?,
        themes: [FreeTextThemeStore.Theme] = [],
        session: StaffSession,
        message: String?,
        publishedOn: LocalDate? = nil,
        suppressBelow: Int = DisclosureRules.standard.suppressBelow
    ) {
        staff = StaffChrome(session)
        csrfToken = session.csrfToken
        inspectionTitle = inspection.title
        reportHref = "/inspections/\(inspection.id)/report"
        reviewedHref = "/inspections/\(inspection.id)/report/free-text/reviewed"
        themesHref = "/inspections/\(inspection.id)/report/themes"
        self.suppressBelow = suppressBelow
        action = "/inspections/\(inspection.id)/report/free-text"
        items = pending.items.enumerated().map { index, item in
            Item(
                number: index + 1,
                responseID: item.responseID,
                questionID: item.questionID,
                question: form?.question(id: item.questionID)?.label.text(.en) ?? item.questionID,
                text: item.text,
                // Not reviewed yet: the suggested themes are ticked, for the reviewer to confirm or untick.
                themes: ThemeChoices(themes, text: item.text, checked: nil, prefix: "theme-\(index + 1)")
            )
        }
        hasItems = !items.isEmpty
        if let publishedOn {
            remaining = "\(PublishedReport.pageNotice(publishedOn)). Free-text answers can no longer be reviewed for this report."
        } else {
            remaining =
                pending.total == 0
                ? "Every free-text answer has been reviewed."
                : "\(pending.total) answers are waiting for review; the first \(items.count) are shown."
        }
        self.message = message
    }
}

/// What a reviewer entered for one answer: read once from the form, and sent back into it on a preview or a conflict.
struct ReviewDraft: Sendable {
    let responseID: String
    let questionID: String
    /// Trimmed, non-empty phrases, one per line of the box.
    let phrases: [String]
    let safeguarding: Bool
    let quotable: Bool
    /// The revision the reviewer saw (0: not reviewed yet).
    let basedOn: Int
    /// The themes ticked (ids of the inspection's themes); nil for an answer never reviewed and opened afresh, whose
    /// form ticks the suggested themes.
    let themes: Set<Int>?
    /// A posted theme that is not a number (a tampered form): refused like a theme of another inspection.
    let unreadableTheme: Bool

    init(_ form: StaffForm) {
        responseID = form["response"] ?? ""
        questionID = form["question"] ?? ""
        phrases = (form["redact"] ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        safeguarding = form["safeguarding"] == "yes"
        quotable = form["quotable"] == "yes"
        basedOn = max(0, Int(form["revision"] ?? "") ?? 0)
        let posted = form.fields.filter { $0.0 == "theme" }.map(\.1)
        themes = Set(posted.compactMap { Int($0) })
        unreadableTheme = posted.contains { Int($0) == nil }
    }

    /// The current review of `answer` and its themes (`tags`), to correct it.
    init(_ answer: FreeTextReviewStore.Item, tags: Set<Int>) {
        responseID = answer.responseID
        questionID = answer.questionID
        phrases = answer.phrases
        safeguarding = answer.safeguarding
        quotable = answer.quotable
        basedOn = answer.revision
        themes = answer.revision == 0 ? nil : tags
        unreadableTheme = false
    }

    private init(_ other: ReviewDraft, basedOn: Int) {
        responseID = other.responseID
        questionID = other.questionID
        phrases = other.phrases
        safeguarding = other.safeguarding
        quotable = other.quotable
        themes = other.themes
        unreadableTheme = other.unreadableTheme
        self.basedOn = basedOn
    }

    /// The same draft, to be saved after revision `revision`.
    func rebased(on revision: Int) -> ReviewDraft { ReviewDraft(self, basedOn: revision) }
}

/// One answer: its original text, its current review if any, a form to review or correct it, and a preview.
struct ReviewAnswerPage: Sendable {
    let title: String
    let staff: StaffChrome
    let csrfToken: String
    let inspectionTitle: String
    let action: String
    let backHref: String
    let question: String
    let text: String
    let responseID: String
    let questionID: String
    let revision: Int
    let reviewedText: String?
    let reviewedLine: String?
    let phrases: String
    let safeguarding: Bool
    let quotable: Bool
    let previewText: String?
    let previewLine: String?
    let message: String?
    let themes: ThemeChoices
    let themesHref: String

    init(
        inspection: ReportStore.InspectionFacts,
        answer: FreeTextReviewStore.Item,
        draft: ReviewDraft,
        preview: (text: String, count: Int)?,
        form: FormDefinition?,
        themes: [FreeTextThemeStore.Theme] = [],
        session: StaffSession,
        message: String?
    ) {
        self.themes = ThemeChoices(themes, text: answer.text, checked: draft.themes, prefix: "theme")
        themesHref = "/inspections/\(inspection.id)/report/themes"
        title = answer.revision == 0 ? "Review a free-text answer" : "Correct a reviewed answer"
        staff = StaffChrome(session)
        csrfToken = session.csrfToken
        inspectionTitle = inspection.title
        action = "/inspections/\(inspection.id)/report/free-text"
        backHref = answer.revision == 0 ? action : action + "/reviewed"
        question = form?.question(id: answer.questionID)?.label.text(.en) ?? answer.questionID
        text = answer.text
        responseID = answer.responseID
        questionID = answer.questionID
        revision = draft.basedOn
        reviewedText = answer.revision == 0 ? nil : answer.redacted
        reviewedLine = answer.revision == 0 ? nil : answer.reviewLine
        phrases = draft.phrases.joined(separator: "\n")
        safeguarding = draft.safeguarding
        quotable = draft.quotable
        previewText = preview?.text
        previewLine = preview.map {
            $0.count == 1
                ? "1 phrase will be replaced. Nothing is saved until you mark the answer reviewed."
                : "\($0.count) phrases will be replaced. Nothing is saved until you mark the answer reviewed."
        }
        self.message = message
    }
}

/// The reviewed answers, newest first, a page at a time, each with a link to correct it.
struct ReviewedAnswersPage: Sendable {
    struct Item: Sendable {
        let question: String
        let redacted: String
        let line: String
        let href: String
    }
    let title = "Reviewed free-text answers"
    let staff: StaffChrome
    let inspectionTitle: String
    let reviewHref: String
    let reportHref: String
    let items: [Item]
    let hasItems: Bool
    let summary: String
    let previousHref: String?
    let nextHref: String?
    let canCorrect: Bool

    init(
        inspection: ReportStore.InspectionFacts,
        reviewed: (items: [FreeTextReviewStore.Item], total: Int),
        page: Int,
        pageSize: Int,
        form: FormDefinition?,
        session: StaffSession,
        publishedOn: LocalDate?
    ) {
        staff = StaffChrome(session)
        inspectionTitle = inspection.title
        reviewHref = "/inspections/\(inspection.id)/report/free-text"
        reportHref = "/inspections/\(inspection.id)/report"
        canCorrect = publishedOn == nil
        items = reviewed.items.map { item in
            Item(
                question: "\(ReportContent.shortLabel(item.questionID)): \(form?.question(id: item.questionID)?.label.text(.en) ?? item.questionID)",
                redacted: item.redacted ?? "",
                line: item.reviewLine,
                href: "/inspections/\(inspection.id)/report/free-text/answer?response=\(item.responseID)&question=\(item.questionID)"
            )
        }
        hasItems = !items.isEmpty
        let first = (page - 1) * pageSize + 1
        summary =
            reviewed.total == 0
            ? "No answers have been reviewed yet."
            : items.isEmpty
                ? "There are \(reviewed.total) reviewed answers; this page is past the last of them."
                : "Answers \(first) to \(first + items.count - 1) of \(reviewed.total) reviewed, newest first."
                    + (publishedOn == nil ? "" : " \(PublishedReport.pageNotice(publishedOn!)): reviews can no longer be corrected.")
        previousHref = page > 1 ? reviewHref + "/reviewed?page=\(page - 1)" : nil
        nextHref = first + items.count - 1 < reviewed.total ? reviewHref + "/reviewed?page=\(page + 1)" : nil
    }
}

/// The lead inspector's list of answers flagged as a safeguarding concern.
struct SafeguardingPage: Sendable {
    struct Item: Sendable {
        let questionID: String
        let text: String
    }
    let title = "Safeguarding concerns"
    let staff: StaffChrome
    /// What to do next (`SAFEGUARDING_PROCEDURE`), one paragraph per line.
    let procedure: [String]
    let inspectionTitle: String
    let reportHref: String
    let items: [Item]
    let hasItems: Bool

    init(inspection: ReportStore.InspectionFacts, items: [FreeTextReviewStore.Item], session: StaffSession, procedure: String) {
        staff = StaffChrome(session)
        self.procedure = procedure.split(whereSeparator: \.isNewline).map(String.init)
        inspectionTitle = inspection.title
        reportHref = "/inspections/\(inspection.id)/report"
        self.items = items.map { Item(questionID: ReportContent.shortLabel($0.questionID), text: $0.text) }
        hasItems = !items.isEmpty
    }
}

extension FreeTextReviewStore.Item {
    /// "Revision 2, by Sam Jones on 1 December 2026; may be quoted." — who last reviewed it, when, and its flags.
    var reviewLine: String {
        "Revision \(revision), by \(reviewedBy ?? "an inspector")"
            + (reviewedAt.map { " on " + LocalDate($0, timeZone: AppDependencies.london).govuk } ?? "")
            + (quotable ? "; may be quoted" : "") + (safeguarding ? "; flagged for safeguarding" : "") + "."
    }
}

/// The themes fieldset of a review form: every theme of the inspection as a checkbox, the suggested ones saying why.
struct ThemeChoices: Sendable {
    struct Choice: Sendable {
        let id: Int
        let inputID: String
        let name: String
        let checked: Bool
        /// "Suggested: the answer says ‘release date’", when one of the theme's phrases occurs in the answer.
        let suggestion: String?
    }
    let items: [Choice]
    let hasItems: Bool
    let hintID: String

    /// `checked` nil: tick the suggested themes (an answer never reviewed); otherwise tick exactly `checked`.
    init(_ themes: [FreeTextThemeStore.Theme], text: String, checked: Set<Int>?, prefix: String) {
        items = themes.enumerated().map { index, theme in
            let phrase = FreeTextThemeStore.suggestion(for: text, theme: theme)
            return Choice(
                id: theme.id,
                inputID: "\(prefix)-\(index + 1)",
                name: theme.name,
                checked: checked.map { $0.contains(theme.id) } ?? (phrase != nil),
                suggestion: phrase.map { "Suggested: the answer says ‘\($0)’" }
            )
        }
        hasItems = !items.isEmpty
        hintID = "\(prefix)s-hint"
    }
}

/// The inspection's themes: a table of them with their counts, and a form to add one.
struct ThemesPage: Sendable {
    struct Row: Sendable {
        let name: String
        let welshName: String
        let description: String
        let phrases: String
        let tagged: Int
        let href: String
    }
    let title = "Themes for victims' own words"
    let staff: StaffChrome
    let csrfToken: String
    let inspectionTitle: String
    let action: String
    let reviewHref: String
    let rows: [Row]
    let hasRows: Bool
    let canChange: Bool
    let notice: String?
    let errors: FieldErrors
    let fields: ThemeFields

    init(
        inspection: ReportStore.InspectionFacts,
        themes: [FreeTextThemeStore.Theme],
        draft: FreeTextThemeStore.Draft?,
        errors: FieldErrors,
        session: StaffSession,
        publishedOn: LocalDate?
    ) {
        staff = StaffChrome(session)
        csrfToken = session.csrfToken
        inspectionTitle = inspection.title
        action = "/inspections/\(inspection.id)/report/themes"
        reviewHref = "/inspections/\(inspection.id)/report/free-text"
        rows = themes.map {
            Row(
                name: $0.name,
                welshName: $0.welshName ?? "",
                description: $0.description,
                phrases: $0.suggestedBy.joined(separator: ", "),
                tagged: $0.tagged,
                href: "/inspections/\(inspection.id)/report/themes/\($0.id)"
            )
        }
        hasRows = !rows.isEmpty
        canChange = publishedOn == nil
        notice = publishedOn.map { "\(PublishedReport.pageNotice($0)). Its themes can no longer be changed." }
        self.errors = errors
        fields = ThemeFields(draft, errors: errors)
    }
}

/// One theme's form fields (name, Welsh name, description, suggesting phrases) with their values and errors.
struct ThemeFields: Sendable {
    let name: InputField
    let welshName: InputField
    let description: String
    let descriptionError: String?
    let phrases: String
    let phrasesError: String?

    init(_ draft: FreeTextThemeStore.Draft?, errors: FieldErrors) {
        name = InputField(
            id: "name",
            label: "Name",
            value: draft?.name ?? "",
            hint: "A few words, as the report will show it, for example ‘Kept informed’",
            error: errors["name"],
            maxLength: ThemeCatalogue.maximumNameLength
        )
        welshName = InputField(
            id: "welsh_name",
            label: "Name in Welsh (optional)",
            value: draft?.welshName ?? "",
            error: errors["welsh_name"],
            maxLength: ThemeCatalogue.maximumNameLength
        )
        description = draft?.description ?? ""
        descriptionError = errors["description"]
        phrases = draft?.suggestedBy.joined(separator: "\n") ?? ""
        phrasesError = errors["suggested_by"]
    }
}

/// One theme: change its name, description and phrases, or delete it.
struct ThemePage: Sendable {
    let title: String
    let staff: StaffChrome
    let csrfToken: String
    let inspectionTitle: String
    let action: String
    let backHref: String
    let tagged: String
    let errors: FieldErrors
    let fields: ThemeFields

    init(
        inspection: ReportStore.InspectionFacts,
        theme: FreeTextThemeStore.Theme,
        draft: FreeTextThemeStore.Draft,
        errors: FieldErrors,
        session: StaffSession
    ) {
        title = "Change the theme ‘\(theme.name)’"
        staff = StaffChrome(session)
        csrfToken = session.csrfToken
        inspectionTitle = inspection.title
        action = "/inspections/\(inspection.id)/report/themes/\(theme.id)"
        backHref = "/inspections/\(inspection.id)/report/themes"
        tagged =
            theme.tagged == 1
            ? "1 reviewed answer has this theme. Deleting the theme removes it from that answer."
            : "\(theme.tagged) reviewed answers have this theme. Deleting the theme removes it from them."
        self.errors = errors
        fields = ThemeFields(draft, errors: errors)
    }
}
