import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Operations
import Postgres
import Testing
import Web

/// A browser for staff pages over the router test client: keeps cookies, and fills in the CSRF token of the last
/// page it saw unless a test gives its own.
final class StaffBrowser: @unchecked Sendable {
    // Used from one test task at a time.
    let client: any TestClientProtocol
    private(set) var cookies: [String: String] = [:]
    /// The `csrf_token` value of the last page that had one.
    private(set) var csrfToken: String?
    /// Extra headers on every request (for example X-Forwarded-For).
    var headers: HTTPFields = [:]

    init(_ client: any TestClientProtocol) {
        self.client = client
    }

    /// Sets or replaces a cookie by hand (to forge or replay one).
    func setCookie(_ name: String, _ value: String?) {
        cookies[name] = value
    }

    @discardableResult
    func get(_ uri: String) async throws -> TestResponse {
        try await send(uri, method: .get, body: nil)
    }

    /// Posts `fields` form-encoded, adding `csrf_token` from the last page unless `csrf` is given (pass "" for none).
    @discardableResult
    func post(_ uri: String, _ fields: [(String, String)], csrf: String? = nil) async throws -> TestResponse {
        var all = fields
        let token = csrf ?? csrfToken ?? ""
        if !token.isEmpty { all.append(("csrf_token", token)) }
        return try await postRaw(uri, body: Self.encode(all))
    }

    /// Posts a body exactly as given.
    @discardableResult
    func postRaw(_ uri: String, body: [UInt8]) async throws -> TestResponse {
        try await send(uri, method: .post, body: ByteBuffer(bytes: body))
    }

    /// Signs in through the sign-in page and checks it worked (a 303 away from the sign-in page).
    @discardableResult
    func signIn(_ email: String, _ password: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> TestResponse {
        try await get("/sign-in")
        let response = try await post("/sign-in", [("email", email), ("password", password)])
        #expect(response.status == .seeOther, sourceLocation: sourceLocation)
        #expect(cookies[Accounts.sessionCookie] != nil, sourceLocation: sourceLocation)
        if let location = response.headers[.location] { try await get(location) }
        return response
    }

    static func encode(_ fields: [(String, String)]) -> [UInt8] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let text = fields.map { name, value in
            (name.addingPercentEncoding(withAllowedCharacters: allowed) ?? "") + "="
                + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
        }.joined(separator: "&")
        return Array(text.utf8)
    }

    private func send(_ uri: String, method: HTTPRequest.Method, body: ByteBuffer?) async throws -> TestResponse {
        var requestHeaders = headers
        if !cookies.isEmpty {
            requestHeaders[.cookie] = cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        }
        if body != nil { requestHeaders[.contentType] = "application/x-www-form-urlencoded" }
        let response = try await client.execute(uri: uri, method: method, headers: requestHeaders, body: body)
        for header in response.headers[values: .setCookie] {
            let pair = header.split(separator: ";", maxSplits: 1)[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            let name = String(pair[0])
            if pair[1].isEmpty || header.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = String(pair[1]) }
        }
        if let token = Self.csrfToken(in: response.text) { csrfToken = token }
        return response
    }

    static func csrfToken(in html: String) -> String? {
        guard let range = html.range(of: "name=\"csrf_token\" value=\"") else { return nil }
        let rest = html[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }
}

extension TestApp {
    static let password = "a long enough test password"

    /// Creates an active user with `role` (provider staff in a new provider) and password `TestApp.password`; returns their id.
    @discardableResult
    func createUser(_ email: String, role: Role, name: String = "Test User", mustChange: Bool = false) async throws -> StaffUser.ID {
        let organisationID = role.organisationKind == .provider ? try await providerOrganisation() : try await accounts.store.inspectorateID()
        let new = AccountStore.NewUser(
            email: email,
            displayName: name,
            role: role,
            organisationID: organisationID,
            passwordHash: try await accounts.hasher.hash(Self.password),
            mustChangePassword: mustChange
        )
        return try await accounts.store.create(new, audit: accounts.audit, actor: .commandLine).get()
    }

    /// A provider organisation (created with its area on first use).
    func providerOrganisation() async throws -> Organisation.ID {
        if let existing = try await accounts.store.organisations().first(where: { $0.kind == .provider }) { return existing.id }
        let date = LocalDate(year: 2014, month: 6, day: 1)!
        let area = try await accounts.store.createArea(
            code: "WALES",
            name: "Wales",
            country: "wales",
            validFrom: date,
            audit: accounts.audit,
            actor: .commandLine
        )
        .get()
        return try await accounts.store.createProvider(
            code: "NPS-WALES",
            name: "NPS Wales",
            kind: .nps,
            areaID: area,
            validFrom: date,
            audit: accounts.audit,
            actor: .commandLine
        ).get()
    }

    /// A browser signed in as a new user with `role`.
    func signedIn(_ client: any TestClientProtocol, as role: Role, email: String? = nil) async throws -> StaffBrowser {
        let email = email ?? "\(role.rawValue)@example.gov.uk"
        try await createUser(email, role: role, name: "\(role.label) Person")
        let browser = StaffBrowser(client)
        try await browser.signIn(email, Self.password)
        return browser
    }
}

/// `fields` with each inspection date given as an ISO date (`("announced_on", "2027-03-01")`) written as its GOV.UK
/// date input's three fields, as a person fills them in.
func dateInputs(_ fields: [(String, String)]) -> [(String, String)] {
    let ids = Set(InspectionRoutes.dateFields.map(\.id))
    return fields.flatMap { name, value -> [(String, String)] in
        let parts = value.split(separator: "-").compactMap { Int($0) }
        guard ids.contains(name), parts.count == 3 else { return [(name, value)] }
        return [("\(name)-day", String(parts[2])), ("\(name)-month", String(parts[1])), ("\(name)-year", String(parts[0]))]
    }
}
