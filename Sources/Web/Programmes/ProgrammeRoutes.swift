import Domain
import Foundation
import Hummingbird

/// The programme pages (issue 22): `/programmes`, one programme with its inspections and frozen reports, its report
/// (page, CSV, JSON) and publishing it under a label. Administrators see and manage every programme; inspectors see
/// those with an inspection they are assigned to.
struct ProgrammeRoutes: Sendable {
    let dependencies: AppDependencies

    var store: ProgrammeStore { ProgrammeStore(database: dependencies.database) }
    var audit: AuditLog { AuditLog(database: dependencies.database, now: dependencies.now) }

    func register(on staff: StaffRouter) {
        staff.get("/programmes", .viewProgrammes) { _, _, session in
            let all = session.user.can(.manageProgrammes)
            let programmes = try await store.programmes(userID: Int(session.user.id), all: all)
            return dependencies.templates.page("programmes/list", ListPage(session: session, programmes: programmes))
        }
        staff.get("/programmes/new", .manageProgrammes) { _, _, session in
            formPage(session, programme: nil, form: nil, errors: FieldErrors())
        }
        staff.post("/programmes/new", .manageProgrammes) { request, context, session in
            try await save(request, context, session, programme: nil)
        }
        staff.get("/programmes/:id", .viewProgrammes) { _, context, session in
            let programme = try await programme(context, session)
            return try await detailPage(session, programme, message: nil, status: .ok)
        }
        staff.get("/programmes/:id/edit", .manageProgrammes) { _, context, session in
            let programme = try await programme(context, session)
            return formPage(session, programme: programme, form: nil, errors: FieldErrors())
        }
        staff.post("/programmes/:id/edit", .manageProgrammes) { request, context, session in
            let programme = try await programme(context, session)
            return try await save(request, context, session, programme: programme)
        }
        staff.post("/programmes/:id/inspections", .manageProgrammes) { request, context, session in
            let programme = try await programme(context, session)
            let form = context.staffForm ?? StaffForm(fields: [])
            let actor = dependencies.accounts.actor(request, context)
            let refusal: ProgrammeStore.MembershipRefusal?
            if let remove = Int(form.trimmed("remove")) {
                refusal = try await store.remove(inspectionID: remove, from: programme, audit: audit, actor: actor)
            } else if let add = Int(form.trimmed("inspection")) {
                refusal = try await store.add(inspectionID: add, to: programme, audit: audit, actor: actor)
            } else {
                refusal = .noSuchInspection
            }
            if let refusal { return try await detailPage(session, programme, message: refusal.message, status: .conflict) }
            return Response(status: .seeOther, headers: [.location: "/programmes/\(programme.id)"])
        }
        staff.get("/programmes/:id/report", .viewProgrammes) { _, context, session in
            let programme = try await programme(context, session)
            let report = try await self.report(programme)
            return dependencies.templates.page("programmes/report", ReportPage(session: session, programme: programme, report: report, snapshot: nil))
        }
        staff.get("/programmes/:id/report.csv", .viewProgrammes) { _, context, session in
            let programme = try await programme(context, session)
            return Response.download(try await report(programme).csv, type: "text/csv; charset=utf-8", name: "programme-\(programme.id).csv")
        }
        staff.get("/programmes/:id/report.json", .viewProgrammes) { _, context, session in
            let programme = try await programme(context, session)
            return Response.download(try await report(programme).json, type: "application/json", name: "programme-\(programme.id).json")
        }
        staff.get("/programmes/:id/publish", .manageProgrammes) { _, context, session in
            let programme = try await programme(context, session)
            return publishPage(session, programme, label: "", error: nil, status: .ok)
        }
        staff.post("/programmes/:id/publish", .manageProgrammes) { request, context, session in
            let programme = try await programme(context, session)
            let form = context.staffForm ?? StaffForm(fields: [])
            let label = form.trimmed("label")
            let today = dependencies.today
            let report = try await self.report(programme, publishedOn: today, label: label)
            switch try await store.publish(
                programmeID: programme.id,
                label: label,
                report: report,
                publishedBy: Int(session.user.id),
                today: today,
                now: dependencies.now(),
                audit: audit,
                actor: dependencies.accounts.actor(request, context)
            ) {
            case .failure(let refusal):
                return publishPage(
                    session,
                    programme,
                    label: label,
                    error: refusal,
                    status: refusal == .noPublishedInspection ? .conflict : .badRequest
                )
            case .success(let id):
                return Response(status: .seeOther, headers: [.location: "/programmes/\(programme.id)/reports/\(id)"])
            }
        }
        staff.get("/programmes/:id/reports/:snapshot", .viewProgrammes) { _, context, session in
            let (programme, snapshot, report) = try await frozen(context, session)
            return dependencies.templates.page(
                "programmes/report",
                ReportPage(session: session, programme: programme, report: report, snapshot: snapshot)
            )
        }
        staff.get("/programmes/:id/reports/:snapshot/report.csv", .viewProgrammes) { _, context, session in
            let (programme, snapshot, report) = try await frozen(context, session)
            return Response.download(report.csv, type: "text/csv; charset=utf-8", name: "programme-\(programme.id)-\(snapshot.id).csv")
        }
        staff.get("/programmes/:id/reports/:snapshot/report.json", .viewProgrammes) { _, context, session in
            let (programme, snapshot, report) = try await frozen(context, session)
            return Response.download(report.json, type: "application/json", name: "programme-\(programme.id)-\(snapshot.id).json")
        }
    }

