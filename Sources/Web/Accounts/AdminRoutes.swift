import Domain
import Foundation
import Hummingbird

/// The administrators' pages: users, organisations (providers and areas) and the audit log.
///
/// Every form posts to the URL of the page it is on, so a form kept when a session expires comes back on that page.
struct AdminRoutes: Sendable {
    let dependencies: AppDependencies
    let accounts: Accounts

    var templates: Templates { dependencies.templates }
    var store: AccountStore { accounts.store }

    func register(on staff: StaffRouter) {
        staff.get("/admin/users", .manageUsers) { _, _, session in try await usersPage(session) }
        staff.get("/admin/users/new", .manageUsers) { _, context, session in
            try await newUserPage(session, form: context.restoredForm ?? StaffForm(fields: []), errors: FieldErrors())
        }
        staff.post("/admin/users/new", .manageUsers) { request, context, session in try await createUser(request, context, session) }
        staff.get("/admin/users/:id", .manageUsers) { _, context, session in
            let user = try await requireUser(context)
            return try await editUserPage(session, user: user, form: context.restoredForm, errors: FieldErrors())
        }
        staff.post("/admin/users/:id", .manageUsers) { request, context, session in try await updateUser(request, context, session) }
        staff.get("/admin/users/:id/disable", .manageUsers) { _, context, session in
            confirmPage(session, user: try await requireUser(context), action: .disable, error: nil)
        }
        staff.post("/admin/users/:id/disable", .manageUsers) { request, context, session in try await disableUser(request, context, session) }
        staff.get("/admin/users/:id/reset-password", .manageUsers) { _, context, session in
            confirmPage(session, user: try await requireUser(context), action: .resetPassword, error: nil)
        }
        staff.post("/admin/users/:id/reset-password", .manageUsers) { request, context, session in try await resetPassword(request, context, session)
        }

        staff.get("/admin/organisations", .manageOrganisations) { _, _, session in try await organisationsPage(session) }
        staff.get("/admin/organisations/new", .manageOrganisations) { _, context, session in
            try await newProviderPage(session, form: context.restoredForm ?? StaffForm(fields: []), errors: FieldErrors())
        }
        staff.post("/admin/organisations/new", .manageOrganisations) { request, context, session in
            try await createProvider(request, context, session)
        }
        staff.get("/admin/areas/new", .manageOrganisations) { _, context, session in
            newAreaPage(session, form: context.restoredForm ?? StaffForm(fields: []), errors: FieldErrors())
        }
        staff.post("/admin/areas/new", .manageOrganisations) { request, context, session in try await createArea(request, context, session) }

        staff.get("/admin/audit", .viewAuditLog) { request, _, session in try await auditPage(request, session) }
    }

    private func requireUser(_ context: AppRequestContext) async throws -> StaffUser {
        guard let id = context.parameters.get("id", as: StaffUser.ID.self), let user = try await store.user(id: id) else {
            throw HTTPError(.notFound)
        }
        return user
    }

    // MARK: Users

    struct UserRow: Sendable {
        let id: StaffUser.ID
        let displayName: String
        let email: String
        let roleLabel: String
        let organisationName: String
        let active: Bool

        init(_ user: StaffUser) {
            id = user.id
            displayName = user.displayName
            email = user.email
            roleLabel = user.role.label
            organisationName = user.organisationName
            active = user.active
        }
    }

    struct UsersPage: Sendable {
        let title = "Users"
        let staff: StaffChrome
        let csrfToken: String
        let users: [UserRow]
    }

    private func usersPage(_ session: StaffSession) async throws -> Response {
        let rows = try await store.users().map(UserRow.init)
        return templates.page("admin/users", UsersPage(staff: StaffChrome(session), csrfToken: session.csrfToken, users: rows))
    }

    struct UserFormPage: Sendable {
        let title: String
        let staff: StaffChrome
        let csrfToken: String
        let action: String
        let isNew: Bool
        let email: InputField
        let displayName: InputField
        let roles: [Choice]
        let roleError: String?
        let organisations: [Choice]
        let organisationError: String?
        let errors: FieldErrors
        let restored: Bool
    }

