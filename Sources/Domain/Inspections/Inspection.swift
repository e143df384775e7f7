import Postgres

/// One inspection of an area: its dates, the providers it covers and the victim questionnaire window.
public struct Inspection: Sendable, Hashable {
    public var id: Int
    public var title: String
    public var areaID: Int
    public var providerIDs: [Int]
    public var announcedOn: LocalDate
    public var fieldworkStartsOn: LocalDate
    public var weekPlusTwoOn: LocalDate
    public var victimWindowOpensOn: LocalDate
    public var victimWindowClosesOn: LocalDate
    public var publishedOn: LocalDate?
    public var closedOn: LocalDate?

    /// Where an inspection is in its cycle, from its dates and `today`.
    public enum Status: String, Sendable, CaseIterable {
        case announced, fieldwork, reporting, published, closed
    }

    public func status(on today: LocalDate) -> Status {
        if let closedOn, today >= closedOn { return .closed }
        if let publishedOn, today >= publishedOn { return .published }
        if today >= fieldworkStartsOn.adding(days: 5) { return .reporting }
        if today >= fieldworkStartsOn { return .fieldwork }
        return .announced
    }

    /// True while victims can answer: from the day the window opens to the day it closes, inclusive.
    public func victimWindowIsOpen(on today: LocalDate) -> Bool {
        today >= victimWindowOpensOn && today <= victimWindowClosesOn
    }
}

/// The dates an inspection is created or edited with, checked against each other before anything is stored.
public struct InspectionDates: Sendable, Hashable {
    public var announcedOn: LocalDate
    public var fieldworkStartsOn: LocalDate
    public var weekPlusTwoOn: LocalDate
    public var victimWindowOpensOn: LocalDate
    public var victimWindowClosesOn: LocalDate

    public init(
        announcedOn: LocalDate,
        fieldworkStartsOn: LocalDate,
        weekPlusTwoOn: LocalDate,
        victimWindowOpensOn: LocalDate,
        victimWindowClosesOn: LocalDate
    ) {
        self.announcedOn = announcedOn
        self.fieldworkStartsOn = fieldworkStartsOn
        self.weekPlusTwoOn = weekPlusTwoOn
        self.victimWindowOpensOn = victimWindowOpensOn
        self.victimWindowClosesOn = victimWindowClosesOn
    }

    /// Problems as (field, message) pairs; empty when the dates agree with each other.
    public func problems() -> [(field: String, message: String)] {
        var problems: [(String, String)] = []
        if fieldworkStartsOn <= announcedOn {
            problems.append(("fieldwork_starts_on", "Fieldwork must start after the announcement date"))
        }
        if weekPlusTwoOn <= fieldworkStartsOn {
            problems.append(("week_plus_two_on", "The week +2 meetings must be after fieldwork starts"))
        }
        if victimWindowOpensOn < announcedOn {
            problems.append(("victim_window_opens_on", "The victim questionnaire window cannot open before the inspection is announced"))
        }
        if victimWindowClosesOn <= victimWindowOpensOn {
            problems.append(("victim_window_closes_on", "The victim questionnaire window must close after it opens"))
        }
        return problems
    }
}
