import Forms
import Foundation
import Testing

/// Rendered pages compared with reviewed HTML in Golden/. Run with UPDATE_GOLDEN=1 to rewrite the files, then review the diff.
@Suite("Golden HTML")
struct GoldenHTMLTests {
    let registry: FormRegistry

    init() throws {
        registry = try FormRegistry.load(directory: formsDirectory())
    }

    /// The page title, the error summary and the questions, as the layout would place them.
    func render(
        _ formId: String,
        page pageId: String,
        post: [(name: String, value: String)],
        previous: Answers,
        language: Language
    ) throws
        -> String
    {
        let form = try #require(registry.current(id: formId))
        let page = try #require(form.page(id: pageId))
        let submission = form.submit(page: page, post: post, previous: previous, language: language)
        let title = FormRenderer.pageTitle(
            page: page,
            of: form,
            answers: submission.answers,
            hasErrors: !submission.errors.isEmpty,
            language: language
        )
        return "<title>\(escapeHTML(title))</title>\n"
            + FormRenderer.renderErrorSummary(errors: submission.errors, language: language)
            + FormRenderer.render(page: page, of: form, answers: submission.answers, errors: submission.errors, language: language)
    }

    func compare(_ html: String, golden name: String, file: String = #filePath) throws {
        let path = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("Golden").appendingPathComponent(name).path
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try html.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        #expect(html == expected, "\(name) differs; run with UPDATE_GOLDEN=1 and review the diff")
    }

    @Test("a two-question page with a code outside the options on each shows both errors, in English and Welsh", arguments: [Language.en, .cy])
    func victimPageWithErrors(language: Language) throws {
        let html = try render(
            "victim-questionnaire",
            page: "your_vlo",
            post: [("v13_vlo_knowledge", "bogus"), ("v15_treated_with_respect", "<script>")],
            previous: ["v5_named_vlo": .codes(["yes"])],
            language: language
        )
        #expect(html.contains("govuk-error-summary"))
        try compare(html, golden: "victim-your-vlo-errors.\(language.rawValue).html")
    }

    @Test("the meeting page with a part-filled date and a missing choice, in English and Welsh", arguments: [Language.en, .cy])
    func sentencerMeetingWithErrors(language: Language) throws {
        let post: [(name: String, value: String)] = [
            ("meeting_date-day", "12"), ("meeting_date-year", "2014"), ("meeting_format", "bench_group"), ("week_plus_2", "yes"),
        ]
        let html = try render("sentencer-interview", page: "meeting", post: post, previous: [:], language: language)
        try compare(html, golden: "sentencer-meeting-errors.\(language.rawValue).html")
    }

    @Test("free text over the limit shows the limit, the count and the text exactly as written, escaped")
    func freeTextTooLong() throws {
        let text = "<script>alert('hi')</script> & \"quoted\"\r\n" + String(repeating: "a", count: 1990)
        let html = try render("victim-questionnaire", page: "helped_most", post: [("v19_helped_most", text)], previous: [:], language: .en)
        #expect(!html.contains("<script>"))
        try compare(html, golden: "victim-helped-most-too-long.en.html")
    }

    @Test("a page without errors has no summary and no error prefix")
    func noErrors() throws {
        let html = try render("victim-questionnaire", page: "completed_by", post: [("v2_completed_by", "victim")], previous: [:], language: .en)
        #expect(!html.contains("govuk-error"))
        #expect(html.hasPrefix("<title>Who is filling in this questionnaire? \u{2013} Victims&#39; views of the Victim Contact Scheme</title>"))
        #expect(html.contains("value=\"victim\" checked>"))
    }

    @Test("a hidden conditional question is not rendered")
    func hiddenNotRendered() throws {
        let html = try render("victim-questionnaire", page: "your_vlo", post: [], previous: ["v5_named_vlo": .codes(["no"])], language: .en)
        #expect(!html.contains("v13_vlo_knowledge"))
        #expect(html.contains("<h1 class=\"govuk-fieldset__heading\">How far do you agree that you were treated"))
    }

    @Test("every text is escaped")
    func escaping() {
        #expect(escapeHTML("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
    }
}
