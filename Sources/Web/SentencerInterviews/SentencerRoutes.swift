import Domain
import Forms
import Foundation
import Hummingbird

/// The inspectors' pages for meetings with sentencers (issue 7, DOMAIN.md §4).
///
/// Only inspectors assigned to the inspection, and administrators, see or edit its meetings; VLOs lack the permission.
/// Every form posts to the URL of the page it is on, so a form kept when a session expires comes back on that page.
/// Every page showing a meeting's content is recorded in the audit log.
struct SentencerRoutes: Sendable {
    let dependencies: AppDependencies

    var templates: Templates { dependencies.templates }
    var accounts: Accounts { dependencies.accounts }
    var store: SentencerMeetingStore {
        SentencerMeetingStore(database: dependencies.database, audit: accounts.audit, now: dependencies.now)
    }
    var inspections: InspectionStore { InspectionStore(database: dependencies.database) }

    func register(on staff: StaffRouter) {
        staff.get("/inspections/:id/sentencer-meetings", .recordSentencerMeetings) { request, context, session in
            try await listPage(request, context, session)
        }
        staff.get("/inspections/:id/sentencer-meetings/new", .recordSentencerMeetings) { request, context, session in
            try await newMeeting(request, context, session, posted: false)
        }
        staff.post("/inspections/:id/sentencer-meetings/new", .recordSentencerMeetings) { request, context, session in
            try await newMeeting(request, context, session, posted: true)
        }
        staff.get("/inspections/:id/sentencer-evidence.csv", .recordSentencerMeetings) { request, context, session in
            try await export(request, context, session, format: .csv)
        }
        staff.get("/inspections/:id/sentencer-evidence.json", .recordSentencerMeetings) { request, context, session in
            try await export(request, context, session, format: .json)
        }
        staff.get("/sentencer-meetings/:meeting", .recordSentencerMeetings) { request, context, session in
            let (meeting, inspection, form) = try await load(context, session)
            try await audit(.sentencerMeetingViewed, request, context, meeting, page: "record")
            return recordPage(session, meeting, inspection, form, errors: [], conflict: false)
        }
        staff.post("/sentencer-meetings/:meeting/final", .recordSentencerMeetings) { request, context, session in
            try await markFinal(request, context, session)
        }
        staff.get("/sentencer-meetings/:meeting/history", .recordSentencerMeetings) { request, context, session in
            try await historyPage(request, context, session)
        }
        staff.get("/sentencer-meetings/:meeting/pages/:page", .recordSentencerMeetings) { request, context, session in
            try await editPage(request, context, session)
        }
        staff.post("/sentencer-meetings/:meeting/pages/:page", .recordSentencerMeetings) { request, context, session in
            try await savePage(request, context, session)
        }
    }

    // MARK: Access

    /// The schedule's current definition (the server does not start without it).
    private var currentForm: FormDefinition {
        get throws {
            guard let form = dependencies.forms.current(id: SentencerSchedule.formID) else { throw HTTPError(.internalServerError) }
            return form
        }
    }

    /// The inspection, when `session` may see its meetings: administrators, and inspectors assigned to it.
    private func authorise(_ session: StaffSession, inspectionID: Int) async throws -> Inspection {
        try await InspectionAccess(database: dependencies.database).resolve(inspectionID, session, .assigned).inspection
    }

    private func inspectionParameter(_ context: AppRequestContext) throws -> Int {
        guard let id = context.parameters.get("id", as: Int.self) else { throw HTTPError(.notFound) }
        return id
    }

    /// The meeting in the URL, its inspection (after the access check) and the schedule version it was answered on.
    private func load(_ context: AppRequestContext, _ session: StaffSession) async throws -> (SentencerMeeting, Inspection, FormDefinition) {
        guard let id = context.parameters.get("meeting", as: Int64.self), let meeting = try await store.meeting(id: id) else {
            throw HTTPError(.notFound)
        }
        let inspection = try await authorise(session, inspectionID: meeting.inspectionID)
        guard let form = dependencies.forms.definition(id: meeting.formID, version: meeting.formVersion) else {
            throw HTTPError(.internalServerError)
        }
        return (meeting, inspection, form)
    }

