import Foundation

/// The header block of every staff page: who is signed in and the links their role allows.
package struct StaffChrome: Sendable {
    let displayName: String
    let roleLabel: String
    let csrfToken: String
    let canManageUsers: Bool
    let canManageOrganisations: Bool
    let canViewAuditLog: Bool
    let canManageInspections: Bool
    let canIssueLinks: Bool
    let canIssueSurveyCodes: Bool
    let canImportSurvey: Bool
    let canViewProgrammes: Bool

    package init(_ session: StaffSession) {
        displayName = session.user.displayName
        roleLabel = session.user.role.label
        csrfToken = session.csrfToken
        canManageUsers = session.user.can(.manageUsers)
        canManageOrganisations = session.user.can(.manageOrganisations)
        canViewAuditLog = session.user.can(.viewAuditLog)
        canManageInspections = session.user.can(.manageInspections)
        canIssueLinks = session.user.can(.issueLinks)
        canIssueSurveyCodes = session.user.can(.issueSurveyCodes)
        canImportSurvey = session.user.can(.importSurvey)
        canViewProgrammes = session.user.can(.viewProgrammes)
    }
}

/// One entry of an error summary, linking to its field.
package struct ErrorItem: Sendable, Equatable {
    package let field: String
    package let message: String
}

/// A text input with its label, value and error (rendered by `accounts/input`). Templates see stored properties only.
package struct InputField: Sendable {
    let id: String
    let label: String
    let value: String
    let type: String
    let autocomplete: String
    let hint: String?
    let error: String?
    let maxLength: Int
    let describedBy: String?

    package init(
        id: String,
        label: String,
        value: String = "",
        type: String = "text",
        autocomplete: String = "off",
        hint: String? = nil,
        error: String? = nil,
        maxLength: Int = 200
    ) {
        self.id = id
        self.label = label
        self.value = value
        self.type = type
        self.autocomplete = autocomplete
        self.hint = hint
        self.error = error
        self.maxLength = maxLength
        let parts = [hint.map { _ in "\(id)-hint" }, error.map { _ in "\(id)-error" }].compactMap { $0 }
        describedBy = parts.isEmpty ? nil : parts.joined(separator: " ")
    }
}

/// One radio button or select option.
package struct Choice: Sendable {
    let value: String
    let label: String
    let checked: Bool
    var hint: String?

    package init(value: String, label: String, checked: Bool, hint: String? = nil) {
        self.value = value
        self.label = label
        self.checked = checked
        self.hint = hint
    }
}

/// Collects field errors in page order, for the error summary and the fields.
package struct FieldErrors: Sendable {
    package private(set) var items: [ErrorItem] = []
    /// Stored (templates see stored properties only).
    package private(set) var hasErrors = false

    package mutating func add(_ field: String, _ message: String) {
        if !items.contains(where: { $0.field == field }) { items.append(ErrorItem(field: field, message: message)) }
        hasErrors = true
    }

    package subscript(_ field: String) -> String? { items.first { $0.field == field }?.message }

    package var isEmpty: Bool { items.isEmpty }

    package init() {}
}

/// Checks a required single-line text field: present, within `maximum` characters, no line breaks.
package func checkText(_ value: String, field: String, name: String, maximum: Int, errors: inout FieldErrors) {
    if value.isEmpty {
        errors.add(field, "Enter \(name)")
    } else if value.count > maximum {
        errors.add(field, "\(name.prefix(1).uppercased() + name.dropFirst()) must be \(maximum) characters or fewer")
    } else if value.contains(where: \.isNewline) {
        errors.add(field, "\(name.prefix(1).uppercased() + name.dropFirst()) must be on one line")
    }
}

/// Checks an email address's shape (not whether it exists).
package func checkEmail(_ value: String, field: String, errors: inout FieldErrors) {
    let parts = value.split(separator: "@", omittingEmptySubsequences: false)
    if value.isEmpty {
        errors.add(field, "Enter an email address")
    } else if value.count > 254 {
        errors.add(field, "Email address must be 254 characters or fewer")
    } else if parts.count != 2 || parts[0].isEmpty || !parts[1].contains(".") || value.contains(where: { $0.isWhitespace }) {
        errors.add(field, "Enter an email address in the correct format, like name@example.gov.uk")
    }
}
