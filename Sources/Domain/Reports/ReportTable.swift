import Foundation

/// One table of the report with a stable name and stable column names: what the page shows, and what the CSV and
/// JSON exports contain. Every value in it has already passed disclosure control.
public struct ReportTable: Sendable, Equatable, Codable {
    /// A stable machine name (`victims_links`, `victims_questions`, …), documented in `ReportExport`.
    public let name: String
    /// A caption for people.
    public let caption: String
    /// Stable snake_case column names.
    public let columns: [String]
    /// Column headings for people, one per column.
    public let headings: [String]
    /// The rows, one value per column.
    public let rows: [[ReportValue]]

    public init(name: String, caption: String, columns: [(name: String, heading: String)], rows: [[ReportValue]]) {
        self.name = name
        self.caption = caption
        self.columns = columns.map(\.name)
        self.headings = columns.map(\.heading)
        self.rows = rows
    }
}

/// Writes report tables as CSV and JSON.
public enum ReportExport {
    /// A CSV cell: a value starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'` so that
    /// spreadsheets do not run it as a formula; then quoted when it holds a comma, quote or line break.
    public static func csvCell(_ text: String) -> String {
        var value = text
        if let first = value.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(Character(first)) {
            value = "'" + value
        }
        if value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            value = "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return value
    }

    /// All tables in one CSV file: for each table a line `# table: NAME`, its header of column names, its rows, and a
    /// blank line. Values are as shown on the page (`[c]`, `62% [u]`).
    public static func csv(_ tables: [ReportTable]) -> String {
        var out = ""
        for table in tables {
            out += csvCell("# table: \(table.name)") + "\r\n"
            out += table.columns.map(csvCell).joined(separator: ",") + "\r\n"
            for row in table.rows { out += row.map { csvCell($0.display) }.joined(separator: ",") + "\r\n" }
            out += "\r\n"
        }
        return out
    }

    /// The tables as JSON: `{"report": {...meta}, "tables": [{"name", "columns", "rows": [{column: cell}]}]}` where a
    /// cell is a string (text), a number (count), `{"percent": 62.5, "flag": "u"}`, or `{"flag": "c"}` / `{"flag": "x"}`.
    /// Keys are sorted so the output is stable.
    public static func json(_ tables: [ReportTable], meta: [String: String]) -> String {
        var out = "{\"report\":{"
        out += meta.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }.joined(separator: ",")
        out += "},\"tables\":["
        out += tables.map { table in
            var text = "{\"caption\":\(jsonString(table.caption)),\"columns\":["
            text += table.columns.map(jsonString).joined(separator: ",")
            text += "],\"name\":\(jsonString(table.name)),\"rows\":["
            text += table.rows.map { row in
                "{" + zip(table.columns, row).map { "\(jsonString($0)):\(jsonValue($1))" }.joined(separator: ",") + "}"
            }.joined(separator: ",")
            return text + "]}"
        }.joined(separator: ",")
        return out + "]}"
    }

    static func jsonValue(_ value: ReportValue) -> String {
        switch value {
        case .text(let text): jsonString(text)
        case .count(let count): String(count)
        case .percent(let percent, let low):
            "{\"flag\":\(low ? "\"u\"" : "null"),\"percent\":\(String(format: "%.1f", percent))}"
        case .suppressed: "{\"flag\":\"c\"}"
        case .notAvailable: "{\"flag\":\"x\"}"
        }
    }

    /// A JSON string literal.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<": out += "\\u003c"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
