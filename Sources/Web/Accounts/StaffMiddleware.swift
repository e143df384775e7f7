import Domain
import Foundation
import Hummingbird
import Logging
import Synchronization

/// Sessions and CSRF for a group of staff routes. Not global: the victims' pages (no accounts) will use their own
/// token scheme on their own group.
///
/// For every request it resolves the session cookie. For POST, PUT, PATCH and DELETE it reads the body once into
/// `context.staffForm` (400 for bad UTF-8 or oversized fields) and checks the `csrf_token` field against the session's
/// token, or against the pre-session cookie on pages used before sign-in: a mismatch is a 403 and nothing runs.
///
/// With `requireSignIn` (every page except signing in), a request without a live session is redirected (303) to
/// `/sign-in?return=…`. When the session had only expired and the post carried that session's token, the posted
/// fields (not passwords, not the token) are kept in `form_stash` and come back in `context.restoredForm` on the same
/// page once the same person has signed in again.
struct StaffMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let accounts: Accounts
    let requireSignIn: Bool
    /// False for routes that stream their own body (file uploads): the body is left unread and the CSRF token is
    /// taken from the `csrf_token` query parameter instead.
    var readsFormBody = true

    /// Paths someone who must change a temporary password may still use.
    static let allowedBeforePasswordChange: Set<String> = ["/account/password", "/sign-out"]
    /// Maximum staff form body.
    static let maximumBody = 256 * 1024

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        var context = context
        let unsafe = ![HTTPRequest.Method.get, .head].contains(request.method)
        if unsafe && readsFormBody {
            let buffer = try await request.collectBody(upTo: min(context.maxUploadSize, Self.maximumBody))
            do {
                context.staffForm = try StaffForm(parsing: buffer.readableBytesView)
            } catch {
                context.logger.info("staff form refused", metadata: ["form.problem": "\(error)"])
                throw error.httpError
            }
        }
        let postedToken = readsFormBody ? context.staffForm?[Accounts.csrfField] ?? "" : request.uri.queryParameters.get(Accounts.csrfField) ?? ""
        let cookieID = request.cookies[Accounts.sessionCookie]?.value
        let lookup: SessionStore.Lookup = if let cookieID { try await accounts.sessions.lookup(id: cookieID) } else { .unknown }

        switch lookup {
        case .active(let session):
            if unsafe && !SecretToken.constantTimeEquals(postedToken, session.csrfToken) {
                context.logger.info("csrf token refused")
                throw HTTPError(.forbidden)
            }
            context.staff = session
            if session.user.mustChangePassword && !Self.allowedBeforePasswordChange.contains(request.uri.path) {
                return Self.redirect("/account/password")
            }
            if !unsafe, let restore = request.uri.queryParameters["restore"].map(String.init) {
                let fields = try await accounts.sessions.takeStash(id: restore, userID: session.user.id, path: request.uri.path)
                context.restoredForm = fields.map(StaffForm.init(fields:))
            }
            return try await next(request, context)

        case .expired(let userID, let csrfToken):
            try await accounts.sessions.end(id: cookieID ?? "")
            guard requireSignIn else { return try await anonymous(request, context, next: next, clearCookie: true) }
            var location = Self.signInLocation(returnTo: request.uri.path + (unsafe ? "" : request.uri.query.map { "?\($0)" } ?? ""))
            if unsafe, SecretToken.constantTimeEquals(postedToken, csrfToken), let form = context.staffForm {
                let kept = form.fields.filter { name, _ in name != Accounts.csrfField && !name.lowercased().contains("password") }
                let stash = try await accounts.sessions.stash(userID: userID, path: request.uri.path, fields: kept)
                location += "&restore=\(stash)"
                context.logger.info("form kept after session expiry")
            }
            var response = Self.redirect(location)
            response.setCookie(accounts.expiredCookie(Accounts.sessionCookie))
            return response

        case .unknown:
            guard requireSignIn else { return try await anonymous(request, context, next: next, clearCookie: cookieID != nil) }
            var response = Self.redirect(Self.signInLocation(returnTo: unsafe ? request.uri.path : request.uri.description))
            if cookieID != nil { response.setCookie(accounts.expiredCookie(Accounts.sessionCookie)) }
            return response
        }
    }

    /// A page used before sign-in: forms there carry the pre-session token (double-submit with a Strict cookie).
    private func anonymous(
        _ request: Request,
        _ context: Context,
        next: (Request, Context) async throws -> Response,
        clearCookie: Bool
    ) async throws -> Response {
        var context = context
        let existing = request.cookies[Accounts.preSessionCookie].map(\.value).flatMap { SecretToken.isWellFormed($0) ? $0 : nil }
        let unsafe = ![HTTPRequest.Method.get, .head].contains(request.method)
        if unsafe {
            guard let existing, SecretToken.constantTimeEquals(context.staffForm?[Accounts.csrfField] ?? "", existing) else {
                context.logger.info("pre-session csrf token refused")
                throw HTTPError(.forbidden)
            }
        }
        let token = existing ?? SecretToken.generate()
        context.preSessionToken = token
        var response = try await next(request, context)
        if existing == nil { response.setCookie(accounts.preSessionCookie(token)) }
        if clearCookie && response.headers[values: .setCookie].allSatisfy({ !$0.hasPrefix(Accounts.sessionCookie + "=") }) {
            response.setCookie(accounts.expiredCookie(Accounts.sessionCookie))
        }
        return response
    }

    /// `/sign-in`, with where to come back to when that is a path on this site.
    static func signInLocation(returnTo: String) -> String {
        guard let path = safeReturnPath(returnTo) else { return "/sign-in" }
        return "/sign-in?return=" + (path.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~/"))) ?? "")
    }

    /// `text` when it is a path on this site (starts with one `/`, no scheme, no backslash, no control characters).
    static func safeReturnPath(_ text: String?) -> String? {
        guard let text, text.hasPrefix("/"), !text.hasPrefix("//"), text.count <= 2000 else { return nil }
        if text.contains("\\") || text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return nil }
        return text
    }

    /// A 303 to `location`.
    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }
}