    private func userFormPage(
        _ session: StaffSession,
        title: String,
        action: String,
        isNew: Bool,
        email: String,
        displayName: String,
        role: String,
        organisation: String,
        errors: FieldErrors,
        restored: Bool
    ) async throws -> Response {
        let providers = try await store.organisations().filter { $0.kind == .provider }
        let model = UserFormPage(
            title: title,
            staff: StaffChrome(session),
            csrfToken: session.csrfToken,
            action: action,
            isNew: isNew,
            email: InputField(
                id: "email",
                label: "Email address",
                value: email,
                type: "email",
                autocomplete: "off",
                error: errors["email"],
                maxLength: 254
            ),
            displayName: InputField(id: "display-name", label: "Full name", value: displayName, error: errors["display-name"], maxLength: 100),
            roles: Role.allCases.map { Choice(value: $0.rawValue, label: $0.label, checked: $0.rawValue == role) },
            roleError: errors["role"],
            organisations: [Choice(value: "", label: "Not a provider’s staff member: HM Inspectorate of Probation", checked: organisation.isEmpty)]
                + providers.map { Choice(value: String($0.id), label: $0.name, checked: String($0.id) == organisation) },
            organisationError: errors["organisation"],
            errors: errors,
            restored: restored
        )
        return templates.page("admin/user-form", model, status: errors.isEmpty ? .ok : .badRequest)
    }

    private func newUserPage(_ session: StaffSession, form: StaffForm, errors: FieldErrors) async throws -> Response {
        try await userFormPage(
            session,
            title: "Add a user",
            action: "/admin/users/new",
            isNew: true,
            email: String(form.trimmed("email").prefix(254)),
            displayName: String(form.trimmed("display-name").prefix(100)),
            role: form.trimmed("role"),
            organisation: form.trimmed("organisation"),
            errors: errors,
            restored: !form.fields.isEmpty && errors.isEmpty
        )
    }

    /// The role and organisation a user form asks for, checked; the organisation is the inspectorate unless the role
    /// belongs to a provider (a VLO or a provider survey coordinator).
    private func roleAndOrganisation(_ form: StaffForm, errors: inout FieldErrors) async throws -> (Role, Organisation.ID)? {
        guard let role = Role(rawValue: form.trimmed("role")) else {
            errors.add("role", "Select a role")
            return nil
        }
        let chosen = form.trimmed("organisation")
        if role.organisationKind == .provider {
            guard let id = Organisation.ID(chosen), let organisation = try await store.organisation(id: id), organisation.kind == .provider else {
                errors.add("organisation", "Select the provider the \(role == .vlo ? role.label : role.label.lowercased()) works for")
                return nil
            }
            return (role, organisation.id)
        }
        if !chosen.isEmpty {
            errors.add("organisation", "Inspectors and administrators belong to the inspectorate: select ‘Not a provider’s staff member’")
            return nil
        }
        return (role, try await store.inspectorateID())
    }

    struct TemporaryPasswordPage: Sendable {
        let title: String
        let staff: StaffChrome
        let csrfToken: String
        let user: UserRow
        let temporaryPassword: String
    }

    private func temporaryPasswordPage(_ session: StaffSession, title: String, user: StaffUser, password: String) -> Response {
        let row = UserRow(user)
        return templates.page(
            "admin/temporary-password",
            TemporaryPasswordPage(title: title, staff: StaffChrome(session), csrfToken: session.csrfToken, user: row, temporaryPassword: password)
        )
    }

    private func createUser(_ request: Request, _ context: AppRequestContext, _ session: StaffSession) async throws -> Response {
        let form = context.staffForm ?? StaffForm(fields: [])
        var errors = FieldErrors()
        let displayName = form.trimmed("display-name")
        let email = AccountStore.normalise(form["email"] ?? "")
        checkText(displayName, field: "display-name", name: "their full name", maximum: 100, errors: &errors)
        checkEmail(email, field: "email", errors: &errors)
        let choice = try await roleAndOrganisation(form, errors: &errors)
        guard errors.isEmpty, let (role, organisationID) = choice else { return try await newUserPage(session, form: form, errors: errors) }

        let temporary = TemporaryPassword.generate()
        let new = AccountStore.NewUser(
            email: email,
            displayName: displayName,
            role: role,
            organisationID: organisationID,
            passwordHash: try await accounts.hasher.hash(temporary),
            mustChangePassword: true
        )
        switch try await store.create(new, audit: accounts.audit, actor: accounts.actor(request, context)) {
        case .success(let id):
            guard let user = try await store.user(id: id) else { throw HTTPError(.notFound) }
            return temporaryPasswordPage(session, title: "User added", user: user, password: temporary)
        case .failure(.emailInUse):
            errors.add("email", "There is already a user with that email address")
        case .failure:
            errors.add("organisation", "Select an organisation that fits the role")
        }
        return try await newUserPage(session, form: form, errors: errors)
    }

