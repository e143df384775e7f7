import Forms
import Testing

/// Each kind of malformed definition is refused with its message and line.
@Suite("Definition problems")
struct DefinitionProblemTests {
    /// The minimal form with one text replaced; the replacement must happen, so a test cannot pass by accident.
    func replacing(_ old: String, with new: String, in text: String = minimalForm) throws -> String {
        try #require(text.contains(old), "test setup: '\(old)' not in the YAML")
        return text.replacingOccurrences(of: old, with: new)
    }

    func only(_ problems: [FormProblem]) throws -> FormProblem {
        try #require(problems.count == 1, "expected one problem, got \(problems.map(\.description))")
        return problems[0]
    }

    @Test("the minimal test form loads")
    func minimalLoads() throws {
        let form = try definition(minimalForm)
        #expect(form.id == "test-form")
        #expect(form.questions.map(\.id) == ["colour", "why"])
    }

    @Test("a YAML syntax error is reported with its line and column")
    func yamlSyntax() throws {
        let yaml = try replacing("    label: {en: Which colour?, cy: Pa liw?}", with: "    label: {en: Which colour?, cy: [Pa liw?}")
        let problem = try only(problems(yaml))
        #expect(problem.message.hasPrefix("YAML syntax error"))
        #expect(problem.line == 12)
        #expect(problem.column != nil)
    }

    @Test("a key given twice in one mapping is reported")
    func duplicateKey() throws {
        let yaml = try replacing("version: 1\n", with: "version: 1\nversion: 2\n")
        let problem = try only(problems(yaml))
        #expect(problem.message == "the key 'version' appears twice in the same mapping")
        #expect(problem.line != nil)
    }

    @Test("an unknown key is reported with a suggestion and its line")
    func unknownKey() throws {
        let yaml = try replacing("        required: false\n", with: "        requird: false\n")
        let problem = try only(problems(yaml))
        #expect(problem.message == "unknown key 'requird' in question 'why'; did you mean 'required'?")
        #expect(problem.line == 23)
        #expect(problem.column == 9)
    }

    @Test("an unknown top-level key is reported")
    func unknownTopKey() throws {
        let yaml = try replacing("languages: [en, cy]\n", with: "languages: [en, cy]\nauthor: me\n")
        let problem = try only(problems(yaml))
        #expect(problem.message.hasPrefix("unknown key 'author' in the form"))
        #expect(problem.line == 6)
    }

    @Test("text where a whole number is expected is a wrong type")
    func wrongTypeVersion() throws {
        let yaml = try replacing("version: 1", with: "version: \"one\"")
        let problem = try only(problems(yaml))
        #expect(problem.message == "'version' in the form must be a whole number, found \"one\"")
        #expect(problem.line == 2)
    }

    @Test("a quoted number where a whole number is expected is a wrong type")
    func quotedNumber() throws {
        let yaml = try replacing("max_length: 10", with: "max_length: \"10\"")
        let problem = try only(problems(yaml))
        #expect(problem.message == "'max_length' in question 'why' must be a whole number, found \"10\"")
        #expect(problem.line == 22)
    }

    @Test("a list where text is expected is a wrong type")
    func wrongTypeList() throws {
        let yaml = try replacing("translation_status: test", with: "translation_status: [a, b]")
        let problem = try only(problems(yaml))
        #expect(problem.message == "'translation_status' in the form must be text, found a list")
    }

    @Test("required must be true or false")
    func wrongTypeBool() throws {
        let yaml = try replacing("required: false", with: "required: sometimes")
        let problem = try only(problems(yaml))
        #expect(problem.message == "'required' in question 'why' must be true or false, found \"sometimes\"")
        #expect(problem.line == 23)
    }

    @Test("a duplicate question id is reported at the second use, naming the first")
    func duplicateQuestion() throws {
        let yaml = try replacing("      - id: why\n", with: "      - id: colour\n")
        let found = problems(yaml)
        let problem = try #require(found.first { $0.message.hasPrefix("duplicate question id") })
        #expect(problem.message == "duplicate question id 'colour' (first used on line 10)")
        #expect(problem.line == 20)
    }

    @Test("a duplicate option code is reported")
    func duplicateOption() throws {
        let yaml = try replacing("code: blue", with: "code: red")
        let problem = try only(problems(yaml))
        #expect(problem.message == "duplicate option code 'red' in question 'colour' (first used on line 14)")
        #expect(problem.line == 16)
    }