    /// The `:id` programme, if this person may see it; otherwise 404 (an inspector is not told it exists).
    private func programme(_ context: AppRequestContext, _ session: StaffSession) async throws -> ProgrammeStore.Programme {
        guard let id = context.parameters.get("id", as: Int.self),
            let programme = try await store.programme(id, userID: Int(session.user.id), all: session.user.can(.manageProgrammes))
        else { throw HTTPError(.notFound) }
        return programme
    }

    private func frozen(
        _ context: AppRequestContext,
        _ session: StaffSession
    ) async throws -> (ProgrammeStore.Programme, ProgrammeStore.Snapshot, PublishedProgrammeReport) {
        let programme = try await programme(context, session)
        guard let id = context.parameters.get("snapshot", as: Int.self),
            let (snapshot, report) = try await store.snapshot(id, programmeID: programme.id)
        else { throw HTTPError(.notFound) }
        return (programme, snapshot, report)
    }

    /// The programme's report from its members' evidence now: unpublished (for its pages), or as `publish` freezes it.
    private func report(
        _ programme: ProgrammeStore.Programme,
        publishedOn: LocalDate? = nil,
        label: String? = nil
    ) async throws
        -> PublishedProgrammeReport
    {
        PublishedProgrammeReport(
            ProgrammeReport(
                programme: programme,
                members: try await store.members(programme.id),
                evidence: try await store.evidence(programme.id),
                rules: dependencies.configuration.disclosureRules
            ),
            publishedOn: publishedOn,
            label: label
        )
    }

    private func save(
        _ request: Request,
        _ context: AppRequestContext,
        _ session: StaffSession,
        programme: ProgrammeStore.Programme?
    ) async throws
        -> Response
    {
        let form = context.staffForm ?? StaffForm(fields: [])
        var dateErrors = FieldErrors()
        let startsOn = DateInput.parse(form, id: "starts-on", errors: &dateErrors)
        let endsOn = DateInput.parse(form, id: "ends-on", errors: &dateErrors)
        let draft = ProgrammeStore.Draft(name: form.trimmed("name"), startsOn: startsOn, endsOn: endsOn)
        if dateErrors.hasErrors {
            // The date's own error first: "not a real date" says more than "enter the date".
            var errors = dateErrors
            for item in draft.problems.items { errors.add(item.field, item.message) }
            return formPage(session, programme: programme, form: form, errors: errors)
        }
        switch try await store.save(draft, id: programme?.id, audit: audit, actor: dependencies.accounts.actor(request, context)) {
        case .invalid(let errors): return formPage(session, programme: programme, form: form, errors: errors)
        case .notFound: throw HTTPError(.notFound)
        case .saved(let id): return Response(status: .seeOther, headers: [.location: "/programmes/\(id)"])
        }
    }