    private func editor(_ request: Request, _ context: AppRequestContext, _ session: StaffSession) -> SentencerEditor {
        SentencerEditor(userID: session.user.id, actor: accounts.actor(request, context))
    }

    private func audit(_ event: AuditEvent, _ request: Request, _ context: AppRequestContext, _ meeting: SentencerMeeting, page: String) async throws
    {
        try await accounts.audit.record(
            event,
            actor: accounts.actor(request, context),
            subject: .sentencerMeeting(meeting.id),
            details: ["inspection": .int(Int64(meeting.inspectionID)), "revision": .int(Int64(meeting.revision)), "page": .code(page)]
        )
    }

    private func rules(_ form: FormDefinition, _ inspection: Inspection) -> SentencerRules {
        SentencerRules(form: form, inspection: inspection, today: dependencies.today)
    }

    // MARK: List

    private func listPage(_ request: Request, _ context: AppRequestContext, _ session: StaffSession) async throws -> Response {
        let inspection = try await authorise(session, inspectionID: try inspectionParameter(context))
        let meetings = try await store.meetings(inspectionID: inspection.id)
        let byRole = try await store.attendanceByRole(inspectionID: inspection.id)
        try await accounts.audit.record(
            .sentencerMeetingsListed,
            actor: accounts.actor(request, context),
            subject: AuditSubject(type: "inspection", id: String(inspection.id)),
            details: ["meetings": .int(Int64(meetings.count))]
        )
        let model = SentencerListPage(
            title: "Meetings with sentencers",
            staff: StaffChrome(session),
            csrfToken: session.csrfToken,
            inspectionTitle: inspection.title,
            inspectionID: inspection.id,
            meetings: meetings.map(SentencerListPage.Row.init),
            hasMeetings: !meetings.isEmpty,
            finalCount: meetings.filter { $0.status == .final }.count,
            draftCount: meetings.filter { $0.status == .draft }.count,
            roles: SentencerSchedule.roles.map { role in
                SentencerListPage.Count(label: role.label, meetings: byRole[role.code]?.meetings ?? 0, people: byRole[role.code]?.attendees ?? 0)
            },
            formats: SentencerSchedule.formats.map { format in
                SentencerListPage.Count(label: format.label, meetings: meetings.filter { $0.format == format.code }.count, people: 0)
            },
            modes: SentencerSchedule.modes.map { mode in
                SentencerListPage.Count(label: mode.label, meetings: meetings.filter { $0.mode == mode.code }.count, people: 0)
            }
        )
        return templates.page("sentencer/list", model)
    }

    // MARK: Pages of the schedule

    private func newMeeting(_ request: Request, _ context: AppRequestContext, _ session: StaffSession, posted: Bool) async throws -> Response {
        let inspection = try await authorise(session, inspectionID: try inspectionParameter(context))
        let form = try currentForm
        guard let page = form.page(id: SentencerSchedule.meetingPage) else { throw HTTPError(.internalServerError) }
        let rules = rules(form, inspection)
        let action = "/inspections/\(inspection.id)/sentencer-meetings/new"
        let back = "/inspections/\(inspection.id)/sentencer-meetings"
        guard posted else {
            let restored = context.restoredForm
            let answers = restored.map { rules.submit(page: page, post: Self.pairs($0), previous: [:]).answers } ?? [:]
            return formPage(
                session,
                inspection,
                form,
                page,
                answers: answers,
                errors: [],
                revision: 0,
                action: action,
                back: back,
                restored: restored != nil
            )
        }
        let submission = rules.submit(page: page, post: Self.pairs(context.staffForm), previous: [:])
        guard submission.errors.isEmpty else {
            return formPage(
                session,
                inspection,
                form,
                page,
                answers: submission.answers,
                errors: submission.errors,
                revision: 0,
                action: action,
                back: back
            )
        }
        let id = try await store.create(inspectionID: inspection.id, form: form, answers: submission.answers, by: editor(request, context, session))
        return StaffMiddleware.redirect("/sentencer-meetings/\(id)/pages/\(SentencerSchedule.attendeesPage)")
    }