    private func editUserPage(_ session: StaffSession, user: StaffUser, form: StaffForm?, errors: FieldErrors) async throws -> Response {
        let organisation = user.role.organisationKind == .provider ? String(user.organisationID) : ""
        return try await userFormPage(
            session,
            title: "Change \(user.displayName)",
            action: "/admin/users/\(user.id)",
            isNew: false,
            email: user.email,
            displayName: form.map { String($0.trimmed("display-name").prefix(100)) } ?? user.displayName,
            role: form?.trimmed("role") ?? user.role.rawValue,
            organisation: form?.trimmed("organisation") ?? organisation,
            errors: errors,
            restored: form != nil && errors.isEmpty
        )
    }

    private func updateUser(_ request: Request, _ context: AppRequestContext, _ session: StaffSession) async throws -> Response {
        let user = try await requireUser(context)
        let form = context.staffForm ?? StaffForm(fields: [])
        var errors = FieldErrors()
        let displayName = form.trimmed("display-name")
        checkText(displayName, field: "display-name", name: "their full name", maximum: 100, errors: &errors)
        let choice = try await roleAndOrganisation(form, errors: &errors)
        if user.id == session.user.id, let (role, _) = choice, role != user.role {
            errors.add("role", "You cannot change your own role: ask another administrator")
        }
        guard errors.isEmpty, let (role, organisationID) = choice else {
            return try await editUserPage(session, user: user, form: form, errors: errors)
        }
        switch try await store.update(
            id: user.id,
            displayName: displayName,
            role: role,
            organisationID: organisationID,
            audit: accounts.audit,
            actor: accounts.actor(request, context)
        ) {
        case .success: return StaffMiddleware.redirect("/admin/users")
        case .failure(.notFound): throw HTTPError(.notFound)
        case .failure:
            errors.add("organisation", "Select an organisation that fits the role")
            return try await editUserPage(session, user: user, form: form, errors: errors)
        }
    }

    enum ConfirmAction: String, Sendable {
        case disable
        case resetPassword = "reset-password"
    }

    struct ConfirmPage: Sendable {
        let title: String
        let staff: StaffChrome
        let csrfToken: String
        let action: String
        let explanation: String
        let button: String
        let warning: Bool
        let error: String?
    }

    private func confirmPage(_ session: StaffSession, user: StaffUser, action: ConfirmAction, error: String?) -> Response {
        let model: ConfirmPage =
            switch action {
            case .disable:
                ConfirmPage(
                    title: "Disable \(user.displayName)",
                    staff: StaffChrome(session),
                    csrfToken: session.csrfToken,
                    action: "/admin/users/\(user.id)/disable",
                    explanation: "They will be signed out at once and will not be able to sign in again. Their records stay in the audit log.",
                    button: "Disable user",
                    warning: true,
                    error: error
                )
            case .resetPassword:
                ConfirmPage(
                    title: "Reset the password of \(user.displayName)",
                    staff: StaffChrome(session),
                    csrfToken: session.csrfToken,
                    action: "/admin/users/\(user.id)/reset-password",
                    explanation: "They will be signed out at once. You will see a temporary password to give them in person or by phone: "
                        + "they must change it when they next sign in.",
                    button: "Reset password",
                    warning: false,
                    error: error
                )
            }
        return templates.page("admin/confirm", model, status: error == nil ? .ok : .badRequest)
    }

    private func disableUser(_ request: Request, _ context: AppRequestContext, _ session: StaffSession) async throws -> Response {
        let user = try await requireUser(context)
        if user.id == session.user.id {
            return confirmPage(session, user: user, action: .disable, error: "You cannot disable your own account: ask another administrator")
        }
        guard try await store.disable(id: user.id, audit: accounts.audit, actor: accounts.actor(request, context)) else { throw HTTPError(.notFound) }
        return StaffMiddleware.redirect("/admin/users")
    }