    // MARK: Pages

    struct ListPage: Sendable {
        struct Row: Sendable {
            let href: String
            let name: String
            let dates: String
            let inspections: Int
            let published: Int
        }
        let title = "Programmes"
        let staff: StaffChrome
        let canManage: Bool
        let rows: [Row]
        let hasRows: Bool

        init(session: StaffSession, programmes: [ProgrammeStore.Programme]) {
            staff = StaffChrome(session)
            canManage = session.user.can(.manageProgrammes)
            rows = programmes.map {
                Row(
                    href: "/programmes/\($0.id)",
                    name: $0.name,
                    dates: "\($0.startsOn.govuk) to \($0.endsOn.govuk)",
                    inspections: $0.inspections,
                    published: $0.published
                )
            }
            hasRows = !rows.isEmpty
        }
    }

    struct FormPage: Sendable {
        let title: String
        let staff: StaffChrome
        let csrfToken: String
        let action: String
        let name: InputField
        let startsOn: DateInput
        let endsOn: DateInput
        let errors: FieldErrors
        let backHref: String
        let isNew: Bool
    }

    private func formPage(_ session: StaffSession, programme: ProgrammeStore.Programme?, form: StaffForm?, errors: FieldErrors) -> Response {
        let model = FormPage(
            title: programme.map { "Change \($0.name)" } ?? "Add a programme",
            staff: StaffChrome(session),
            csrfToken: session.csrfToken,
            action: programme.map { "/programmes/\($0.id)/edit" } ?? "/programmes/new",
            name: InputField(id: "name", label: "Name", value: form?.trimmed("name") ?? programme?.name ?? "", error: errors["name"], maxLength: 120),
            startsOn: DateInput(form, id: "starts-on", legend: "Programme starts", value: programme?.startsOn, errors: errors),
            endsOn: DateInput(form, id: "ends-on", legend: "Programme ends", value: programme?.endsOn, errors: errors),
            errors: errors,
            backHref: programme.map { "/programmes/\($0.id)" } ?? "/programmes",
            isNew: programme == nil
        )
        return dependencies.templates.page("programmes/form", model, status: errors.hasErrors ? .unprocessableContent : .ok)
    }

    struct DetailPage: Sendable {
        struct Member: Sendable {
            let id: Int
            let title: String
            let href: String
            let area: String
            let fieldwork: String
            let published: String?
        }
        struct Snapshot: Sendable {
            let href: String
            let label: String
            let publishedOn: String
            let inspections: Int
        }
        let title: String
        let staff: StaffChrome
        let csrfToken: String
        let name: String
        let dates: String
        let canManage: Bool
        let message: String?
        let members: [Member]
        let hasMembers: Bool
        let candidates: [Choice]
        let hasCandidates: Bool
        let snapshots: [Snapshot]
        let hasSnapshots: Bool
        let reportHref: String
        let editHref: String
        let publishHref: String
        let inspectionsAction: String
        let published: Int
    }

