import Yams

extension DefinitionReader {
    static let topKeys = ["id", "version", "kind", "title", "languages", "translation_status"]
    static let pageFormKeys = ["pages"]
    static let codebookKeys = ["applies_to_years", "missing_codes", "weight_variable", "variables"]
    static let pageKeys = ["id", "title", "questions"]
    static let questionKeys = [
        "id", "type", "label", "short_label", "hint", "required", "options", "scale", "max_length", "min", "max", "show_when", "measure", "outcome",
        "criteria",
    ]
    static let optionKeys = ["code", "label", "excluded_from_base", "exclusive", "positive"]

    /// Where a question was read, for checks that need the whole form.
    struct QuestionSite {
        let pageIndex: Int
        /// Nil when the question had problems of its own.
        let question: Question?
        let mark: Mark?
    }

    /// A condition to check once every question is known.
    struct PendingCondition {
        let questionId: String
        let pageIndex: Int
        let condition: Condition
        let mark: Mark?
        let codeMarks: [Mark?]
    }

    /// Reads the whole definition; nil when anything was wrong (see `problems`).
    func readDefinition(_ root: Node) -> FormDefinition? {
        guard case .mapping(let mapping) = root else {
            report("the file must be a mapping of keys to values (id, version, kind, …), found \(describe(root))", at: root.mark)
            return nil
        }
        // The kind decides which other keys are allowed; an unknown kind is reported below.
        var kind = FormKind.questionnaire
        if case .scalar(let scalar)? = mapping["kind"], let parsed = FormKind(rawValue: scalar.string) {
            kind = parsed
        }
        let extra = kind == .codebook ? Self.codebookKeys : Self.pageFormKeys
        let required = ["id", "version", "kind", "title", "languages", "translation_status"] + (kind == .codebook ? ["variables"] : ["pages"])
        guard let top = fields(root, "the form", allowed: Self.topKeys + extra, required: required) else { return nil }

        let id = string(top, "id")
        if let id { checkIdentifier(id, "form id", at: top.values["id"]?.mark, pattern: .kebab) }
        let version = int(top, "version")
        if let version, version < 1 {
            report("'version' must be 1 or more, found \(version)", at: top.values["version"]?.mark)
        }
        _ = choice(top, "kind", as: FormKind.self, kind: "form kind")
        let title = text(top, "title")
        let translationStatus = string(top, "translation_status")
        let languages = readLanguages(top)

        var pages: [FormPage] = []
        var codebook: Codebook?
        if kind == .codebook {
            codebook = readCodebook(top)
        } else {
            pages = readPages(top)
        }
        // A questionnaire's measured questions are bars in the report's charts: each needs its few words.
        if kind == .questionnaire {
            for question in pages.flatMap(\.questions) where question.measure != nil && question.shortLabel == nil {
                report(
                    "question '\(question.id)' has a measure but no short_label: give the few words that label its bar in the report's charts",
                    at: nil
                )
            }
        }
        guard problems.isEmpty, let id, let version, let title, let translationStatus, let languages else { return nil }
        return FormDefinition(
            id: id,
            version: version,
            kind: kind,
            title: title,
            languages: languages,
            translationStatus: translationStatus,
            pages: pages,
            codebook: codebook
        )
    }

    private func readLanguages(_ top: Fields) -> [Language]? {
        guard let names = stringList(top, "languages") else { return nil }
        var languages: [Language] = []
        for name in names {
            guard let language = Language(rawValue: name) else {
                report("unknown language '\(name)' in 'languages'; use en and cy", at: top.values["languages"]?.mark)
                continue
            }
            languages.append(language)
        }
        guard Set(languages) == Set(Language.allCases), languages.count == Language.allCases.count else {
            report("'languages' must be [en, cy]: every form is offered in English and Welsh", at: top.values["languages"]?.mark)
            return nil
        }
        return languages
    }

    // MARK: Pages and questions

