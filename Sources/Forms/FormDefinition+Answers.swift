extension FormDefinition {
    // MARK: Reading a post

    /// The answers to a page's questions in a form post (`name`, `value` pairs; checkboxes repeat their name).
    ///
    /// Input names are question ids, and `ID-day`, `ID-month`, `ID-year` for dates. Unknown names are ignored. Empty inputs give
    /// no answer. Free text keeps every character as written, except that CRLF and CR become LF.
    public func answers(for page: FormPage, post: [(name: String, value: String)]) -> Answers {
        var answers: Answers = [:]
        for question in page.questions {
            switch question.type {
            case .singleChoice, .multipleChoice, .scale, .yesNo:
                let codes = post.filter { $0.name == question.id && !$0.value.isEmpty }.map(\.value)
                if !codes.isEmpty { answers[question.id] = .codes(codes) }
            case .freeText:
                if let value = post.last(where: { $0.name == question.id })?.value, !value.trimmingWhitespace().isEmpty {
                    answers[question.id] = .text(value.normalisingLineBreaks())
                }
            case .number:
                if let value = post.last(where: { $0.name == question.id })?.value, !value.trimmingWhitespace().isEmpty {
                    answers[question.id] = .number(value.trimmingWhitespace())
                }
            case .date:
                func part(_ suffix: String) -> String {
                    post.last(where: { $0.name == "\(question.id)-\(suffix)" })?.value.trimmingWhitespace() ?? ""
                }
                let parts = DateParts(day: part("day"), month: part("month"), year: part("year"))
                if !(parts.day.isEmpty && parts.month.isEmpty && parts.year.isEmpty) { answers[question.id] = .date(parts) }
            }
        }
        return answers
    }

    /// Reads a page's post, puts its answers in place of the page's earlier ones, drops hidden answers, and validates the page.
    public func submit(page: FormPage, post: [(name: String, value: String)], previous: Answers, language: Language) -> PageSubmission {
        var merged = previous
        for question in page.questions { merged[question.id] = nil }
        merged.merge(answers(for: page, post: post)) { _, new in new }
        let pruned = pruneHidden(merged)
        return PageSubmission(answers: pruned, errors: validate(page: page, answers: pruned, language: language))
    }

    // MARK: Conditions

    /// Whether a question is shown, given the answers so far (a question whose controlling question is hidden is hidden too).
    public func isShown(_ question: Question, answers: Answers) -> Bool {
        guard let condition = question.showWhen else { return true }
        guard let controller = self.question(id: condition.question), isShown(controller, answers: answers) else { return false }
        let given = answers[condition.question]?.codes ?? []
        return given.contains { condition.anyOf.contains($0) }
    }

    /// The questions of a page that are shown, given the answers so far.
    public func shownQuestions(on page: FormPage, answers: Answers) -> [Question] {
        page.questions.filter { isShown($0, answers: answers) }
    }

    /// The answers without those to hidden questions and to questions the form does not have.
    public func pruneHidden(_ answers: Answers) -> Answers {
        var kept: Answers = [:]
        for question in questions {
            guard let answer = answers[question.id] else { continue }
            if isShown(question, answers: answers) { kept[question.id] = answer }
        }
        return kept
    }

    /// The pages with at least one question shown, given the answers so far: the journey in order.
    public func shownPages(answers: Answers) -> [FormPage] {
        pages.filter { !shownQuestions(on: $0, answers: answers).isEmpty }
    }

    // MARK: Validation

    /// The errors on one page, for its shown questions; answers to other pages decide which questions are shown.
    ///
    /// On a page with several shown questions, each error's summary text names its question.
    public func validate(page: FormPage, answers: Answers, language: Language) -> [FieldError] {
        let shown = shownQuestions(on: page, answers: answers)
        return shown.compactMap { question in
            let error = validate(question, answer: answers[question.id], language: language)
            return shown.count > 1 ? error?.naming(question, language) : error
        }
    }

    /// The errors on every page, each naming its question: empty when the whole form may be submitted.
    public func validate(answers: Answers, language: Language) -> [FieldError] {
        pages.flatMap { page in
            shownQuestions(on: page, answers: answers).compactMap { question in
                validate(question, answer: answers[question.id], language: language)?.naming(question, language)
            }
        }
    }

    /// The error in one answer, if any.
    public func validate(_ question: Question, answer: AnswerValue?, language: Language) -> FieldError? {
        func error(_ key: MessageKey, _ values: [String: String] = [:], field: String? = nil) -> FieldError {
            FieldError(
                questionId: question.id,
                fieldId: field ?? Self.firstInputId(question),
                key: key,
                message: Messages.text(key, language, values)
            )
        }
        guard let answer else {
            guard question.required else { return nil }
            switch question.type {
            case .singleChoice, .scale, .yesNo: return error(.requiredChoice)
            case .multipleChoice: return error(.requiredChoices)
            case .freeText: return error(.requiredText)
            case .number: return error(.requiredNumber)
            case .date: return error(.requiredDate)
            }
        }
        // A null character cannot be stored: say so, rather than fail when the answer is saved.
        if answer.containsNUL { return error(.answerUnsavable) }
        switch (question.type, answer) {
        case (.singleChoice, .codes(let codes)), (.scale, .codes(let codes)), (.yesNo, .codes(let codes)), (.multipleChoice, .codes(let codes)):
            if codes.isEmpty { return question.required ? error(question.type == .multipleChoice ? .requiredChoices : .requiredChoice) : nil }
            if codes.contains(where: { question.option(code: $0) == nil }) { return error(.choiceUnknown) }
            if question.type != .multipleChoice, codes.count > 1 { return error(.choiceOneOnly) }
            if codes.count > 1, let exclusive = question.options.first(where: { $0.exclusive && codes.contains($0.code) }) {
                return error(.choiceExclusive, ["option": exclusive.label.text(language)])
            }
            return nil
        case (.freeText, .text(let text)):
            if text.trimmingWhitespace().isEmpty { return question.required ? error(.requiredText) : nil }
            if let maxLength = question.maxLength, text.count > maxLength {
                return error(.textTooLong, ["max": Messages.formatNumber(maxLength)])
            }
            return nil
        case (.number, .number(let raw)):
            return validateNumber(question, raw: raw, error: { key, values in error(key, values) })
        case (.date, .date(let parts)):
            let missing = [("day", parts.day), ("month", parts.month), ("year", parts.year)].filter { $0.1.isEmpty }.map(\.0)
            if missing.count == 3 { return question.required ? error(.requiredDate) : nil }
            if let first = missing.first { return error(.dateIncomplete, field: "\(question.id)-\(first)") }
            if parts.components == nil { return error(.dateInvalid) }
            return nil
        default:
            return error(.answerInvalid)
        }
    }

    private func validateNumber(
        _ question: Question,
        raw: String,
        error: (MessageKey, [String: String]) -> FieldError
    ) -> FieldError? {
        if raw.trimmingWhitespace().isEmpty { return question.required ? error(.requiredNumber, [:]) : nil }
        guard let value = parseInteger(raw) else { return error(.numberWhole, [:]) }
        let min = question.min.map(Messages.formatNumber) ?? ""
        let max = question.max.map(Messages.formatNumber) ?? ""
        switch (question.min, question.max) {
        case (let low?, let high?) where value < low || value > high:
            return error(.numberBetween, ["min": min, "max": max])
        case (let low?, nil) where value < low:
            return error(.numberMin, ["min": min])
        case (nil, let high?) where value > high:
            return error(.numberMax, ["max": max])
        default:
            return nil
        }
    }

    /// The id of a question's first input: the error summary links there.
    public static func firstInputId(_ question: Question) -> String {
        question.type == .date ? "\(question.id)-day" : question.id
    }
}
