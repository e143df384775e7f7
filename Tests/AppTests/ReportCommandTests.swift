import Foundation
import Operations
import TestSupport
import Testing

/// `stakeholder-views report export` as an operator runs it: the built binary against a seeded database.
@Suite("The report export command", .serialized)
struct ReportCommandTests {
    @Test("report export writes the page's CSV and JSON, audited; an unknown inspection or format is one line and exit 1")
    func export() async throws {
        try await withTestDatabase { db, database in
            let environment = ["LINK_SECRET": String(repeating: "07", count: 32), "AUTO_MIGRATE": "true"]
            let seeded = try await SurveyImportCLITests.run(["dev", "seed-demo"], database: database, environment: environment)
            try #require(seeded.status == 0, "\(seeded.errors)")
            let line = try #require(seeded.output.split(separator: "\n").first { $0.hasPrefix("Demo inspection ") })
            let inspection = try #require(Int(line.dropFirst("Demo inspection ".count).prefix { $0.isNumber }))

            let csv = try await SurveyImportCLITests.run(
                ["report", "export", "--inspection", String(inspection), "--format", "csv"],
                database: database,
                environment: environment
            )
            #expect(csv.status == 0, "\(csv.errors)")
            let lines = csv.output.split(whereSeparator: \.isNewline)
            let header = lines.first.map(String.init) ?? ""
            #expect(header.hasPrefix("# table: "), "not the page's export: \(csv.output.prefix(200))")
            #expect(lines.contains { $0.contains(",") })
            #expect(lines.count > 5, "\(csv.output.prefix(300))")

            let file = NSTemporaryDirectory() + "sv-report-\(UUID().uuidString).json"
            defer { try? FileManager.default.removeItem(atPath: file) }
            let json = try await SurveyImportCLITests.run(
                ["report", "export", "--inspection", String(inspection), "--format", "JSON", "--output", file],
                database: database,
                environment: environment
            )
            #expect(json.status == 0, "\(json.errors)")
            #expect(json.output.isEmpty)
            let object = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: file)))
            #expect(object is [String: Any])
            let audited = try await db.query("SELECT count(*) AS n FROM audit_event WHERE event = 'report.exported'")[0].decode("n", as: Int.self)
            #expect(audited == 2)

            let missing = try await SurveyImportCLITests.run(
                ["report", "export", "--inspection", "999999"],
                database: database,
                environment: environment
            )
            #expect(missing.status == 1)
            #expect(missing.errors.split(separator: "\n").last?.contains("there is no inspection 999999") == true, "\(missing.errors)")
            let format = try await SurveyImportCLITests.run(
                ["report", "export", "--inspection", String(inspection), "--format", "xml"],
                database: database,
                environment: environment
            )
            #expect(format.status != 0)
            #expect(format.errors.contains("--format must be csv or json"))
        }
    }
}
