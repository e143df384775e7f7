import Hummingbird
import Logging

/// The request context for every route. Later features add the signed-in user and the CSRF token here.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    /// The client's address (without port), for rate limits; "unknown" when the transport has none (tests).
    public var clientAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Form posts larger than this are refused with 413 before they are read.
    public var maxUploadSize: Int { 1024 * 1024 }
}
