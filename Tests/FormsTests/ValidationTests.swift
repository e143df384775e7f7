import Forms
import Foundation
import Testing

@Suite("Answer validation")
struct ValidationTests {
    static let yaml = """
        id: answers
        version: 1
        kind: questionnaire
        title: {en: Answers, cy: Atebion}
        languages: [en, cy]
        translation_status: test
        pages:
          - id: choices
            title: {en: Choices, cy: Dewisiadau}
            questions:
              - id: contact
                type: yes_no
                label: {en: Contacted?, cy: Cysylltwyd?}
                options:
                  - {code: "yes", label: {en: "Yes", cy: Do}}
                  - {code: "no", label: {en: "No", cy: Naddo}}
              - id: support
                type: multiple_choice
                required: false
                label: {en: Support, cy: Cymorth}
                options:
                  - {code: letters, label: {en: Letters, cy: Llythyrau}}
                  - {code: calls, label: {en: Calls, cy: Galwadau}}
                  - {code: none, label: {en: None of these, cy: Dim un o'r rhain}, exclusive: true}
          - id: details
            title: {en: Details, cy: Manylion}
            questions:
              - id: how_many
                type: number
                min: 0
                max: 20
                label: {en: How many?, cy: Sawl un?}
              - id: when
                type: date
                label: {en: When?, cy: Pryd?}
              - id: comments
                type: free_text
                max_length: 2000
                label: {en: Comments, cy: Sylwadau}
          - id: follow_up
            questions:
              - id: why_not
                type: free_text
                max_length: 100
                show_when: {question: contact, any_of: ["no"]}
                label: {en: Why not?, cy: Pam lai?}
        """

    let form: FormDefinition

    init() throws {
        form = try definition(Self.yaml)
    }

    func page(_ id: String) throws -> FormPage {
        try #require(form.page(id: id))
    }

    func errors(_ pageId: String, _ post: [(name: String, value: String)], language: Language = .en) throws -> [FieldError] {
        form.submit(page: try page(pageId), post: post, previous: [:], language: language).errors
    }

    @Test("required questions left blank get required errors, in English and Welsh")
    func required() throws {
        let english = try errors("details", [])
        #expect(english.map(\.key) == [.requiredNumber, .requiredDate, .requiredText])
        #expect(english.map(\.message) == ["Enter a number", "Enter a date", "Enter an answer"])
        #expect(english.map(\.fieldId) == ["how_many", "when-day", "comments"])
        let welsh = try errors("choices", [], language: .cy)
        #expect(welsh.map(\.message) == ["Dewiswch ateb"])
        #expect(welsh.first?.summaryText == "Cysylltwyd? \u{2013} Dewiswch ateb")
    }

    @Test("a choice must be one of the question's codes, and radios take one")
    func allowedCodes() throws {
        #expect(try errors("choices", [("contact", "maybe")]).map(\.key) == [.choiceUnknown])
        #expect(try errors("choices", [("contact", "yes"), ("contact", "no")]).map(\.key) == [.choiceOneOnly])
        #expect(try errors("choices", [("contact", "yes")]).isEmpty)
    }

    @Test("an exclusive option cannot be chosen with others")
    func exclusive() throws {
        let found = try errors("choices", [("contact", "yes"), ("support", "letters"), ("support", "none")])
        #expect(found.map(\.key) == [.choiceExclusive])
        #expect(found.first?.message == "Select \u{201C}None of these\u{201D} on its own, or choose other answers without it")
        #expect(try errors("choices", [("contact", "yes"), ("support", "none")]).isEmpty)
        #expect(try errors("choices", [("contact", "yes"), ("support", "letters"), ("support", "calls")]).isEmpty)
    }