    private func editPage(_ request: Request, _ context: AppRequestContext, _ session: StaffSession) async throws -> Response {
        let (meeting, inspection, form) = try await load(context, session)
        guard let pageID = context.parameters.get("page"), let page = form.page(id: pageID) else { throw HTTPError(.notFound) }
        try await audit(.sentencerMeetingViewed, request, context, meeting, page: page.id)
        var answers = meeting.answers
        var revision = meeting.revision
        if let restored = context.restoredForm {
            answers = rules(form, inspection).submit(page: page, post: Self.pairs(restored), previous: meeting.answers).answers
            revision = Int(restored.trimmed("revision")) ?? meeting.revision
        }
        return formPage(
            session,
            inspection,
            form,
            page,
            answers: answers,
            errors: [],
            revision: revision,
            action: Self.pageHref(meeting.id, page.id),
            back: "/sentencer-meetings/\(meeting.id)",
            restored: context.restoredForm != nil
        )
    }

    private func savePage(_ request: Request, _ context: AppRequestContext, _ session: StaffSession) async throws -> Response {
        let (meeting, inspection, form) = try await load(context, session)
        guard let pageID = context.parameters.get("page"), let page = form.page(id: pageID) else { throw HTTPError(.notFound) }
        let posted = context.staffForm ?? StaffForm(fields: [])
        let basedOn = Int(posted.trimmed("revision")) ?? -1
        let rules = rules(form, inspection)
        let submission = rules.submit(page: page, post: Self.pairs(posted), previous: meeting.answers)
        let action = Self.pageHref(meeting.id, page.id)
        guard submission.errors.isEmpty else {
            return formPage(
                session,
                inspection,
                form,
                page,
                answers: submission.answers,
                errors: submission.errors,
                revision: basedOn,
                action: action,
                back: "/sentencer-meetings/\(meeting.id)"
            )
        }
        let text = SentencerAnswerText(form: form)
        let outcome = try await store.save(
            meetingID: meeting.id,
            basedOn: basedOn,
            answers: submission.answers,
            finalise: false,
            changedKeys: { text.changedKeys(from: $0, to: submission.answers) },
            by: editor(request, context, session)
        )
        switch outcome {
        case .conflict(let current):
            try await audit(.sentencerMeetingConflict, request, context, current, page: page.id)
            return conflictPage(session, inspection, form, page, current: current, yours: submission.answers, posted: posted)
        case .saved:
            let pages = form.shownPages(answers: submission.answers)
            let index = pages.firstIndex { $0.id == page.id }
            if posted.trimmed("action") != "record", let index, index + 1 < pages.count {
                return StaffMiddleware.redirect(Self.pageHref(meeting.id, pages[index + 1].id))
            }
            return StaffMiddleware.redirect("/sentencer-meetings/\(meeting.id)")
        }
    }

    private func formPage(
        _ session: StaffSession,
        _ inspection: Inspection,
        _ form: FormDefinition,
        _ page: FormPage,
        answers: Answers,
        errors: [FieldError],
        revision: Int,
        action: String,
        back: String,
        restored: Bool = false
    ) -> Response {
        let isMeeting = page.id == SentencerSchedule.meetingPage
        let mode = answers[SentencerSchedule.modeKey]?.codes.first
        var court = ""
        if case .text(let text)? = answers[SentencerSchedule.courtNameKey] { court = text }
        let model = SentencerFormPage(
            title: FormRenderer.pageTitle(page: page, of: form, answers: answers, hasErrors: !errors.isEmpty, language: .en),
            staff: StaffChrome(session),
            csrfToken: session.csrfToken,
            inspectionTitle: inspection.title,
            action: action,
            back: back,
            revision: revision,
            errorSummary: FormRenderer.renderErrorSummary(errors: errors, language: .en),
            questions: FormRenderer.render(page: page, of: form, answers: answers, errors: errors, language: .en),
            isMeetingPage: isMeeting,
            modes: SentencerSchedule.modes.enumerated().map { index, option in
                SentencerFormPage.Radio(
                    id: index == 0 ? SentencerSchedule.modeKey : "\(SentencerSchedule.modeKey)-\(index + 1)",
                    value: option.code,
                    label: option.label,
                    checked: option.code == mode
                )
            },
            modeError: errors.first { $0.questionId == SentencerSchedule.modeKey }?.message,
            courtName: InputField(
                id: SentencerSchedule.courtNameKey,
                label: "Court name",
                value: court,
                hint: "For example, Cardiff Magistrates' Court. The court, not the people in it.",
                error: errors.first { $0.questionId == SentencerSchedule.courtNameKey }?.message,
                maxLength: SentencerSchedule.courtNameMaximum
            ),
            restored: restored,
            isNew: revision == 0
        )
        return templates.page("sentencer/page", model, status: errors.isEmpty ? .ok : .badRequest)
    }

