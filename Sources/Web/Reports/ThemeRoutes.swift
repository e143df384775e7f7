import Domain
import Foundation
import Hummingbird

extension AuditEvent {
    /// Someone added, changed or deleted a theme of an inspection (details: `action`).
    public static let themeChanged: AuditEvent = "report.theme_changed"
}

/// The themes of an inspection's free-text answers (issue 19): a list with a form to add one, and a page per theme
/// to change or delete it. Same permission as the review pages; nothing changes once the report is published.
extension ReportRoutes {
    func registerThemes(on staff: StaffRouter) {
        staff.get("/inspections/:id/report/themes", .viewReport) { _, context, session in
            let inspection = try await authorise(context, session, store: workStore)
            return try await themesPage(inspection, session: session, draft: nil, errors: FieldErrors())
        }
        staff.post("/inspections/:id/report/themes", .viewReport) { request, context, session in
            let inspection = try await authorise(context, session, store: workStore)
            let draft = FreeTextThemeStore.Draft(context.staffForm ?? StaffForm(fields: []))
            if try await publications.publishedOn(inspection.id) != nil {
                var response = try await themesPage(inspection, session: session, draft: draft, errors: FieldErrors())
                response.status = .conflict
                return response
            }
            switch try await themeStore.save(draft, inspectionID: inspection.id, defaults: dependencies.themes) {
            case .invalid(let errors):
                var response = try await themesPage(inspection, session: session, draft: draft, errors: errors)
                response.status = .badRequest
                return response
            case .saved:
                try await recordThemeChange("added", inspection, request, context)
                return Response(status: .seeOther, headers: [.location: "/inspections/\(inspection.id)/report/themes"])
            case .notFound:
                // Only a change names a theme; adding never finds none.
                return Response(status: .seeOther, headers: [.location: "/inspections/\(inspection.id)/report/themes"])
            }
        }
        staff.get("/inspections/:id/report/themes/:theme", .viewReport) { _, context, session in
            let inspection = try await authorise(context, session, store: workStore)
            guard let theme = try await theme(context, inspection), try await publications.publishedOn(inspection.id) == nil else {
                return Response(status: .seeOther, headers: [.location: "/inspections/\(inspection.id)/report/themes"])
            }
            return dependencies.templates.page(
                "report/theme",
                ThemePage(inspection: inspection, theme: theme, draft: FreeTextThemeStore.Draft(theme), errors: FieldErrors(), session: session)
            )
        }
        staff.post("/inspections/:id/report/themes/:theme", .viewReport) { request, context, session in
            let inspection = try await authorise(context, session, store: workStore)
            let list = "/inspections/\(inspection.id)/report/themes"
            // A theme deleted a moment ago (or an address made up): back to the list, which shows what is there.
            guard let theme = try await theme(context, inspection) else { return Response(status: .seeOther, headers: [.location: list]) }
            let form = context.staffForm ?? StaffForm(fields: [])
            let draft = FreeTextThemeStore.Draft(form)
            if try await publications.publishedOn(inspection.id) != nil {
                var response = try await themesPage(inspection, session: session, draft: nil, errors: FieldErrors())
                response.status = .conflict
                return response
            }
            if form["action"] == "delete" {
                if try await themeStore.delete(themeID: theme.id, inspectionID: inspection.id) {
                    try await recordThemeChange("deleted", inspection, request, context)
                }
                return Response(status: .seeOther, headers: [.location: list])
            }
            switch try await themeStore.save(draft, inspectionID: inspection.id, themeID: theme.id, defaults: dependencies.themes) {
            case .invalid(let errors):
                var response = dependencies.templates.page(
                    "report/theme",
                    ThemePage(inspection: inspection, theme: theme, draft: draft, errors: errors, session: session)
                )
                response.status = .badRequest
                return response
            case .notFound:
                return Response(status: .seeOther, headers: [.location: list])
            case .saved:
                try await recordThemeChange("changed", inspection, request, context)
                return Response(status: .seeOther, headers: [.location: list])
            }
        }
    }

    /// The `:theme` of the address among the inspection's themes, or nil.
    private func theme(_ context: AppRequestContext, _ inspection: ReportStore.InspectionFacts) async throws -> FreeTextThemeStore.Theme? {
        guard let id = context.parameters.get("theme", as: Int.self) else { return nil }
        return try await themeStore.themes(inspectionID: inspection.id, defaults: dependencies.themes).first { $0.id == id }
    }

    private func themesPage(
        _ inspection: ReportStore.InspectionFacts,
        session: StaffSession,
        draft: FreeTextThemeStore.Draft?,
        errors: FieldErrors
    ) async throws -> Response {
        dependencies.templates.page(
            "report/themes",
            ThemesPage(
                inspection: inspection,
                themes: try await themeStore.themes(inspectionID: inspection.id, defaults: dependencies.themes),
                draft: draft,
                errors: errors,
                session: session,
                publishedOn: try await publications.publishedOn(inspection.id)
            )
        )
    }

    private func recordThemeChange(
        _ action: String,
        _ inspection: ReportStore.InspectionFacts,
        _ request: Request,
        _ context: AppRequestContext
    )
        async throws
    {
        try await dependencies.accounts.audit.record(
            .themeChanged,
            actor: dependencies.accounts.actor(request, context),
            subject: .inspection(inspection.id),
            details: ["action": .code(action)]
        )
    }
}

extension FreeTextThemeStore.Draft {
    /// The theme form's fields, trimmed; one "suggested by" entry per line.
    init(_ form: StaffForm) {
        self.init(
            name: (form["name"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines),
            welshName: (form["welsh_name"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines),
            description: (form["description"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines),
            suggestedBy: (form["suggested_by"] ?? "").split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        )
    }
}