    private func resetPassword(_ request: Request, _ context: AppRequestContext, _ session: StaffSession) async throws -> Response {
        let user = try await requireUser(context)
        let temporary = TemporaryPassword.generate()
        let hash = try await accounts.hasher.hash(temporary)
        guard
            try await store.setPassword(
                id: user.id,
                hash: hash,
                mustChange: true,
                event: .passwordReset,
                audit: accounts.audit,
                actor: accounts.actor(request, context)
            )
        else { throw HTTPError(.notFound) }
        return temporaryPasswordPage(session, title: "Password reset", user: user, password: temporary)
    }

    // MARK: Organisations and areas

    struct OrganisationRow: Sendable {
        let name: String
        let kindLabel: String
        let code: String
        let areaName: String
    }

    struct OrganisationsPage: Sendable {
        let title = "Organisations"
        let staff: StaffChrome
        let csrfToken: String
        let organisations: [OrganisationRow]
    }

    private func organisationsPage(_ session: StaffSession) async throws -> Response {
        let rows = try await store.organisations().map { organisation in
            OrganisationRow(
                name: organisation.name,
                kindLabel: organisation.kind == .inspectorate
                    ? "Inspectorate" : (organisation.providerKind.flatMap(ProviderKind.init(rawValue:))?.label ?? "Provider"),
                code: organisation.providerCode ?? "",
                areaName: organisation.areaName ?? ""
            )
        }
        return templates.page(
            "admin/organisations",
            OrganisationsPage(staff: StaffChrome(session), csrfToken: session.csrfToken, organisations: rows)
        )
    }

    struct ProviderFormPage: Sendable {
        let title = "Add a provider"
        let staff: StaffChrome
        let csrfToken: String
        let code: InputField
        let name: InputField
        let kinds: [Choice]
        let kindError: String?
        let areas: [Choice]
        let areaError: String?
        let hasAreas: Bool
        let validFrom: DateInput
        let errors: FieldErrors
    }

    /// The reference-data code and name of a provider or area form, checked (codes as the schema's CHECK allows).
    private func checkCodeAndName(_ form: StaffForm, noun: String, errors: inout FieldErrors) -> (code: String, name: String) {
        let code = form.trimmed("code")
        let name = form.trimmed("name")
        if code.isEmpty {
            errors.add("code", "Enter a code")
        } else if code.count > 20 || !code.allSatisfy({ ($0.isASCII && ($0.isUppercase || $0.isNumber)) || $0 == "_" || $0 == "-" }) {
            errors.add("code", "Code must be up to 20 capital letters, digits, hyphens or underscores")
        }
        checkText(name, field: "name", name: "the \(noun)’s name", maximum: 200, errors: &errors)
        return (code, name)
    }

    private func codeField(_ form: StaffForm, example: String, errors: FieldErrors) -> InputField {
        InputField(
            id: "code",
            label: "Code",
            value: String(form.trimmed("code").prefix(20)),
            hint: "For example, \(example)",
            error: errors["code"],
            maxLength: 20
        )
    }

    private func nameField(_ form: StaffForm, errors: FieldErrors) -> InputField {
        InputField(id: "name", label: "Name", value: String(form.trimmed("name").prefix(200)), error: errors["name"], maxLength: 200)
    }

    private func newProviderPage(_ session: StaffSession, form: StaffForm, errors: FieldErrors) async throws -> Response {
        let areas = try await store.areas()
        let model = ProviderFormPage(
            staff: StaffChrome(session),
            csrfToken: session.csrfToken,
            code: codeField(form, example: "NPS-WALES", errors: errors),
            name: nameField(form, errors: errors),
            kinds: ProviderKind.allCases.map { Choice(value: $0.rawValue, label: $0.label, checked: form.trimmed("kind") == $0.rawValue) },
            kindError: errors["kind"],
            areas: areas.map { Choice(value: String($0.id), label: "\($0.name) (\($0.code))", checked: form.trimmed("area") == String($0.id)) },
            areaError: errors["area"],
            hasAreas: !areas.isEmpty,
            validFrom: DateInput(form, id: "valid-from", legend: "Working in the area from", value: nil, example: "1 6 2014", errors: errors),
            errors: errors
        )
        return templates.page("admin/provider-form", model, status: errors.isEmpty ? .ok : .badRequest)
    }

