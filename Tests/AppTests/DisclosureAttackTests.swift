import Domain
import Forms
import Foundation
import Operations
import Postgres
import Testing
import Web

/// An inspector who reads every report there is — every area's, each once the others exist — and solves what the
/// figures imply together.
///
/// For generated data with small cells (four areas with an inspection each, two providers each, 0 to 40 responses
/// and links per provider, two survey years of small bases in every area and outside them), it downloads every
/// report's JSON export as an administrator (who may read them all), turns every figure into a linear equation over
/// the counts behind it (cells, published totals, the national figure, percentages with their bases, the public
/// facts such as "every response answers a single-answer question once or not at all"), and asks a linear program
/// for the smallest and largest value each hidden (`[c]`) figure can take. A hidden figure that is determined, or
/// boxed into a range narrower than the suppression threshold, is a disclosure and fails the test.
///
/// The attacker knows the questionnaire and codebook (both public) but not the service's suppression code: the
/// system is built from the exports alone.
@Suite("Disclosure attack: every report's figures solved together")
struct DisclosureAttackTests {
    static let victimFormID = "victim-questionnaire"
    static let codebookID = "service-user-survey"

    @Test(
        "no hidden figure is determined or narrowed below the threshold (and thresholds at their limits, 2 and 100)",
        arguments: [(1, 10), (2, 10), (3, 10), (4, 10), (5, 10), (6, 10), (7, 2), (8, 100)] as [(UInt64, Int)]
    )
    func attack(seed: UInt64, threshold: Int) async throws {
        let configure: (inout AppConfiguration) -> Void = {
            $0.reportSuppressBelow = threshold
            $0.reportLowReliabilityBelow = max(30, threshold)
        }
        try await TestApp.run(configure: configure) { client, app in
            var random = AttackRandom(seed: seed)
            let admin = try await app.signedIn(client, as: .admin)
            let data = try await AttackData.make(app, random: &random)
            var exports: [Int: [String: Any]] = [:]
            for inspection in data.inspections {
                let response = try await admin.get("/inspections/\(inspection)/report.json")
                #expect(response.status == .ok)
                exports[inspection] = try #require(try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any])
            }
            let forms = app.dependencies.forms
            let attack = Attack(
                exports: exports,
                form: try #require(forms.current(id: Self.victimFormID)),
                codebook: try #require(forms.current(id: Self.codebookID)?.codebook),
                threshold: app.dependencies.configuration.disclosureRules.suppressBelow
            )
            let findings = attack.findings()
            #expect(attack.hiddenFigures > 0, "the data must have hidden figures for the attack to mean anything")
            #expect(
                findings.isEmpty,
                "seed \(seed): \(findings.count) of \(attack.hiddenFigures) hidden figures disclosed:\n\(findings.prefix(12).joined(separator: "\n"))"
            )
        }
    }
}

/// A seeded generator (SplitMix64).
struct AttackRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed &* 0x2545_F491_4F6C_DD1D }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// 0 ..< bound.
    mutating func below(_ bound: Int) -> Int { bound <= 0 ? 0 : Int(next() % UInt64(bound)) }
    /// A small count: zero a fifth of the time, else 1 to `high`.
    mutating func small(_ high: Int) -> Int { below(5) == 0 ? 0 : 1 + below(high) }
}

/// The generated data.
struct AttackData {
    var inspections: [Int] = []

