import Domain
import Foundation
import Hummingbird

/// "Publish the report": a confirmation page, then one POST that sets the publication date and freezes the report.
///
/// Permission `publishReport` (administrators and inspectors); an inspector must also be the inspection's lead.
struct PublicationRoutes: Sendable {
    let dependencies: AppDependencies

    var publications: PublicationStore { PublicationStore(database: dependencies.database) }
    var inspections: InspectionStore { InspectionStore(database: dependencies.database) }
    var reports: ReportStore { ReportStore(database: dependencies.database) }

    func register(on staff: StaffRouter) {
        staff.get("/inspections/:id/publish", .publishReport) { _, context, session in
            let inspection = try await authorise(context, session)
            let refusal = PublicationStore.refusal(inspection, today: dependencies.today)
            return page(inspection, session, error: refusal?.pageMessage, status: .ok)
        }
        staff.post("/inspections/:id/publish", .publishReport) { request, context, session in
            let inspection = try await authorise(context, session)
            if let refusal = PublicationStore.refusal(inspection, today: dependencies.today) {
                return page(inspection, session, error: refusal.pageMessage, status: .conflict)
            }
            let form = context.staffForm ?? StaffForm(fields: [])
            guard form["confirm"] == "yes" else {
                return page(
                    inspection,
                    session,
                    error: "Confirm that the figures are ready to be published and frozen",
                    status: .unprocessableContent
                )
            }
            guard let facts = try await reports.inspection(inspection.id) else { throw HTTPError(.notFound) }
            let report = try await StakeholderReport.load(
                inspection: facts,
                store: reports,
                forms: dependencies.forms,
                rules: dependencies.configuration.disclosureRules
            ).with(freeText: try await FreeTextReviewStore(database: dependencies.database).reviewed(inspectionID: inspection.id))
            do {
                _ = try await publications.publish(
                    inspectionID: inspection.id,
                    report: report,
                    publishedBy: Int(session.user.id),
                    today: dependencies.today,
                    now: dependencies.now(),
                    audit: AuditLog(database: dependencies.database, now: dependencies.now),
                    actor: dependencies.accounts.actor(request, context)
                )
            } catch let refusal as PublicationStore.Refusal {
                // Another request published first, or the dates changed meanwhile.
                return page(inspection, session, error: refusal.pageMessage, status: .conflict)
            }
            context.logger.info("report published", metadata: ["inspection.id": "\(inspection.id)"])
            return .redirect(to: "/inspections/\(inspection.id)/report", type: .normal)
        }
    }

    /// The inspection, if this person may publish it: administrators any, inspectors only as its lead.
    private func authorise(_ context: AppRequestContext, _ session: StaffSession) async throws -> Inspection {
        try await InspectionAccess(database: dependencies.database).resolve(context, session, .lead).inspection
    }

    struct Page: Sendable {
        let title = "Publish the report"
        let staff: StaffChrome
        let csrfToken: String
        let inspectionTitle: String
        let action: String
        let inspectionHref: String
        let reportHref: String
        let error: String?
        let canPublish: Bool
        let today: String
        let retentionMonths: Int
    }

    private func page(_ inspection: Inspection, _ session: StaffSession, error: String?, status: HTTPResponse.Status) -> Response {
        let today = dependencies.today
        let model = Page(
            staff: StaffChrome(session),
            csrfToken: session.csrfToken,
            inspectionTitle: inspection.title,
            action: "/inspections/\(inspection.id)/publish",
            inspectionHref: "/inspections/\(inspection.id)",
            reportHref: "/inspections/\(inspection.id)/report",
            error: error,
            canPublish: PublicationStore.refusal(inspection, today: today) == nil,
            today: today.govuk,
            retentionMonths: dependencies.configuration.retentionMonths
        )
        return dependencies.templates.page("report/publish", model, status: status)
    }
}