    private func createProvider(_ request: Request, _ context: AppRequestContext, _ session: StaffSession) async throws -> Response {
        let form = context.staffForm ?? StaffForm(fields: [])
        var errors = FieldErrors()
        let (code, name) = checkCodeAndName(form, noun: "provider", errors: &errors)
        let kind = ProviderKind(rawValue: form.trimmed("kind"))
        if kind == nil { errors.add("kind", "Select the kind of provider") }
        let areaID = Int64(form.trimmed("area"))
        if areaID == nil { errors.add("area", "Select the area the provider works in") }
        let validFrom = DateInput.parse(
            form,
            id: "valid-from",
            missing: "Enter a real date, for example 1 6 2014",
            example: "1 6 2014",
            errors: &errors
        )
        guard errors.isEmpty, let kind, let areaID, let validFrom else { return try await newProviderPage(session, form: form, errors: errors) }
        switch try await store.createProvider(
            code: code,
            name: name,
            kind: kind,
            areaID: areaID,
            validFrom: validFrom,
            audit: accounts.audit,
            actor: accounts.actor(request, context)
        ) {
        case .success: return StaffMiddleware.redirect("/admin/organisations")
        case .failure(.notFound): errors.add("area", "Select the area the provider works in")
        case .failure: errors.add("code", "There is already a provider with that code")
        }
        return try await newProviderPage(session, form: form, errors: errors)
    }

    struct AreaFormPage: Sendable {
        let title = "Add an area"
        let staff: StaffChrome
        let csrfToken: String
        let code: InputField
        let name: InputField
        let countries: [Choice]
        let countryError: String?
        let validFrom: DateInput
        let errors: FieldErrors
    }

    private func newAreaPage(_ session: StaffSession, form: StaffForm, errors: FieldErrors) -> Response {
        let model = AreaFormPage(
            staff: StaffChrome(session),
            csrfToken: session.csrfToken,
            code: codeField(form, example: "WALES", errors: errors),
            name: nameField(form, errors: errors),
            countries: [("england", "England"), ("wales", "Wales")].map {
                Choice(value: $0.0, label: $0.1, checked: form.trimmed("country") == $0.0)
            },
            countryError: errors["country"],
            validFrom: DateInput(form, id: "valid-from", legend: "Area in use from", value: nil, example: "1 6 2014", errors: errors),
            errors: errors
        )
        return templates.page("admin/area-form", model, status: errors.isEmpty ? .ok : .badRequest)
    }

    private func createArea(_ request: Request, _ context: AppRequestContext, _ session: StaffSession) async throws -> Response {
        let form = context.staffForm ?? StaffForm(fields: [])
        var errors = FieldErrors()
        let (code, name) = checkCodeAndName(form, noun: "area", errors: &errors)
        let country = form.trimmed("country")
        if !["england", "wales"].contains(country) { errors.add("country", "Select England or Wales") }
        let validFrom = DateInput.parse(
            form,
            id: "valid-from",
            missing: "Enter a real date, for example 1 6 2014",
            example: "1 6 2014",
            errors: &errors
        )
        guard errors.isEmpty, let validFrom else { return newAreaPage(session, form: form, errors: errors) }
        switch try await store.createArea(
            code: code,
            name: name,
            country: country,
            validFrom: validFrom,
            audit: accounts.audit,
            actor: accounts.actor(request, context)
        ) {
        case .success: return StaffMiddleware.redirect("/admin/organisations/new")
        case .failure: errors.add("code", "There is already an area with that code")
        }
        return newAreaPage(session, form: form, errors: errors)
    }

    // MARK: Audit log

    struct AuditRow: Sendable {
        let occurredAt: String
        let event: String
        let actor: String
        let clientAddress: String
        let subject: String
        let details: String
    }

    struct AuditPage: Sendable {
        let title = "Audit log"
        let staff: StaffChrome
        let csrfToken: String
        let events: [Choice]
        let users: [Choice]
        let from: InputField
        let to: InputField
        let subject: String
        let rows: [AuditRow]
        let hasRows: Bool
        let nextPage: String?
        let errors: FieldErrors
    }