    static func make(_ app: TestApp, random: inout AttackRandom) async throws -> AttackData {
        var data = AttackData()
        let dates = InspectionDates(
            announcedOn: try #require(LocalDate(iso: "2026-10-01")),
            fieldworkStartsOn: try #require(LocalDate(iso: "2026-12-07")),
            weekPlusTwoOn: try #require(LocalDate(iso: "2026-12-21")),
            victimWindowOpensOn: try #require(LocalDate(iso: "2026-11-09")),
            victimWindowClosesOn: try #require(LocalDate(iso: "2026-12-21"))
        )
        let store = InvitationStore(database: app.db, secrets: testLinkSecrets)
        var batches: [Int: Int] = [:]
        for year in [2013, 2014] {
            batches[year] = try await app.db.query(
                """
                INSERT INTO service_user_import_batch (codebook_id, codebook_version, survey_year, file_name, file_sha256, file_bytes,
                    file_encoding, variables, rows_read, rows_imported, rows_rejected, accepted_valid_rows, status, actor, started_at)
                VALUES ('service-user-survey', 1, \(year), 'attack.csv', \(String(repeating: String(year % 10), count: 64)), 1, 'utf-8',
                    '{q01,q02}', 0, 0, 0, true, 'current', 'test', now())
                RETURNING id
                """
            )[0].decode("id", as: Int.self)
            try await app.db.execute("INSERT INTO service_user_summary_batch (batch_id, variables) VALUES (\(batches[year]!), '{q01,q02}')")
        }
        for a in 1...4 {
            let area = try await app.db.query(
                "INSERT INTO area (code, name, country, valid_from) VALUES (\("AR\(a)"), \("Area \(a)"), 'england', '2014-06-01') RETURNING id"
            )[0].decode("id", as: Int.self)
            var providers: [Int] = []
            for kind in ["nps", "crc"] {
                providers.append(
                    try await app.db.query(
                        """
                        INSERT INTO provider (code, name, kind, area_id, valid_from)
                        VALUES (\("P\(a)\(kind.uppercased())"), \("Provider \(a) \(kind)"), \(kind), \(area), '2014-06-01') RETURNING id
                        """
                    )[0].decode("id", as: Int.self)
                )
            }
            let inspection = try await InspectionStore(database: app.db).create(
                title: "Area \(a)",
                areaID: area,
                providerIDs: providers,
                dates: dates
            )
            data.inspections.append(inspection)
            for provider in providers {
                let issued = random.below(5) == 0 ? 0 : random.below(41)
                if issued > 0 {
                    _ = try await store.issue(
                        inspectionID: inspection,
                        providerID: provider,
                        issuedBy: nil,
                        count: issued,
                        reference: nil,
                        language: "en",
                        now: app.clock.now
                    )
                    let opened = random.below(issued + 1)
                    let started = random.below(opened + 1)
                    try await app.db.execute(
                        """
                        UPDATE invitation SET opened_at = now(), status = 'opened'
                        WHERE id IN (SELECT id FROM invitation WHERE provider_id = \(provider) ORDER BY id LIMIT \(opened))
                        """
                    )
                    try await app.db.execute(
                        """
                        UPDATE invitation SET started_at = now(), status = 'in_progress'
                        WHERE id IN (SELECT id FROM invitation WHERE provider_id = \(provider) ORDER BY id LIMIT \(started))
                        """
                    )
                }
                let responses = random.below(5) == 0 ? 0 : random.below(41)
                for _ in 0..<responses {
                    var answers: [String] = []
                    let v5 = ["yes", "yes", "yes", "no", "not_sure", ""][random.below(6)]
                    if !v5.isEmpty { answers.append(#""v5_named_vlo": {"codes": ["\#(v5)"]}"#) }
                    let v6 = ["strongly_agree", "agree", "agree", "disagree", ""][random.below(5)]
                    if !v6.isEmpty { answers.append(#""v6_scheme_explained": {"codes": ["\#(v6)"]}"#) }
                    if random.below(3) > 0 { answers.append(#""v19_helped_most": {"text": "words"}"#) }
                    try await app.db.execute(
                        """
                        INSERT INTO victim_response (inspection_id, provider_id, form_id, form_version, channel, answers)
                        VALUES (\(inspection), \(provider), 'victim-questionnaire', 1, 'paper', \("{" + answers.joined(separator: ",") + "}")::jsonb)
                        """
                    )
                }
            }
            // Themes (issue 19): two per inspection; some free-text answers reviewed, each tagged with some themes.
            var themes: [Int] = []
            for name in ["Kept informed", "Delays"] {
                themes.append(
                    try await app.db.query(
                        "INSERT INTO inspection_theme (inspection_id, name, position) VALUES (\(inspection), \(name), \(themes.count + 1)) RETURNING id"
                    )[0].decode("id", as: Int.self)
                )
            }
            let reviewer = try await app.db.query("SELECT min(id) AS id FROM staff_user")[0].decode("id", as: Int.self)
            let free = try await app.db.query(
                "SELECT id::text AS id FROM victim_response WHERE inspection_id = \(inspection) AND answers ? 'v19_helped_most' ORDER BY id"
            ).map { try $0.decode("id", as: String.self) }
            for response in free where random.below(4) > 0 {
                try await app.db.execute(
                    """
                    INSERT INTO victim_free_text_review (response_id, question_id, redacted_text, redactions, reviewed_by, reviewed_at)
                    VALUES (\(response)::uuid, 'v19_helped_most', 'words', 0, \(reviewer), now())
                    """
                )
                for theme in themes where random.below(3) == 0 {
                    try await app.db.execute("INSERT INTO victim_free_text_theme VALUES (\(response)::uuid, 'v19_helped_most', \(theme))")
                }
            }
            // The area's survey provider code, and small survey counts in both years.
            try await app.db.execute(
                "INSERT INTO service_user_provider_area (codebook_id, provider_code, area_id) VALUES ('service-user-survey', \("S\(a)"), \(area))"
            )
            for year in [2013, 2014] {
                for variable in ["q01", "q02"] {
                    for code in 1...5 {
                        let n = random.small(a == 1 ? 3 : 9)
                        if n > 0 {
                            try await app.db.execute(
                                "INSERT INTO service_user_summary (batch_id, provider_code, variable, code, n) VALUES (\(batches[year]!), \("S\(a)"), \(variable), \(code), \(n))"
                            )
                        }
                    }
                }
            }
        }
        // People on probation outside the four areas (an unmapped provider code).
        for year in [2013, 2014] {
            for variable in ["q01", "q02"] {
                for code in 1...5 {
                    try await app.db.execute(
                        "INSERT INTO service_user_summary (batch_id, provider_code, variable, code, n) VALUES (\(batches[year]!), 'ELSEWHERE', \(variable), \(code), \(1 + random.below(30)))"
                    )
                }
            }
        }
        return data
    }
}

/// Builds the linear system the exports imply and bounds every hidden figure.
struct Attack {
    let exports: [Int: [String: Any]]
    let form: FormDefinition
    let codebook: Codebook
    let threshold: Int

    private(set) var equations: [LinearBounds.Equation] = []
    private(set) var variableCount = 0
    /// Hidden figures: a description and the atoms it sums.
    private(set) var hidden: [(String, [Int])] = []

    var hiddenFigures: Int { hidden.count }

    init(exports: [Int: [String: Any]], form: FormDefinition, codebook: Codebook, threshold: Int) {
        self.exports = exports
        self.form = form
        self.codebook = codebook
        self.threshold = threshold
        build()
    }

    mutating func atoms(_ n: Int) -> [Int] {
        variableCount += n
        return Array((variableCount - n)..<variableCount)
    }

    /// What a cell says: a count, a percentage, hidden, or nothing (text or `[x]`).
    enum Cell {
        case count(Double)
        case percent(Double)
        case hidden
        case other
    }

    static func cell(_ value: Any?) -> Cell {
        if let number = value as? NSNumber { return .count(number.doubleValue) }
        if let object = value as? [String: Any] {
            if let percent = object["percent"] as? NSNumber { return .percent(percent.doubleValue) }
            if object["flag"] as? String == "c" { return .hidden }
        }
        return .other
    }

    /// A figure: an equation when shown, a target when hidden.
    mutating func figure(_ name: String, _ atoms: [Int], _ cell: Cell) {
        switch cell {
        case .count(let value):
            equations.append(LinearBounds.Equation(Dictionary(atoms.map { ($0, 1.0) }, uniquingKeysWith: +), value))
            if value > 0 && value < Double(threshold) { smallShown.append("\(name) is shown as \(Int(value))") }
        case .hidden: hidden.append((name, atoms))
        default: break
        }
    }

    /// A percentage `percent` of `base` (a shown count) gives its numerator (to 0.1 points: exact for bases up to 1,000).
    mutating func share(_ name: String, _ numerator: [Int], percent: Cell, base: Cell) {
        if case .percent(let p) = percent, case .count(let b) = base {
            equations.append(LinearBounds.Equation(Dictionary(numerator.map { ($0, 1.0) }, uniquingKeysWith: +), (p * b / 100).rounded()))
        } else if case .hidden = percent {
            hidden.append((name, numerator))
        }
    }

    static func tables(_ export: [String: Any]) -> [String: [[String: Any]]] {
        var out: [String: [[String: Any]]] = [:]
        for table in export["tables"] as? [[String: Any]] ?? [] {
            out[table["name"] as? String ?? ""] = table["rows"] as? [[String: Any]] ?? []
        }
        return out
    }

    mutating func build() {
        // People on probation, per variable and year: atoms (positive, other in base) per area seen, and the rest.
        var survey: [String: (areas: [String: (Int, Int)], rest: (Int, Int))] = [:]
        func surveyAtoms(_ key: String, _ area: String, _ attack: inout Attack) -> (areas: [String: (Int, Int)], rest: (Int, Int)) {
            if survey[key] == nil {
                let rest = attack.atoms(2)
                survey[key] = (areas: [:], rest: (rest[0], rest[1]))
            }
            var entry = survey[key]!
            if entry.areas[area] == nil {
                let a = attack.atoms(2)
                entry.areas[area] = (a[0], a[1])
            }
            survey[key] = entry
            return entry
        }
        for (inspection, export) in exports.sorted(by: { $0.key < $1.key }) {
            let tables = Self.tables(export)
            let area = (export["report"] as? [String: Any])?["area"] as? String ?? "inspection \(inspection)"
            // Links: per provider five disjoint atoms (never opened, opened not started, started not submitted,
            // submitted not withdrawn, withdrawn) and responses.
            var responseAtoms: [Int] = []
            var columnAtoms: [String: [Int]] = [:]
            var totalRow: [String: Any]?
            for row in tables["victims_links"] ?? [] {
                let provider = row["provider"] as? String ?? "?"
                if provider.hasPrefix("All providers") {
                    totalRow = row
                    continue
                }
                let funnel = atoms(5)
                let responses = atoms(1)
                responseAtoms += responses
                let columns: [(String, [Int])] = [
                    ("links_issued", funnel), ("links_opened", Array(funnel[1...])), ("links_started", Array(funnel[2...])),
                    ("links_submitted", Array(funnel[3...])), ("links_withdrawn", [funnel[4]]), ("responses", responses),
                ]
                for (column, sum) in columns {
                    figure("\(area) \(provider) \(column)", sum, Self.cell(row[column]))
                    columnAtoms[column, default: []] += sum
                }
                share(
                    "\(area) \(provider) responses (from the rate)",
                    responses,
                    percent: Self.cell(row["response_rate"]),
                    base: Self.cell(row["links_issued"])
                )
            }
            if let totalRow {
                for (column, sum) in columnAtoms { figure("\(area) all providers \(column)", sum, Self.cell(totalRow[column])) }
            }
            // Victims' questions: an atom per option and one for "no answer"; every response is in exactly one.
            let measures = Dictionary(
                (tables["victims_measures"] ?? []).map { ($0["question_id"] as? String ?? "", $0) },
                uniquingKeysWith: { a, _ in a }
            )
            for question in form.questions where question.type.hasOptions && question.type != .multipleChoice {
                let rows = (tables["victims_distribution"] ?? []).filter { $0["question_id"] as? String == question.id }
                guard !rows.isEmpty, !responseAtoms.isEmpty else { continue }
                let options = atoms(question.options.count)
                let none = atoms(1)
                var terms = Dictionary(responseAtoms.map { ($0, 1.0) }, uniquingKeysWith: +)
                for a in options + none { terms[a, default: 0] -= 1 }
                equations.append(LinearBounds.Equation(terms, 0))
                let baseAtoms = question.options.indices.filter { !question.options[$0].excludedFromBase }.map { options[$0] }
                let positiveAtoms = question.options.indices.filter { question.options[$0].positive }.map { options[$0] }
                let measure = measures[question.id]
                let base: Cell = measure.map { Self.cell($0["base"]) } ?? .other
                if let measure {
                    figure("\(area) \(question.id) base", baseAtoms, base)
                    share("\(area) \(question.id) positive", positiveAtoms, percent: Self.cell(measure["percent_positive"]), base: base)
                }
                for (index, option) in question.options.enumerated() {
                    guard let row = rows.first(where: { $0["option_code"] as? String == option.code }) else { continue }
                    figure("\(area) \(question.id) \(option.code)", [options[index]], Self.cell(row["count"]))
                    if !option.excludedFromBase, case .percent = Self.cell(row["percent"]) {
                        share("\(area) \(question.id) \(option.code) (from %)", [options[index]], percent: Self.cell(row["percent"]), base: base)
                    }
                }
            }
            // Themes: the free-text answers are part of the responses, the reviewed ones part of those, and each
            // theme's tagged answers part of the reviewed ones.
            let themeRows = tables["victims_themes"] ?? []
            for question in form.questions where question.type == .freeText {
                let rows = themeRows.filter { $0["question_id"] as? String == question.id }
                guard let first = rows.first, !responseAtoms.isEmpty else { continue }
                let (answered, none) = (atoms(1), atoms(1))
                var terms = Dictionary(responseAtoms.map { ($0, 1.0) }, uniquingKeysWith: +)
                for a in answered + none { terms[a, default: 0] -= 1 }
                equations.append(LinearBounds.Equation(terms, 0))
                let (reviewed, unreviewed) = (atoms(1), atoms(1))
                equations.append(LinearBounds.Equation([answered[0]: 1, reviewed[0]: -1, unreviewed[0]: -1], 0))
                let base = Self.cell(first["reviewed_answers"])
                figure("\(area) \(question.id) reviewed", reviewed, base)
                for row in rows {
                    let theme = row["theme"] as? String ?? "?"
                    let (tagged, rest) = (atoms(1), atoms(1))
                    equations.append(LinearBounds.Equation([reviewed[0]: 1, tagged[0]: -1, rest[0]: -1], 0))
                    figure("\(area) \(question.id) theme \(theme)", tagged, Self.cell(row["answers_tagged"]))
                    share("\(area) \(question.id) theme \(theme) (from %)", tagged, percent: Self.cell(row["percent_of_reviewed"]), base: base)
                }
            }
            // People on probation: the area's base and % positive per year, and the national figure.
            let latest = (tables["service_users_measures"] ?? []).first?["year"] as? String
            for row in tables["service_users_measures"] ?? [] {
                guard let variable = row["question_id"] as? String, let year = row["year"] as? String else { continue }
                let key = "\(variable) \(year)"
                let entry = surveyAtoms(key, area, &self)
                let own = entry.areas[area]!
                let base = Self.cell(row["base"])
                figure("\(area) survey \(key) base", [own.0, own.1], base)
                share("\(area) survey \(key) positive", [own.0], percent: Self.cell(row["percent_positive"]), base: base)
                // National: all other areas, or all areas when the export says so.
                let scope = row["national_scope"] as? String ?? "all other areas"
                pendingNational.append((key, area, scope, Self.cell(row["national_base"]), Self.cell(row["national_percent_positive"])))
            }
            for row in tables["service_users_trend"] ?? [] {
                guard let variable = row["question_id"] as? String, let year = row["year"] as? String, year != latest else { continue }
                let key = "\(variable) \(year)"
                let entry = surveyAtoms(key, area, &self)
                let own = entry.areas[area]!
                let base = Self.cell(row["base"])
                figure("\(area) survey \(key) base", [own.0, own.1], base)
                share("\(area) survey \(key) positive", [own.0], percent: Self.cell(row["percent_positive"]), base: base)
            }
        }
        // National figures last, once every area seen has its atoms.
        for (key, area, scope, base, percent) in pendingNational {
            guard let entry = survey[key] else { continue }
            let others = entry.areas.filter { scope == "all areas" || $0.key != area }.values
            let baseAtoms = others.flatMap { [$0.0, $0.1] } + [entry.rest.0, entry.rest.1]
            let positiveAtoms = others.map(\.0) + [entry.rest.0]
            figure("\(area) survey \(key) national base", baseAtoms, base)
            share("\(area) survey \(key) national positive", positiveAtoms, percent: percent, base: base)
        }
    }

    private var pendingNational: [(String, String, String, Cell, Cell)] = []
    /// Counts from 1 to the threshold − 1 shown as they are (the primary rule broken).
    private(set) var smallShown: [String] = []

    /// Each hidden figure whose range is narrower than the threshold, described.
    func findings() -> [String] {
        let bounds = LinearBounds(variableCount: variableCount, equations: equations)
        if bounds.isInfeasible { return ["the attacker's system has no solution: the attack model is wrong"] }
        // Atoms shown as cells of their own: a hidden sum made only of them hides nothing that is not shown.
        let shownCells = Set(equations.filter { $0.terms.count == 1 && $0.terms.first?.value == 1 }.compactMap { $0.terms.keys.first })
        var out = smallShown
        for (name, atoms) in hidden where !atoms.allSatisfy(shownCells.contains) {
            guard let range = bounds.range(of: Dictionary(atoms.map { ($0, 1.0) }, uniquingKeysWith: +)) else {
                out.append("\(name): no solution")
                continue
            }
            if range.width < Double(threshold) - 1e-6 {
                let high = range.maximum.map { String(format: "%.1f", $0) } ?? "∞"
                out.append("\(name) is between \(String(format: "%.1f", range.minimum)) and \(high)")
            }
        }
        return out
    }
}

@Suite("Disclosure rules at the edges: empty reports, zeros, one respondent, quotes")
struct DisclosureEdgeTests {
    let rules = DisclosureRules.standard

    @Test("one response: its question shows [c] for every option, zeros included, and no base")
    func oneResponse() throws {
        let d = DisclosedDistribution(counts: [0, 0, 0, 0, 1], positive: [0, 1], excluded: [], partition: true, rules: rules)
        #expect(d.counts.allSatisfy { $0 == .suppressed })
        #expect(d.total == .suppressed && d.positive?.value == .suppressed)
    }

    @Test("no data, all-zero providers, a national total under the threshold: defined output and no division by zero")
    func empty() throws {
        let form = try #require(try FormRegistry.load(directory: projectRoot + "/forms").current(id: "victim-questionnaire"))
        let zero = ReportStore.ProviderLinks(providerID: 1, name: "P", issued: 0, opened: 0, started: 0, submitted: 0, withdrawn: 0, responses: 0)
        for providers in [[], [zero], [zero, zero]] {
            for threshold in [2, 10, 100] {
                let section = VictimsSection(
                    providers: providers,
                    counts: ReportStore.VictimAnswerCounts(),
                    form: form,
                    rules: DisclosureRules(suppressBelow: threshold)
                )
                #expect(section.linksTable.rows.count == (providers.isEmpty ? 0 : providers.count + 1))
                #expect(section.linksTable.rows.allSatisfy { !$0.contains(ReportValue.suppressed) }, "zeros are shown")
                #expect(section.measured.allSatisfy { $0.distribution.positive?.percent == nil })
            }
        }
        // A whole country of 6 people on probation: nothing from the survey is shown, nationally or for the area.
        var counts = ReportStore.SurveyCounts()
        counts.years = [2014]
        counts.areaID = 1
        counts.areas[2014] = [1: ["q01": [1: 1]], 2: ["q01": [1: 3, 4: 2]]]
        let codebook = try FormRegistry.load(directory: projectRoot + "/forms").current(id: "service-user-survey")?.codebook
        let survey = ServiceUsersSection(counts: counts, codebook: codebook, rules: rules)
        let q01 = try #require(survey.questions.first { $0.id == "q01" })
        #expect(q01.area.value == .suppressed && q01.national.value == .suppressed && q01.national.baseValue == .suppressed)
        #expect(q01.difference == nil && q01.inspected.isEmpty)
    }

    @Test("a quote carries only its role group, and a topic shows quotes only when at least three sentencers were met")
    func quotes() {
        var figures = ReportStore.SentencerFigures()
        figures.notes = [
            ("t1", nil, "The reports are late", "resident_judge"), ("t2", "Evidence note", "Good liaison", "resident_judge"),
            ("t3", nil, "Clear advice", "bench_chair"), ("t4", nil, "Helpful", "legal_adviser"),
        ]
        figures.metPerTopic = ["t1": 2, "t2": 3, "t3": 5, "t4": 9]
        let notes = Dictionary(
            uniqueKeysWithValues: SentencersSection(figures: figures, schedule: nil).notesByTopic.map { ($0.topic.prefix(2), $0.items) }
        )
        #expect(notes["T1"] == nil, "two sentencers met: the quote is not shown")
        #expect(notes["T2"] == ["Evidence note", "“Good liaison” (judge)"])
        #expect(notes["T3"] == ["“Clear advice” (magistrate)"])
        #expect(notes["T4"] == ["“Helpful” (legal adviser)"])
        #expect(!notes.values.joined().contains { $0.contains("resident") || $0.contains("chair") })
    }
}
