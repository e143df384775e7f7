import Forms
import Foundation
import Postgres

/// The free-text review page: unreviewed answers, each with a form to redact, flag and mark reviewed.
struct FreeTextPage: Sendable {
    struct Item: Sendable {
        let number: Int
        let responseID: String
        let questionID: String
        let question: String
        let text: String
    }
    let title = "Review free-text answers"
    let staff: StaffChrome
    let csrfToken: String
    let inspectionTitle: String
    let reportHref: String
    let action: String
    let items: [Item]
    let hasItems: Bool
    let remaining: String
    let message: String?

    init(
        inspection: ReportStore.InspectionFacts,
        pending: (items: [FreeTextReviewStore.Item], total: Int),
        form: FormDefinition?,
        session: StaffSession,
        message: String?,
        publishedOn: LocalDate? = nil
    ) {
        staff = StaffChrome(session)
        csrfToken = session.csrfToken
        inspectionTitle = inspection.title
        reportHref = "/inspections/\(inspection.id)/report"
        action = "/inspections/\(inspection.id)/report/free-text"
        items = pending.items.enumerated().map { index, item in
            Item(
                number: index + 1,
                responseID: item.responseID,
                questionID: item.questionID,
                question: form?.question(id: item.questionID)?.label.text(.en) ?? item.questionID,
                text: item.text
            )
        }
        hasItems = !items.isEmpty
        if let publishedOn {
            remaining = "\(PublishedReport.notice(publishedOn)). Free-text answers can no longer be reviewed for this report."
        } else {
            remaining =
                pending.total == 0
                ? "Every free-text answer has been reviewed."
                : "\(pending.total) answers are waiting for review; the first \(items.count) are shown."
        }
        self.message = message
    }
}

/// The lead inspector's list of answers flagged as a safeguarding concern.
struct SafeguardingPage: Sendable {
    struct Item: Sendable {
        let questionID: String
        let text: String
    }
    let title = "Safeguarding concerns"
    let staff: StaffChrome
    let inspectionTitle: String
    let reportHref: String
    let items: [Item]
    let hasItems: Bool

    init(inspection: ReportStore.InspectionFacts, items: [FreeTextReviewStore.Item], session: StaffSession) {
        staff = StaffChrome(session)
        inspectionTitle = inspection.title
        reportHref = "/inspections/\(inspection.id)/report"
        self.items = items.map { Item(questionID: ReportContent.shortLabel($0.questionID), text: $0.text) }
        hasItems = !items.isEmpty
    }
}
