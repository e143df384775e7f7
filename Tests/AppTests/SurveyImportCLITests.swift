import Domain
import Foundation
import Operations
import Postgres
import TestSupport
import Testing
import Web

/// `stakeholder-views import service-user-survey` as a person runs it: the built binary, its exit status and output.
/// Serialized: Foundation's `Process.run()` crashed once (a bad read inside its memcpy) while this suite's tests
/// started processes at the same time; one process at a time avoids it.
@Suite("Survey import: the command", .serialized)
struct SurveyImportCLITests {
    struct Run {
        let status: Int32
        let output: String
        let errors: String
    }

    /// Runs the debug binary (built by `swift build --build-tests`) with `arguments` against `database`. It waits on a
    /// thread of its own (`Subprocess.capture`), so a command that hangs holds up only its own test; one still running
    /// after `timeout` is stopped, and the test fails saying so.
    static func run(
        _ arguments: [String],
        database: TestDatabase,
        environment extra: [String: String] = [:],
        timeout: Duration = .seconds(120)
    ) async throws -> Run {
        let binary = projectRoot + "/.build/debug/stakeholder-views"
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build first: swift build --build-tests")
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = database.connectionString + " options='-c search_path=\(database.schema),public'"
        environment["LOG_LEVEL"] = "error"
        for (key, value) in extra { environment[key] = value }
        let ran = try await Subprocess.capture([binary] + arguments, environment: environment, directory: projectRoot, timeout: timeout)
        #expect(!ran.timedOut, "stakeholder-views \(arguments.joined(separator: " ")) was still running after \(timeout) and was stopped")
        // No command under test ends by a signal: one that crashes fails its test with what it printed.
        #expect(
            ran.timedOut || ran.status < 128,
            "stakeholder-views \(arguments.joined(separator: " ")) ended by signal \(ran.status - 128): \(ran.errors.suffix(4000))"
        )
        return Run(status: ran.status, output: ran.output, errors: ran.errors)
    }

    @Test("each kind of bad input exits non-zero with its message on one summary line, and nothing is written")
    func badInput() async throws {
        try await withTestDatabase { client, database in
            let folder = NSTemporaryDirectory() + "sv-cli-test-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let good = folder + "/good.csv"
            let generated = try await Self.run(
                ["dev", "generate-survey", "--rows", "20", "--year", "2013", "--seed", "3", "--output", good],
                database: database
            )
            #expect(generated.status == 0)
            let goodText = try String(contentsOfFile: good, encoding: .utf8)
            let header = String(goodText.prefix { $0 != "\n" }) + "\n"
            func file(_ name: String, _ bytes: [UInt8]) -> String {
                let path = folder + "/" + name
                _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
                return path
            }
            let cases: [(arguments: [String], environment: [String: String], message: String)] = [
                ([file("empty.csv", [])], [:], "the file is empty"),
                ([file("header.csv", Array(header.utf8))], [:], "header row but no data rows"),
                ([file("junk.csv", (0..<4096).map { UInt8(($0 * 7919) % 256) })], [:], "not CSV text"),
                ([file("cut.csv", Array(goodText.utf8.dropLast(25)))], [:], "is cut short"),
                ([good, "--codebook", "no-such-codebook"], [:], "unknown codebook 'no-such-codebook'"),
                ([good], ["IMPORT_MAX_UPLOAD_BYTES": "100"], "more than the limit of 100 bytes"),
            ]
            for (arguments, environment, message) in cases {
                let result = try await Self.run(
                    ["import", "service-user-survey"] + arguments + ["--year", "2013"],
                    database: database,
                    environment: environment
                )
                #expect(result.status != 0, "\(arguments)")
                #expect(result.output.hasPrefix("import failed: "), "\(arguments): \(result.output)")
                #expect(result.output.contains(message), "\(arguments): \(result.output)")
                #expect(result.output.split(separator: "\n").count == 1)
            }
            let wrongYear = try await Self.run(["import", "service-user-survey", good, "--year", "2019"], database: database)
            #expect(wrongYear.status != 0)
            #expect(wrongYear.output.contains("--year 2019 is not a year that codebook service-user-survey v1 describes"))
            let batches = try await client.query("SELECT count(*)::int AS n FROM service_user_import_batch")
            #expect(try batches.first?.decode("n", as: Int.self) == 0)

            // And the good file: exit 0 and one summary line; then the same file again: refused, exit non-zero.
            let imported = try await Self.run(["import", "service-user-survey", good, "--year", "2013"], database: database)
            #expect(imported.status == 0, "\(imported.output) \(imported.errors)")
            #expect(imported.output.hasPrefix("imported 20 rows from good.csv as batch "))
            let again = try await Self.run(["import", "service-user-survey", good, "--year", "2013"], database: database)
            #expect(again.status != 0)
            #expect(again.output.contains("this file was already imported as batch"))
        }
    }
}
