/// Renders a page's questions as GOV.UK Design System HTML, with answers so far and errors.
///
/// The fragment goes inside the layout's `<form method="post" novalidate>`; the layout owns the page title, the back link,
/// the language switch and the submit button. Every text is HTML-escaped.
public enum FormRenderer {
    /// The questions of one page: a heading when the page has several shown questions, then each shown question.
    ///
    /// A page with one shown question uses that question as its heading (legend or label as `h1`).
    public static func render(page: FormPage, of form: FormDefinition, answers: Answers, errors: [FieldError], language: Language) -> String {
        let shown = form.shownQuestions(on: page, answers: answers)
        var out = HTMLLines()
        let single = shown.count == 1
        if !single, let title = page.title {
            out.add("<h1 class=\"govuk-heading-l\">\(escapeHTML(title.text(language)))</h1>")
        }
        for question in shown {
            let error = errors.first { $0.questionId == question.id }
            QuestionRenderer(question: question, answer: answers[question.id], error: error, language: language, isPageHeading: single)
                .render(into: &out)
        }
        return out.html
    }

    /// The GOV.UK error summary for the top of the page; an empty string when there are no errors.
    ///
    /// Each link goes to the first input of its question (`#ID`, or `#ID-day` for a date), which moves focus there.
    public static func renderErrorSummary(errors: [FieldError], language: Language) -> String {
        guard !errors.isEmpty else { return "" }
        var out = HTMLLines()
        out.open("<div class=\"govuk-error-summary\" data-module=\"govuk-error-summary\" tabindex=\"-1\">")
        out.open("<div role=\"alert\">")
        out.add("<h2 class=\"govuk-error-summary__title\">\(escapeHTML(Messages.text(.errorSummaryTitle, language)))</h2>")
        out.open("<div class=\"govuk-error-summary__body\">")
        out.open("<ul class=\"govuk-list govuk-error-summary__list\">")
        for error in errors {
            out.add("<li><a href=\"#\(escapeHTML(error.fieldId))\">\(escapeHTML(error.summaryText))</a></li>")
        }
        out.close("</ul>")
        out.close("</div>")
        out.close("</div>")
        out.close("</div>")
        return out.html
    }

    /// "Error: " or "Gwall: " when there are errors, to put before the page title; otherwise empty.
    public static func titlePrefix(hasErrors: Bool, language: Language) -> String {
        hasErrors ? Messages.text(.titleErrorPrefix, language) : ""
    }

    /// The page's heading text (its single shown question, or its title), for the layout's `<title>`.
    public static func heading(page: FormPage, of form: FormDefinition, answers: Answers, language: Language) -> String {
        let shown = form.shownQuestions(on: page, answers: answers)
        if shown.count == 1, let question = shown.first { return question.label.text(language) }
        return page.title?.text(language) ?? form.title.text(language)
    }

    /// The full `<title>` text: the error prefix, the heading, and the form title, e.g. "Error: What helped most? – Victims' views".
    public static func pageTitle(page: FormPage, of form: FormDefinition, answers: Answers, hasErrors: Bool, language: Language) -> String {
        titlePrefix(hasErrors: hasErrors, language: language) + heading(page: page, of: form, answers: answers, language: language)
            + " \u{2013} " + form.title.text(language)
    }
}

/// Renders one question.
struct QuestionRenderer {
    let question: Question
    let answer: AnswerValue?
    let error: FieldError?
    let language: Language
    let isPageHeading: Bool

    private var id: String { escapeHTML(question.id) }

    private func message(_ key: MessageKey, _ values: [String: String] = [:]) -> String {
        escapeHTML(Messages.text(key, language, values))
    }

    /// The question text, with "(optional)" when it may be left blank.
    private var labelText: String {
        let text = escapeHTML(question.label.text(language))
        return question.required ? text : "\(text) \(message(.optional))"
    }

    private var hintText: String? {
        if let hint = question.hint { return escapeHTML(hint.text(language)) }
        switch question.type {
        case .multipleChoice: return message(.selectAllThatApply)
        case .date: return message(.dateHint)
        default: return nil
        }
    }

