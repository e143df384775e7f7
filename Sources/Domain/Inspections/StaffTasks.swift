import Foundation
import Postgres

/// What each signed-in person has to do next (issue 23): the staff home's task list. Inspectors see their
/// inspections, administrators every inspection and the accounts needing attention, VLOs the inspections covering
/// their provider; each item links to the page where the work is done.
package struct StaffTasks: Sendable {
    /// One thing to do or know, with the page where it is done.
    struct Item: Sendable {
        let text: String
        let href: String?
        let linkText: String?
    }

    /// One inspection (or "Accounts"), its address and its items.
    package struct Group: Sendable {
        let heading: String
        let href: String
        let items: [Item]
    }

    let database: PostgresClient

    package init(database: PostgresClient) {
        self.database = database
    }

    /// The groups for `session`, as of `today`.
    package func groups(for session: StaffSession, today: LocalDate) async throws -> [Group] {
        let store = InspectionStore(database: database)
        switch session.user.role {
        case .vlo:
            guard let provider = try await store.providerID(ofOrganisation: session.user.organisationID) else { return [] }
            var groups: [Group] = []
            for inspection in try await store.covering(providerID: provider) where inspection.status(on: today) != .closed {
                groups.append(try await vloGroup(inspection, provider: provider, today: today))
            }
            return groups
        case .inspector:
            let userID = Int(session.user.id)
            var groups: [Group] = []
            for inspection in try await store.assigned(to: userID) where inspection.status(on: today) != .closed {
                let lead = try await store.assignment(inspectionID: inspection.id, userID: userID)?.isLead ?? false
                groups.append(try await inspectorGroup(inspection, mayPublish: lead, today: today))
            }
            return groups
        case .admin:
            var groups = [try await accountsGroup()]
            for inspection in try await store.all() where inspection.status(on: today) != .closed {
                groups.append(try await inspectorGroup(inspection, mayPublish: true, today: today))
            }
            return groups.filter { !$0.items.isEmpty }
        case .surveyCoordinator:
            // Their work is on the survey codes page, reached from the navigation; nothing here waits on them.
            return []
        }
    }

    /// Where the victim questionnaire window stands, in words.
    static func window(_ inspection: Inspection, today: LocalDate) -> String {
        if inspection.closedOn != nil || today > inspection.victimWindowClosesOn {
            return "The victim questionnaire window has closed."
        }
        if today < inspection.victimWindowOpensOn {
            return "The victim questionnaire window opens on \(inspection.victimWindowOpensOn.govuk)."
        }
        return "The victim questionnaire window is open until \(inspection.victimWindowClosesOn.govuk)."
    }

    private func inspectorGroup(_ inspection: Inspection, mayPublish: Bool, today: LocalDate) async throws -> Group {
        let base = "/inspections/\(inspection.id)"
        let row = try await database.query(
            """
            SELECT
              (SELECT count(*) FROM victim_response r, jsonb_each(r.answers) a
               WHERE r.inspection_id = \(inspection.id) AND jsonb_typeof(a.value -> 'text') = 'string'
                 AND NOT EXISTS (SELECT 1 FROM victim_free_text_review v WHERE v.response_id = r.id AND v.question_id = a.key)) AS unreviewed,
              (SELECT count(*) FROM victim_free_text_review v JOIN victim_response r ON r.id = v.response_id
               WHERE r.inspection_id = \(inspection.id) AND v.safeguarding) AS flagged,
              (SELECT count(*) FROM sentencer_meeting WHERE inspection_id = \(inspection.id) AND status = 'draft') AS drafts,
              (SELECT count(*) FROM victim_response WHERE inspection_id = \(inspection.id) AND form_id = \(InvitationAccess.victimFormID)) AS responses
            """
        )[0]
        let unreviewed = try row.decode("unreviewed", as: Int.self)
        let flagged = try row.decode("flagged", as: Int.self)
        let drafts = try row.decode("drafts", as: Int.self)
        let responses = try row.decode("responses", as: Int.self)
        var items = [
            Item(text: Self.window(inspection, today: today) + " \(Self.count(responses, "victim response")) so far.", href: nil, linkText: nil)
        ]
        if let published = inspection.publishedOn {
            items.append(Item(text: "The report was published on \(published.govuk).", href: base + "/report", linkText: "Read the published report"))
            return Group(heading: inspection.title, href: base, items: items)
        }
        if unreviewed > 0 {
            items.append(
                Item(
                    text: "\(Self.count(unreviewed, "free-text answer")) waiting for review.",
                    href: base + "/report/free-text",
                    linkText: "Review free-text answers"
                )
            )
        }
        if flagged > 0, mayPublish {
            items.append(
                Item(
                    text: "\(Self.count(flagged, "answer")) flagged as a safeguarding concern.",
                    href: base + "/report/safeguarding",
                    linkText: "See the safeguarding concerns"
                )
            )
        }
        if drafts > 0 {
            items.append(
                Item(
                    text: "\(Self.count(drafts, "sentencer meeting record")) still in draft.",
                    href: base + "/sentencer-meetings",
                    linkText: "Finish the sentencer meeting records"
                )
            )
        }
        if mayPublish, today > inspection.victimWindowClosesOn || inspection.closedOn != nil {
            items.append(
                Item(
                    text: unreviewed == 0 && drafts == 0
                        ? "The report is ready to publish." : "The report can be published once the work above is done.",
                    href: base + "/publish",
                    linkText: "Publish the report"
                )
            )
        } else {
            items.append(Item(text: "The report so far, with disclosure control applied.", href: base + "/report", linkText: "Read the report"))
        }
        return Group(heading: inspection.title, href: base, items: items)
    }

    private func vloGroup(_ inspection: Inspection, provider: Int, today: LocalDate) async throws -> Group {
        let row = try await database.query(
            """
            SELECT count(*) AS issued, count(*) FILTER (WHERE status = 'submitted') AS submitted,
                   count(*) FILTER (WHERE status IN ('issued', 'opened', 'in_progress')) AS waiting
            FROM invitation WHERE inspection_id = \(inspection.id) AND provider_id = \(provider) AND form_id = \(InvitationAccess.victimFormID)
            """
        )[0]
        let issued = try row.decode("issued", as: Int.self)
        let submitted = try row.decode("submitted", as: Int.self)
        let waiting = try row.decode("waiting", as: Int.self)
        let open = inspection.victimWindowIsOpen(on: today) && inspection.closedOn == nil
        let links = "/links/\(inspection.id)"
        return Group(
            heading: inspection.title,
            href: links,
            items: [
                Item(text: Self.window(inspection, today: today), href: nil, linkText: nil),
                Item(
                    text: issued == 0
                        ? "Your organisation has issued no questionnaire links for this inspection yet."
                        : "Your organisation has issued \(Self.count(issued, "link")): \(submitted) answered online, \(waiting) not answered yet.",
                    href: links,
                    linkText: open ? "Issue or find questionnaire links" : "See the questionnaire links"
                ),
            ]
        )
    }

    private func accountsGroup() async throws -> Group {
        let row = try await database.query(
            """
            SELECT
              (SELECT count(*) FROM inspection i WHERE i.published_on IS NULL AND i.closed_on IS NULL
                 AND NOT EXISTS (SELECT 1 FROM inspection_inspector x WHERE x.inspection_id = i.id AND x.is_lead)) AS without_lead,
              (SELECT count(DISTINCT u.id) FROM staff_user u JOIN staff_session s ON s.user_id = u.id WHERE NOT u.active) AS disabled_with_sessions
            """
        )[0]
        let withoutLead = try row.decode("without_lead", as: Int.self)
        let disabled = try row.decode("disabled_with_sessions", as: Int.self)
        var items: [Item] = []
        if withoutLead > 0 {
            items.append(
                Item(
                    text: "\(Self.count(withoutLead, "inspection")) without a lead inspector.",
                    href: "/inspections",
                    linkText: "Assign lead inspectors"
                )
            )
        }
        if disabled > 0 {
            items.append(
                Item(
                    text: "\(Self.count(disabled, "disabled account")) still signed in somewhere.",
                    href: "/admin/users",
                    linkText: "Check the accounts"
                )
            )
        }
        return Group(heading: "Accounts and organisations", href: "/admin/users", items: items)
    }

    /// "1 link", "3 links".
    static func count(_ n: Int, _ noun: String) -> String { n == 1 ? "1 \(noun)" : "\(n) \(noun)s" }
}