    private func auditPage(_ request: Request, _ session: StaffSession) async throws -> Response {
        let query = request.uri.queryParameters
        func value(_ name: String) -> String { query[Substring(name)].map { String($0).trimmingCharacters(in: .whitespaces) } ?? "" }
        var errors = FieldErrors()
        var filter = AuditFilter()
        let event = value("event")
        if !event.isEmpty {
            if AuditDetail.isCode(event) { filter.event = event } else { errors.add("event", "Select an event") }
        }
        let user = value("user")
        if !user.isEmpty {
            if let id = StaffUser.ID(user) { filter.actorUserID = id } else { errors.add("user", "Select a user") }
        }
        let subject = value("subject")
        if !subject.isEmpty {
            let parts = subject.split(separator: ":", maxSplits: 1).map(String.init)
            if parts.count == 2, AuditDetail.isCode(parts[0]), !parts[1].isEmpty, parts[1].count <= 100 {
                filter.subject = AuditSubject(type: parts[0], id: parts[1])
            } else {
                errors.add("subject", "The subject is not one the audit log knows")
            }
        }
        let from = value("from")
        let to = value("to")
        if !from.isEmpty {
            if let date = LocalDate(iso: from) {
                filter.from = date.startOfDayUTC
            } else {
                errors.add("from", "Enter the date as YYYY-MM-DD, for example 2026-11-26")
            }
        }
        if !to.isEmpty {
            if let date = LocalDate(iso: to) {
                filter.before = date.adding(days: 1).startOfDayUTC
            } else {
                errors.add("to", "Enter the date as YYYY-MM-DD, for example 2026-11-26")
            }
        }
        if let before = query[Substring("before")].flatMap({ Int64(String($0)) }) { filter.beforeID = before }
        let entries = errors.isEmpty ? try await accounts.audit.entries(filter) : []
        let formatter = ISO8601DateFormatter()
        let rows = entries.map { entry in
            AuditRow(
                occurredAt: formatter.string(from: entry.occurredAt),
                event: entry.event,
                actor: entry.actorEmail ?? (entry.actorUserID.map { "user \($0)" } ?? "–"),
                clientAddress: entry.clientAddress ?? "",
                subject: entry.subjectType.map { "\($0) \(entry.subjectID ?? "")" } ?? "",
                details: entry.details == "{}" ? "" : entry.details
            )
        }
        var nextPage: String?
        if entries.count == filter.limit, let last = entries.last {
            var components = URLComponents()
            components.queryItems =
                [("event", event), ("user", user), ("from", from), ("to", to)].filter { !$0.1.isEmpty }
                .map { URLQueryItem(name: $0.0, value: $0.1) } + [URLQueryItem(name: "before", value: String(last.id))]
            nextPage = "/admin/audit?" + (components.percentEncodedQuery ?? "")
        }
        let users = try await store.users()
        let model = AuditPage(
            staff: StaffChrome(session),
            csrfToken: session.csrfToken,
            events: [Choice(value: "", label: "Any event", checked: event.isEmpty)]
                + (try await accounts.audit.eventNames()).map { Choice(value: $0, label: $0, checked: $0 == event) },
            users: [Choice(value: "", label: "Anyone", checked: user.isEmpty)]
                + users.map { Choice(value: String($0.id), label: "\($0.displayName) (\($0.email))", checked: String($0.id) == user) },
            from: InputField(id: "from", label: "From (YYYY-MM-DD)", value: String(from.prefix(10)), error: errors["from"], maxLength: 10),
            to: InputField(id: "to", label: "To (YYYY-MM-DD)", value: String(to.prefix(10)), error: errors["to"], maxLength: 10),
            subject: filter.subject.map { "\($0.type):\($0.id)" } ?? "",
            rows: rows,
            hasRows: !rows.isEmpty,
            nextPage: nextPage,
            errors: errors
        )
        return templates.page("admin/audit", model, status: errors.isEmpty ? .ok : .badRequest)
    }
}

/// Temporary passwords an administrator reads out: 20 characters from an alphabet without look-alikes, in groups of five.
enum TemporaryPassword {
    static let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")

    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<20).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
        return stride(from: 0, to: 20, by: 5).map { String(characters[$0..<$0 + 5]) }.joined(separator: "-")
    }
}
