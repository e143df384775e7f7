import Foundation
import Testing

@testable import Domain
@testable import Web

/// The programme report draws its many small tables in Swift (`TableView.html`) rather than through Mustache; the
/// markup must stay what `templates/report/table.mustache` draws, escaping included.
@Suite("Report tables drawn in Swift")
struct ReportRenderingTests {
    @Test("TableView.html is exactly the report/table template's markup, with every character escaped the same way")
    func sameAsTheTemplate() async throws {
        let templates = try await Templates(directory: projectRoot + "/templates")
        let table = TableView(
            ReportTable(
                name: "test",
                caption: "Answers <to> \"Q1\" & 'Q2'",
                columns: [("area", "Area & region"), ("base", "Base"), ("percent", "% positive")],
                rows: [
                    [.text("Cymru <North> & 'West'"), .count(120), .percent(61.5, lowReliability: false)],
                    [.text("Kent \"East\""), .suppressed, .suppressed],
                    [.text("Empty"), .count(0), .notAvailable],
                ]
            ),
            headerColumns: 1
        )
        let rendered = try #require(templates.library.render(table, withTemplate: "report/table"))
        #expect(table.html == rendered)
        // The comparison can fail: the escaping is there, and a changed cell changes the markup.
        #expect(table.html.contains("Cymru &lt;North&gt; &amp; "))
        #expect(!table.html.contains("<North>"))
    }
}
