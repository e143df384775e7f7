import Foundation
import Postgres

/// An inspection's report as published: the page's content and the export tables, every figure already through
/// disclosure control, frozen with its publication date. Stored as jsonb in `report_snapshot` (sql/0060); the report
/// page and its CSV and JSON exports are rendered from it once the inspection is published.
package struct PublishedReport: Sendable, Codable {
    /// The layout of this value; bump it (and keep reading older ones) if the stored shape changes.
    static let formatVersion = 1

    package let publishedOn: LocalDate
    /// What the report page shows.
    package let content: ReportContent
    /// What the CSV and JSON exports contain.
    let tables: [ReportTable]
    /// The JSON export's `report` object (with `published_on` and `notice`).
    let meta: [String: String]

    /// Freezes `report` as published on `publishedOn`.
    init(_ report: StakeholderReport, publishedOn: LocalDate) {
        self.publishedOn = publishedOn
        content = ReportContent(report)
        tables = report.tables
        var meta = report.meta
        meta["published_on"] = publishedOn.description
        meta["notice"] = Self.notice(publishedOn)
        self.meta = meta
    }

    /// The line every published export carries (the date as ISO 8601, for machines).
    static func notice(_ date: LocalDate) -> String {
        "Published on \(date) — these figures are frozen"
    }

    /// The line every published page carries (the date as GOV.UK writes it).
    package static func pageNotice(_ date: LocalDate) -> String {
        "Published on \(date.govuk) — these figures are frozen"
    }

    /// The CSV export: the notice as a comment line, then the tables as before publication.
    package var csv: String {
        ReportExport.csvCell("# \(Self.notice(publishedOn))") + "\r\n" + ReportExport.csv(tables)
    }

    /// The JSON export.
    package var json: String {
        ReportExport.json(tables, meta: meta)
    }
}
