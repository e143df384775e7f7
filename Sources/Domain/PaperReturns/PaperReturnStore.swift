import Forms
import Foundation
import Postgres

extension AuditEvent {
    static let paperReturnEntered: AuditEvent = "paper_return.entered"
}

/// Stores paper victim questionnaires keyed in by an inspector. The response goes into the ballot box like an online
/// one, with channel "paper" and no withdrawal tag; a `paper_return` row counts it for the provider's response figures.
package struct PaperReturnStore: Sendable {
    let database: PostgresClient
    let secrets: LinkSecrets
    let audit: AuditLog

    package init(database: PostgresClient, secrets: LinkSecrets, audit: AuditLog) {
        self.database = database
        self.secrets = secrets
        self.audit = audit
    }

    /// Stores one paper return in one transaction: the form version's first use, the sealed copy, the `paper_return`
    /// row and the audit entry. Throwing stores none of them.
    package func enter(
        _ form: FormDefinition,
        answers: Answers,
        inspectionID: Int,
        providerID: Int,
        enteredBy userID: Int64,
        language: Language,
        now: Date,
        actor: AuditActor
    ) async throws {
        try await database.withTransaction { connection in
            try await FormVersionStore.markUsed(form, on: connection)
            // Into the same ballot box as online answers: released with them, in random order, at least 10 at a time.
            try await BallotBox(database: database, secrets: secrets).deposit(
                BallotBox.Payload(formID: form.id, formVersion: form.version, channel: "paper", answers: answers, withdrawalTag: nil),
                inspectionID: inspectionID,
                providerID: providerID,
                invitationID: nil,
                on: connection
            )
            try await connection.execute(
                """
                INSERT INTO paper_return (inspection_id, provider_id, entered_by, entered_at, language)
                VALUES (\(inspectionID), \(providerID), \(userID), \(now), \(language.rawValue))
                """
            )
            try await audit.record(
                .paperReturnEntered,
                actor: actor,
                subject: AuditSubject(type: "inspection", id: String(inspectionID)),
                on: connection
            )
        }
    }
}
