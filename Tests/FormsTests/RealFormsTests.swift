import Forms
import Testing

@Suite("The forms in forms/")
struct RealFormsTests {
    @Test("the three definitions in forms/ load with no problems")
    func realFormsLoad() throws {
        let problems = FormLoader.check(paths: [formsDirectory()])
        #expect(problems.map(\.description) == [])
        let registry = try FormRegistry.load(directory: formsDirectory())
        #expect(registry.current(id: "victim-questionnaire") != nil)
        #expect(registry.current(id: "sentencer-interview") != nil)
        #expect(registry.current(id: "service-user-survey")?.codebook != nil)
    }
}
