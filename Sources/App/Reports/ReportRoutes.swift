import Forms
import Foundation
import Hummingbird

extension AuditEvent {
    /// Someone read an inspection's report page.
    public static let reportViewed: AuditEvent = "report.viewed"
    /// Someone downloaded an inspection's report as CSV or JSON (detail `format`).
    public static let reportExported: AuditEvent = "report.exported"
}

extension AuditSubject {
    /// An inspection.
    public static func inspection(_ id: Int) -> AuditSubject { AuditSubject(type: "inspection", id: String(id)) }
}

/// The stakeholder-views report for one inspection: the page and its CSV and JSON exports.
///
/// Permission `viewReport` (inspectors and administrators); an inspector must also be assigned to the inspection.
/// Every view and export is in the audit log. No figure leaves this type without disclosure control.
struct ReportRoutes: Sendable {
    let dependencies: AppDependencies

    var store: ReportStore { ReportStore(database: dependencies.database) }
    static let victimFormID = "victim-questionnaire"
    static let surveyCodebookID = "service-user-survey"

    func register(on staff: StaffRouter) {
        staff.get("/inspections/:id/report", .viewReport) { request, context, session in
            let report = try await load(context, session)
            try await dependencies.accounts.audit.record(
                .reportViewed,
                actor: dependencies.accounts.actor(request, context),
                subject: .inspection(report.inspection.id)
            )
            return dependencies.templates.page("report/report", ReportPage(report, session: session))
        }
        staff.get("/inspections/:id/report.csv", .viewReport) { request, context, session in
            let report = try await load(context, session)
            try await audit(export: "csv", report, request, context)
            return download(ReportExport.csv(report.tables), type: "text/csv; charset=utf-8", name: "report-\(report.inspection.id).csv")
        }
        staff.get("/inspections/:id/report.json", .viewReport) { request, context, session in
            let report = try await load(context, session)
            try await audit(export: "json", report, request, context)
            return download(ReportExport.json(report.tables, meta: report.meta), type: "application/json", name: "report-\(report.inspection.id).json")
        }
    }

    private func audit(export format: String, _ report: StakeholderReport, _ request: Request, _ context: AppRequestContext) async throws {
        try await dependencies.accounts.audit.record(
            .reportExported,
            actor: dependencies.accounts.actor(request, context),
            subject: .inspection(report.inspection.id),
            details: ["format": .code(format)]
        )
    }

    /// The report, after checking the inspection exists (404) and that an inspector is assigned to it (403).
    private func load(_ context: AppRequestContext, _ session: StaffSession) async throws -> StakeholderReport {
        guard let id = context.parameters.get("id", as: Int.self), let inspection = try await store.inspection(id) else {
            throw HTTPError(.notFound)
        }
        if session.user.role != .admin {
            guard try await store.isAssigned(inspectionID: id, userID: Int(session.user.id)) else {
                context.logger.info("report refused: not assigned", metadata: ["inspection.id": "\(id)", "user.id": "\(session.user.id)"])
                throw HTTPError(.forbidden, message: "You do not have permission to see this page.")
            }
        }
        return try await StakeholderReport.load(inspection: inspection, store: store, forms: dependencies.forms, rules: dependencies.configuration.disclosureRules)
    }

    private func download(_ text: String, type: String, name: String) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: type,
                .contentDisposition: "attachment; filename=\"\(name)\"",
                .cacheControl: "no-store",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }
}

extension StakeholderReport {
    /// Reads the raw figures and builds the report.
    static func load(inspection: ReportStore.InspectionFacts, store: ReportStore, forms: FormRegistry, rules: DisclosureRules) async throws -> StakeholderReport {
        let providers = try await store.providerLinks(inspectionID: inspection.id)
        let counts = try await store.victimAnswerCounts(inspectionID: inspection.id, formID: ReportRoutes.victimFormID)
        let victims = VictimsSection(providers: providers, counts: counts, form: forms.current(id: ReportRoutes.victimFormID), rules: rules)
        let codebook = forms.current(id: ReportRoutes.surveyCodebookID)?.codebook
        let variables = ServiceUsersSection.questionVariables(codebook).map(\.id)
        try await store.summariseSurveyBatches(codebookID: ReportRoutes.surveyCodebookID, variables: variables)
        let survey = try await store.surveyCounts(areaID: inspection.areaID, codebookID: ReportRoutes.surveyCodebookID)
        let serviceUsers = ServiceUsersSection(counts: survey, codebook: codebook, rules: rules)
        return StakeholderReport(inspection: inspection, victims: victims, serviceUsers: serviceUsers, rules: rules)
    }

    /// The exports' `report` object.
    var meta: [String: String] {
        [
            "inspection_id": String(inspection.id),
            "inspection": inspection.title,
            "area": inspection.areaName,
            "suppress_below": String(rules.suppressBelow),
            "low_reliability_below": String(rules.lowReliabilityBelow),
            "format_version": "1",
        ]
    }
}
