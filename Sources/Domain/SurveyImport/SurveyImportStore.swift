import Foundation
import Postgres

/// A recorded import batch, as shown to people and named in refusals.
public struct SurveyImportBatch: Sendable, Equatable {
    public let id: Int64
    public let codebookID: String
    public let codebookVersion: Int
    public let year: Int
    public let fileName: String
    public let sha256: String
    public let rowsImported: Int
    public let rowsRejected: Int
    public let status: String
    public let replacedBy: Int64?
    public let actor: String
    public let finishedAt: String
}

/// The import's statements (sql/0030_service_user_survey.sql). Every method runs on the caller's connection, inside
/// the caller's transaction.
package struct SurveyImportStore {
    static let batchColumns = """
        id, codebook_id, codebook_version, survey_year, file_name, file_sha256, rows_imported, rows_rejected, status, \
        replaced_by, actor, to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"') AS finished
        """

    static func batch(from row: PostgresRow) throws -> SurveyImportBatch {
        SurveyImportBatch(
            id: try row.decode("id"),
            codebookID: try row.decode("codebook_id"),
            codebookVersion: try row.decode("codebook_version"),
            year: try row.decode("survey_year"),
            fileName: try row.decode("file_name"),
            sha256: try row.decode("file_sha256"),
            rowsImported: try row.decode("rows_imported"),
            rowsRejected: try row.decode("rows_rejected"),
            status: try row.decode("status"),
            replacedBy: try row.decode("replaced_by"),
            actor: try row.decode("actor"),
            finishedAt: try row.decode("finished")
        )
    }

    /// Serialises imports of one codebook and year until the transaction ends. The key includes the schema, like the
    /// other advisory locks: two services (or the test suite's parallel schemas) in one database do not wait for each
    /// other's imports.
    static func lock(codebookID: String, year: Int, on connection: PostgresConnection) async throws {
        let key = "service-user-import:\(codebookID):\(year)"
        try await connection.execute("SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':' || \(key), 0))")
    }

    /// The batch that imported a file with this SHA-256, if any.
    static func batch(sha256: String, on connection: PostgresConnection) async throws -> SurveyImportBatch? {
        let rows = try await connection.query(
            "SELECT \(unsafeRaw: batchColumns) FROM service_user_import_batch WHERE file_sha256 = \(sha256)"
        )
        return try rows.first.map(batch(from:))
    }

    /// The current batch for a codebook and year, if any.
    static func currentBatch(codebookID: String, year: Int, on connection: PostgresConnection) async throws -> SurveyImportBatch? {
        let rows = try await connection.query(
            """
            SELECT \(unsafeRaw: batchColumns) FROM service_user_import_batch
            WHERE codebook_id = \(codebookID) AND survey_year = \(year) AND status = 'current'
            """
        )
        return try rows.first.map(batch(from:))
    }

    /// The most recent batches, newest first.
    static func recentBatches(limit: Int, on connection: PostgresConnection) async throws -> [SurveyImportBatch] {
        try await connection.query(
            "SELECT \(unsafeRaw: batchColumns) FROM service_user_import_batch ORDER BY id DESC LIMIT \(limit)"
        ).map(batch(from:))
    }

    /// `recentBatches(limit:on:)` on a connection of its own, for the upload page.
    package static func recentBatches(limit: Int, database: PostgresClient) async throws -> [SurveyImportBatch] {
        try await database.withConnection { try await recentBatches(limit: limit, on: $0) }
    }

    struct NewBatch {
        let plan: SurveyImportPlan
        let year: Int
        let fileName: String
        let inspection: SurveyFileInspection
        let acceptValidRows: Bool
        let actor: SurveyImportActor
        let startedAt: Date
    }

    /// Records a batch in state 'loading' (seen by no one until the transaction commits) and returns its id.
    static func insertLoading(_ batch: NewBatch, on connection: PostgresConnection) async throws -> Int64 {
        let variables = "{" + batch.plan.storedVariables.map(\.id).joined(separator: ",") + "}"
        let started = ISO8601DateFormatter().string(from: batch.startedAt)
        let rows = try await connection.query(
            """
            INSERT INTO service_user_import_batch (codebook_id, codebook_version, survey_year, file_name, file_sha256, file_bytes,
                file_encoding, variables, rows_read, rows_imported, rows_rejected, accepted_valid_rows, status, actor_user_id, actor,
                started_at)
            VALUES (\(batch.plan.codebookID), \(batch.plan.codebookVersion), \(batch.year), \(batch.fileName), \(batch.inspection.sha256),
                \(batch.inspection.byteCount), \(batch.inspection.encoding.rawValue), \(variables)::text[], 0, 0, 0, \(batch.acceptValidRows),
                'loading', \(batch.actor.userID), \(batch.actor.name), \(started)::timestamptz)
            RETURNING id
            """
        )
        guard let row = rows.first else { throw SurveyImportFailure(.readError, "recording the batch returned no id") }
        return try row.decode("id")
    }

    static func stagingTable(_ batchID: Int64) -> String { "service_user_response_b\(batchID)" }

    /// Creates the staging table for a batch: the response table's shape and checks, plus CHECK (batch_id = id) so
    /// that attaching it as the batch's partition needs no scan. The service role may not create tables, so the
    /// owner's SECURITY DEFINER function does it, for a batch still loading, and grants the caller INSERT (sql/0080).
    static func createStaging(batchID: Int64, on connection: PostgresConnection) async throws {
        try await connection.execute("SELECT survey_import_create_staging(\(batchID))")
    }

    static func copyStatement(batchID: Int64) -> PostgresQuery {
        """
        COPY \(identifier: stagingTable(batchID)) (batch_id, line_number, respondent_id, survey_year, provider_code, provider_name, \
        subarea_code, weight, codes) FROM STDIN
        """
    }

    /// Marks `old` replaced by `new`, attaches `new`'s staging table as its partition, and makes `new` current.
    static func commitBatch(
        _ batchID: Int64,
        replacing old: Int64?,
        rowsRead: Int,
        rowsImported: Int,
        rowsRejected: Int,
        on connection: PostgresConnection
    ) async throws {
        if let old {
            try await connection.execute(
                "UPDATE service_user_import_batch SET status = 'replaced', replaced_by = \(batchID), replaced_at = now() WHERE id = \(old)"
            )
        }
        // Attaching is DDL on the owner's table: the owner's SECURITY DEFINER function does it (sql/0080).
        try await connection.execute("SELECT survey_import_attach_staging(\(batchID))")
        try await connection.execute(
            """
            UPDATE service_user_import_batch
            SET status = 'current', rows_read = \(rowsRead), rows_imported = \(rowsImported), rows_rejected = \(rowsRejected),
                finished_at = now()
            WHERE id = \(batchID)
            """
        )
    }

    /// Copies the problems file (`line,column,value,reason`) into service_user_import_problem for the batch.
    static func recordProblems(batchID: Int64, problemsPath: String, on connection: PostgresConnection) async throws {
        try await connection.execute(
            "CREATE TEMPORARY TABLE import_problem_load (line_number integer, column_name text, value text, reason text) ON COMMIT DROP"
        )
        let file = try ChunkedFile(path: problemsPath, chunkSize: 1 << 16)
        _ = try await PostgresConnection.copyFrom(
            "COPY import_problem_load FROM STDIN (FORMAT csv, HEADER true)",
            into: connection
        ) { writer in
            while true {
                let count = try file.readChunk()
                if count == 0 { break }
                try await writer.write(file.buffer[0..<count])
            }
        }
        try await connection.execute(
            """
            INSERT INTO service_user_import_problem (batch_id, line_number, column_name, value, reason)
            SELECT \(batchID), line_number, nullif(column_name, ''), nullif(value, ''), reason FROM import_problem_load
            """
        )
    }
}
