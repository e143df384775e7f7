import Domain
import Forms
import Foundation
import Logging
import Postgres

/// `stakeholder-views dev seed-demo --programme`: a demonstration programme of eight inspections across different
/// areas, each published through the same store as the publish page (so each leaves its evidence), so that a newcomer
/// sees a programme report within minutes. Idempotent: inspections and the programme are reused by name.
public enum ProgrammeDemo {
    /// What one demonstration inspection is made of.
    struct Plan: Sendable {
        let areaCode: String
        let areaName: String
        let country: String
        /// (code, name, kind, links issued, responses).
        let providers: [(code: String, name: String, kind: String, links: Int, responses: Int)]
        let fieldworkStartsOn: LocalDate
        let seed: UInt64
    }

    static let programmeName = "Demonstration programme 2026 to 2030"

    static func plans(today: LocalDate) -> [Plan] {
        let areas = [
            ("DEMO-P1", "Cymru North", "wales"), ("DEMO-P2", "Cymru South", "wales"), ("DEMO-P3", "Northumbria", "england"),
            ("DEMO-P4", "Merseyside", "england"), ("DEMO-P5", "Avon and Somerset", "england"), ("DEMO-P6", "Kent", "england"),
            ("DEMO-P7", "West Midlands", "england"), ("DEMO-P8", "Cumbria", "england"),
        ]
        return areas.enumerated().map { index, area in
            // Small areas on purpose: the last two have a provider with few responses, so figures are hidden there and
            // the programme report shows inspections left out.
            let small = index >= 6
            return Plan(
                areaCode: area.0,
                areaName: area.1,
                country: area.2,
                providers: [
                    ("\(area.0)-NPS", "\(area.1) NPS", "nps", 80 + 10 * index, small ? 14 : 36 + 3 * index),
                    ("\(area.0)-CRC", "\(area.1) CRC", "crc", 50 + 5 * index, small ? 4 : 20 + 2 * index),
                ],
                fieldworkStartsOn: today.adding(days: -420 + 45 * index),
                seed: 20_261_201 + UInt64(index)
            )
        }
    }

    /// What was made, for the command to print.
    public struct Summary: Sendable {
        public let programmeID: Int
        public let inspections: Int
        public let published: Int
    }

    /// Seeds the demonstration programme through `client`.
    public static func seed(
        _ client: PostgresClient,
        forms: FormRegistry,
        rules: DisclosureRules,
        secrets: LinkSecrets,
        author: Int?,
        today: LocalDate,
        now: Date
    ) async throws -> Summary {
        var ids: [Int] = []
        for (index, plan) in plans(today: today).enumerated() {
            ids.append(
                try await publishedInspection(
                    client,
                    plan: plan,
                    title: "Demonstration programme inspection \(index + 1): \(plan.areaName)",
                    forms: forms,
                    rules: rules,
                    secrets: secrets,
                    author: author,
                    today: today,
                    now: now
                )
            )
        }
        let first = plans(today: today).map(\.fieldworkStartsOn).min() ?? today
        let programme = try await client.query(
            """
            INSERT INTO programme (name, starts_on, ends_on) VALUES (\(programmeName), \(first.adding(days: -30)), \(first.adding(days: 4 * 365)))
            ON CONFLICT (lower(btrim(name))) DO UPDATE SET name = EXCLUDED.name RETURNING id
            """
        )[0].decode("id", as: Int.self)
        for id in ids {
            try await client.execute(
                "INSERT INTO programme_inspection (inspection_id, programme_id) VALUES (\(id), \(programme)) ON CONFLICT DO NOTHING"
            )
        }
        let published = try await client.query(
            """
            SELECT count(*) AS n FROM programme_inspection pi JOIN inspection i ON i.id = pi.inspection_id
            WHERE pi.programme_id = \(programme) AND i.published_on IS NOT NULL
            """
        )[0].decode("n", as: Int.self)
        return Summary(programmeID: programme, inspections: ids.count, published: published)
    }