    private func conflictPage(
        _ session: StaffSession,
        _ inspection: Inspection,
        _ form: FormDefinition,
        _ page: FormPage,
        current: SentencerMeeting,
        yours: Answers,
        posted: StaffForm
    ) -> Response {
        let text = SentencerAnswerText(form: form)
        let keys = Set(page.questions.map(\.id) + (page.id == SentencerSchedule.meetingPage ? SentencerSchedule.extraKeys : []))
        let changes = text.changes(from: current.answers, to: yours).filter { keys.contains($0.key) }
        let model = SentencerConflictPage(
            title: "Someone else changed this record while you were editing it",
            staff: StaffChrome(session),
            csrfToken: session.csrfToken,
            inspectionTitle: inspection.title,
            changedBy: current.updatedByName,
            changedAt: Self.dateTime(current.updatedAt),
            rows: changes.map { change in
                SentencerConflictPage.Row(label: change.label, yours: Self.lines(change.after), saved: Self.lines(change.before))
            },
            pageHref: Self.pageHref(current.id, page.id),
            recordHref: "/sentencer-meetings/\(current.id)",
            revision: current.revision,
            kept: posted.fields.filter { $0.0 != Accounts.csrfField && $0.0 != "revision" && $0.0 != "action" }.map {
                SentencerConflictPage.Field(name: $0.0, value: $0.1)
            }
        )
        return templates.page("sentencer/conflict", model, status: .conflict)
    }

    // MARK: The record, final, history

    private func recordPage(
        _ session: StaffSession,
        _ meeting: SentencerMeeting,
        _ inspection: Inspection,
        _ form: FormDefinition,
        errors: [(page: String, error: FieldError)],
        conflict: Bool
    ) -> Response {
        let text = SentencerAnswerText(form: form)
        let sections = form.shownPages(answers: meeting.answers).map { page in
            let keys =
                form.shownQuestions(on: page, answers: meeting.answers).map(\.id)
                + (page.id == SentencerSchedule.meetingPage ? SentencerSchedule.extraKeys : [])
            return SentencerRecordPage.Section(
                title: page.title?.en ?? page.id,
                changeHref: Self.pageHref(meeting.id, page.id),
                rows: keys.map { key in
                    let value = text.text(key, meeting.answers[key])
                    return SentencerRecordPage.Row(label: text.label(key), lines: Self.lines(value), empty: value.isEmpty)
                }
            )
        }
        let model = SentencerRecordPage(
            title: "Meeting with sentencers",
            staff: StaffChrome(session),
            csrfToken: session.csrfToken,
            inspectionTitle: inspection.title,
            listHref: "/inspections/\(inspection.id)/sentencer-meetings",
            historyHref: "/sentencer-meetings/\(meeting.id)/history",
            finalAction: "/sentencer-meetings/\(meeting.id)/final",
            isFinal: meeting.status == .final,
            revision: meeting.revision,
            updatedBy: meeting.updatedByName,
            updatedAt: Self.dateTime(meeting.updatedAt),
            finalisedBy: meeting.finalisedByName,
            finalisedAt: meeting.finalisedAt.map(Self.dateTime),
            sections: sections,
            errors: errors.map {
                SentencerRecordPage.LinkedError(href: Self.pageHref(meeting.id, $0.page) + "#" + $0.error.fieldId, text: $0.error.summaryText)
            },
            hasErrors: !errors.isEmpty,
            conflict: conflict
        )
        let status: HTTPResponse.Status = conflict ? .conflict : (errors.isEmpty ? .ok : .badRequest)
        return templates.page("sentencer/record", model, status: status)
    }

