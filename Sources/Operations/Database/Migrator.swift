import Domain
import Foundation
import Logging
import Postgres

/// Applies the numbered SQL files in `sql/` in order, each in its own transaction, under an advisory lock so that
/// several instances starting together apply each file once. Each applied file is recorded with its SHA-256; a file
/// changed after it was applied is refused, by name.
public struct Migrator: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// One file: `0001_initial.sql` has version 1 and name `initial`.
    public struct Migration: Sendable {
        public let version: Int
        public let fileName: String
        public let sql: String
    }

    public let migrations: [Migration]
    /// Advisory lock keys: this constant and a hash of the schema being migrated, so that instances of one deployment
    /// exclude each other while deployments in other schemas of the same database (tests) do not wait on each other.
    static let lockKey = 7_215_003

    /// Reads `directory`. Files must be named `NNNN_words.sql`; any other `.sql` file, a repeated number or an
    /// unreadable file is an error naming it.
    public init(directory: String) throws(Failure) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Failure(description: "migrations directory \(directory) not found (set SQL_DIR, or run from the project folder)")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".sql") }.sorted()
        } catch {
            throw Failure(description: "cannot read migrations directory \(directory): \(error.localizedDescription)")
        }
        var migrations: [Migration] = []
        for name in names {
            let parts = name.split(separator: "_", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 4, let version = Int(parts[0]), version > 0 else {
                throw Failure(description: "\(directory)/\(name): migration files must be named NNNN_description.sql")
            }
            if let previous = migrations.last(where: { $0.version == version }) {
                throw Failure(description: "\(directory)/\(name): version \(version) is also used by \(previous.fileName)")
            }
            guard let data = FileManager.default.contents(atPath: "\(directory)/\(name)"), let sql = String(data: data, encoding: .utf8) else {
                throw Failure(description: "\(directory)/\(name): cannot be read as UTF-8 text")
            }
            migrations.append(Migration(version: version, fileName: name, sql: sql))
        }
        self.migrations = migrations
    }

    /// What `status` found.
    public struct Status: Sendable {
        public var applied: [Int]
        public var pending: [Migration]
    }

    /// Applies pending migrations and returns the files applied. Nothing is applied when any applied file has
    /// changed or the database has a version this build does not know. With `serviceRole`, then grants that role
    /// the service's privileges (`DatabaseRoles`), still under the lock: concurrent GRANTs on one table can fail.
    @discardableResult
    public func migrate(_ client: PostgresClient, logger: Logger, grantingTo serviceRole: String? = nil) async throws -> [String] {
        try await client.withConnection { connection in
            // Wait for another instance's migrations by polling, not in one blocking statement: a long migration must
            // not make the waiting instances fail on statement_timeout.
            while try await !connection.query(
                "SELECT pg_try_advisory_lock(\(Int32(Self.lockKey)), hashtext(current_schema())) AS locked"
            )[0].decode("locked", as: Bool.self) {
                try await Task.sleep(for: .milliseconds(200))
            }
            do {
                let applied = try await prepare(connection)
                var done: [String] = []
                for migration in migrations where !applied.keys.contains(migration.version) {
                    try await apply(migration, on: connection)
                    logger.info("migration applied", metadata: ["migration.file": "\(migration.fileName)"])
                    done.append(migration.fileName)
                }
                if let serviceRole {
                    try await connection.execute("BEGIN")
                    do {
                        for statement in DatabaseRoles.grantStatements(role: serviceRole) {
                            try await connection.execute(PostgresQuery(unsafeSQL: statement))
                        }
                        try await connection.execute("COMMIT")
                    } catch {
                        _ = try? await connection.execute("ROLLBACK")
                        throw error
                    }
                    logger.debug("service role granted its privileges", metadata: ["db.service_role": "\(serviceRole)"])
                }
                try await connection.execute("SELECT pg_advisory_unlock(\(Int32(Self.lockKey)), hashtext(current_schema()))")
                return done
            } catch {
                _ = try? await connection.execute("SELECT pg_advisory_unlock(\(Int32(Self.lockKey)), hashtext(current_schema()))")
                throw error
            }
        }
    }

    /// Compares the database with the files without changing anything (except creating the bookkeeping table).
    public func status(_ client: PostgresClient) async throws -> Status {
        try await client.withConnection { connection in
            let applied = try await prepare(connection)
            return Status(applied: applied.keys.sorted(), pending: migrations.filter { !applied.keys.contains($0.version) })
        }
    }

    /// Creates the bookkeeping table if missing, reads what is applied and checks it against the files.
    private func prepare(_ connection: PostgresConnection) async throws -> [Int: String] {
        // Only when missing: the service role, which may read the table but create nothing, checks the schema too.
        let present = try await connection.query("SELECT to_regclass('schema_migration') IS NOT NULL AS present")
        if try !present[0].decode("present", as: Bool.self) {
            try await connection.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migration (
                    version integer PRIMARY KEY,
                    file_name text NOT NULL,
                    sha256 text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """
            )
        }
        var applied: [Int: String] = [:]
        for row in try await connection.query("SELECT version, file_name, sha256 FROM schema_migration ORDER BY version") {
            applied[try row.decode("version")] = try row.decode("sha256", as: String.self)
        }
        for (version, recorded) in applied.sorted(by: { $0.key < $1.key }) {
            guard let migration = migrations.first(where: { $0.version == version }) else {
                throw Failure(
                    description: "the database has migration \(version) applied, which is not in this build's sql/ directory: "
                        + "is this an older build than the database?"
                )
            }
            let current = try await checksum(of: migration, on: connection)
            if current != recorded {
                throw Failure(
                    description: "\(migration.fileName) was changed after it was applied; applied migrations are append-only: "
                        + "restore the file and add a new one"
                )
            }
        }
        return applied
    }

    private func checksum(of migration: Migration, on connection: PostgresConnection) async throws -> String {
        let rows = try await connection.query("SELECT encode(sha256(convert_to(\(migration.sql), 'UTF8')), 'hex') AS sha")
        return try rows[0].decode("sha")
    }

    private func apply(_ migration: Migration, on connection: PostgresConnection) async throws {
        try await connection.execute("BEGIN")
        do {
            try await connection.unsafeExecuteScript(migration.sql)
            try await connection.execute(
                """
                INSERT INTO schema_migration (version, file_name, sha256)
                VALUES (\(migration.version), \(migration.fileName), encode(sha256(convert_to(\(migration.sql), 'UTF8')), 'hex'))
                """
            )
            try await connection.execute("COMMIT")
        } catch {
            _ = try? await connection.execute("ROLLBACK")
            if let error = error as? PostgresError {
                let position = error.message.isEmpty ? "" : ": \(error.message)"
                let hint =
                    error.code == .insufficientPrivilege
                    ? "; the role connected may not change the schema: run migrations as the owner role (DATABASE_OWNER_URL)" : ""
                throw Failure(description: "\(migration.fileName) failed and was rolled back (SQLSTATE \(error.code))\(position)\(hint)")
            }
            throw error
        }
    }
}
