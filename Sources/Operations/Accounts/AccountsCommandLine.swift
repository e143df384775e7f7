import Domain
import Foundation
import Logging
import Postgres

/// What the `user` commands do, against the configured database (the schema must be up to date).
public struct AccountsCommandLine: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    let accounts: Accounts

    /// Commands over `accounts` (tests use this; the CLI uses `run`).
    public init(accounts: Accounts) {
        self.accounts = accounts
    }

    /// Opens the database the way `serve` does, runs `body`, and closes it.
    public static func run<T: Sendable>(
        _ configuration: AppConfiguration,
        logger: Logger,
        _ body: @Sendable (AccountsCommandLine) async throws -> T
    ) async throws -> T {
        let policy = try PasswordPolicy.load(path: configuration.commonPasswordsFile)
        return try await CommandDatabase.with(configuration, logger: logger) { client in
            let accounts = Accounts(
                configuration: configuration,
                database: client,
                passwordPolicy: policy,
                throttlePolicy: ThrottlePolicy(),
                now: { Date() }
            )
            return try await body(AccountsCommandLine(accounts: accounts))
        }
    }

    /// Why `password` cannot be used, or nil.
    public func passwordProblem(_ password: String, email: String) -> String? {
        accounts.passwordPolicy.problem(with: password, email: email)
    }

    /// Creates a user. Provider staff (VLOs, survey coordinators) need `providerCode`, the code of their provider;
    /// others belong to the inspectorate.
    public func createUser(email: String, displayName: String, role: Role, providerCode: String?, password: String) async throws -> StaffUser.ID {
        var errors = FieldErrors()
        checkEmail(AccountStore.normalise(email), field: "email", errors: &errors)
        checkText(displayName, field: "name", name: "a name", maximum: 100, errors: &errors)
        if let message = errors.items.first?.message { throw Failure(description: message) }
        if let problem = passwordProblem(password, email: email) { throw Failure(description: problem) }
        let organisationID: Organisation.ID
        switch (role.organisationKind, providerCode) {
        case (.provider, let code?):
            guard let organisation = try await accounts.store.organisations().first(where: { $0.providerCode == code }) else {
                throw Failure(description: "there is no provider with code \(code)")
            }
            organisationID = organisation.id
        case (.provider, nil):
            throw Failure(description: "a \(role.label) needs --provider, the code of the provider they work for")
        case (_, .some):
            throw Failure(description: "only VLOs and provider survey coordinators belong to a provider; leave out --provider")
        case (_, nil):
            organisationID = try await accounts.store.inspectorateID()
        }
        let new = AccountStore.NewUser(
            email: email,
            displayName: displayName,
            role: role,
            organisationID: organisationID,
            passwordHash: try await accounts.hasher.hash(password),
            mustChangePassword: false
        )
        switch try await accounts.store.create(new, audit: accounts.audit, actor: .commandLine) {
        case .success(let id): return id
        case .failure(.emailInUse): throw Failure(description: "there is already a user with that email address")
        case .failure: throw Failure(description: "the organisation does not fit the role")
        }
    }

    /// Every user, one line each: id, email, role, organisation, active or disabled.
    public func listUsers() async throws -> [String] {
        try await accounts.store.users().map { user in
            "\(user.id)\t\(user.email)\t\(user.role.rawValue)\t\(user.organisationName)\t\(user.active ? "active" : "disabled")"
        }
    }

    /// Sets the password of the user with `email` and ends their sessions.
    public func setPassword(email: String, password: String) async throws {
        guard let user = try await accounts.store.credentials(email: email)?.user else {
            throw Failure(description: "there is no user with that email address")
        }
        if let problem = passwordProblem(password, email: user.email) { throw Failure(description: problem) }
        let hash = try await accounts.hasher.hash(password)
        _ = try await accounts.store.setPassword(
            id: user.id,
            hash: hash,
            mustChange: false,
            event: .passwordReset,
            audit: accounts.audit,
            actor: .commandLine
        )
    }

    /// Disables the user with `email` and ends their sessions.
    public func disable(email: String) async throws {
        guard let user = try await accounts.store.credentials(email: email)?.user else {
            throw Failure(description: "there is no user with that email address")
        }
        _ = try await accounts.store.disable(id: user.id, audit: accounts.audit, actor: .commandLine)
    }
}
