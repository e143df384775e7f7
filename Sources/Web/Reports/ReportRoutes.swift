import Domain
import Forms
import Foundation
import Hummingbird

extension AuditEvent {
    /// Someone read an inspection's report page.
    public static let reportViewed: AuditEvent = "report.viewed"
    /// Someone downloaded an inspection's report as CSV or JSON (detail `format`).
    public static let reportExported: AuditEvent = "report.exported"
    /// Someone opened the free-text review page (which shows unreviewed answers).
    public static let freeTextReviewViewed: AuditEvent = "report.free_text_review_viewed"
    /// Someone reviewed a free-text answer (details: redactions, safeguarding).
    public static let freeTextReviewed: AuditEvent = "report.free_text_reviewed"
    /// The lead inspector (or an administrator) read the safeguarding list.
    public static let safeguardingViewed: AuditEvent = "report.safeguarding_viewed"
}

/// The stakeholder-views report for one inspection: the page and its CSV and JSON exports.
///
/// Permission `viewReport` (inspectors and administrators); an inspector must also be assigned to the inspection.
/// Every view and export is in the audit log. No figure leaves this type without disclosure control.
package struct ReportRoutes: Sendable {
    let dependencies: AppDependencies

    /// The store for the report and its exports: reads through the report pool (`REPORT_DATABASE_URL`, perhaps a
    /// standby), the survey summary written through the main pool. The audit records stay on the main pool too.
    var store: ReportStore { ReportStore(database: dependencies.reportDatabase, writer: dependencies.database) }
    /// The store for the free-text review pages, which change data and must read what they wrote: the main pool.
    var workStore: ReportStore { ReportStore(database: dependencies.database) }
    static let victimFormID = StakeholderReport.victimFormID
    static let surveyCodebookID = StakeholderReport.surveyCodebookID
    static let sentencerFormID = StakeholderReport.sentencerFormID

    func register(on staff: StaffRouter) {
        registerReview(on: staff)
        registerThemes(on: staff)
        staff.get("/inspections/:id/report", .viewReport) { request, context, session in
            let inspection = try await authorise(context, session, store: store)
            try await dependencies.accounts.audit.record(
                .reportViewed,
                actor: dependencies.accounts.actor(request, context),
                subject: .inspection(inspection.id)
            )
            let canSeeSafeguarding = try await canSeeSafeguarding(inspection, session)
            if let published = try await publications.snapshot(inspection.id) {
                return dependencies.templates.page(
                    "report/report",
                    ReportPage(published.content, session: session, canSeeSafeguarding: canSeeSafeguarding, publishedOn: published.publishedOn)
                )
            }
            let report = try await load(inspection)
            return dependencies.templates.page(
                "report/report",
                ReportPage(ReportContent(report), session: session, canSeeSafeguarding: canSeeSafeguarding, publishedOn: nil)
            )
        }
        staff.get("/inspections/:id/report.csv", .viewReport) { request, context, session in
            let inspection = try await authorise(context, session, store: store)
            try await audit(export: "csv", inspection, request, context)
            let text: String
            if let published = try await publications.snapshot(inspection.id) {
                text = published.csv
            } else {
                text = ReportExport.csv(try await load(inspection).tables)
            }
            return Response.download(text, type: "text/csv; charset=utf-8", name: "report-\(inspection.id).csv")
        }
        staff.get("/inspections/:id/report.json", .viewReport) { request, context, session in
            let inspection = try await authorise(context, session, store: store)
            try await audit(export: "json", inspection, request, context)
            let text: String
            if let published = try await publications.snapshot(inspection.id) {
                text = published.json
            } else {
                let report = try await load(inspection)
                text = ReportExport.json(report.tables, meta: report.meta)
            }
            return Response.download(text, type: "application/json", name: "report-\(inspection.id).json")
        }
    }

    private func registerReview(on staff: StaffRouter) {
        staff.get("/inspections/:id/report/free-text", .viewReport) { request, context, session in
            let inspection = try await authorise(context, session, store: workStore)
            return try await reviewPage(inspection, request, context, session, message: nil)
        }
        staff.post("/inspections/:id/report/free-text", .viewReport) { request, context, session in
            let inspection = try await authorise(context, session, store: workStore)
            if try await publications.publishedOn(inspection.id) != nil {
                var response = try await reviewPage(
                    inspection,
                    request,
                    context,
                    session,
                    message: "This report is published: its free text can no longer be reviewed."
                )
                response.status = .conflict
                return response
            }
            let form = context.staffForm ?? StaffForm(fields: [])
            let draft = ReviewDraft(form)
            guard let answer = try await reviews.answer(inspectionID: inspection.id, responseID: draft.responseID, questionID: draft.questionID)
            else {
                return try await reviewPage(inspection, request, context, session, message: "That answer was not found.")
            }
            if form["action"] == "preview" {
                return try await answerPage(inspection, answer, draft: draft, session: session, preview: true, message: nil)
            }
            if draft.unreadableTheme {
                var response = try await answerPage(
                    inspection,
                    answer,
                    draft: draft,
                    session: session,
                    preview: false,
                    message: "One of the themes sent is not a theme of this inspection. Nothing was saved: choose the themes again."
                )
                response.status = .badRequest
                return response
            }
            let outcome = try await reviews.review(
                inspectionID: inspection.id,
                responseID: draft.responseID,
                questionID: draft.questionID,
                phrases: draft.phrases,
                safeguarding: draft.safeguarding,
                quotable: draft.quotable,
                themes: draft.themes ?? [],
                basedOn: draft.basedOn,
                reviewer: Int(session.user.id),
                now: dependencies.now()
            )
            switch outcome {
            case .notFound:
                return try await reviewPage(inspection, request, context, session, message: "That answer was not found.")
            case .unknownTheme:
                // A theme deleted a moment ago, or one of another inspection: nothing saved, the reviewer's work kept.
                var response = try await answerPage(
                    inspection,
                    answer,
                    draft: draft,
                    session: session,
                    preview: false,
                    message:
                        "One of the themes you chose is no longer a theme of this inspection. Nothing was saved: check the themes and save again."
                )
                response.status = .conflict
                return response
            case .conflict:
                // Someone saved a review a moment ago: show theirs, keep this reviewer's phrases, nothing lost.
                let current =
                    try await reviews.answer(inspectionID: inspection.id, responseID: draft.responseID, questionID: draft.questionID) ?? answer
                var response = try await answerPage(
                    inspection,
                    current,
                    draft: draft.rebased(on: current.revision),
                    session: session,
                    preview: false,
                    message: "Someone else reviewed this answer a moment ago. Their version is shown; your phrases are kept below. "
                        + "Save to make a new revision from them."
                )
                response.status = .conflict
                return response
            case .saved(let revision):
                try await dependencies.accounts.audit.record(
                    .freeTextReviewed,
                    actor: dependencies.accounts.actor(request, context),
                    subject: .inspection(inspection.id),
                    details: [
                        "phrases": .int(Int64(draft.phrases.count)), "safeguarding": .bool(draft.safeguarding),
                        "quotable": .bool(draft.quotable), "revision": .int(Int64(revision)), "themes": .int(Int64(draft.themes?.count ?? 0)),
                    ]
                )
                if draft.safeguarding { context.logger.info("safeguarding concern flagged", metadata: ["inspection.id": "\(inspection.id)"]) }
                let next =
                    revision == 1 ? "/inspections/\(inspection.id)/report/free-text" : "/inspections/\(inspection.id)/report/free-text/reviewed"
                return Response(status: .seeOther, headers: [.location: next])
            }
        }
        staff.get("/inspections/:id/report/free-text/reviewed", .viewReport) { request, context, session in
            let inspection = try await authorise(context, session, store: workStore)
            let page = max(1, Int(request.uri.queryParameters.get("page") ?? "") ?? 1)
            let reviewed = try await reviews.reviewedPage(inspectionID: inspection.id, offset: (page - 1) * Self.pageSize, limit: Self.pageSize)
            try await dependencies.accounts.audit.record(
                .freeTextReviewViewed,
                actor: dependencies.accounts.actor(request, context),
                subject: .inspection(inspection.id),
                details: ["shown": .int(Int64(reviewed.items.count)), "reviewed_list": .bool(true)]
            )
            let publishedOn = try await publications.publishedOn(inspection.id)
            return dependencies.templates.page(
                "report/free-text-reviewed",
                ReviewedAnswersPage(
                    inspection: inspection,
                    reviewed: reviewed,
                    page: page,
                    pageSize: Self.pageSize,
                    form: dependencies.forms.current(id: Self.victimFormID),
                    session: session,
                    publishedOn: publishedOn
                )
            )
        }
        staff.get("/inspections/:id/report/free-text/answer", .viewReport) { request, context, session in
            let inspection = try await authorise(context, session, store: workStore)
            let responseID = request.uri.queryParameters.get("response") ?? ""
            let questionID = request.uri.queryParameters.get("question") ?? ""
            // An answer that is not there (a stale link, or deleted by retention): back to the list of answers.
            guard let answer = try await reviews.answer(inspectionID: inspection.id, responseID: responseID, questionID: questionID) else {
                return Response(status: .seeOther, headers: [.location: "/inspections/\(inspection.id)/report/free-text/reviewed"])
            }
            try await dependencies.accounts.audit.record(
                .freeTextReviewViewed,
                actor: dependencies.accounts.actor(request, context),
                subject: .inspection(inspection.id),
                details: ["shown": .int(1), "safeguarding": .bool(answer.safeguarding)]
            )
            let draft = ReviewDraft(answer, tags: try await themeStore.tags(responseID: answer.responseID, questionID: answer.questionID))
            if try await publications.publishedOn(inspection.id) != nil {
                var response = try await answerPage(
                    inspection,
                    answer,
                    draft: draft,
                    session: session,
                    preview: false,
                    message: "This report is published: its free text can no longer be reviewed."
                )
                response.status = .conflict
                return response
            }
            return try await answerPage(inspection, answer, draft: draft, session: session, preview: false, message: nil)
        }
        staff.get("/inspections/:id/report/safeguarding", .viewReport) { request, context, session in
            let inspection = try await authorise(context, session, store: workStore)
            _ = try await InspectionAccess(database: dependencies.database).resolve(inspection.id, session, .lead)
            let items = try await reviews.safeguarding(inspectionID: inspection.id)
            try await dependencies.accounts.audit.record(
                .safeguardingViewed,
                actor: dependencies.accounts.actor(request, context),
                subject: .inspection(inspection.id),
                details: ["items": .int(Int64(items.count))]
            )
            return dependencies.templates.page(
                "report/safeguarding",
                SafeguardingPage(
                    inspection: inspection,
                    items: items,
                    session: session,
                    procedure: dependencies.configuration.safeguardingProcedure
                )
            )
        }
    }

    /// Reviewed answers per page of the correction list.
    static let pageSize = 50

    /// One answer's review page: the original, the current review, the form, and a preview of the redaction.
    private func answerPage(
        _ inspection: ReportStore.InspectionFacts,
        _ answer: FreeTextReviewStore.Item,
        draft: ReviewDraft,
        session: StaffSession,
        preview: Bool,
        message: String?
    ) async throws -> Response {
        dependencies.templates.page(
            "report/free-text-answer",
            ReviewAnswerPage(
                inspection: inspection,
                answer: answer,
                draft: draft,
                preview: preview ? FreeTextReviewStore.redact(answer.text, phrases: draft.phrases) : nil,
                form: dependencies.forms.current(id: Self.victimFormID),
                themes: try await themeStore.themes(inspectionID: inspection.id, defaults: dependencies.themes),
                session: session,
                message: message
            )
        )
    }

    private func reviewPage(
        _ inspection: ReportStore.InspectionFacts,
        _ request: Request,
        _ context: AppRequestContext,
        _ session: StaffSession,
        message: String?
    ) async throws -> Response {
        let publishedOn = try await publications.publishedOn(inspection.id)
        var pending: (items: [FreeTextReviewStore.Item], total: Int) = ([], 0)
        if publishedOn == nil { pending = try await reviews.pending(inspectionID: inspection.id) }
        try await dependencies.accounts.audit.record(
            .freeTextReviewViewed,
            actor: dependencies.accounts.actor(request, context),
            subject: .inspection(inspection.id),
            details: ["shown": .int(Int64(pending.items.count))]
        )
        let form = dependencies.forms.current(id: Self.victimFormID)
        return dependencies.templates.page(
            "report/free-text",
            FreeTextPage(
                inspection: inspection,
                pending: pending,
                form: form,
                themes: try await themeStore.themes(inspectionID: inspection.id, defaults: dependencies.themes),
                session: session,
                message: message,
                publishedOn: publishedOn,
                suppressBelow: dependencies.configuration.disclosureRules.suppressBelow
            )
        )
    }

    var reviews: FreeTextReviewStore { FreeTextReviewStore(database: dependencies.database) }

    var themeStore: FreeTextThemeStore { FreeTextThemeStore(database: dependencies.database) }

    var publications: PublicationStore { PublicationStore(database: dependencies.database) }

    private func audit(
        export format: String,
        _ inspection: ReportStore.InspectionFacts,
        _ request: Request,
        _ context: AppRequestContext
    ) async throws {
        try await dependencies.accounts.audit.record(
            .reportExported,
            actor: dependencies.accounts.actor(request, context),
            subject: .inspection(inspection.id),
            details: ["format": .code(format)]
        )
    }

    /// The report built now from the raw figures (before publication), with the reviewed free text.
    private func load(_ inspection: ReportStore.InspectionFacts) async throws -> StakeholderReport {
        let report = try await StakeholderReport.load(
            inspection: inspection,
            store: store,
            forms: dependencies.forms,
            rules: dependencies.configuration.disclosureRules
        )
        let reportReviews = FreeTextReviewStore(database: dependencies.reportDatabase)
        return report.with(freeText: try await reportReviews.reviewed(inspectionID: inspection.id))
    }

    /// Whether the reader may open the safeguarding list: the lead inspector or an administrator.
    private func canSeeSafeguarding(_ inspection: ReportStore.InspectionFacts, _ session: StaffSession) async throws -> Bool {
        if session.user.role == .admin { return true }
        return try await InspectionStore(database: dependencies.database).assignment(inspectionID: inspection.id, userID: Int(session.user.id))?
            .isLead
            ?? false
    }

    /// The inspection, after checking it exists (404) and that an inspector is assigned to it (403).
    func authorise(_ context: AppRequestContext, _ session: StaffSession, store: ReportStore) async throws -> ReportStore.InspectionFacts {
        let id = try await InspectionAccess(database: dependencies.database).resolve(context, session, .assigned).inspection.id
        // The facts the report shows (the area's name) come through the report's own pool.
        guard let inspection = try await store.inspection(id) else { throw HTTPError(.notFound) }
        return inspection
    }

}
