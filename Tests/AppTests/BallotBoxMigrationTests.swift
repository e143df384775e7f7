import Foundation
import Postgres
import TestSupport
import Testing

@testable import Domain
@testable import Operations
@testable import Web

@Suite("Migration 0070 releases stored responses once through the shuffle and seals drafts kept in clear")
struct BallotBoxMigrationTests {
    @Test("responses stored before the ballot box lose their link's xmin and order and their withdrawal keys; clear drafts are sealed")
    func migratesExistingData() async throws {
        try await withTestDatabase { db, _ in
            // The schema as it was before the ballot box.
            let before = FileManager.default.temporaryDirectory.appendingPathComponent("sv-sql-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: before, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: before) }
            for file in try FileManager.default.contentsOfDirectory(atPath: projectRoot + "/sql") where file < "0070" {
                try FileManager.default.copyItem(atPath: projectRoot + "/sql/" + file, toPath: before + "/" + file)
            }
            try await Migrator(directory: before).migrate(db, logger: quietLogger)
            let fixtures = try await Fixtures.make(db)
            let store = InvitationStore(database: db, secrets: testLinkSecrets)
            // Issued as before migration 0100 (no sealed reminder code: that column does not exist yet).
            var links: [IssuedLink] = []
            for _ in 0..<41 {
                let token = LinkSecrets.newToken()
                let code = testLinkSecrets.code(for: token)
                let id = try await db.query(
                    """
                    INSERT INTO invitation (inspection_id, provider_id, token_hash, code_hash, reference, language, issued_at)
                    VALUES (\(fixtures.inspectionID), \(fixtures.providerA), \(PostgresBytes(LinkSecrets.tokenHash(token))),
                            \(PostgresBytes(testLinkSecrets.codeHash(code))), 'old', 'en', \(Date()))
                    RETURNING id
                    """
                )[0].decode("id", as: Int.self)
                links.append(IssuedLink(id: id, token: token, code: code))
            }
            // 40 submitted the old way: response and link in one transaction, in order.
            for (index, link) in links.prefix(40).enumerated() {
                try await db.withTransaction { connection in
                    try await connection.execute(
                        """
                        INSERT INTO victim_response (inspection_id, provider_id, form_id, form_version, language, channel, answers, withdrawal_key)
                        VALUES (\(fixtures.inspectionID), \(fixtures.providerA), 'victim-questionnaire', 1, 'en', 'online',
                                \(PostgresJSON(text: #"{"v19_helped_most": {"text": "OLD\#(index)END"}}"#)), sha256(\(String(index))::bytea))
                        """
                    )
                    try await connection.execute("UPDATE invitation SET status = 'submitted', submitted_at = now() WHERE id = \(link.id)")
                }
            }
            let draftLink = links[40].id
            try await db.execute(
                """
                INSERT INTO invitation_draft (invitation_id, form_id, form_version, answers, updated_at)
                VALUES (\(draftLink), 'victim-questionnaire', 1, '{"v19_helped_most": {"text": "DRAFTSECRET"}}', now())
                """
            )
            let shared: PostgresQuery = "SELECT count(*) AS n FROM victim_response r JOIN invitation i ON i.xmin = r.xmin"
            #expect(try await db.query(shared)[0].decode("n", as: Int.self) == 40)

            try await Migrator(directory: projectRoot + "/sql").migrate(db, logger: quietLogger)
            #expect(try await BallotBox(database: db, secrets: testLinkSecrets).sealUnsealedDrafts() == 1)

            #expect(try await db.query(shared)[0].decode("n", as: Int.self) == 0)
            #expect(
                try await db.query("SELECT count(*) AS n FROM victim_response WHERE withdrawal_key IS NOT NULL")[0].decode("n", as: Int.self) == 0
            )
            let order = try await db.query("SELECT answers -> 'v19_helped_most' ->> 'text' AS t FROM victim_response ORDER BY ctid").map { row in
                let text = try row.decode("t", as: String.self)
                return try #require(Int(text.dropFirst(3).dropLast(3)), "\(text)")
            }
            #expect(order.count == 40)
            #expect(abs(AnonymityAttackTests.spearman(order, Array(0..<40))) < AnonymityAttackTests.correlationLimit)
            #expect(try await db.query("SELECT to_regclass('invitation_draft_unsealed') IS NULL AS gone")[0].decode("gone", as: Bool.self))
            let sealed = try await db.query("SELECT sealed FROM victim_draft WHERE invitation_id = \(draftLink)")
            #expect(sealed.count == 1)
            #expect(!String(decoding: try sealed[0].decode("sealed", as: PostgresBytes.self).bytes, as: UTF8.self).contains("DRAFTSECRET"))
            // Only the session that was open at the upgrade (whose secret is the access code) opens it.
            let code = links[40].code
            #expect(try await store.draft(draftLink, secret: code)["v19_helped_most"] == .text("DRAFTSECRET"))
            #expect(try await store.draft(draftLink, secret: LinkSecrets.newResumeCode()).isEmpty)
        }
    }
}