    @Test("numbers must be whole and in range")
    func numbers() throws {
        let rest: [(name: String, value: String)] = [("when-day", "1"), ("when-month", "2"), ("when-year", "2014"), ("comments", "x")]
        #expect(try errors("details", [("how_many", "2.5")] + rest).map(\.key) == [.numberWhole])
        #expect(try errors("details", [("how_many", "twelve")] + rest).map(\.key) == [.numberWhole])
        let high = try errors("details", [("how_many", "21")] + rest)
        #expect(high.map(\.message) == ["Enter a number between 0 and 20"])
        #expect(try errors("details", [("how_many", "-1")] + rest).map(\.key) == [.numberBetween])
        #expect(try errors("details", [("how_many", " 20 ")] + rest).isEmpty)
    }

    @Test("a null character in any answer is refused with its own message, in English and Welsh (PostgreSQL cannot store it)")
    func nullCharacter() throws {
        let rest: [(name: String, value: String)] = [("how_many", "3"), ("when-day", "1"), ("when-month", "2"), ("when-year", "2014")]
        let text = try errors("details", rest + [("comments", "before\u{0}after")])
        #expect(text.map(\.key) == [.answerUnsavable])
        #expect(text.first?.message == "Your answer contains a character that cannot be saved (a null character): remove it and try again")
        #expect(text.first?.fieldId == "comments")
        let welsh = try errors("details", rest + [("comments", "\u{0}")], language: .cy)
        #expect(welsh.first?.message.hasPrefix("Mae eich ateb yn cynnwys nod na ellir ei gadw") == true)
        #expect(
            try errors("details", [("how_many", "3\u{0}"), ("when-day", "1"), ("when-month", "2"), ("when-year", "2014"), ("comments", "x")]).map(
                \.key
            ) == [.answerUnsavable]
        )
        #expect(
            try errors("details", [("how_many", "3"), ("when-day", "1\u{0}"), ("when-month", "2"), ("when-year", "2014"), ("comments", "x")]).map(
                \.key
            ) == [.answerUnsavable]
        )
        #expect(try errors("choices", [("contact", "yes\u{0}")]).map(\.key) == [.answerUnsavable])
    }

    @Test("dates must be complete and real")
    func dates() throws {
        let rest: [(name: String, value: String)] = [("how_many", "3"), ("comments", "x")]
        let incomplete = try errors("details", [("when-day", "29"), ("when-year", "2014")] + rest)
        #expect(incomplete.map(\.key) == [.dateIncomplete])
        #expect(incomplete.first?.fieldId == "when-month")
        #expect(try errors("details", [("when-day", "29"), ("when-month", "2"), ("when-year", "2014")] + rest).map(\.key) == [.dateInvalid])
        #expect(try errors("details", [("when-day", "29"), ("when-month", "2"), ("when-year", "2016")] + rest).isEmpty)
        #expect(try errors("details", [("when-day", "31"), ("when-month", "13"), ("when-year", "2016")] + rest).map(\.key) == [.dateInvalid])
        #expect(DateParts(day: "5", month: "11", year: "2013").isoString == "2013-11-05")
    }

    @Test("free text over the limit is refused, counting characters as a person would, and the message says the limit")
    func maxLength() throws {
        let rest: [(name: String, value: String)] = [("how_many", "3"), ("when-day", "1"), ("when-month", "2"), ("when-year", "2014")]
        // 2,000 family emoji are 2,000 characters though many more Unicode scalars.
        let exact = String(repeating: "👨‍👩‍👧", count: 2000)
        #expect(try errors("details", [("comments", exact)] + rest).isEmpty)
        let over = try errors("details", [("comments", exact + "a")] + rest)
        #expect(over.map(\.message) == ["Your answer must be 2,000 characters or fewer"])
        let welsh = try errors("details", [("comments", exact + "a")] + rest, language: .cy)
        #expect(welsh.map(\.message) == ["Rhaid i\u{2019}ch ateb fod yn 2,000 nod neu lai"])
    }

    @Test("free text is kept exactly as written, with CRLF made LF")
    func freeTextKept() throws {
        let page = try page("details")
        let answers = form.answers(for: page, post: [("comments", "  Two  spaces\r\nnew line\rold Mac\n <b>&</b> ")])
        #expect(answers["comments"] == .text("  Two  spaces\nnew line\nold Mac\n <b>&</b> "))
        #expect(form.answers(for: page, post: [("comments", " \r\n ")])["comments"] == nil)
    }

    @Test("unknown field names are ignored")
    func unknownFields() throws {
        let answers = form.answers(for: try page("choices"), post: [("contact", "yes"), ("csrf", "abc"), ("how_many", "3")])
        #expect(answers == ["contact": .codes(["yes"])])
    }

    @Test("a conditional question is validated only when shown, and its answer is dropped when its condition stops holding")
    func conditions() throws {
        let followUp = try page("follow_up")
        let question = try #require(form.question(id: "why_not"))
        #expect(form.validate(page: followUp, answers: ["contact": .codes(["yes"])], language: .en).isEmpty)
        #expect(form.validate(page: followUp, answers: ["contact": .codes(["no"])], language: .en).map(\.key) == [.requiredText])
        #expect(form.isShown(question, answers: ["contact": .codes(["no"])]))

        let before: Answers = ["contact": .codes(["no"]), "why_not": .text("Busy")]
        #expect(form.pruneHidden(before) == before)
        let changed = form.submit(page: try page("choices"), post: [("contact", "yes")], previous: before, language: .en)
        #expect(changed.answers == ["contact": .codes(["yes"])])
        #expect(changed.errors.isEmpty)
        #expect(form.pruneHidden(["unknown": .text("x"), "contact": .codes(["yes"])]) == ["contact": .codes(["yes"])])
    }

    @Test("whole-form validation finds every page's errors, skipping hidden questions")
    func wholeForm() {
        let answers: Answers = ["contact": .codes(["yes"]), "how_many": .number("3"), "comments": .text("ok")]
        let found = form.validate(answers: answers, language: .en)
        #expect(found.map(\.questionId) == ["when"])
        #expect(found.first?.summaryText == "When? \u{2013} Enter a date")
        #expect(form.shownPages(answers: answers).map(\.id) == ["choices", "details"])
    }

    @Test("answers round-trip through JSON")
    func codable() throws {
        let answers: Answers = [
            "a": .codes(["x", "y"]), "b": .text("T\u{00EA}st\n"), "c": .number("12"), "d": .date(DateParts(day: "1", month: "2", year: "2014")),
        ]
        let data = try JSONEncoder().encode(answers)
        #expect(try JSONDecoder().decode(Answers.self, from: data) == answers)
        #expect(answers["c"]?.integer == 12)
    }
}

