import Domain
import Forms
import Foundation
import Logging
import Postgres

/// `stakeholder-views dev seed-demo`: a demonstration inspection with everything its report needs, so a newcomer
/// sees a full report within minutes. Idempotent: running it again reuses what exists and resets the demo passwords.
public enum ReportDemo {
    /// What was made, for the command to print.
    public struct Summary: Sendable {
        public let inspectionID: Int
        /// (role, email, one-time password).
        public let accounts: [(role: String, email: String, password: String)]
        public let links: Int
        public let responses: Int
        public let surveyYears: [Int]
        /// The demonstration programme, when asked for (`--programme`).
        public var programme: ProgrammeDemo.Summary?
    }

    static let codebookID = "service-user-survey"

    /// Seeds the demo against the configured database.
    public static func seed(_ configuration: AppConfiguration, logger: Logger, programme: Bool = false) async throws -> Summary {
        let environment = ProcessInfo.processInfo.environment
        let secrets = try LinkSecrets.load(environment: environment, dataDirectory: configuration.dataDirectory)
        let forms = try FormRegistry.load(directory: configuration.formsDirectory)
        let policy = try PasswordPolicy.load(path: configuration.commonPasswordsFile)
        return try await CommandDatabase.with(configuration, autoMigrate: true, logger: logger) { client in
            var summary = try await seed(client, configuration: configuration, forms: forms, policy: policy, secrets: secrets, logger: logger)
            if programme {
                let inspector = try await client.query("SELECT id FROM staff_user WHERE email = 'demo-inspector@example.gov.uk'").first?.decode(
                    "id",
                    as: Int.self
                )
                summary.programme = try await ProgrammeDemo.seed(
                    client,
                    forms: forms,
                    rules: configuration.disclosureRules,
                    secrets: secrets,
                    author: inspector,
                    today: LocalDate(Date()),
                    now: Date()
                )
            }
            return summary
        }
    }