    private func describedBy(extra: [String] = []) -> String {
        var ids: [String] = []
        if hintText != nil { ids.append("\(id)-hint") }
        if error != nil { ids.append("\(id)-error") }
        ids += extra
        return ids.isEmpty ? "" : " aria-describedby=\"\(ids.joined(separator: " "))\""
    }

    func render(into out: inout HTMLLines) {
        let groupClass = error == nil ? "govuk-form-group" : "govuk-form-group govuk-form-group--error"
        switch question.type {
        case .singleChoice, .scale, .yesNo, .multipleChoice:
            out.open("<div class=\"\(groupClass)\">")
            renderChoices(into: &out)
        case .date:
            out.open("<div class=\"\(groupClass)\">")
            renderDate(into: &out)
        case .number:
            out.open("<div class=\"\(groupClass)\">")
            renderNumber(into: &out)
        case .freeText:
            let max = question.maxLength ?? 0
            out.open("<div class=\"\(groupClass) govuk-character-count\" data-module=\"govuk-character-count\" data-maxlength=\"\(max)\">")
            renderTextarea(into: &out, maxLength: max)
        }
        out.close("</div>")
    }

    // MARK: Parts

    private func openFieldset(into out: inout HTMLLines, role: String = "") {
        out.open("<fieldset class=\"govuk-fieldset\"\(role)\(describedBy())>")
        if isPageHeading {
            out.open("<legend class=\"govuk-fieldset__legend govuk-fieldset__legend--l\">")
            out.add("<h1 class=\"govuk-fieldset__heading\">\(labelText)</h1>")
        } else {
            out.open("<legend class=\"govuk-fieldset__legend govuk-fieldset__legend--m\">")
            out.add("<h2 class=\"govuk-fieldset__heading\">\(labelText)</h2>")
        }
        out.close("</legend>")
    }

    private func addLabel(into out: inout HTMLLines) {
        if isPageHeading {
            out.open("<h1 class=\"govuk-label-wrapper\">")
            out.add("<label class=\"govuk-label govuk-label--l\" for=\"\(id)\">\(labelText)</label>")
            out.close("</h1>")
        } else {
            out.open("<h2 class=\"govuk-label-wrapper\">")
            out.add("<label class=\"govuk-label govuk-label--m\" for=\"\(id)\">\(labelText)</label>")
            out.close("</h2>")
        }
    }

    private func addHintAndError(into out: inout HTMLLines) {
        if let hintText {
            out.add("<div id=\"\(id)-hint\" class=\"govuk-hint\">\(hintText)</div>")
        }
        if let error {
            out.open("<p id=\"\(id)-error\" class=\"govuk-error-message\">")
            out.add("<span class=\"govuk-visually-hidden\">\(message(.errorPrefix))</span> \(escapeHTML(error.message))")
            out.close("</p>")
        }
    }

    private func renderChoices(into out: inout HTMLLines) {
        let checkboxes = question.type == .multipleChoice
        let kind = checkboxes ? "checkboxes" : "radios"
        let inputType = checkboxes ? "checkbox" : "radio"
        let chosen = answer?.codes ?? []
        openFieldset(into: &out)
        addHintAndError(into: &out)
        out.open("<div class=\"govuk-\(kind)\" data-module=\"govuk-\(kind)\">")
        for (index, option) in question.options.enumerated() {
            let inputId = index == 0 ? id : "\(id)-\(index + 1)"
            if checkboxes, option.exclusive, index > 0 {
                out.add("<div class=\"govuk-checkboxes__divider\">\(message(.or))</div>")
            }
            let checked = chosen.contains(option.code) ? " checked" : ""
            let behaviour = checkboxes && option.exclusive ? " data-behaviour=\"exclusive\"" : ""
            out.open("<div class=\"govuk-\(kind)__item\">")
            out.add(
                "<input class=\"govuk-\(kind)__input\" id=\"\(inputId)\" name=\"\(id)\" type=\"\(inputType)\" "
                    + "value=\"\(escapeHTML(option.code))\"\(checked)\(behaviour)>"
            )
            out.add(
                "<label class=\"govuk-label govuk-\(kind)__label\" for=\"\(inputId)\">\(escapeHTML(option.label.text(language)))</label>"
            )
            out.close("</div>")
        }
        out.close("</div>")
        out.close("</fieldset>")
    }