/// One staff route and what it needs, for the role-matrix test and for documentation.
public struct StaffRouteInfo: Sendable, Hashable {
    public let method: HTTPRequest.Method
    public let path: String
    public let permission: Permission
    /// True for routes that stream their own body (uploads): a POST carries the CSRF token as the `csrf_token` query
    /// parameter instead of a form field.
    public let tokenInAddress: Bool

    public init(method: HTTPRequest.Method, path: String, permission: Permission, tokenInAddress: Bool = false) {
        self.method = method
        self.path = path
        self.permission = permission
        self.tokenInAddress = tokenInAddress
    }
}

/// Every staff route registered, in order.
public final class StaffRouteCatalogue: Sendable {
    private let routes = Mutex<[StaffRouteInfo]>([])

    public init() {}

    public var all: [StaffRouteInfo] { routes.withLock { $0 } }

    func add(_ route: StaffRouteInfo) {
        routes.withLock { if !$0.contains(route) { $0.append(route) } }
    }
}

/// Registers staff routes, each declaring the permission it needs. Handlers receive the signed-in session.
///
/// ```swift
/// staff.get("/inspections", .manageInspections) { request, context, session in … }
/// ```
/// Signed in without the permission: 403 page. Not signed in: 303 to `/sign-in?return=…` (from `StaffMiddleware`).
public struct StaffRouter {
    public typealias Handler = @Sendable (Request, AppRequestContext, StaffSession) async throws -> Response

    let group: RouterGroup<AppRequestContext>
    let catalogue: StaffRouteCatalogue

    /// The staff route group on `router`: every route added through it needs a live session (`StaffMiddleware`) and
    /// is recorded in `dependencies.staffRoutes`. `buildRouter` makes one and passes it to each feature's routes.
    public init(router: Router<AppRequestContext>, dependencies: AppDependencies) {
        group = router.group().add(middleware: StaffMiddleware(accounts: dependencies.accounts, requireSignIn: true))
        catalogue = dependencies.staffRoutes
    }

    /// A group for routes that read their own request body (file uploads), needing a live session and `permission`;
    /// unsafe methods must carry the session's CSRF token as the `csrf_token` query parameter.
    public func uploadGroup(
        on router: Router<AppRequestContext>,
        dependencies: AppDependencies,
        permission: Permission
    ) -> RouterGroup<AppRequestContext> {
        router.group()
            .add(middleware: StaffMiddleware(accounts: dependencies.accounts, requireSignIn: true, readsFormBody: false))
            .add(middleware: PermissionMiddleware(permission: permission))
    }

    /// A GET route needing `permission`.
    public func get(_ path: String, _ permission: Permission, handler: @escaping Handler) {
        add(.get, path, permission, handler)
    }

    /// A POST route needing `permission` (the CSRF token was checked before the handler runs).
    public func post(_ path: String, _ permission: Permission, handler: @escaping Handler) {
        add(.post, path, permission, handler)
    }

    private func add(_ method: HTTPRequest.Method, _ path: String, _ permission: Permission, _ handler: @escaping Handler) {
        catalogue.add(StaffRouteInfo(method: method, path: path, permission: permission))
        group.on(RouterPath(path), method: method) { (request: Request, context: AppRequestContext) -> Response in
            guard let session = context.staff else {
                return StaffMiddleware.redirect(StaffMiddleware.signInLocation(returnTo: request.uri.path))
            }
            guard session.user.can(permission) else {
                context.logger.info("permission refused", metadata: ["permission": "\(permission.rawValue)", "user.id": "\(session.user.id)"])
                throw HTTPError(.forbidden, message: "You do not have permission to see this page.")
            }
            return try await handler(request, context, session)
        }
    }
}

/// Refuses (403) a signed-in person without `permission`; used on groups whose routes are not added through
/// `StaffRouter.get` and `post`.
struct PermissionMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let permission: Permission

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let session = context.staff, session.user.can(permission) else {
            throw HTTPError(.forbidden, message: "You do not have permission to see this page.")
        }
        return try await next(request, context)
    }
}
