import Domain
import Foundation
import Hummingbird
import Logging

/// Signing in and out, the staff home page, changing one's own password; registers the admin pages too.
struct AccountsRoutes: Sendable {
    let dependencies: AppDependencies
    let accounts: Accounts

    init(dependencies: AppDependencies) {
        self.dependencies = dependencies
        self.accounts = dependencies.accounts
    }

    var templates: Templates { dependencies.templates }

    /// Registers the sign-in pages on `router` and the staff pages on `staff`.
    func register(on router: Router<AppRequestContext>, staff: StaffRouter) {
        let signInPages = router.group().add(middleware: StaffMiddleware(accounts: accounts, requireSignIn: false))
        signInPages.get("/sign-in") { request, context in try await signInPage(request, context) }
        signInPages.post("/sign-in") { request, context in try await signIn(request, context) }

        staff.get("/staff", .useStaffPages) { request, _, session in try await home(request, session) }
        staff.post("/sign-out", .useStaffPages) { request, context, _ in try await signOut(request, context) }
        staff.get("/account/password", .useStaffPages) { _, _, session in passwordPage(session, errors: FieldErrors()) }
        staff.post("/account/password", .useStaffPages) { request, context, session in try await changePassword(request, context, session) }
        AdminRoutes(dependencies: dependencies, accounts: accounts).register(on: staff)
    }

    // MARK: Sign in

    struct SignInPage: Sendable {
        let title = "Sign in"
        let csrfToken: String
        let returnTo: String
        let restore: String
        let email: InputField
        let password: InputField
        let errors: FieldErrors
        let signedOut: Bool
        let sessionEnded: Bool
    }

    private func signInModel(
        _ context: AppRequestContext,
        returnTo: String,
        restore: String,
        email: String,
        errors: FieldErrors,
        signedOut: Bool = false
    ) -> SignInPage {
        SignInPage(
            csrfToken: context.staff?.csrfToken ?? context.preSessionToken ?? "",
            returnTo: returnTo,
            restore: restore,
            email: InputField(
                id: "email",
                label: "Email address",
                value: email,
                type: "email",
                autocomplete: "username",
                error: errors["email"],
                maxLength: 254
            ),
            password: InputField(
                id: "password",
                label: "Password",
                type: "password",
                autocomplete: "current-password",
                error: errors["password"],
                maxLength: 200
            ),
            errors: errors,
            signedOut: signedOut,
            sessionEnded: !restore.isEmpty
        )
    }