    private func renderNumber(into out: inout HTMLLines) {
        addLabel(into: &out)
        addHintAndError(into: &out)
        var value = ""
        if case .number(let raw) = answer { value = raw }
        let errorClass = error == nil ? "" : " govuk-input--error"
        out.add(
            "<input class=\"govuk-input govuk-input--width-5\(errorClass)\" id=\"\(id)\" name=\"\(id)\" type=\"text\" "
                + "inputmode=\"numeric\" spellcheck=\"false\" value=\"\(escapeHTML(value))\"\(describedBy())>"
        )
    }

    private func renderDate(into out: inout HTMLLines) {
        openFieldset(into: &out, role: " role=\"group\"")
        addHintAndError(into: &out)
        var parts = DateParts(day: "", month: "", year: "")
        if case .date(let given) = answer { parts = given }
        out.open("<div class=\"govuk-date-input\" id=\"\(id)\">")
        let items: [(String, MessageKey, String, Int)] = [
            ("day", .dateDay, parts.day, 2), ("month", .dateMonth, parts.month, 2), ("year", .dateYear, parts.year, 4),
        ]
        for (suffix, key, value, width) in items {
            // When only some boxes are empty, only those are marked; otherwise every box is.
            let someFilled = !(parts.day.isEmpty && parts.month.isEmpty && parts.year.isEmpty)
            let incomplete = error?.key == .dateIncomplete && someFilled
            let marked = error != nil && (!incomplete || value.isEmpty)
            let errorClass = marked ? " govuk-input--error" : ""
            out.open("<div class=\"govuk-date-input__item\">")
            out.open("<div class=\"govuk-form-group\">")
            out.add("<label class=\"govuk-label govuk-date-input__label\" for=\"\(id)-\(suffix)\">\(message(key))</label>")
            out.add(
                "<input class=\"govuk-input govuk-date-input__input govuk-input--width-\(width)\(errorClass)\" id=\"\(id)-\(suffix)\" "
                    + "name=\"\(id)-\(suffix)\" type=\"text\" inputmode=\"numeric\" value=\"\(escapeHTML(value))\">"
            )
            out.close("</div>")
            out.close("</div>")
        }
        out.close("</div>")
        out.close("</fieldset>")
    }

    private func renderTextarea(into out: inout HTMLLines, maxLength: Int) {
        addLabel(into: &out)
        addHintAndError(into: &out)
        var text = ""
        if case .text(let given) = answer { text = given }
        let count = text.count
        let extra = text.isEmpty ? ["\(id)-info"] : ["\(id)-info", "\(id)-count"]
        let errorClass = error == nil ? "" : " govuk-textarea--error"
        // The newline after the start tag is dropped by HTML parsers, so an answer starting with a line break keeps it.
        out.add(
            "<textarea class=\"govuk-textarea govuk-js-character-count\(errorClass)\" id=\"\(id)\" name=\"\(id)\" rows=\"8\"\(describedBy(extra: extra))>"
        )
        out.appendToLast("\n" + escapeHTML(text) + "</textarea>")
        out.add(
            "<div id=\"\(id)-info\" class=\"govuk-hint govuk-character-count__message\">"
                + "\(message(.characterLimit, ["max": Messages.formatNumber(maxLength)]))</div>"
        )
        if !text.isEmpty {
            let left = maxLength - count
            let status: String
            switch left {
            case 1: status = message(.charactersRemainingOne)
            case -1: status = message(.charactersOverOne)
            case ..<0: status = message(.charactersOverOther, ["count": Messages.formatNumber(-left)])
            default: status = message(.charactersRemainingOther, ["count": Messages.formatNumber(left)])
            }
            let statusClass = left < 0 ? "govuk-error-message" : "govuk-hint"
            out.add("<div id=\"\(id)-count\" class=\"\(statusClass) govuk-character-count__status\">\(status)</div>")
        }
    }
}
