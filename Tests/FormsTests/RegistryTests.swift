import Forms
import Testing

@Suite("Versions and the registry")
struct RegistryTests {
    @Test("the fingerprint ignores comments and layout but changes with any text")
    func fingerprint() throws {
        let base = try definition(minimalForm)
        let commented = try definition("# a comment\n" + minimalForm.replacingOccurrences(of: "{en: Red, cy: Coch}", with: "{cy: Coch, en: Red}"))
        #expect(base.fingerprint == commented.fingerprint)
        #expect(base.fingerprint.hasPrefix("fnv1a64:"))
        #expect(base.fingerprint.count == "fnv1a64:".count + 16)
        let edited = try definition(minimalForm.replacingOccurrences(of: "cy: Glas", with: "cy: Glas tywyll"))
        #expect(base.fingerprint != edited.fingerprint)
    }

    @Test("an edited version with recorded answers is refused; a new version is accepted")
    func editedVersionRefused() throws {
        let directory = try TemporaryDirectory()
        _ = try directory.write("test-form.yaml", minimalForm)
        let original = try FormRegistry.load(directory: directory.path)
        let recorded = [RecordedFormVersion(id: "test-form", version: 1, fingerprint: try #require(original.current(id: "test-form")).fingerprint)]
        #expect(original.checkAgainstRecorded(recorded).isEmpty)

        _ = try directory.write("test-form.yaml", minimalForm.replacingOccurrences(of: "Which colour?", with: "What colour?"))
        let edited = try FormRegistry.load(directory: directory.path)
        let problems = edited.checkAgainstRecorded(recorded)
        try #require(problems.count == 1)
        #expect(problems[0].message.contains("version 1 of form 'test-form' was edited after answers were stored against it"))
        #expect(problems[0].message.contains("bump the version to 2"))

        // The fix: keep the old text as the archived version and put the edit in version 2.
        _ = try directory.write("test-form.v1.yaml", minimalForm)
        let bumped = minimalForm.replacingOccurrences(of: "Which colour?", with: "What colour?").replacingOccurrences(
            of: "version: 1",
            with: "version: 2"
        )
        _ = try directory.write("test-form.yaml", bumped)
        let fixed = try FormRegistry.load(directory: directory.path)
        #expect(fixed.checkAgainstRecorded(recorded).isEmpty)
        #expect(fixed.current(id: "test-form")?.version == 2)
        #expect(fixed.definition(id: "test-form", version: 1)?.question(id: "colour")?.label.en == "Which colour?")
    }

    @Test("a recorded version with no definition is reported")
    func missingRecordedVersion() throws {
        let directory = try TemporaryDirectory()
        _ = try directory.write("test-form.yaml", minimalForm)
        let registry = try FormRegistry.load(directory: directory.path)
        let problems = registry.checkAgainstRecorded([RecordedFormVersion(id: "test-form", version: 7, fingerprint: "fnv1a64:0")])
        #expect(
            problems.map(\.message) == [
                "answers exist for form 'test-form' version 7, but no definition of that version is loaded: restore it as test-form.v7.yaml"
            ]
        )
    }

    @Test("a file whose name does not match its id or version is refused")
    func fileName() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("other-name.yaml", minimalForm)
        let problems = FormLoader.check(paths: [file])
        #expect(problems.count == 1)
        #expect(problems.first?.message.hasPrefix("the file name does not match the definition: name it test-form.yaml") == true)
        let archived = try directory.write("test-form.v3.yaml", minimalForm)
        #expect(FormLoader.check(paths: [archived]).count == 1)
    }

    @Test("the same id and version in two files is refused")
    func duplicateVersion() throws {
        let directory = try TemporaryDirectory()
        _ = try directory.write("test-form.yaml", minimalForm)
        _ = try directory.write("test-form.v1.yaml", minimalForm)
        let problems = FormLoader.check(paths: [directory.path])
        #expect(problems.count == 1)
        #expect(problems.first?.message.contains("form 'test-form' version 1 is also defined in") == true)
    }

    @Test("one bad file stops the whole folder loading, with that file's problems")
    func badFileStopsLoading() throws {
        let directory = try TemporaryDirectory()
        _ = try directory.write("test-form.yaml", minimalForm)
        let bad = try directory.write("broken.yaml", "id: broken\nversion: [\n")
        #expect(throws: FormLoadError.self) { try FormRegistry.load(directory: directory.path) }
        let problems = FormLoader.check(paths: [directory.path])
        #expect(problems.allSatisfy { $0.file == bad })
        #expect(problems.first?.message.hasPrefix("YAML syntax error") == true)
    }
}

@Suite("Codebook problems")
struct CodebookProblemTests {
    static let codebook = """
        id: survey
        version: 1
        kind: codebook
        title: {en: Survey, cy: Arolwg}
        languages: [en, cy]
        translation_status: test
        applies_to_years: [2013]
        weight_variable: weight
        missing_codes:
          - {code: "9", meaning: missing, label: {en: Missing, cy: Ar goll}}
        variables:
          - id: q01
            label: {en: Respect, cy: Parch}
            type: code
            role: question
            measure: relationship
            outcome: delivering_the_sentence
            missing: ["9"]
            codes:
              - {code: "1", label: {en: Agree, cy: Cytuno}, positive: true}
              - {code: "2", label: {en: Disagree, cy: Anghytuno}}
          - id: weight
            label: {en: Weight, cy: Pwysiad}
            type: decimal
            role: weight
        """

    @Test("a valid codebook loads with its variables and positive codes")
    func loads() throws {
        let form = try definition(Self.codebook)
        let codebook = try #require(form.codebook)
        #expect(codebook.variable(id: "q01")?.positiveCodes == ["1"])
        #expect(codebook.appliesToYears == [2013])
    }

    @Test("a missing code a variable lists must be declared")
    func undeclaredMissing() {
        let found = problems(Self.codebook.replacingOccurrences(of: "missing: [\"9\"]", with: "missing: [\"8\"]"))
        #expect(found.map(\.message) == ["variable 'q01' lists missing code '8', which is not in 'missing_codes'"])
        #expect(found.first?.line == 18)
    }

    @Test("a question variable without a measure is refused")
    func questionNeedsMeasure() {
        let found = problems(Self.codebook.replacingOccurrences(of: "    measure: relationship\n", with: ""))
        #expect(found.map(\.message) == ["variable 'q01' is a question but has no 'measure'"])
    }

    @Test("a weight variable that does not exist is refused")
    func unknownWeight() {
        let found = problems(Self.codebook.replacingOccurrences(of: "weight_variable: weight", with: "weight_variable: wt"))
        #expect(found.map(\.message) == ["'weight_variable' names 'wt', which is not a variable of this codebook"])
        #expect(found.first?.line == 8)
    }

    @Test("a codebook does not accept pages, nor a questionnaire variables")
    func keysDependOnKind() throws {
        let found = problems(Self.codebook.replacingOccurrences(of: "applies_to_years: [2013]", with: "applies_to_years: [2013]\npages: []"))
        try #require(found.count == 1)
        #expect(found[0].message.hasPrefix("unknown key 'pages' in the form; allowed keys are id, version, kind"))
        #expect(found[0].line == 8)
    }
}