    /// An inspection of `plan`'s area with links, victims' responses (written as if released, as `ReportDemo` does:
    /// made-up data) and, when there is an `author`, three sentencer meetings; published on the day after week +2
    /// or today, whichever is later. Reused when an inspection of that title and area exists.
    static func publishedInspection(
        _ client: PostgresClient,
        plan: Plan,
        title: String,
        forms: FormRegistry,
        rules: DisclosureRules,
        secrets: LinkSecrets,
        author: Int?,
        today: LocalDate,
        now: Date
    ) async throws -> Int {
        let area = try await client.query(
            """
            INSERT INTO area (code, name, country, valid_from) VALUES (\(plan.areaCode), \(plan.areaName), \(plan.country), '2014-06-01')
            ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name RETURNING id
            """
        )[0].decode("id", as: Int.self)
        var providers: [Int] = []
        for provider in plan.providers {
            let id = try await client.query(
                """
                INSERT INTO provider (code, name, kind, area_id, valid_from) VALUES (\(provider.code), \(provider.name), \(provider.kind), \(area), '2014-06-01')
                ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name RETURNING id
                """
            )[0].decode("id", as: Int.self)
            try await client.execute(
                "INSERT INTO organisation (kind, name, provider_id) VALUES ('provider', \(provider.name), \(id)) ON CONFLICT (provider_id) DO NOTHING"
            )
            providers.append(id)
        }
        if let existing = try await client.query("SELECT id FROM inspection WHERE area_id = \(area) AND title = \(title) ORDER BY id LIMIT 1").first {
            return try existing.decode("id")
        }
        let fieldwork = plan.fieldworkStartsOn
        let dates = InspectionDates(
            announcedOn: fieldwork.adding(days: -60),
            fieldworkStartsOn: fieldwork,
            weekPlusTwoOn: fieldwork.adding(days: 14),
            victimWindowOpensOn: fieldwork.adding(days: -50),
            victimWindowClosesOn: fieldwork.adding(days: 14)
        )
        let inspection = try await InspectionStore(database: client).create(title: title, areaID: area, providerIDs: providers, dates: dates)
        if let author { try await InspectionStore(database: client).assign(inspectionID: inspection, inspectors: [author], lead: author) }
        let store = InvitationStore(database: client, secrets: secrets)
        var random = DemoRandom(seed: plan.seed)
        let form = forms.current(id: StakeholderReport.victimFormID)
        for (provider, shape) in zip(providers, plan.providers) {
            _ = try await store.issue(
                inspectionID: inspection,
                providerID: provider,
                issuedBy: nil,
                count: shape.links,
                reference: "demo",
                language: "en",
                now: now
            )
            try await client.execute(
                """
                WITH ranked AS (SELECT id, row_number() OVER (ORDER BY id) AS k FROM invitation
                                WHERE inspection_id = \(inspection) AND provider_id = \(provider))
                UPDATE invitation i SET opened_at = i.issued_at, started_at = i.issued_at, submitted_at = i.issued_at,
                    submitted_language = 'en', status = 'submitted'
                FROM ranked r WHERE r.id = i.id AND r.k <= \(shape.responses)
                """
            )
            guard let form else { continue }
            for index in 0..<shape.responses {
                try await client.execute(
                    """
                    INSERT INTO victim_response (inspection_id, provider_id, form_id, form_version, channel, answers, withdrawal_key)
                    VALUES (\(inspection), \(provider), \(form.id), \(form.version), 'online',
                            \(ReportDemo.answers(form, &random))::jsonb || \(ReportDemo.freeText(index))::jsonb,
                            sha256(gen_random_uuid()::text::bytea))
                    """
                )
            }
        }
        if let author, let schedule = forms.current(id: StakeholderReport.sentencerFormID) {
            try await ReportDemo.seedMeetings(
                client,
                inspection: inspection,
                schedule: schedule,
                author: author,
                now: now,
                on: fieldwork.adding(days: 2)
            )
        }
        let reports = ReportStore(database: client)
        guard let facts = try await reports.inspection(inspection) else { return inspection }
        let report = try await StakeholderReport.load(inspection: facts, store: reports, forms: forms, rules: rules)
        let publishOn = max(today, dates.weekPlusTwoOn.adding(days: 1))
        _ = try await PublicationStore(database: client).publish(
            inspectionID: inspection,
            report: report,
            publishedBy: author,
            today: publishOn,
            now: now,
            audit: AuditLog(database: client, now: { now }),
            actor: AuditActor(userID: author.map { StaffUser.ID($0) }, address: "command-line")
        )
        return inspection
    }
}
