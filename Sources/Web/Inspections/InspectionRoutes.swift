import Domain
import Foundation
import Hummingbird

extension AuditEvent {
    static let inspectionCreated: AuditEvent = "inspection.created"
    static let inspectionUpdated: AuditEvent = "inspection.updated"
    static let inspectorsAssigned: AuditEvent = "inspection.inspectors_assigned"
    static let victimWindowClosed: AuditEvent = "inspection.victim_window_closed"
}

/// Inspections for admins and inspectors: list, create, edit, assign inspectors, follow links per provider, close the
/// victim window. Inspectors see only the inspections they are assigned to; admins see all.
package struct InspectionRoutes: Sendable {
    let dependencies: AppDependencies
    var store: InspectionStore { InspectionStore(database: dependencies.database) }
    var invitations: InvitationStore { InvitationStore(database: dependencies.database, secrets: dependencies.linkSecrets) }

    func register(on staff: StaffRouter) {
        staff.get("/inspections", .manageInspections) { _, _, session in try await listPage(session) }
        staff.get("/inspections/new", .manageInspections) { _, context, session in
            try await formPage(session, inspection: nil, form: context.restoredForm, errors: FieldErrors())
        }
        staff.post("/inspections/new", .manageInspections) { request, context, session in try await save(request, context, session, id: nil) }
        staff.get("/inspections/:id", .manageInspections) { _, context, session in
            let inspection = try await require(context, session)
            return try await detailPage(session, inspection)
        }
        staff.get("/inspections/:id/edit", .manageInspections) { _, context, session in
            let inspection = try await require(context, session)
            return try await formPage(session, inspection: inspection, form: context.restoredForm, errors: FieldErrors())
        }
        staff.post("/inspections/:id/edit", .manageInspections) { request, context, session in
            let inspection = try await require(context, session)
            return try await save(request, context, session, id: inspection.id)
        }
        staff.post("/inspections/:id/inspectors", .manageUsers) { request, context, session in
            let inspection = try await require(context, session)
            let form = context.staffForm ?? StaffForm(fields: [])
            let chosen = form.fields.filter { $0.0 == "inspector" }.compactMap { Int($0.1) }
            let lead = Int(form["lead"] ?? "")
            try await store.assign(inspectionID: inspection.id, inspectors: chosen, lead: lead.flatMap { chosen.contains($0) ? $0 : nil })
            try await dependencies.accounts.audit.record(
                .inspectorsAssigned,
                actor: dependencies.accounts.actor(request, context),
                subject: AuditSubject(type: "inspection", id: String(inspection.id)),
                details: ["count": .int(Int64(chosen.count))]
            )
            return .redirect(to: "/inspections/\(inspection.id)", type: .normal)
        }
        staff.post("/inspections/:id/close-window", .manageInspections) { request, context, session in
            let inspection = try await require(context, session)
            let expired = try await store.closeVictimWindow(
                inspection.id,
                today: dependencies.today,
                now: dependencies.now(),
                invitations: invitations
            )
            try await dependencies.accounts.audit.record(
                .victimWindowClosed,
                actor: dependencies.accounts.actor(request, context),
                subject: AuditSubject(type: "inspection", id: String(inspection.id)),
                details: ["expired": .int(Int64(expired))]
            )
            return .redirect(to: "/inspections/\(inspection.id)", type: .normal)
        }
    }

    /// The inspection in the path, if this person may see it: admins any, inspectors only when assigned.
    func require(_ context: AppRequestContext, _ session: StaffSession) async throws -> Inspection {
        try await InspectionAccess(database: dependencies.database).resolve(context, session, .assigned).inspection
    }

    // MARK: Pages

    struct Row: Sendable {
        let id: Int
        let title: String
        let status: String
        let fieldwork: String
        let window: String
    }

    struct ListPage: Sendable {
        let title = "Inspections"
        let staff: StaffChrome
        let csrfToken: String
        let rows: [Row]
        let empty: Bool
    }

    private func listPage(_ session: StaffSession) async throws -> Response {
        let inspections = session.user.role == .admin ? try await store.all() : try await store.assigned(to: Int(session.user.id))
        let today = dependencies.today
        let rows = inspections.map {
            Row(
                id: $0.id,
                title: $0.title,
                status: $0.status(on: today).rawValue.capitalized,
                fieldwork: $0.fieldworkStartsOn.govuk,
                window: "\($0.victimWindowOpensOn.govuk) to \($0.victimWindowClosesOn.govuk)"
            )
        }
        return dependencies.templates.page(
            "inspections/list",
            ListPage(staff: StaffChrome(session), csrfToken: session.csrfToken, rows: rows, empty: rows.isEmpty)
        )
    }

    struct FormPage: Sendable {
        let title: String
        let staff: StaffChrome
        let csrfToken: String
        let action: String
        let isNew: Bool
        let fields: [InputField]
        let dates: [DateInput]
        let areas: [Choice]
        let areaError: String?
        let providers: [Choice]
        let providersError: String?
        let errors: FieldErrors
        let restored: Bool
    }

    /// The inspection's dates: the field, and a name that serves as the date input's legend and in "Enter the …".
    package static let dateFields: [(id: String, label: String)] = [
        ("announced_on", "Announcement date"), ("fieldwork_starts_on", "Fieldwork week start date"),
        ("week_plus_two_on", "Week +2 meetings date"), ("victim_window_opens_on", "Victim questionnaire opening date"),
        ("victim_window_closes_on", "Victim questionnaire closing date"),
    ]

    private func formPage(_ session: StaffSession, inspection: Inspection?, form: StaffForm?, errors: FieldErrors) async throws -> Response {
        let values: [String: LocalDate] =
            inspection.map {
                [
                    "announced_on": $0.announcedOn, "fieldwork_starts_on": $0.fieldworkStartsOn, "week_plus_two_on": $0.weekPlusTwoOn,
                    "victim_window_opens_on": $0.victimWindowOpensOn, "victim_window_closes_on": $0.victimWindowClosesOn,
                ]
            } ?? [:]
        let fields = [
            InputField(id: "title", label: "Title", value: form?["title"] ?? inspection?.title ?? "", error: errors["title"], maxLength: 200)
        ]
        let dates = Self.dateFields.map { id, label in
            DateInput(form, id: id, legend: label, value: values[id], example: "15 3 2027", errors: errors)
        }
        let chosenArea = form?["area"] ?? inspection.map { String($0.areaID) } ?? ""
        let chosenProviders = Set(form.map { $0.fields.filter { $0.0 == "provider" }.map(\.1) } ?? inspection?.providerIDs.map(String.init) ?? [])
        let model = FormPage(
            title: inspection == nil ? "Add an inspection" : "Change \(inspection?.title ?? "inspection")",
            staff: StaffChrome(session),
            csrfToken: session.csrfToken,
            action: inspection.map { "/inspections/\($0.id)/edit" } ?? "/inspections/new",
            isNew: inspection == nil,
            fields: fields,
            dates: dates,
            areas: try await store.areas().map { Choice(value: String($0.id), label: $0.name, checked: String($0.id) == chosenArea) },
            areaError: errors["area"],
            providers: try await store.providers().map {
                Choice(value: String($0.id), label: $0.name, checked: chosenProviders.contains(String($0.id)))
            },
            providersError: errors["providers"],
            errors: errors,
            restored: form != nil && !errors.hasErrors
        )
        return dependencies.templates.page("inspections/form", model, status: errors.hasErrors ? .unprocessableContent : .ok)
    }

    private func save(_ request: Request, _ context: AppRequestContext, _ session: StaffSession, id: Int?) async throws -> Response {
        let form = context.staffForm ?? StaffForm(fields: [])
        var errors = FieldErrors()
        var parsed: [String: LocalDate] = [:]
        for (field, label) in Self.dateFields {
            parsed[field] = DateInput.parse(form, id: field, missing: "Enter the \(label.lowercased())", example: "15 3 2027", errors: &errors)
        }
        let title = form.trimmed("title")
        for problem in InspectionStore.titleProblems(title) { errors.add(problem.field, problem.message) }
        let area = Int(form["area"] ?? "")
        if id == nil, area == nil { errors.add("area", "Choose the area inspected") }
        let providers = form.fields.filter { $0.0 == "provider" }.compactMap { Int($0.1) }
        if id == nil, providers.isEmpty { errors.add("providers", "Choose at least one provider") }
        let inspection = id == nil ? nil : try await store.find(id ?? 0)
        guard !errors.hasErrors, let announced = parsed["announced_on"], let fieldwork = parsed["fieldwork_starts_on"],
            let weekPlusTwo = parsed["week_plus_two_on"], let opens = parsed["victim_window_opens_on"], let closes = parsed["victim_window_closes_on"]
        else { return try await formPage(session, inspection: inspection, form: form, errors: errors) }
        let dates = InspectionDates(
            announcedOn: announced,
            fieldworkStartsOn: fieldwork,
            weekPlusTwoOn: weekPlusTwo,
            victimWindowOpensOn: opens,
            victimWindowClosesOn: closes
        )
        do {
            let actor = dependencies.accounts.actor(request, context)
            if let id {
                try await store.update(id, title: title, dates: dates)
                try await dependencies.accounts.audit.record(
                    .inspectionUpdated,
                    actor: actor,
                    subject: AuditSubject(type: "inspection", id: String(id))
                )
                return .redirect(to: "/inspections/\(id)", type: .normal)
            }
            let created = try await store.create(title: title, areaID: area ?? 0, providerIDs: providers, dates: dates)
            if session.user.role == .inspector {
                try await store.assign(inspectionID: created, inspectors: [Int(session.user.id)], lead: Int(session.user.id))
            }
            try await dependencies.accounts.audit.record(
                .inspectionCreated,
                actor: actor,
                subject: AuditSubject(type: "inspection", id: String(created))
            )
            return .redirect(to: "/inspections/\(created)", type: .normal)
        } catch let invalid as InspectionStore.Invalid {
            for problem in invalid.problems { errors.add(problem.field, problem.message) }
            return try await formPage(session, inspection: inspection, form: form, errors: errors)
        } catch let error where ConstraintViolation.isForeignKey(error) {
            errors.add("area", "Choose an area and providers from the lists")
            return try await formPage(session, inspection: inspection, form: form, errors: errors)
        } catch let error where ConstraintViolation.isCheck(error, constraint: "inspection_dates_keep_meetings") {
            errors.add("announced_on", "Sentencer meetings are recorded before this date: the announcement must be on or before the first meeting")
            return try await formPage(session, inspection: inspection, form: form, errors: errors)
        }
    }

    struct DetailPage: Sendable {
        let title: String
        let staff: StaffChrome
        let csrfToken: String
        let inspection: InspectionView
        /// The report's protected links table (`VictimsSection.linksTable`).
        let links: TableView
        let inspectors: [String]
        let canAssign: Bool
        let allInspectors: [Choice]
        let windowOpen: Bool
        let canEnterPaper: Bool
        /// Whether to offer "Publish the report": not yet published, and the reader is an administrator or the lead.
        let canPublish: Bool
    }

    struct InspectionView: Sendable {
        let id: Int
        let title: String
        let status: String
        let announced: String
        let fieldwork: String
        let weekPlusTwo: String
        let window: String
        let published: String
    }

    private func detailPage(_ session: StaffSession, _ inspection: Inspection) async throws -> Response {
        let today = dependencies.today
        // The report's own links table — frozen once published — so that it is part of one disclosure model with
        // the answers and never a second set of figures beside them.
        let links: TableView
        if let published = try await PublicationStore(database: dependencies.database).snapshot(inspection.id) {
            links = published.content.links
        } else {
            let reports = ReportStore(database: dependencies.reportDatabase)
            links = TableView(
                VictimsSection(
                    providers: try await reports.providerLinks(inspectionID: inspection.id),
                    counts: try await reports.victimAnswerCounts(inspectionID: inspection.id, formID: ReportRoutes.victimFormID),
                    form: dependencies.forms.current(id: ReportRoutes.victimFormID),
                    rules: dependencies.configuration.disclosureRules
                ).linksTable
            )
        }
        let assigned = try await store.assignedInspectors(inspection.id)
        let canAssign = session.user.can(.manageUsers)
        let assignedIDs = Set(assigned.map(\.item.id))
        let lead = assigned.first(where: \.isLead)?.item.id
        let model = DetailPage(
            title: inspection.title,
            staff: StaffChrome(session),
            csrfToken: session.csrfToken,
            inspection: InspectionView(
                id: inspection.id,
                title: inspection.title,
                status: inspection.status(on: today).rawValue.capitalized,
                announced: inspection.announcedOn.govuk,
                fieldwork: inspection.fieldworkStartsOn.govuk,
                weekPlusTwo: inspection.weekPlusTwoOn.govuk,
                window: "\(inspection.victimWindowOpensOn.govuk) to \(inspection.victimWindowClosesOn.govuk)",
                published: inspection.publishedOn.map { PublishedReport.pageNotice($0) } ?? "Not yet"
            ),
            links: links,
            inspectors: assigned.map { $0.isLead ? "\($0.item.name) (lead)" : $0.item.name },
            canAssign: canAssign,
            allInspectors: canAssign
                ? try await store.inspectors().map {
                    Choice(value: String($0.id), label: $0.name, checked: assignedIDs.contains($0.id), hint: $0.id == lead ? "lead" : nil)
                } : [],
            windowOpen: inspection.victimWindowIsOpen(on: today),
            canEnterPaper: session.user.can(.enterPaperReturns),
            canPublish: inspection.publishedOn == nil && session.user.can(.publishReport)
                && (session.user.role == .admin || assigned.contains { $0.isLead && $0.item.id == Int(session.user.id) })
        )
        return dependencies.templates.page("inspections/detail", model)
    }
}
