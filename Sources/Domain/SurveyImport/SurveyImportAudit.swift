import Foundation
import Postgres

extension AuditEvent {
    static let surveyImported: AuditEvent = "survey.imported"
}

/// The audit hook both ways in use: one `survey.imported` entry per batch, written in the import's transaction.
package enum SurveyImportAudit {
    package static func hook(_ audit: AuditLog) -> SurveyImportAuditHook {
        { event, connection in
            try await audit.record(
                .surveyImported,
                actor: AuditActor(userID: event.actor.userID, address: event.actor.userID == nil ? event.actor.name : nil),
                subject: AuditSubject(type: "survey_batch", id: String(event.batchID)),
                details: [
                    "year": .int(Int64(event.year)), "rows": .int(Int64(event.rowsImported)), "rejected": .int(Int64(event.rowsRejected)),
                    "replaced": .bool(event.replacedBatchID != nil),
                ],
                on: connection
            )
        }
    }
}