    @Test("a duplicate page id is reported")
    func duplicatePage() throws {
        let yaml = try replacing("  - id: second", with: "  - id: first")
        let problem = try only(problems(yaml))
        #expect(problem.message == "duplicate page id 'first' (first used on line 8)")
        #expect(problem.line == 18)
    }

    @Test("an unknown question type is reported with a suggestion")
    func unknownType() throws {
        let yaml = try replacing("type: single_choice", with: "type: single_choise")
        let problem = try only(problems(yaml))
        #expect(problem.message == "unknown question type 'single_choise' in question 'colour'; did you mean 'single_choice'?")
        #expect(problem.line == 11)
    }

    @Test("an unknown question type with no near match lists the types")
    func unknownTypeList() throws {
        let yaml = try replacing("type: single_choice", with: "type: slider")
        let problem = try only(problems(yaml))
        #expect(problem.message.contains("use one of single_choice, multiple_choice, scale, yes_no, free_text, number, date"))
    }

    @Test("an option without a code is reported")
    func optionWithoutCode() throws {
        let yaml = try replacing("          - code: blue\n            label:", with: "          - label:")
        let problem = try only(problems(yaml))
        #expect(problem.message == "option 2 of question 'colour' has no 'code'")
        #expect(problem.line == 16)
    }

    @Test("a condition on an unknown question is reported")
    func conditionUnknownQuestion() throws {
        let yaml = try replacing("question: colour", with: "question: color")
        let problem = try only(problems(yaml))
        #expect(problem.message == "the show_when of question 'why' refers to unknown question 'color'")
        #expect(problem.line == 24)
    }

    @Test("a condition on a code the question does not have is reported")
    func conditionUnknownCode() throws {
        let yaml = try replacing("any_of: [red]", with: "any_of: [green]")
        let problem = try only(problems(yaml))
        #expect(problem.message == "the show_when of question 'why' uses code 'green', which question 'colour' does not have")
        #expect(problem.line == 24)
    }

    @Test("a condition on a later question is reported")
    func conditionLaterQuestion() throws {
        var yaml = try replacing("        show_when: {question: colour, any_of: [red]}\n", with: "")
        yaml = try replacing(
            "        type: single_choice\n",
            with: "        type: single_choice\n        show_when: {question: why, any_of: [x]}\n",
            in: yaml
        )
        let problem = try only(problems(yaml))
        #expect(problem.message == "the show_when of question 'colour' refers to question 'why', which comes later; it must refer to an earlier page")
        #expect(problem.line == 12)
    }

    @Test("missing Welsh text is reported")
    func missingWelsh() throws {
        let yaml = try replacing("{en: Blue, cy: Glas}", with: "{en: Blue}")
        let problem = try only(problems(yaml))
        #expect(problem.message == "'label' in option 'blue' of question 'colour' has no Welsh ('cy') text")
        #expect(problem.line == 17)
    }

    @Test("empty Welsh text is reported like missing Welsh")
    func emptyWelsh() throws {
        let yaml = try replacing("title: {en: Test form, cy: Ffurflen brawf}", with: "title: {en: Test form, cy: \"\"}")
        let problem = try only(problems(yaml))
        #expect(problem.message == "'title' in the form has no Welsh ('cy') text")
        #expect(problem.line == 4)
    }

    @Test("an invalid outcome is reported with the five outcomes")
    func invalidOutcome() throws {
        let yaml = try replacing("        max_length: 10\n", with: "        max_length: 10\n        outcome: victims\n")
        let problem = try only(problems(yaml))
        #expect(problem.message.hasPrefix("unknown outcome 'victims' in question 'why'"))
        #expect(problem.message.contains("effective_work_for_victims"))
        #expect(problem.line == 23)
    }

    @Test("an invalid measure is reported")
    func invalidMeasure() throws {
        let yaml = try replacing("        max_length: 10\n", with: "        max_length: 10\n        measure: timley\n")
        let problem = try only(problems(yaml))
        #expect(problem.message == "unknown measure 'timley' in question 'why'; did you mean 'timely'?")
    }

