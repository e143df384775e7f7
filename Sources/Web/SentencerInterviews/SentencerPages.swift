import Domain
import Foundation

/// An inspection's meetings with sentencers, with counts by role, format and mode (counts, never percentages).
struct SentencerListPage: Sendable {
    struct Row: Sendable {
        let id: Int64
        let date: String
        let format: String
        let mode: String
        let court: String
        let weekPlusTwo: Bool
        let isFinal: Bool
        let revision: Int
        let attendees: Int

        init(_ summary: SentencerMeetingSummary) {
            id = summary.id
            date = summary.date.govuk
            format = SentencerSchedule.formatLabel(summary.format)
            mode = SentencerSchedule.modeLabel(summary.mode)
            court = summary.courtName
            weekPlusTwo = summary.weekPlusTwo
            isFinal = summary.status == .final
            revision = summary.revision
            attendees = summary.attendees
        }
    }

    /// A count of meetings (and, for roles, of people).
    struct Count: Sendable {
        let label: String
        let meetings: Int
        let people: Int
    }

    let title: String
    let staff: StaffChrome
    let csrfToken: String
    let inspectionTitle: String
    let inspectionID: Int
    let meetings: [Row]
    let hasMeetings: Bool
    let finalCount: Int
    let draftCount: Int
    let roles: [Count]
    let formats: [Count]
    let modes: [Count]
}

/// One page of the schedule, rendered by the shared form renderer, with the extra header fields on the first page.
struct SentencerFormPage: Sendable {
    struct Radio: Sendable {
        let id: String
        let value: String
        let label: String
        let checked: Bool
    }

    let title: String
    let staff: StaffChrome
    let csrfToken: String
    let inspectionTitle: String
    let action: String
    let back: String
    /// The revision the form was based on (0 for a new meeting).
    let revision: Int
    /// Built and escaped by `FormRenderer`.
    let errorSummary: String
    /// Built and escaped by `FormRenderer`.
    let questions: String
    let isMeetingPage: Bool
    let modes: [Radio]
    let modeError: String?
    let courtName: InputField
    let restored: Bool
    let isNew: Bool
}

/// The page shown when a save was based on an older revision: both versions, nothing overwritten.
struct SentencerConflictPage: Sendable {
    struct Row: Sendable {
        let label: String
        let yours: [String]
        let saved: [String]
    }

    struct Field: Sendable {
        let name: String
        let value: String
    }

    let title: String
    let staff: StaffChrome
    let csrfToken: String
    let inspectionTitle: String
    let changedBy: String
    let changedAt: String
    let rows: [Row]
    let pageHref: String
    let recordHref: String
    /// The current revision: "save my version" is based on it.
    let revision: Int
    /// What was posted, to post again on purpose.
    let kept: [Field]
}

/// A whole meeting record, page by page, with its status and the "mark as final" button.
struct SentencerRecordPage: Sendable {
    struct Row: Sendable {
        let label: String
        let lines: [String]
        let empty: Bool
    }

    struct Section: Sendable {
        let title: String
        let changeHref: String
        let rows: [Row]
    }

    struct LinkedError: Sendable {
        let href: String
        let text: String
    }

    let title: String
    let staff: StaffChrome
    let csrfToken: String
    let inspectionTitle: String
    let listHref: String
    let historyHref: String
    let finalAction: String
    let isFinal: Bool
    let revision: Int
    let updatedBy: String
    let updatedAt: String
    let finalisedBy: String?
    let finalisedAt: String?
    let sections: [Section]
    let errors: [LinkedError]
    let hasErrors: Bool
    let conflict: Bool
}

/// Every revision of a record with what changed, field by field.
struct SentencerHistoryPage: Sendable {
    struct Change: Sendable {
        let label: String
        let before: [String]
        let after: [String]
    }

    struct Revision: Sendable {
        let revision: Int
        let statusLabel: String
        let savedBy: String
        let savedAt: String
        let isFirst: Bool
        let changes: [Change]
        let hasChanges: Bool
        let onlyStatus: Bool
    }

    let title: String
    let staff: StaffChrome
    let csrfToken: String
    let inspectionTitle: String
    let recordHref: String
    let revisions: [Revision]
}
