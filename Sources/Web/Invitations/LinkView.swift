import Domain
import Foundation

/// What the VLO's links page was asked to show (`?status=…&search=…&sort=…&page=…`), read from the query string with
/// a message for each part that could not be used; that part falls back to its default, so the page still shows.
struct LinkView: Sendable, Equatable {
    var filter = LinkFilter()
    var page = 1

    /// The longest page number accepted (a larger number is a mistake, not a page).
    static let maximumPage = 100_000

    /// Reads the query through `value` (nil for an absent parameter), adding a message to `errors` for each bad part:
    /// a status not in the list, a search longer than a reference can be or holding control characters, an unknown
    /// order, or a page that is not a whole number from 1.
    static func parse(_ value: (String) -> String?, errors: inout FieldErrors) -> LinkView {
        var view = LinkView()
        let status = (value("status") ?? "").trimmingCharacters(in: .whitespaces)
        if !status.isEmpty {
            if let known = InvitationAccess.Status(rawValue: status) {
                view.filter.status = known
            } else {
                errors.add("filter-status", "Choose a status from the list")
            }
        }
        let search = (value("search") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if search.count > InvitationStore.maximumReferenceLength {
            errors.add("filter-search", "Search for a reference of \(InvitationStore.maximumReferenceLength) characters or fewer")
        } else if search.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            errors.add("filter-search", "Search for a reference using letters, numbers and punctuation only")
        } else if !search.isEmpty {
            view.filter.reference = search
        }
        let sort = value("sort") ?? ""
        if !sort.isEmpty {
            if let known = LinkFilter.Sort(rawValue: sort) {
                view.filter.sort = known
            } else {
                errors.add("filter-sort", "Choose newest first or oldest first")
            }
        }
        if let page = value("page"), !page.isEmpty {
            if let number = Int(page.trimmingCharacters(in: .whitespaces)), (1...maximumPage).contains(number) {
                view.page = number
            } else {
                errors.add("pagination", "Page numbers are whole numbers from 1, so the first page is shown")
            }
        }
        return view
    }

    func with(page: Int) -> LinkView {
        var view = self
        view.page = page
        return view
    }

    /// The filter and order as a query string (`?status=…`), or "" for the defaults.
    var filterQuery: String {
        var parts: [String] = []
        if let status = filter.status { parts.append("status=\(status.rawValue)") }
        if let reference = filter.reference { parts.append("search=\(Self.encode(reference))") }
        if filter.sort != .newest { parts.append("sort=\(filter.sort.rawValue)") }
        return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
    }

    /// The filter, order and page as a query string.
    var query: String {
        let filters = filterQuery
        guard page != 1 else { return filters }
        return filters + (filters.isEmpty ? "?" : "&") + "page=\(page)"
    }

    static func encode(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