    private func markFinal(_ request: Request, _ context: AppRequestContext, _ session: StaffSession) async throws -> Response {
        let (meeting, inspection, form) = try await load(context, session)
        let basedOn = Int(context.staffForm?.trimmed("revision") ?? "") ?? -1
        let errors = rules(form, inspection).checkAll(meeting.answers)
        guard errors.isEmpty else {
            try await audit(.sentencerMeetingViewed, request, context, meeting, page: "record")
            return recordPage(session, meeting, inspection, form, errors: errors, conflict: false)
        }
        let outcome = try await store.save(
            meetingID: meeting.id,
            basedOn: basedOn,
            answers: meeting.answers,
            finalise: true,
            changedKeys: { _ in [] },
            by: editor(request, context, session)
        )
        switch outcome {
        case .conflict(let current):
            try await audit(.sentencerMeetingConflict, request, context, current, page: "record")
            return recordPage(session, current, inspection, form, errors: [], conflict: true)
        case .saved:
            return StaffMiddleware.redirect("/sentencer-meetings/\(meeting.id)")
        }
    }

    private func historyPage(_ request: Request, _ context: AppRequestContext, _ session: StaffSession) async throws -> Response {
        let (meeting, inspection, form) = try await load(context, session)
        try await audit(.sentencerMeetingViewed, request, context, meeting, page: "history")
        let text = SentencerAnswerText(form: form)
        let revisions = try await store.revisions(meetingID: meeting.id)
        let rows = revisions.enumerated().map { index, revision in
            let previous = index + 1 < revisions.count ? revisions[index + 1].answers : nil
            let changes = previous.map { text.changes(from: $0, to: revision.answers) } ?? []
            return SentencerHistoryPage.Revision(
                revision: revision.revision,
                statusLabel: revision.status == .final ? "Final" : "Draft",
                savedBy: revision.savedByName,
                savedAt: Self.dateTime(revision.savedAt),
                isFirst: previous == nil,
                changes: changes.map { SentencerHistoryPage.Change(label: $0.label, before: Self.lines($0.before), after: Self.lines($0.after)) },
                hasChanges: !changes.isEmpty,
                onlyStatus: previous != nil && changes.isEmpty
            )
        }
        let model = SentencerHistoryPage(
            title: "History of this meeting record",
            staff: StaffChrome(session),
            csrfToken: session.csrfToken,
            inspectionTitle: inspection.title,
            recordHref: "/sentencer-meetings/\(meeting.id)",
            revisions: rows
        )
        return templates.page("sentencer/history", model)
    }

    // MARK: Export

    private func export(
        _ request: Request,
        _ context: AppRequestContext,
        _ session: StaffSession,
        format: SentencerExport.Format
    ) async throws
        -> Response
    {
        let inspection = try await authorise(session, inspectionID: try inspectionParameter(context))
        let export = SentencerExport(
            inspectionID: inspection.id,
            meetings: try await store.meetings(inspectionID: inspection.id),
            attendance: try await store.attendance(inspectionID: inspection.id),
            topics: try await store.topics(inspectionID: inspection.id)
        )
        try await accounts.audit.record(
            .sentencerEvidenceExported,
            actor: accounts.actor(request, context),
            subject: AuditSubject(type: "inspection", id: String(inspection.id)),
            details: ["format": .code(format.rawValue), "meetings": .int(Int64(export.meetings.count))]
        )
        let body: String
        switch format {
        case .csv: body = export.csv()
        case .json: body = try export.json()
        }
        let filename = "sentencer-evidence-inspection-\(inspection.id).\(format.rawValue)"
        return Response.download(body, type: format == .csv ? "text/csv; charset=utf-8" : "application/json; charset=utf-8", name: filename)
    }

    // MARK: Helpers

    static func pageHref(_ meeting: Int64, _ page: String) -> String { "/sentencer-meetings/\(meeting)/pages/\(page)" }

    static func pairs(_ form: StaffForm?) -> [(name: String, value: String)] {
        (form?.fields ?? []).map { (name: $0.0, value: $0.1) }
    }

    static func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// "26 November 2026 at 10:00" in UK time.
    static func dateTime(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = AppDependencies.london
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        let day = LocalDate(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1).map(\.govuk) ?? ""
        let hour = parts.hour ?? 0
        let minute = parts.minute ?? 0
        return "\(day) at \(hour < 10 ? "0" : "")\(hour):\(minute < 10 ? "0" : "")\(minute)"
    }
}
