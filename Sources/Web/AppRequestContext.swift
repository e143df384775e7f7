import Domain
import Hummingbird
import Logging

/// The request context for every route. Staff pages find the signed-in session, the parsed form and any form restored
/// after a sign-in here (set by `StaffMiddleware`).
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    /// The client's address (without port), for rate limits; "unknown" when the transport has none (tests).
    public var clientAddress: String

    // Staff accounts: set by StaffMiddleware.
    /// The signed-in session on staff pages; nil on public pages.
    public var staff: StaffSession?
    /// The posted form of a staff POST, parsed and size-checked once.
    public var staffForm: StaffForm?
    /// What the person posted when their session expired, brought back after they signed in again.
    public var restoredForm: StaffForm?
    /// The CSRF token for forms shown before sign-in (the sign-in page).
    public var preSessionToken: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Form posts larger than this are refused with 413 before they are read.
    public var maxUploadSize: Int { 1024 * 1024 }
}