    private func readPages(_ top: Fields) -> [FormPage] {
        guard let nodes = list(top, "pages") else { return [] }
        if nodes.isEmpty { report("'pages' is empty: a form needs at least one page", at: top.values["pages"]?.mark) }
        var pages: [FormPage] = []
        var pageMarks: [String: Mark?] = [:]
        var sites: [String: QuestionSite] = [:]
        var shortLabels: [String: String] = [:]
        var pending: [PendingCondition] = []
        for (pageIndex, node) in nodes.enumerated() {
            let context = peekName(node, "id").map { "page '\($0)'" } ?? "page \(pageIndex + 1)"
            guard let fields = fields(node, context, allowed: Self.pageKeys, required: ["id", "questions"]) else { continue }
            let id = string(fields, "id")
            if let id {
                checkIdentifier(id, "page id", at: fields.values["id"]?.mark, pattern: .snake)
                if let first = pageMarks[id] {
                    report("duplicate page id '\(id)' (first used on line \(first?.line ?? 0))", at: fields.values["id"]?.mark)
                } else {
                    pageMarks[id] = fields.values["id"]?.mark
                }
            }
            let title = text(fields, "title")
            var questions: [Question] = []
            let questionNodes = list(fields, "questions") ?? []
            if questionNodes.isEmpty, fields.has("questions") {
                report("\(context) has no questions", at: fields.mark)
            }
            if questionNodes.count > 1, title == nil {
                report("\(context) has more than one question, so it needs a 'title' for its heading", at: fields.mark)
            }
            for (questionIndex, questionNode) in questionNodes.enumerated() {
                let position = "question \(questionIndex + 1) of \(context)"
                let read = readQuestion(questionNode, position)
                guard let id = read.id else { continue }
                if let first = sites[id] {
                    report("duplicate question id '\(id)' (first used on line \(first.mark?.line ?? 0))", at: read.idMark)
                    continue
                }
                sites[id] = QuestionSite(pageIndex: pageIndex, question: read.question, mark: read.idMark)
                if let short = read.question?.shortLabel {
                    if let other = shortLabels[short.lowercased()] {
                        report("question '\(id)' has the same short_label as question '\(other)': each bar needs its own", at: read.idMark)
                    } else {
                        shortLabels[short.lowercased()] = id
                    }
                }
                if let condition = read.condition {
                    pending.append(
                        PendingCondition(questionId: id, pageIndex: pageIndex, condition: condition.0, mark: condition.1, codeMarks: condition.2)
                    )
                }
                if let question = read.question { questions.append(question) }
            }
            if let id { pages.append(FormPage(id: id, title: title, questions: questions)) }
        }
        for item in pending { checkCondition(item, sites: sites) }
        return pages
    }

    private func checkCondition(_ item: PendingCondition, sites: [String: QuestionSite]) {
        let target = item.condition.question
        let context = "the show_when of question '\(item.questionId)'"
        guard let site = sites[target] else {
            report("\(context) refers to unknown question '\(target)'", at: item.mark)
            return
        }
        if target == item.questionId {
            report("\(context) refers to the question itself", at: item.mark)
            return
        }
        if site.pageIndex > item.pageIndex {
            report("\(context) refers to question '\(target)', which comes later; it must refer to an earlier page", at: item.mark)
            return
        }
        if site.pageIndex == item.pageIndex {
            report(
                "\(context) refers to question '\(target)' on the same page; it must be on an earlier page so the page works without JavaScript",
                at: item.mark
            )
            return
        }
        guard let controller = site.question else { return }
        guard controller.type.hasOptions else {
            report("\(context) refers to question '\(target)', which has no options to match", at: item.mark)
            return
        }
        for (index, code) in item.condition.anyOf.enumerated() where controller.option(code: code) == nil {
            let mark = index < item.codeMarks.count ? item.codeMarks[index] : item.mark
            report("\(context) uses code '\(code)', which question '\(target)' does not have", at: mark)
        }
    }

    /// What was read of one question: its id if it has one, the question if it could be read whole, and its condition with marks.
    struct ReadQuestion {
        var id: String?
        var idMark: Mark?
        var question: Question?
        var condition: (Condition, Mark?, [Mark?])?
    }

    /// A question and its raw condition (with marks).
    private func readQuestion(_ node: Node, _ position: String) -> ReadQuestion {
        let context = peekName(node, "id").map { "question '\($0)'" } ?? position
        guard let named = fields(node, context, allowed: Self.questionKeys, required: ["id", "type", "label"]) else { return ReadQuestion() }
        let id = string(named, "id")
        if let id { checkIdentifier(id, "question id", at: named.values["id"]?.mark, pattern: .snake) }
        let type = choice(named, "type", as: QuestionType.self, kind: "question type")
        let label = text(named, "label")
        let shortLabel = string(named, "short_label")
        if let shortLabel,
            shortLabel.trimmingCharacters(in: .whitespaces).isEmpty || shortLabel.count > Question.shortLabelLimit
                || shortLabel.contains(where: \.isNewline)
        {
            report(
                "the short_label of \(context) must be one line of 1 to \(Question.shortLabelLimit) characters (it labels the report's chart bars)",
                at: named.values["short_label"]?.mark
            )
        }
        let hint = text(named, "hint")
        let required = bool(named, "required") ?? true
        let measure = choice(named, "measure", as: Measure.self, kind: "measure")

        let outcome = choice(named, "outcome", as: Outcome.self, kind: "outcome")
        let criteria = stringList(named, "criteria") ?? []
        let scale = choice(named, "scale", as: ScaleKind.self, kind: "scale")
        let maxLength = int(named, "max_length")
        let min = int(named, "min")
        let max = int(named, "max")
        let options = readOptions(named, allowExclusive: type == .multipleChoice)

        if let type {
            checkTypeSpecific(named, type: type, options: options, scale: scale, maxLength: maxLength, min: min, max: max)
        }
        var condition: (Condition, Mark?, [Mark?])?
        if let node = named.values["show_when"],
            let cond = self.fields(node, "the show_when of \(context)", allowed: ["question", "any_of"], required: ["question", "any_of"])
        {
            let anyOfNodes = list(cond, "any_of") ?? []
            let codes = anyOfNodes.compactMap { scalarString($0, "an entry of 'any_of' in the show_when of \(context)") }
            if cond.has("any_of"), anyOfNodes.isEmpty {
                report("'any_of' in the show_when of \(context) is empty", at: cond.values["any_of"]?.mark)
            }
            if let question = string(cond, "question") {
                condition = (Condition(question: question, anyOf: codes), cond.values["question"]?.mark, anyOfNodes.map(\.mark))
            }
        }
        var result = ReadQuestion(id: id, idMark: named.values["id"]?.mark, question: nil, condition: condition)
        guard let id, let type, let label else { return result }
        result.question = Question(
            id: id,
            type: type,
            label: label,
            shortLabel: shortLabel,
            hint: hint,
            required: required,
            options: options,
            scale: scale,
            maxLength: maxLength,
            min: min,
            max: max,
            showWhen: condition?.0,
            measure: measure,
            outcome: outcome,
            criteria: criteria
        )
        return result
    }

