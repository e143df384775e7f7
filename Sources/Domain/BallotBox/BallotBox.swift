import Crypto
import Forms
import Foundation
import Logging
import Postgres

/// The ballot box for victims' answers (docs/privacy.md). A submission stores its answers **sealed** (AES-GCM under a
/// key from the service's secret, padded to whole 16 KiB blocks) in `sealed_response`, in the transaction that spends
/// the link. The answers reach the reporting table `victim_response` only when they are **released**: per inspection
/// and provider, in batches of at least `batchSize` (or whatever remains once the window has closed), in random order,
/// in a transaction of their own, so that nothing in a released row (transaction id, position, time, order, size,
/// language) points back to a link or a submission.
public struct BallotBox: Sendable {
    let database: PostgresClient
    let secrets: LinkSecrets

    /// The fewest responses released together while the window is open (k).
    public static let batchSize = 10
    /// Sealed copies are whole multiples of this many bytes.
    static let blockSize = 16_384
    /// AES-GCM's nonce and tag around the ciphertext.
    static let sealOverhead = 12 + 16

    /// The owner's pool for `VACUUM FULL` of the released copies (only a table's owner may vacuum it); nil uses
    /// `database`, and when that role is not the owner the rewrite is skipped with a notice (issue 18).
    let maintenance: PostgresClient?

    public init(database: PostgresClient, secrets: LinkSecrets, maintenance: PostgresClient? = nil) {
        self.maintenance = maintenance
        self.database = database
        self.secrets = secrets
    }

    /// What a sealed copy holds.
    struct Payload: Codable, Sendable {
        var formID: String
        var formVersion: Int
        var channel: String
        var answers: Answers
        /// `LinkSecrets.withdrawalTag` of the victim's resume code; nil for paper.
        var withdrawalTag: [UInt8]?
    }

    // MARK: Sealing

    /// The payload as a sealed copy.
    func seal(_ payload: Payload) throws -> [UInt8] {
        try Self.pad(sealing: try JSONEncoder().encode(payload), key: secrets.ballotKey)
    }

    /// A sealed copy opened; throws `Unreadable` when it was not sealed under this service's key.
    func open(_ sealed: [UInt8]) throws -> Payload {
        guard let plain = Self.unpad(opening: sealed, key: secrets.ballotKey) else { throw Unreadable() }
        return try JSONDecoder().decode(Payload.self, from: plain)
    }

