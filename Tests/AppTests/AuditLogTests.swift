import Domain
import Foundation
import Operations
import Postgres
import Testing
import Web

@Suite("The audit log is append-only in the database")
struct AuditLogTests {
    @Test("UPDATE, DELETE and TRUNCATE on audit_event are refused even for the superuser, and the rows stay")
    func appendOnly() async throws {
        try await TestApp.run { _, app in
            try await app.accounts.audit.record(.userCreated, actor: .commandLine, subject: .user(1), details: ["role": .code("admin")])
            for statement: PostgresQuery in [
                "UPDATE audit_event SET event = 'x'",
                "DELETE FROM audit_event",
                "TRUNCATE audit_event",
            ] {
                do {
                    try await app.db.execute(statement)
                    Issue.record("\(statement) was allowed")
                } catch let error as PostgresError {
                    #expect(error.code == .raiseException, "\(statement)")
                }
            }
            let rows = try await app.db.query("SELECT event FROM audit_event")
            #expect(rows.count == 1)
            #expect(try rows[0].decode("event", as: String.self) == "user.created")
        }
    }

    @Test("details hold only numbers, booleans and codes: free text in a code is replaced, never stored")
    func detailsAreCodesOnly() async throws {
        try await TestApp.run { _, app in
            try await app.accounts.audit.record(
                "answers.viewed",
                actor: AuditActor(userID: nil, address: "192.0.2.1"),
                subject: AuditSubject(type: "inspection", id: "40"),
                details: ["count": .int(3), "welsh": .bool(true), "reason": .code("I was told \"yes\"; DROP"), "Bad Key": .code("x")]
            )
            let entry = try #require(try await app.accounts.audit.entries(AuditFilter()).first)
            #expect(entry.event == "answers.viewed")
            #expect(entry.subjectType == "inspection")
            #expect(entry.clientAddress == "192.0.2.1")
            #expect(entry.details.contains("\"count\": 3"))
            #expect(entry.details.contains("\"welsh\": true"))
            #expect(entry.details.contains("\"reason\": \"invalid_code\""))
            #expect(entry.details.contains("\"invalid_key\": \"x\""))
            #expect(!entry.details.contains("DROP"))
        }
    }

    @Test("filters by subject and event prefix")
    func filters() async throws {
        try await TestApp.run { _, app in
            try await app.accounts.audit.record(.userCreated, actor: .commandLine, subject: .user(7))
            try await app.accounts.audit.record(.userDisabled, actor: .commandLine, subject: .user(8))
            try await app.accounts.audit.record(.signedOut, actor: .commandLine, subject: .user(7))
            var bySubject = AuditFilter()
            bySubject.subject = .user(7)
            #expect(try await app.accounts.audit.entries(bySubject).map(\.event) == ["sign_out", "user.created"])
            var byPrefix = AuditFilter()
            byPrefix.event = "user"
            #expect(try await app.accounts.audit.entries(byPrefix).map(\.event) == ["user.disabled", "user.created"])
        }
    }
}
