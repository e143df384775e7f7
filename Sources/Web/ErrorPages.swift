import Domain
import Hummingbird

/// Plain HTML pages for errors: no stack traces, no detail beyond what the person can act on.
struct ErrorPages: Sendable {
    let templates: Templates
    /// The 503 page, rendered once: under overload it is the answer to most requests, so it must cost far less than
    /// the work it turns away (rendered per request, a shed request cost about as much as serving a small page).
    private let unavailable: Response

    init(templates: Templates) {
        self.templates = templates
        unavailable = Self.render(templates, status: .serviceUnavailable, message: nil)
    }

    func response(status: HTTPResponse.Status, message: String?) -> Response {
        status == .serviceUnavailable ? unavailable : Self.render(templates, status: status, message: message)
    }

    private static func render(_ templates: Templates, status: HTTPResponse.Status, message: String?) -> Response {
        let (title, body): (String, String) =
            switch status.code {
            case 400: ("Sorry, there is a problem with your request", message ?? "Check what you entered and try again.")
            case 403: ("You cannot do that", message ?? "You do not have permission to do that, or the form has expired. Go back and try again.")
            case 404: ("Page not found", "If you typed the web address, check it is correct.")
            case 405: ("Sorry, there is a problem with your request", "That kind of request is not allowed here.")
            case 413: ("That is too large", message ?? "What you sent is larger than the service accepts.")
            case 503: ("Sorry, the service is unavailable", "Nothing you have already submitted has been lost. Please try again in a few seconds.")
            default: ("Sorry, there is a problem with the service", "Please try again later.")
            }
        // Victims may be answering in Welsh and the page has no session to tell: the 503 says it in both languages.
        let welsh: (String, String)? =
            status == .serviceUnavailable
            ? (
                "Mae’n ddrwg gennym, nid yw’r gwasanaeth ar gael",
                "Nid oes dim a anfonwyd gennych eisoes wedi’i golli. Rhowch gynnig arall arni ymhen ychydig eiliadau."
            )
            : nil
        var response = templates.page(
            "error",
            ErrorPage(title: title, message: body, welshTitle: welsh?.0, welshMessage: welsh?.1),
            status: status
        )
        if status == .serviceUnavailable { response.headers[.retryAfter] = "5" }
        return response
    }
}

struct ErrorPage: Sendable {
    let title: String
    let message: String
    var welshTitle: String? = nil
    var welshMessage: String? = nil
}
