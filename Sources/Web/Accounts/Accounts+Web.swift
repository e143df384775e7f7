import Domain
import Foundation
import HTTPTypes
import Hummingbird

/// The staff-accounts capability as the web layer builds and uses it: from `AppDependencies`, with the request's
/// address and the cookies.
extension Accounts {
    public init(dependencies: AppDependencies) {
        self.init(
            configuration: dependencies.configuration,
            database: dependencies.database,
            passwordPolicy: dependencies.passwordPolicy,
            throttlePolicy: dependencies.throttlePolicy,
            now: dependencies.now
        )
    }

    /// The client address for throttling and the audit log.
    func clientAddress(_ request: Request, _ context: AppRequestContext) -> String {
        if trustForwardedFor, let forwarded = request.headers[HTTPField.Name("X-Forwarded-For")!] {
            let first = forwarded.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if !first.isEmpty && first.count <= 64 { return first }
        }
        return context.clientAddress
    }

    /// The audit actor for a request: the signed-in user, if any, and the client address.
    func actor(_ request: Request, _ context: AppRequestContext) -> AuditActor {
        AuditActor(userID: context.staff?.user.id, address: clientAddress(request, context))
    }

    /// The session cookie for `id`: HttpOnly, SameSite=Lax, Secure unless configured off, for the whole site.
    func sessionCookie(_ id: String) -> Cookie {
        Cookie(name: Self.sessionCookie, value: id, path: "/", secure: cookieSecure, httpOnly: true, sameSite: .lax)
    }

    /// A cookie that removes `name` from the browser.
    func expiredCookie(_ name: String) -> Cookie {
        Cookie(name: name, value: "", maxAge: 0, path: "/", secure: cookieSecure, httpOnly: true, sameSite: .lax)
    }

    /// The pre-session CSRF cookie: Strict, so no other site can make the browser send it.
    func preSessionCookie(_ token: String) -> Cookie {
        Cookie(name: Self.preSessionCookie, value: token, path: "/", secure: cookieSecure, httpOnly: true, sameSite: .strict)
    }
}