    private func signInPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let returnTo = StaffMiddleware.safeReturnPath(query["return"].map(String.init)) ?? ""
        let restore = query["restore"].map(String.init).flatMap { SecretToken.isWellFormed($0) ? $0 : nil } ?? ""
        let model = signInModel(
            context,
            returnTo: returnTo,
            restore: restore,
            email: "",
            errors: FieldErrors(),
            signedOut: query["signed-out"] != nil
        )
        return templates.page("accounts/sign-in", model)
    }

    private func signIn(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = context.staffForm ?? StaffForm(fields: [])
        let email = form.trimmed("email")
        let password = form["password"] ?? ""
        let returnTo = StaffMiddleware.safeReturnPath(form["return"]) ?? ""
        let restore = form["restore"].flatMap { SecretToken.isWellFormed($0) ? $0 : nil } ?? ""
        var errors = FieldErrors()
        if email.isEmpty { errors.add("email", "Enter your email address") }
        if email.count > 254 { errors.add("email", "Email address must be 254 characters or fewer") }
        if password.isEmpty { errors.add("password", "Enter your password") }
        if password.count > 200 { errors.add("password", "Password must be 200 characters or fewer") }
        let echoedEmail = String(email.prefix(254))
        guard errors.isEmpty else {
            return templates.page(
                "accounts/sign-in",
                signInModel(context, returnTo: returnTo, restore: restore, email: echoedEmail, errors: errors),
                status: .badRequest
            )
        }
        let address = accounts.clientAddress(request, context)
        switch try await accounts.signIn(email: email, password: password, address: address) {
        case .refused:
            errors.add("email", "Enter a correct email address and password. The password is case sensitive")
            return templates.page(
                "accounts/sign-in",
                signInModel(context, returnTo: returnTo, restore: restore, email: echoedEmail, errors: errors),
                status: .badRequest
            )
        case .throttled(let until):
            let seconds = max(1, Int(until.timeIntervalSince(dependencies.now()).rounded(.up)))
            let minutes = (seconds + 59) / 60
            errors.add("email", "Too many attempts to sign in. Wait \(minutes) minute\(minutes == 1 ? "" : "s") and try again")
            var response = templates.page(
                "accounts/sign-in",
                signInModel(context, returnTo: returnTo, restore: restore, email: echoedEmail, errors: errors),
                status: .tooManyRequests
            )
            response.headers[.retryAfter] = String(seconds)
            return response
        case .signedIn(let user, let sessionID):
            // The browser's previous session, if any, ends: the id changes at sign-in.
            if let previous = request.cookies[Accounts.sessionCookie]?.value { try await accounts.sessions.end(id: previous) }
            context.logger.info("signed in", metadata: ["user.id": "\(user.id)"])
            var location = returnTo.isEmpty ? "/staff" : returnTo
            if user.mustChangePassword {
                location = "/account/password"
            } else if !restore.isEmpty {
                location += (location.contains("?") ? "&" : "?") + "restore=" + restore
            }
            var response = StaffMiddleware.redirect(location)
            response.setCookie(accounts.sessionCookie(sessionID))
            response.setCookie(accounts.expiredCookie(Accounts.preSessionCookie))
            return response
        }
    }

    private func signOut(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        if let id = request.cookies[Accounts.sessionCookie]?.value { try await accounts.sessions.end(id: id) }
        try await accounts.audit.record(.signedOut, actor: accounts.actor(request, context), subject: context.staff.map { .user($0.user.id) })
        var response = StaffMiddleware.redirect("/sign-in?signed-out=1")
        response.setCookie(accounts.expiredCookie(Accounts.sessionCookie))
        return response
    }

    // MARK: Home and own password

    struct HomePage: Sendable {
        let title = "Staff home"
        let staff: StaffChrome
        let csrfToken: String
        let user: StaffUser
        let passwordChanged: Bool
        /// What to do next, per inspection (and accounts, for administrators).
        let tasks: [StaffTasks.Group]
        let hasTasks: Bool
        let noTasks: String
    }

    private func home(_ request: Request, _ session: StaffSession) async throws -> Response {
        let tasks = try await StaffTasks(database: dependencies.database).groups(for: session, today: dependencies.today)
        return templates.page(
            "accounts/home",
            HomePage(
                staff: StaffChrome(session),
                csrfToken: session.csrfToken,
                user: session.user,
                passwordChanged: request.uri.queryParameters["password-changed"] != nil,
                tasks: tasks,
                hasTasks: !tasks.isEmpty,
                noTasks: session.user.role.organisationKind == .provider
                    ? "No inspection covering your organisation is under way."
                    : session.user.role == .inspector
                        ? "You are not assigned to an inspection that is under way. An administrator or lead inspector assigns inspectors."
                        : "Nothing needs your attention."
            )
        )
    }

    struct PasswordPage: Sendable {
        let title = "Change your password"
        let staff: StaffChrome
        let csrfToken: String
        let mustChange: Bool
        let current: InputField
        let new: InputField
        let confirm: InputField
        let errors: FieldErrors
    }

    private func passwordPage(_ session: StaffSession, errors: FieldErrors) -> Response {
        let model = PasswordPage(
            staff: StaffChrome(session),
            csrfToken: session.csrfToken,
            mustChange: session.user.mustChangePassword,
            current: InputField(
                id: "current-password",
                label: "Current password",
                type: "password",
                autocomplete: "current-password",
                error: errors["current-password"]
            ),
            new: InputField(
                id: "new-password",
                label: "New password",
                type: "password",
                autocomplete: "new-password",
                hint: "At least \(PasswordPolicy.minimumLength) characters. Three random words make a good password.",
                error: errors["new-password"]
            ),
            confirm: InputField(
                id: "confirm-password",
                label: "Confirm new password",
                type: "password",
                autocomplete: "new-password",
                error: errors["confirm-password"]
            ),
            errors: errors
        )
        return templates.page("accounts/password", model, status: errors.isEmpty ? .ok : .badRequest)
    }

    private func changePassword(_ request: Request, _ context: AppRequestContext, _ session: StaffSession) async throws -> Response {
        let form = context.staffForm ?? StaffForm(fields: [])
        let current = form["current-password"] ?? ""
        let new = form["new-password"] ?? ""
        let confirm = form["confirm-password"] ?? ""
        var errors = FieldErrors()
        // Wrong current passwords count towards the same throttle as sign-in, so a stolen session cannot guess it.
        let address = accounts.clientAddress(request, context)
        if current.isEmpty {
            errors.add("current-password", "Enter your current password")
        } else if try await accounts.throttle.lockedUntil(email: session.user.email, address: address) != nil {
            errors.add("current-password", "Too many wrong passwords. Wait a few minutes and try again")
        } else if current.count > 200 {
            errors.add("current-password", "Your current password is not correct")
        } else if let hash = try await accounts.store.passwordHash(id: session.user.id), try await !accounts.hasher.verify(current, hash: hash) {
            try await accounts.throttle.recordFailure(email: session.user.email, address: address)
            errors.add("current-password", "Your current password is not correct")
        }
        if let problem = accounts.passwordPolicy.problem(with: new, email: session.user.email) {
            errors.add("new-password", problem)
        } else if new == current {
            errors.add("new-password", "Your new password must be different from your current one")
        }
        if errors["new-password"] == nil && confirm != new { errors.add("confirm-password", "The passwords do not match") }
        guard errors.isEmpty else { return passwordPage(session, errors: errors) }

        let hash = try await accounts.hasher.hash(new)
        _ = try await accounts.store.setPassword(
            id: session.user.id,
            hash: hash,
            mustChange: false,
            event: .passwordChanged,
            audit: accounts.audit,
            actor: accounts.actor(request, context)
        )
        // Every session of this user has ended, this one too; this browser gets a new one.
        let sessionID = try await accounts.sessions.start(userID: session.user.id)
        var response = StaffMiddleware.redirect("/staff?password-changed=1")
        response.setCookie(accounts.sessionCookie(sessionID))
        return response
    }
}
