import Forms
import Testing

@Suite("The forms in forms/")
struct RealFormsTests {
    @Test("the definitions in forms/ load with no problems")
    func realFormsLoad() throws {
        let problems = FormLoader.check(paths: [formsDirectory()])
        #expect(problems.map(\.description) == [])
        let registry = try FormRegistry.load(directory: formsDirectory())
        #expect(registry.current(id: "victim-questionnaire") != nil)
        #expect(registry.current(id: "sentencer-interview") != nil)
        #expect(registry.current(id: "service-user-survey")?.codebook != nil)
        #expect(registry.current(id: "service-user-questionnaire")?.kind == .questionnaire)
    }

    @Test("the service-user questionnaire is short: 8 to 12 questions, one a page, in English and Welsh")
    func serviceUserQuestionnaireIsShort() throws {
        let form = try #require(try FormRegistry.load(directory: formsDirectory()).current(id: "service-user-questionnaire"))
        #expect((8...12).contains(form.questions.count))
        #expect(form.pages.allSatisfy { $0.questions.count == 1 })
        #expect(form.languages == [.en, .cy])
        for question in form.questions {
            #expect(question.label.en != question.label.cy, "question \(question.id) has no Welsh of its own")
            #expect(question.label.en.count <= 80, "question \(question.id) is too long for a small phone and easy read")
            if question.measure != nil && question.measure != .qualitative {
                #expect(question.shortLabel != nil)
                #expect(question.options.contains { $0.positive }, "question \(question.id) has no positive answer")
            }
        }
    }

    @Test("every NOMS topic is asked, with the codebook's short label and measure, so the two sit side by side")
    func serviceUserQuestionnaireMatchesTheNOMSSurvey() throws {
        let registry = try FormRegistry.load(directory: formsDirectory())
        let form = try #require(registry.current(id: "service-user-questionnaire"))
        let codebook = try #require(registry.current(id: "service-user-survey")?.codebook)
        let topics = [
            "Treated with respect", "Listened to", "Help with work or training", "Help with housing", "Help with drugs or alcohol",
            "Less likely to reoffend", "Satisfied overall",
        ]
        for topic in topics {
            let question = try #require(form.questions.first { $0.shortLabel == topic }, "no question on \(topic)")
            let variable = try #require(codebook.variables.first { $0.shortLabel == topic }, "the codebook has no \(topic)")
            #expect(question.measure == variable.measure, "\(topic): the measures differ")
        }
    }
}
