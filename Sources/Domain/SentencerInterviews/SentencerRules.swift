import Forms
import Foundation
import Postgres

/// The checks on a meeting record beyond the schedule's own: the extra header fields, a date within the inspection,
/// and attendance of 0–50 per role with at least one attendee.
///
/// The date must fall on or after the day the inspection was announced and on or before the earlier of today and the
/// publication date (a meeting is recorded after it happens, and evidence closes when the report is published).
package struct SentencerRules: Sendable {
    let form: FormDefinition
    let inspection: Inspection
    let today: LocalDate

    package init(form: FormDefinition, inspection: Inspection, today: LocalDate) {
        self.form = form
        self.inspection = inspection
        self.today = today
    }

    /// The latest allowed meeting date.
    var latestDate: LocalDate {
        guard let published = inspection.publishedOn else { return today }
        return min(published, today)
    }

    /// Reads a page's post into the answers so far: the schedule's questions through `FormDefinition.submit`, the
    /// extra header fields by hand. Returns every answer and the page's errors, in page order.
    package func submit(page: FormPage, post: [(name: String, value: String)], previous: Answers) -> (answers: Answers, errors: [FieldError]) {
        let submission = form.submit(page: page, post: post, previous: previous, language: .en)
        var answers = submission.answers
        for key in SentencerSchedule.extraKeys { answers[key] = previous[key] }
        if page.id == SentencerSchedule.meetingPage {
            let mode = post.filter { $0.name == SentencerSchedule.modeKey && !$0.value.isEmpty }.map(\.value)
            answers[SentencerSchedule.modeKey] = mode.isEmpty ? nil : .codes(mode)
            let court = post.last { $0.name == SentencerSchedule.courtNameKey }?.value.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            answers[SentencerSchedule.courtNameKey] = court.isEmpty ? nil : .text(court)
        }
        return (answers, check(page: page, answers: answers, formErrors: submission.errors))
    }

    /// The errors on one page: the schedule's, with this service's checks added or put in their place.
    func check(page: FormPage, answers: Answers, formErrors: [FieldError]) -> [FieldError] {
        var mine: [FieldError] = []
        if page.id == SentencerSchedule.meetingPage {
            if let error = dateError(answers), !formErrors.contains(where: { $0.questionId == "meeting_date" }) { mine.append(error) }
            let mode = answers[SentencerSchedule.modeKey]?.codes ?? []
            if mode.count != 1 || !SentencerSchedule.modes.contains(where: { $0.code == mode[0] }) {
                mine.append(
                    Self.error(SentencerSchedule.modeKey, nil, .requiredChoice, "How the meeting was held", "Select how the meeting was held")
                )
            }
            if case .text(let court)? = answers[SentencerSchedule.courtNameKey] {
                if court.count > SentencerSchedule.courtNameMaximum {
                    mine.append(
                        Self.error(SentencerSchedule.courtNameKey, nil, .textTooLong, "Court name", "Court name must be 100 characters or fewer")
                    )
                } else if court.contains(where: \.isNewline) {
                    mine.append(Self.error(SentencerSchedule.courtNameKey, nil, .answerInvalid, "Court name", "Court name must be on one line"))
                }
            } else {
                mine.append(Self.error(SentencerSchedule.courtNameKey, nil, .requiredText, "Court name", "Enter the name of the court"))
            }
        }
        if page.id == SentencerSchedule.attendeesPage { mine += attendanceErrors(answers) }
        if SentencerSchedule.topics.contains(page.id), answers["\(page.id)_quote"] != nil, answers["\(page.id)_quote_role"] == nil,
            !formErrors.contains(where: { $0.questionId == "\(page.id)_quote_role" })
        {
            // Quotes are attributed by role: a quote without one cannot be used in the report.
            mine.append(Self.error("\(page.id)_quote_role", nil, .requiredChoice, "Who said it?", "Select the role of the person who said the quote"))
        }
        let replaced = Set(mine.map(\.questionId))
        let all = formErrors.filter { !replaced.contains($0.questionId) } + mine
        let order = page.questions.map(\.id) + SentencerSchedule.extraKeys
        return all.sorted { (order.firstIndex(of: $0.questionId) ?? 99) < (order.firstIndex(of: $1.questionId) ?? 99) }
    }

    /// Every error in the whole record, for marking it final, with the page each is on.
    package func checkAll(_ answers: Answers) -> [(page: String, error: FieldError)] {
        form.shownPages(answers: answers).flatMap { page in
            let formErrors = form.validate(page: page, answers: answers, language: .en)
            return check(page: page, answers: answers, formErrors: formErrors).map { (page.id, $0) }
        }
    }

    private func dateError(_ answers: Answers) -> FieldError? {
        guard case .date(let parts)? = answers["meeting_date"], let iso = parts.isoString, let date = LocalDate(iso: iso) else { return nil }
        guard date < inspection.announcedOn || date > latestDate else { return nil }
        let message =
            "The date of the meeting must be between \(inspection.announcedOn.govuk) (the inspection was announced) and \(latestDate.govuk)"
        return Self.error("meeting_date", "meeting_date-day", .dateInvalid, "Date of the meeting", message)
    }

    private func attendanceErrors(_ answers: Answers) -> [FieldError] {
        var errors: [FieldError] = []
        var total = 0
        for role in SentencerSchedule.roles {
            let id = SentencerSchedule.attendanceQuestion(role.code)
            guard let answer = answers[id] else { continue }
            guard let count = answer.integer else { continue }  // the schedule's own "whole number" error stands
            if count < 0 || count > SentencerSchedule.maximumAttendees {
                let message = "Enter a number of \(role.label.lowercased()) between 0 and \(SentencerSchedule.maximumAttendees)"
                errors.append(Self.error(id, nil, .numberBetween, role.label, message))
            } else {
                total += count
            }
        }
        if errors.isEmpty && total == 0 {
            let first = SentencerSchedule.attendanceQuestion(SentencerSchedule.roles[0].code)
            errors.append(Self.error(first, nil, .requiredNumber, "Who attended", "Enter how many attended in at least one role"))
        }
        return errors
    }

    static func error(_ question: String, _ field: String?, _ key: MessageKey, _ label: String, _ message: String) -> FieldError {
        FieldError(questionId: question, fieldId: field ?? question, key: key, message: message, summaryText: "\(label) \u{2013} \(message)")
    }
}