    /// Seeds the demo through `client` (tests call this directly).
    public static func seed(
        _ client: PostgresClient,
        configuration: AppConfiguration,
        forms: FormRegistry,
        policy: PasswordPolicy,
        secrets: LinkSecrets,
        logger: Logger,
        now: Date = Date(),
        passwords: (() -> String)? = nil
    ) async throws -> Summary {
        let (inspection, providerA) = try await DemoData.demoInspection(client, title: "Demonstration report")
        let area = try await client.query("SELECT area_id FROM inspection WHERE id = \(inspection)")[0].decode("area_id", as: Int.self)
        let providerB = try await client.query(
            """
            INSERT INTO provider (code, name, kind, area_id, valid_from)
            VALUES ('DEMO-CRC', 'Demonstration CRC', 'crc', \(area), '2014-06-01')
            ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name RETURNING id
            """
        )[0].decode("id", as: Int.self)
        try await client.execute(
            "INSERT INTO inspection_provider (inspection_id, provider_id) VALUES (\(inspection), \(providerB)) ON CONFLICT DO NOTHING"
        )

        for provider in [providerA, providerB] {
            try await client.execute(
                """
                INSERT INTO organisation (kind, name, provider_id) SELECT 'provider', name, id FROM provider WHERE id = \(provider)
                ON CONFLICT (provider_id) DO NOTHING
                """
            )
        }

        // Accounts, each with a new one-time password.
        let accounts = Accounts(
            configuration: configuration,
            database: client,
            passwordPolicy: policy,
            throttlePolicy: ThrottlePolicy(),
            now: { now }
        )
        let commandLine = AccountsCommandLine(accounts: accounts)
        var made: [(role: String, email: String, password: String)] = []
        for (role, email, name, provider) in [
            (Role.admin, "demo-admin@example.gov.uk", "Demo Administrator", nil as String?),
            (.inspector, "demo-inspector@example.gov.uk", "Demo Inspector", nil),
            (.vlo, "demo-vlo@example.gov.uk", "Demo VLO", "DEMO-NPS"),
        ] {
            let password = passwords?() ?? SecretToken.generate()
            if try await client.query("SELECT 1 FROM staff_user WHERE email = \(email)").isEmpty {
                _ = try await commandLine.createUser(email: email, displayName: name, role: role, providerCode: provider, password: password)
            } else {
                try await commandLine.setPassword(email: email, password: password)
            }
            try await client.execute("UPDATE staff_user SET must_change_password = true WHERE email = \(email)")
            made.append((role.rawValue, email, password))
        }
        let inspector = try await client.query("SELECT id FROM staff_user WHERE email = 'demo-inspector@example.gov.uk'")[0].decode(
            "id",
            as: Int.self
        )
        try await InspectionStore(database: client).assign(inspectionID: inspection, inspectors: [inspector], lead: inspector)

        // Links: 60 for one provider, 40 for the other, moved along deterministically.
        let existing = try await client.query("SELECT count(*) AS n FROM invitation WHERE inspection_id = \(inspection)")[0].decode("n", as: Int.self)
        if existing == 0 {
            let store = InvitationStore(database: client, secrets: secrets)
            for (provider, count) in [(providerA, 60), (providerB, 40)] {
                _ = try await store.issue(
                    inspectionID: inspection,
                    providerID: provider,
                    issuedBy: nil,
                    count: count,
                    reference: "demo",
                    language: "en",
                    now: now
                )
            }
            try await client.execute(
                """
                WITH ranked AS (SELECT id, provider_id, row_number() OVER (PARTITION BY provider_id ORDER BY id) AS k FROM invitation
                                WHERE inspection_id = \(inspection))
                UPDATE invitation i SET
                    opened_at = CASE WHEN r.k <= 48 THEN i.issued_at END,
                    started_at = CASE WHEN r.k <= 42 THEN i.issued_at END,
                    submitted_at = CASE WHEN r.k <= 32 AND r.k > 2 THEN i.issued_at END,
                    submitted_language = CASE WHEN r.k <= 32 AND r.k > 2 THEN 'en' END,
                    withdrawn_at = CASE WHEN r.k <= 2 THEN i.issued_at END,
                    status = CASE WHEN r.k <= 2 THEN 'withdrawn' WHEN r.k <= 32 THEN 'submitted' WHEN r.k <= 42 THEN 'in_progress'
                                  WHEN r.k <= 48 THEN 'opened' ELSE 'issued' END
                FROM ranked r WHERE r.id = i.id
                """
            )
        }

        // Victim responses: one per submitted link, answers drawn with a fixed seed, written straight to the reporting
        // table as if released (demo data is made up: there is no one to protect, and the golden report stays fixed).
        var responses = try await client.query("SELECT count(*) AS n FROM victim_response WHERE inspection_id = \(inspection)")[0].decode(
            "n",
            as: Int.self
        )
        if responses == 0, let form = forms.current(id: StakeholderReport.victimFormID) {
            var random = DemoRandom(seed: 20_261_126)
            let submitted = try await client.query(
                "SELECT provider_id FROM invitation WHERE inspection_id = \(inspection) AND status = 'submitted' ORDER BY id"
            )
            for (index, row) in submitted.enumerated() {
                let provider = try row.decode("provider_id", as: Int.self)
                try await client.execute(
                    """
                    INSERT INTO victim_response (inspection_id, provider_id, form_id, form_version, channel, answers, withdrawal_key)
                    VALUES (\(inspection), \(provider), \(form.id), \(form.version), 'online',
                            \(answers(form, &random))::jsonb || \(freeText(index))::jsonb,
                            sha256(gen_random_uuid()::text::bytea))
                    """
                )
                responses += 1
            }
        }

        // Three final sentencer meetings (by role and count only), unless the demo already has some.
        let meetings = try await client.query("SELECT count(*) AS n FROM sentencer_meeting WHERE inspection_id = \(inspection)")[0].decode(
            "n",
            as: Int.self
        )
        if meetings == 0, let schedule = forms.current(id: StakeholderReport.sentencerFormID) {
            try await seedMeetings(client, inspection: inspection, schedule: schedule, author: inspector, now: now)
        }

        // Two years of synthetic survey imports, and the demo area's provider code.
        var years: [Int] = []
        if let codebook = forms.current(id: codebookID) {
            try await client.execute(
                """
                INSERT INTO service_user_provider_area (codebook_id, provider_code, area_id) VALUES (\(codebookID), '30', \(area))
                ON CONFLICT DO NOTHING
                """
            )
            for (index, year) in (codebook.codebook?.appliesToYears.suffix(2) ?? []).enumerated() {
                years.append(year)
                let imported = try await client.query(
                    "SELECT 1 FROM service_user_import_batch WHERE codebook_id = \(codebookID) AND survey_year = \(year) AND status = 'current'"
                )
                guard imported.isEmpty, let book = codebook.codebook else { continue }
                let path = FileManager.default.temporaryDirectory.appendingPathComponent("sv-demo-survey-\(year)-\(UUID().uuidString).csv").path
                guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else { continue }
                defer { try? FileManager.default.removeItem(atPath: path) }
                try SurveyGenerator(codebook: book, options: .init(rows: 7000, year: year, seed: UInt64(index + 11))).write(to: handle)
                try handle.close()
                let request = SurveyImportRequest(
                    path: path,
                    fileName: "demo-\(year).csv",
                    year: year,
                    codebook: codebook,
                    maxBytes: configuration.importMaxUploadBytes,
                    actor: SurveyImportActor(userID: nil, name: "cli:seed-demo")
                )
                _ = try await SurveyImporter(database: client, logger: logger).run(request)
            }
        }
        return Summary(
            inspectionID: inspection,
            accounts: made,
            links: try await client.query(
                "SELECT count(*) AS n FROM invitation WHERE inspection_id = \(inspection)"
            )[0].decode("n", as: Int.self),
            responses: responses,
            surveyYears: years
        )
    }

