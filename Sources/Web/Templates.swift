import Domain
import Hummingbird
import Mustache

/// The Mustache templates in `templates/`, loaded once at start.
///
/// Every page template starts with `{{<layout}}` and fills the layout's blocks; values are HTML-escaped.
public struct Templates: Sendable {
    let library: MustacheLibrary

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init(directory: String) async throws {
        do {
            library = try await MustacheLibrary(directory: directory, withExtension: "mustache")
        } catch let error as MustacheLibrary.ParserError {
            throw Failure(description: "template \(error.filename) line \(error.context.lineNumber): \(error.error)")
        }
        guard library.getTemplate(named: "layout") != nil else {
            throw Failure(description: "templates directory \(directory) has no layout.mustache (set TEMPLATES_DIR, or run from the project folder)")
        }
    }

    /// Renders `name` with `model` into an HTML response. A missing template is a programming error: it gives a
    /// minimal 500 page rather than crashing.
    func page(_ name: String, _ model: some Sendable, status: HTTPResponse.Status = .ok) -> Response {
        let html =
            library.render(model, withTemplate: name) ?? "<!DOCTYPE html><title>Error</title><p>Sorry, there is a problem with the service.</p>"
        let code: HTTPResponse.Status = library.getTemplate(named: name) == nil ? .internalServerError : status
        return Response(
            status: code,
            headers: [.contentType: "text/html; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html))
        )
    }
}
