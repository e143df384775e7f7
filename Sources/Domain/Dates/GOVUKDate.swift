import Foundation
import Postgres

extension LocalDate {
    /// The date as GOV.UK style writes it: "1 November 2026".
    package var govuk: String {
        let months = [
            "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
        ]
        return "\(day) \(months[max(0, min(11, month - 1))]) \(year)"
    }
}

extension TimeZone {
    /// Europe/London: the service's dates are calendar days in UK time.
    package static let london = TimeZone(identifier: "Europe/London") ?? .gmt
}