    /// `content` sealed with AES-GCM after a 4-byte length and zeros, so that the result is a whole number of
    /// `blockSize` blocks: its size says only how many blocks the answers needed (nearly always one).
    static func pad(sealing content: Data, key: SymmetricKey) throws -> [UInt8] {
        let needed = 4 + content.count + sealOverhead
        let blocks = max(1, (needed + blockSize - 1) / blockSize)
        var plain = [UInt8]()
        plain.reserveCapacity(blocks * blockSize - sealOverhead)
        let length = UInt32(content.count)
        plain += [UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
        plain += content
        plain += [UInt8](repeating: 0, count: blocks * blockSize - sealOverhead - plain.count)
        guard let combined = try AES.GCM.seal(plain, using: key).combined else { throw Unreadable() }
        return Array(combined)
    }

    /// What `pad(sealing:key:)` sealed, or nil when `key` does not open it.
    static func unpad(opening sealed: [UInt8], key: SymmetricKey) -> Data? {
        guard let box = try? AES.GCM.SealedBox(combined: sealed), let plain = try? AES.GCM.open(box, using: key), plain.count >= 4 else {
            return nil
        }
        let bytes = Array(plain)
        let length = Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
        guard length <= bytes.count - 4 else { return nil }
        return Data(bytes[4..<4 + length])
    }

    /// A sealed copy that this service's key does not open (a different LINK_SECRET, or a damaged row).
    public struct Unreadable: Error, CustomStringConvertible {
        public var description: String {
            "a sealed response cannot be opened with this LINK_SECRET: check that every instance has the same secret"
        }
    }

    /// Puts one response in the box, on the caller's transaction (the one that spends the link, or enters a paper
    /// return). `invitationID` is nil for paper.
    func deposit(
        _ payload: Payload,
        inspectionID: Int,
        providerID: Int,
        invitationID: Int?,
        on connection: PostgresConnection
    ) async throws {
        try await connection.execute(
            """
            INSERT INTO sealed_response (inspection_id, provider_id, form_id, invitation_id, sealed)
            VALUES (\(inspectionID), \(providerID), \(payload.formID), \(invitationID), \(PostgresBytes(try seal(payload))))
            """
        )
    }

    // MARK: Release

    /// What one release pass did.
    public struct ReleaseOutcome: Sendable, Equatable {
        /// One inspection and provider's batch.
        public struct Batch: Sendable, Equatable {
            public let inspectionID: Int
            public let providerID: Int
            public let count: Int
        }
        /// Batches released, by inspection then provider.
        public var batches: [Batch] = []
        /// Groups another instance was releasing at the same moment (it releases them).
        public var skipped = 0
        /// Responses released in all.
        public var total: Int { batches.reduce(0) { $0 + $1.count } }
    }

    /// A batch that fell under k while the window is open (another instance released part of it): rolled back.
    private struct TooFew: Error {}

    /// Released rows written by one INSERT statement (7 parameters each, well under PostgreSQL's 65,535).
    static let rowsPerInsert = 200

    /// The advisory lock class release transactions take, with a hash of schema, inspection and provider.
    static let lockClass = 721_500_415

    /// Releases every group that is due as of `today`: at least `batchSize` sealed copies, or the window closed.
    /// Each group is one transaction. `afterDelete` runs inside it after the sealed copies are taken and before any
    /// is released (tests use it to interrupt a release).
    public func release(
        today: LocalDate,
        logger: Logger? = nil,
        afterDelete: @Sendable (Int) async throws -> Void = { _ in }
    ) async throws -> ReleaseOutcome {
        let groups = try await database.query(
            """
            SELECT s.inspection_id, s.provider_id, s.form_id, count(*) AS n, bool_or(n.victim_window_closes_on < \(today)) AS closed
            FROM sealed_response s JOIN inspection n ON n.id = s.inspection_id
            GROUP BY s.inspection_id, s.provider_id, s.form_id
            ORDER BY s.inspection_id, s.provider_id, s.form_id
            """
        )
        var outcome = ReleaseOutcome()
        for group in groups {
            let inspection = try group.decode("inspection_id", as: Int.self)
            let provider = try group.decode("provider_id", as: Int.self)
            let form = try group.decode("form_id", as: String.self)
            let closed = try group.decode("closed", as: Bool.self)
            let waiting = try group.decode("n", as: Int.self)
            guard closed || waiting >= Self.batchSize else { continue }
            do {
                if let count = try await releaseGroup(inspection, provider, form, closed: closed, afterDelete: afterDelete) {
                    outcome.batches.append(.init(inspectionID: inspection, providerID: provider, count: count))
                } else {
                    outcome.skipped += 1
                }
            } catch is TooFew {
                outcome.skipped += 1
            }
        }
        if outcome.total > 0 {
            try await reclaim(logger: logger)
            logger?.info("victim responses released", metadata: ["released": "\(outcome.total)", "batches": "\(outcome.batches.count)"])
        }
        return outcome
    }

    /// Gives the released copies' space back. A plain VACUUM frees their rows but leaves their bytes in the table's
    /// pages (where a base backup would find them); VACUUM FULL writes a new file without them. It needs the table to
    /// itself for a moment, so it waits at most a second for submissions in flight and otherwise falls back to VACUUM
    /// (the next release tries again).
    func reclaim(logger: Logger?) async throws {
        try await (maintenance ?? database).withConnection { connection in
            // PostgreSQL skips VACUUM of a table the role does not own, with only a warning: say so instead.
            let owner = try await connection.query(
                "SELECT pg_has_role(current_user, relowner, 'USAGE') AS owns FROM pg_class WHERE oid = 'sealed_response'::regclass"
            )
            guard try owner.first?.decode("owns", as: Bool.self) == true else {
                logger?.notice(
                    "sealed copies' space not rewritten: VACUUM FULL needs the owner role; set DATABASE_OWNER_URL for serve, or run VACUUM FULL sealed_response as the owner once the window has closed"
                )
                return
            }
            try await connection.execute("SET lock_timeout = '1s'")
            do {
                try await connection.execute("VACUUM FULL sealed_response")
            } catch let error as PostgresError where error.code == SQLState("55P03") {
                logger?.notice(
                    "sealed copies' space not rewritten: a submission held the table; plain VACUUM instead, VACUUM FULL after the next release"
                )
                try await connection.execute("RESET lock_timeout")
                try await connection.execute("VACUUM sealed_response")
                return
            } catch {
                _ = try? await connection.execute("RESET lock_timeout")
                throw error
            }
            try await connection.execute("RESET lock_timeout")
        }
    }

    /// One group (an inspection, a provider and a form: victims' and people on probation's answers are released
    /// apart) in one transaction; nil when another instance holds its lock.
    private func releaseGroup(
        _ inspection: Int,
        _ provider: Int,
        _ form: String,
        closed: Bool,
        afterDelete: @Sendable (Int) async throws -> Void
    ) async throws -> Int? {
        try await database.withTransaction { connection -> Int? in
            let locked = try await connection.query(
                """
                SELECT pg_try_advisory_xact_lock(\(Self.lockClass)::int4,
                       hashtext(current_schema() || ':' || \(inspection)::text || ':' || \(provider)::text || ':' || \(form))) AS locked
                """
            )
            guard try locked[0].decode("locked", as: Bool.self) else { return nil }
            let taken = try await connection.query(
                """
                DELETE FROM sealed_response WHERE inspection_id = \(inspection) AND provider_id = \(provider) AND form_id = \(form)
                RETURNING sealed
                """
            )
            guard !taken.isEmpty else { return 0 }
            guard closed || taken.count >= Self.batchSize else { throw TooFew() }
            try await afterDelete(taken.count)
            var payloads = try taken.map { try open(try $0.decode("sealed", as: PostgresBytes.self).bytes) }
            var generator = SystemRandomNumberGenerator()
            payloads.shuffle(using: &generator)
            // In the shuffled order, a few hundred rows a statement.
            for start in stride(from: 0, to: payloads.count, by: Self.rowsPerInsert) {
                var insert: PostgresQuery = """
                    INSERT INTO victim_response (inspection_id, provider_id, form_id, form_version, channel, answers, withdrawal_key)
                    VALUES
                    """
                for (offset, payload) in payloads[start..<min(start + Self.rowsPerInsert, payloads.count)].enumerated() {
                    // Once the window has closed a response can no longer be withdrawn: it keeps no tag.
                    let tag = closed ? nil : payload.withdrawalTag.map(PostgresBytes.init)
                    insert.append(offset == 0 ? " " : ", ")
                    insert.append(
                        """
                        (\(inspection), \(provider), \(payload.formID), \(payload.formVersion), \(payload.channel),
                         \(try PostgresJSON(encoding: payload.answers)), \(tag))
                        """
                    )
                }
                try await connection.execute(insert)
            }
            return payloads.count
        }
    }
}

extension BallotBox {
    /// Seals the drafts that migration 0070 found in clear (`invitation_draft_unsealed`) under a key per link from the
    /// service's key, then drops that table: run once at start-up, after migrating. Returns how many were sealed.
    @discardableResult
    public func sealUnsealedDrafts() async throws -> Int {
        try await database.withTransaction { connection in
            let present = try await connection.query("SELECT to_regclass('invitation_draft_unsealed') IS NOT NULL AS present")
            guard try present[0].decode("present", as: Bool.self) else { return 0 }
            let rows = try await connection.query(
                "SELECT invitation_id, form_id, form_version, answers, updated_at FROM invitation_draft_unsealed FOR UPDATE"
            )
            for row in rows {
                let id = try row.decode("invitation_id", as: Int.self)
                let payload = InvitationStore.DraftPayload(
                    formID: try row.decode("form_id"),
                    formVersion: try row.decode("form_version"),
                    answers: try row.decode("answers", as: PostgresJSON.self).decode(Answers.self)
                )
                let sealed = try InvitationStore.sealDraft(payload, key: secrets.legacyDraftKey(invitationID: id))
                try await connection.execute(
                    """
                    INSERT INTO victim_draft (draft_id, invitation_id, sealed, updated_at)
                    VALUES (\(PostgresBytes(secrets.legacyDraftID(invitationID: id))), \(id), \(PostgresBytes(sealed)),
                            \(try row.decode("updated_at", as: Date.self)))
                    ON CONFLICT (draft_id) DO NOTHING
                    """
                )
            }
            try await connection.execute("DROP TABLE invitation_draft_unsealed")
            return rows.count
        }
    }
}
