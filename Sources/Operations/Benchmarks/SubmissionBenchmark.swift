import Domain
import Forms
import Foundation
import Logging
import Postgres

/// Prepares victims who are one click from submitting, for `scripts/bench-submit`: each gets a link, a session and
/// a complete draft, through the same stores the web pages use. Writes one `cookie csrf` line per victim.
public enum SubmissionBenchmark {
    public static func prepare(_ configuration: AppConfiguration, count: Int, output: String, logger: Logger) async throws {
        let environment = ProcessInfo.processInfo.environment
        let secrets = try LinkSecrets.load(environment: environment, dataDirectory: configuration.dataDirectory)
        let forms = try FormRegistry.load(directory: configuration.formsDirectory)
        guard let form = forms.current(id: "victim-questionnaire") else {
            throw BenchmarkFailure(description: "no victim-questionnaire form in \(configuration.formsDirectory)")
        }
        let setup = try await DatabaseSetup.resolve(configuration, environment: environment, logger: logger)
        defer { setup.finish(logger: logger) }
        var postgres = configuration.postgres(connectionString: setup.connectionString)
        postgres.poolSize = 8
        let client = PostgresClient(configuration: postgres, logger: logger)
        do {
            try await setup.prepareSchema(
                Migrator(directory: configuration.sqlDirectory),
                client: client,
                configuration: configuration,
                autoMigrate: true,
                logger: logger
            )
            let (inspection, provider) = try await DemoData.demoInspection(client)
            let invitations = InvitationStore(database: client, secrets: secrets)
            let sessions = VictimSessionStore(database: client)
            let answers: Answers = [
                "v2_completed_by": .codes(["victim"]), "v5_named_vlo": .codes(["yes"]), "v18_overall_satisfaction": .codes(["very_satisfied"]),
                "v19_helped_most": .text("Roedd y swyddog yn garedig iawn ac yn esbonio popeth yn glir."),
            ]
            let now = Date()
            var lines: [String] = []
            lines.reserveCapacity(count)
            var remaining = count
            while remaining > 0 {
                let batch = min(remaining, InvitationStore.maximumBatch)
                let links = try await invitations.issue(
                    inspectionID: inspection,
                    providerID: provider,
                    issuedBy: nil,
                    count: batch,
                    reference: "bench",
                    language: "en",
                    now: now
                )
                let prepared = try await withThrowingTaskGroup(of: String.self) { group in
                    for link in links {
                        group.addTask {
                            try await invitations.markStarted(link.id, now: now)
                            let secret = LinkSecrets.newResumeCode()
                            try await invitations.saveDraft(link.id, secret: secret, form: form, answers: answers, now: now)
                            let cookie = try await sessions.start(invitationID: link.id, secret: secret, language: .en, now: now)
                            guard let session = try await sessions.find(cookie: cookie, now: now) else {
                                throw BenchmarkFailure(description: "a session just made was not found")
                            }
                            return "\(cookie) \(session.csrfToken)"
                        }
                    }
                    return try await group.reduce(into: [String]()) { $0.append($1) }
                }
                lines += prepared
                remaining -= batch
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: output, atomically: true, encoding: .utf8)
            await client.shutdown()
        } catch {
            await client.shutdown()
            throw error
        }
    }

    struct BenchmarkFailure: Error, CustomStringConvertible {
        let description: String
    }
}