@Suite("Messages")
struct MessagesTests {
    @Test("every message key exists in English and in Welsh, and the catalogues hold no other keys")
    func catalogues() {
        let keys = Set(MessageKey.allCases.map(\.rawValue))
        #expect(Set(Messages.english.keys) == keys)
        #expect(Set(Messages.welsh.keys) == keys)
        for key in MessageKey.allCases {
            #expect(Messages.english[key.rawValue]?.isEmpty == false, "\(key.rawValue)")
            #expect(Messages.welsh[key.rawValue]?.isEmpty == false, "\(key.rawValue)")
        }
    }

    @Test("placeholders are the same in both languages")
    func placeholders() {
        func names(_ text: String) -> Set<String> {
            Set(text.split(separator: "{").dropFirst().compactMap { $0.split(separator: "}").first.map(String.init) })
        }
        for key in MessageKey.allCases {
            #expect(names(Messages.english[key.rawValue] ?? "") == names(Messages.welsh[key.rawValue] ?? ""), "\(key.rawValue)")
        }
    }

    @Test("numbers are written with thousands separators")
    func numbers() {
        #expect(Messages.formatNumber(2000) == "2,000")
        #expect(Messages.formatNumber(999) == "999")
        #expect(Messages.formatNumber(1_234_567) == "1,234,567")
        #expect(Messages.text(.characterLimit, .cy, ["max": "2,000"]) == "Gallwch roi hyd at 2,000 nod")
    }
}
