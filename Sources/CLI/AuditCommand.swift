import ArgumentParser
import Domain
import Foundation
import Logging
import Operations

/// `stakeholder-views audit …`: the tamper-evident audit log and snapshots (issue 18).
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "The tamper-evident audit log and published snapshots.",
        subcommands: [Verify.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the hash chains of the audit log and the snapshots and report the first broken link, gap or changed row.",
            discussion: "Prints one line per table: 'intact' with the number of entries and the head (ENTRY:HASH), to keep outside "
                + "the database; or 'broken:' naming the row. Exit status 1 when a chain is broken. --expect-head checks that an "
                + "earlier head is still in the chain unchanged (a chain cut short or rewritten by an owner shows there)."
        )

        @Option(
            name: .customLong("expect-head"),
            help: "TABLE=ENTRY:HASH, as printed by an earlier run (audit_event or report_snapshot); may be repeated."
        )
        var expectedHeads: [String] = []

        func validate() throws {
            _ = try parsedHeads()
        }

        func parsedHeads() throws -> [AuditChain.Table: AuditChain.Head] {
            var heads: [AuditChain.Table: AuditChain.Head] = [:]
            for text in expectedHeads {
                let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let table = AuditChain.Table(rawValue: parts[0]), let head = AuditChain.Head(parsing: parts[1]) else {
                    throw ValidationError("--expect-head must be audit_event=ENTRY:HASH or report_snapshot=ENTRY:HASH (64 hex digits), not '\(text)'")
                }
                heads[table] = head
            }
            return heads
        }

        func run() async throws {
            var configuration = try Setup.configuration()
            // Verifying must not change the schema: an outdated one is reported, not migrated.
            configuration.autoMigrate = false
            let heads = try parsedHeads()
            let reports: [AuditChain.Report]
            do {
                reports = try await CommandDatabase.with(configuration, logger: Logger(label: "audit")) { client in
                    try await AuditChain.verifyAll(database: client, expectedHeads: heads)
                }
            } catch {
                Setup.fail("\(error)")
            }
            FileHandle.standardOutput.write(Data((reports.map(\.line).joined(separator: "\n") + "\n").utf8))
            if let broken = reports.first(where: { $0.problem != nil }), let problem = broken.problem {
                Setup.fail(
                    "the \(broken.table.rawValue) hash chain is broken (\(problem)); restore the table from a backup taken before, and find out who had the owner role"
                )
            }
        }
    }
}
