import Forms
import Foundation
import Postgres

/// Answers as people read them (option labels, not codes), and the differences between two sets of answers.
package struct SentencerAnswerText: Sendable {
    let form: FormDefinition

    package init(form: FormDefinition) {
        self.form = form
    }

    /// One field that differs between two versions.
    package struct Change: Sendable, Equatable {
        package let key: String
        package let label: String
        package let before: String
        package let after: String
    }

    /// Every answer key in the order a person meets it: the schedule's questions, the extra header fields after the
    /// meeting page's questions.
    var orderedKeys: [String] {
        form.pages.flatMap { page in
            page.questions.map(\.id) + (page.id == SentencerSchedule.meetingPage ? SentencerSchedule.extraKeys : [])
        }
    }

    /// The label of an answer key.
    package func label(_ key: String) -> String {
        switch key {
        case SentencerSchedule.modeKey: return "How the meeting was held"
        case SentencerSchedule.courtNameKey: return "Court name"
        default:
            guard let question = form.question(id: key) else { return key }
            let page = form.pages.first { $0.questions.contains { $0.id == key } }
            let topic = page.flatMap { SentencerSchedule.topics.contains($0.id) ? $0.id.uppercased() : nil }
            return topic.map { "\($0): \(question.label.en)" } ?? question.label.en
        }
    }

    /// The answer to `key` as text; "" when there is none.
    package func text(_ key: String, _ answer: AnswerValue?) -> String {
        guard let answer else { return "" }
        switch answer {
        case .codes(let codes):
            if key == SentencerSchedule.modeKey { return codes.map(SentencerSchedule.modeLabel).joined(separator: ", ") }
            let question = form.question(id: key)
            return codes.map { code in question?.option(code: code)?.label.en ?? code }.joined(separator: ", ")
        case .text(let text):
            return text
        case .number(let raw):
            return raw
        case .date(let parts):
            if let iso = parts.isoString, let date = LocalDate(iso: iso) { return date.govuk }
            return "\(parts.day)/\(parts.month)/\(parts.year)"
        }
    }

    /// The fields that differ between `before` and `after`, in page order.
    package func changes(from before: Answers, to after: Answers) -> [Change] {
        orderedKeys.compactMap { key in
            guard before[key] != after[key] else { return nil }
            return Change(key: key, label: label(key), before: text(key, before[key]), after: text(key, after[key]))
        }
    }

    /// The keys whose answers differ, in page order.
    package func changedKeys(from before: Answers, to after: Answers) -> [String] {
        orderedKeys.filter { before[$0] != after[$0] }
    }
}