    private func detailPage(
        _ session: StaffSession,
        _ programme: ProgrammeStore.Programme,
        message: String?,
        status: HTTPResponse.Status
    ) async throws
        -> Response
    {
        let canManage = session.user.can(.manageProgrammes)
        let members = try await store.members(programme.id)
        let candidates = canManage ? try await store.candidates(for: programme) : []
        let snapshots = try await store.snapshots(programme.id)
        let model = DetailPage(
            title: programme.name,
            staff: StaffChrome(session),
            csrfToken: session.csrfToken,
            name: programme.name,
            dates: "\(programme.startsOn.govuk) to \(programme.endsOn.govuk)",
            canManage: canManage,
            message: message,
            members: members.map {
                DetailPage.Member(
                    id: $0.id,
                    title: $0.title,
                    href: "/inspections/\($0.id)",
                    area: $0.areaName,
                    fieldwork: $0.fieldworkStartsOn.govuk,
                    published: $0.publishedOn?.govuk
                )
            },
            hasMembers: !members.isEmpty,
            candidates: candidates.map {
                Choice(value: String($0.id), label: "\($0.title) (\($0.areaName), fieldwork \($0.fieldworkStartsOn.govuk))", checked: false)
            },
            hasCandidates: !candidates.isEmpty,
            snapshots: snapshots.map {
                DetailPage.Snapshot(
                    href: "/programmes/\(programme.id)/reports/\($0.id)",
                    label: $0.label,
                    publishedOn: $0.publishedOn.govuk,
                    inspections: $0.inspections
                )
            },
            hasSnapshots: !snapshots.isEmpty,
            reportHref: "/programmes/\(programme.id)/report",
            editHref: "/programmes/\(programme.id)/edit",
            publishHref: "/programmes/\(programme.id)/publish",
            inspectionsAction: "/programmes/\(programme.id)/inspections",
            published: members.count { $0.publishedOn != nil }
        )
        return dependencies.templates.page("programmes/detail", model, status: status)
    }

    struct ReportPage: Sendable {
        let title: String
        let staff: StaffChrome
        let programmeName: String
        let programmeHref: String
        let csvHref: String
        let jsonHref: String
        let notice: String?
        let label: String?
        let report: PublishedProgrammeReport
        let hasInspections: Bool
        let single: Bool
        let hasUnpublished: Bool
        let suppressBelow: String

        init(session: StaffSession, programme: ProgrammeStore.Programme, report: PublishedProgrammeReport, snapshot: ProgrammeStore.Snapshot?) {
            let base = snapshot.map { "/programmes/\(programme.id)/reports/\($0.id)" } ?? "/programmes/\(programme.id)"
            title = snapshot.map { "\($0.label) – \(programme.name)" } ?? "Programme report – \(programme.name)"
            staff = StaffChrome(session)
            programmeName = programme.name
            programmeHref = "/programmes/\(programme.id)"
            csvHref = "\(base)/report.csv"
            jsonHref = "\(base)/report.json"
            notice = snapshot.map { PublishedReport.pageNotice($0.publishedOn) }
            label = snapshot?.label
            self.report = report
            hasInspections = !report.inspections.isEmpty
            single = report.inspections.count == 1
            hasUnpublished = report.unpublished > 0
            suppressBelow = report.meta["suppress_below"] ?? ""
        }
    }

    struct PublishPage: Sendable {
        let title: String
        let staff: StaffChrome
        let csrfToken: String
        let action: String
        let programmeHref: String
        let label: InputField
        let errors: FieldErrors
        let published: Int
    }

    private func publishPage(
        _ session: StaffSession,
        _ programme: ProgrammeStore.Programme,
        label: String,
        error: ProgrammeStore.PublishRefusal?,
        status: HTTPResponse.Status
    ) -> Response {
        var errors = FieldErrors()
        if let error { errors.add("label", error.message) }
        let model = PublishPage(
            title: "Publish a programme report – \(programme.name)",
            staff: StaffChrome(session),
            csrfToken: session.csrfToken,
            action: "/programmes/\(programme.id)/publish",
            programmeHref: "/programmes/\(programme.id)",
            label: InputField(
                id: "label",
                label: "Name of this report",
                value: label,
                hint: "For example, After the sixth inspection",
                error: errors["label"],
                maxLength: 120
            ),
            errors: errors,
            published: programme.published
        )
        return dependencies.templates.page("programmes/publish", model, status: status)
    }
}