    private func checkTypeSpecific(
        _ fields: Fields,
        type: QuestionType,
        options: [Option],
        scale: ScaleKind?,
        maxLength: Int?,
        min: Int?,
        max: Int?
    ) {
        let context = fields.context
        func notFor(_ key: String) {
            if let mark = fields.keyMarks[key] {
                report("'\(key)' is not used by \(type.rawValue) questions (\(context))", at: mark)
            }
        }
        if type.hasOptions {
            let needed = type == .multipleChoice ? 1 : 2
            if !fields.has("options") {
                report("\(context) is a \(type.rawValue) question but has no 'options'", at: fields.mark)
            } else if case .sequence(let nodes)? = fields.values["options"], nodes.count < needed {
                report("\(context) needs at least \(needed) options", at: fields.values["options"]?.mark)
            }
        } else {
            notFor("options")
        }
        if type == .scale {
            if !fields.has("scale") {
                report(
                    "\(context) is a scale question but has no 'scale' (\(ScaleKind.allCases.map(\.rawValue).joined(separator: ", ")))",
                    at: fields.mark
                )
            }
            if fields.has("options"), !options.isEmpty, !options.contains(where: \.positive) {
                report(
                    "\(context) is a scale question but marks no option 'positive: true' (the top two are counted as positive)",
                    at: fields.values["options"]?.mark
                )
            }
        } else {
            notFor("scale")
        }
        if type == .freeText {
            if let maxLength {
                if maxLength < 1 { report("'max_length' in \(context) must be 1 or more", at: fields.values["max_length"]?.mark) }
            } else if !fields.has("max_length") {
                report("\(context) is a free_text question but has no 'max_length'", at: fields.mark)
            }
        } else {
            notFor("max_length")
        }
        if type == .number {
            if let min, let max, min > max {
                report("'min' (\(min)) is more than 'max' (\(max)) in \(context)", at: fields.values["min"]?.mark)
            }
        } else {
            notFor("min")
            notFor("max")
        }
    }

    func readOptions(_ fields: Fields, allowExclusive: Bool, key: String = "options") -> [Option] {
        guard let nodes = list(fields, key) else { return [] }
        var options: [Option] = []
        var seen: [String: Int] = [:]
        for (index, node) in nodes.enumerated() {
            let context = peekName(node, "code").map { "option '\($0)' of \(fields.context)" } ?? "option \(index + 1) of \(fields.context)"
            guard let option = self.fields(node, context, allowed: Self.optionKeys, required: ["code", "label"]) else { continue }
            let code = string(option, "code")
            let named = option
            if let code {
                checkIdentifier(code, "option code", at: option.values["code"]?.mark, pattern: .code)
                if let first = seen[code] {
                    report("duplicate option code '\(code)' in \(fields.context) (first used on line \(first))", at: option.values["code"]?.mark)
                } else {
                    seen[code] = option.values["code"]?.mark?.line ?? 0
                }
            }
            let label = text(named, "label")
            let excluded = bool(named, "excluded_from_base") ?? false
            let exclusive = bool(named, "exclusive") ?? false
            let positive = bool(named, "positive") ?? false
            if exclusive, !allowExclusive {
                report("'exclusive' is only for options of multiple_choice questions (\(context))", at: option.keyMarks["exclusive"])
            }
            if positive, excluded {
                report("\(context) cannot be both positive and excluded from the base", at: option.keyMarks["positive"])
            }
            guard let code, let label else { continue }
            options.append(Option(code: code, label: label, excludedFromBase: excluded, exclusive: exclusive, positive: positive))
        }
        return options
    }
}