    /// Three final meetings with ratings, notes and a quote, written as the sentencer pages would store them.
    static func seedMeetings(
        _ client: PostgresClient,
        inspection: Int,
        schedule: FormDefinition,
        author: Int,
        now: Date,
        on day: LocalDate? = nil
    ) async throws {
        let date: LocalDate
        if let day {
            date = day
        } else {
            date = try await client.query("SELECT greatest(announced_on, current_date - 3) AS d FROM inspection WHERE id = \(inspection)")[0].decode(
                "d"
            )
        }
        let plans: [(format: String, court: String, roles: [(String, Int)], ratings: [String])] = [
            (
                "bench_group", "magistrates", [("lay_magistrate", 6), ("bench_chair", 1), ("legal_adviser", 1)],
                [
                    "fairly_confident", "very_confident", "fairly_confident", "not_very_confident", "fairly_confident", "not_very_confident",
                    "fairly_confident",
                ]
            ),
            (
                "one_to_one", "crown", [("resident_judge", 1)],
                ["very_confident", "fairly_confident", "fairly_confident", "fairly_confident", "not_very_confident", "no_view", "fairly_confident"]
            ),
            (
                "liaison_meeting", "both", [("district_judge", 1), ("lay_magistrate", 3), ("legal_adviser", 2)],
                [
                    "fairly_confident", "fairly_confident", "not_very_confident", "not_very_confident", "fairly_confident", "fairly_confident",
                    "fairly_confident",
                ]
            ),
        ]
        for plan in plans {
            try await client.withTransaction { connection in
                let id = try await connection.query(
                    """
                    INSERT INTO sentencer_meeting (inspection_id, form_id, form_version, status, revision, answers, meeting_date, meeting_format,
                        meeting_mode, court_type, court_name, week_plus_two, created_by, created_at, updated_by, updated_at, finalised_by, finalised_at)
                    VALUES (\(inspection), \(schedule.id), \(schedule.version), 'final', 1, '{}'::jsonb, \(date), \(plan.format), 'in_person',
                        \(plan.court), 'Demonstration court', false, \(author), \(now), \(author), \(now), \(author), \(now))
                    RETURNING id
                    """
                )[0].decode("id", as: Int.self)
                for (role, count) in plan.roles {
                    try await connection.execute(
                        "INSERT INTO sentencer_meeting_attendance (meeting_id, role, attendees) VALUES (\(id), \(role), \(count))"
                    )
                }
                for (index, rating) in plan.ratings.enumerated() {
                    let topic = "t\(index + 1)"
                    let evidence: String? = index == 0 ? "Reports are clear; proposals sometimes unrealistic for the court's options." : nil
                    let quote: String? = index == 2 && plan.format == "bench_group" ? "Unpaid work starts quickly now." : nil
                    try await connection.execute(
                        """
                        INSERT INTO sentencer_meeting_topic (meeting_id, topic, rating, views_divided, evidence, quote, quote_role)
                        VALUES (\(id), \(topic), \(rating), \(plan.format != "one_to_one" && index == 3), \(evidence), \(quote),
                                \(quote == nil ? nil : "bench_chair"))
                        """
                    )
                }
                try await connection.execute(
                    """
                    INSERT INTO sentencer_meeting_revision (meeting_id, revision, status, answers, changed_fields, saved_by, saved_at)
                    VALUES (\(id), 1, 'final', '{}'::jsonb, '{}', \(author), \(now))
                    """
                )
            }
        }
    }

    /// Plausible answers: mostly positive, some not, some left out; free text never (the demo has none to review).
    /// Free text for every third demo response, from a fixed list (so the other answers, drawn at random, stay as
    /// they were): something to review, redact and quote.
    static func freeText(_ index: Int) -> String {
        let helped = [
            "My VLO Sam rang me before every parole hearing.", "Being told about the licence conditions in plain words.",
            "She always called back the same day.", "Knowing who to call.", "The letter explained the choices clearly.",
        ]
        let change = [
            "Tell us sooner when he moves prison.", "Nothing, it was fine.", "I had to chase for news of the release date.",
            "Fewer changes of VLO.",
        ]
        guard index % 3 == 0 else { return "{}" }
        let n = index / 3
        return #"{"v19_helped_most":{"text":"\#(helped[n % helped.count])"},"v20_should_change":{"text":"\#(change[n % change.count])"}}"#
    }

    static func answers(_ form: FormDefinition, _ random: inout DemoRandom) -> String {
        var parts: [String] = []
        var chosen: [String: String] = [:]
        for question in form.questions where question.type.hasOptions && question.type != .multipleChoice {
            if let condition = question.showWhen, !condition.anyOf.contains(chosen[condition.question] ?? "") { continue }
            if random.unit() < 0.08 { continue }
            let positive = question.options.filter(\.positive)
            let other = question.options.filter { !$0.positive }
            let pick = random.unit() < 0.72 && !positive.isEmpty ? positive : (other.isEmpty ? question.options : other)
            let option = pick[Int(random.next() % UInt64(pick.count))]
            chosen[question.id] = option.code
            parts.append("\"\(question.id)\":{\"codes\":[\"\(option.code)\"]}")
        }
        return "{" + parts.joined(separator: ",") + "}"
    }
}

/// A small deterministic generator (SplitMix64) for demo answers.
struct DemoRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