    @Test("a questionnaire's measured question needs a short label of one line and at most 40 characters, each its own")
    func shortLabels() throws {
        // Measured, with no short label: refused, naming the question.
        let missing = try replacing("        max_length: 10\n", with: "        max_length: 10\n        measure: timely\n")
        #expect(
            try only(problems(missing)).message
                == "question 'why' has a measure but no short_label: give the few words that label its bar in the report's charts"
        )
        // With one: loads, and the label is kept.
        let given = try replacing("        max_length: 10\n", with: "        max_length: 10\n        measure: timely\n        short_label: Why red\n")
        #expect(try definition(given).question(id: "why")?.shortLabel == "Why red")
        // Too long.
        let long = try replacing(
            "        max_length: 10\n",
            with: "        max_length: 10\n        short_label: \(String(repeating: "x", count: 41))\n"
        )
        #expect(try only(problems(long)).message.hasPrefix("the short_label of question 'why' must be one line of 1 to 40 characters"))
        // The same words on two questions.
        let twice = try replacing(
            "        type: single_choice\n",
            with: "        type: single_choice\n        short_label: why RED\n",
            in: given
        )
        #expect(try only(problems(twice)).message == "question 'why' has the same short_label as question 'colour': each bar needs its own")
        // Not part of the fingerprint: a short label is report wording, not what was asked.
        let plain = try replacing("        type: single_choice\n", with: "        type: single_choice\n        short_label: Colour\n")
        #expect(try definition(plain).fingerprint == definition(minimalForm).fingerprint)
    }

    @Test("a free-text question needs a maximum length")
    func freeTextNeedsMaxLength() throws {
        let yaml = try replacing("        max_length: 10\n", with: "")
        let problem = try only(problems(yaml))
        #expect(problem.message == "question 'why' is a free_text question but has no 'max_length'")
    }

    @Test("a key that does not belong to the question type is reported")
    func keyForOtherType() throws {
        let yaml = try replacing("        max_length: 10\n", with: "        max_length: 10\n        min: 3\n")
        let problem = try only(problems(yaml))
        #expect(problem.message == "'min' is not used by free_text questions (question 'why')")
    }

    @Test("a missing required key is reported at its mapping")
    func missingLabel() throws {
        let yaml = try replacing("\n        label: {en: Why red?, cy: Pam coch?}", with: "")
        let problem = try only(problems(yaml))
        #expect(problem.message == "question 'why' has no 'label'")
        #expect(problem.line == 20)
    }

    @Test("languages must be English and Welsh")
    func languages() throws {
        let yaml = try replacing("languages: [en, cy]", with: "languages: [en]")
        let problem = try only(problems(yaml))
        #expect(problem.message.hasPrefix("'languages' must be [en, cy]"))
    }

    @Test("an empty file is reported")
    func emptyFile() {
        #expect(problems("").map(\.message) == ["the file is empty"])
    }

    @Test("a missing file is reported with its path and nothing is loaded")
    func missingFile() throws {
        #expect(throws: FormLoadError.self) { try FormLoader.load(path: "/no/such/dir/form.yaml") }
        let found = FormLoader.check(paths: ["/no/such/dir/form.yaml"])
        #expect(found.map(\.description) == ["/no/such/dir/form.yaml: the file does not exist"])
    }

    @Test("several problems in one file are all reported, in line order")
    func severalProblems() throws {
        var yaml = try replacing("version: 1", with: "version: x")
        yaml = try replacing("{en: Blue, cy: Glas}", with: "{en: Blue}", in: yaml)
        let found = problems(yaml)
        #expect(found.count == 2)
        #expect(found.map(\.line) == [2, 17])
    }

    @Test("a scale question must mark its positive options")
    func scaleNeedsPositive() throws {
        let yaml = try replacing("type: single_choice", with: "type: scale\n        scale: agreement")
        let problem = try only(problems(yaml))
        #expect(problem.message.hasPrefix("question 'colour' is a scale question but marks no option 'positive: true'"))
    }

    @Test("exclusive is only allowed on multiple-choice options")
    func exclusiveOnRadios() throws {
        let yaml = try replacing("code: blue\n", with: "code: blue\n            exclusive: true\n")
        let problem = try only(problems(yaml))
        #expect(problem.message == "'exclusive' is only for options of multiple_choice questions (option 'blue' of question 'colour')")
    }
}
