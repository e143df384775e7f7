import Domain
import Foundation
import Logging
import Postgres

/// The two database roles (issue 18): an owner that runs migrations and owns every table, and a service role that
/// `serve` and the other commands connect as, which owns nothing and holds only the privileges each table needs.
///
/// The privileges are declared here, table by table, and granted by `migrate` after it has applied the files (as the
/// owner, to the service role): `REVOKE ALL` first, so a privilege removed here is removed from the database too. A
/// test compares this list with the migrated schema, so a new table cannot be left out.
public enum DatabaseRoles {
    /// What the service may do to one table.
    public struct Privileges: OptionSet, Sendable, Hashable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        public static let select = Privileges(rawValue: 1)
        public static let insert = Privileges(rawValue: 2)
        public static let update = Privileges(rawValue: 4)
        public static let delete = Privileges(rawValue: 8)

        /// Read and add only: the audit log and the published snapshots.
        public static let appendOnly: Privileges = [.select, .insert]
        public static let readWrite: Privileges = [.select, .insert, .update, .delete]

        /// The SQL keywords, in GRANT order.
        public var keywords: [String] {
            [(Privileges.select, "SELECT"), (.insert, "INSERT"), (.update, "UPDATE"), (.delete, "DELETE")]
                .filter { contains($0.0) }.map(\.1)
        }
    }

    /// The embedded cluster's role names (an external server may use any names).
    public static let defaultOwnerRole = "stakeholder_views_owner"
    public static let defaultServiceRole = "stakeholder_views_service"

    /// Every table of the schema and what the service needs on it. UPDATE is also what `SELECT … FOR UPDATE` and
    /// `INSERT … ON CONFLICT DO UPDATE` need. No table gets TRUNCATE, REFERENCES or TRIGGER, and the service role
    /// owns nothing, so it can neither alter a table nor disable a trigger.
    public static let tables: [String: Privileges] = [
        // Append-only, by these grants as well as by their triggers; each row is in a hash chain (sql/0080).
        "audit_event": .appendOnly,
        "report_snapshot": .appendOnly,
        // Read to check the schema's version; written only by the owner's `migrate`.
        "schema_migration": [.select],
        // Reference data and organisations: added from the admin pages; `dev seed-demo` updates names on conflict.
        "area": [.select, .insert, .update],
        "area_lineage": [.select],
        "provider": [.select, .insert, .update],
        "organisation": [.select, .insert],
        "form_version": [.select, .insert, .update],
        // Staff accounts and their sessions.
        "staff_user": [.select, .insert, .update],
        "staff_session": .readWrite,
        "form_stash": .readWrite,
        "sign_in_throttle": .readWrite,
        // Inspections, links and the victims' side.
        "inspection": [.select, .insert, .update],
        "inspection_inspector": [.select, .insert, .delete],
        "inspection_provider": [.select, .insert],
        "invitation": [.select, .insert, .update],
        "victim_session": .readWrite,
        "victim_draft": .readWrite,
        "sealed_response": .readWrite,
        "victim_response": .readWrite,
        "rate_limit_hit": .readWrite,
        "paper_return": [.select, .insert],
        "victim_free_text_review": .readWrite,
        // Every revision of a review is kept (issue 19): added, never changed; deleted with its review (ON DELETE CASCADE).
        "victim_free_text_review_revision": [.select, .insert],
        // Themes of free-text answers (issue 19): each inspection's list, seeded once, and the tags of reviewed answers.
        "inspection_theme": .readWrite,
        "inspection_theme_seeded": [.select, .insert],
        "victim_free_text_theme": [.select, .insert, .delete],
        // Sentencer meetings.
        "sentencer_meeting": [.select, .insert, .update],
        "sentencer_meeting_attendance": [.select, .insert, .delete],
        "sentencer_meeting_topic": .readWrite,
        "sentencer_meeting_revision": [.select, .insert, .delete],
        // The survey of people on probation. Batches' partitions of service_user_response are made and attached by
        // survey_import_create_staging and survey_import_attach_staging (SECURITY DEFINER, sql/0080).
        "service_user_import_batch": [.select, .insert, .update],
        "service_user_response": [.select],
        "service_user_import_problem": [.select, .insert],
        "service_user_provider_area": [.select, .insert],
        "service_user_summary": [.select, .insert],
        "service_user_summary_batch": [.select, .insert],
        "survey_import_job": .readWrite,
        "survey_import_job_problems": .readWrite,
        // Programmes (issue 22): edited by administrators; a published inspection cannot leave its programme (trigger).
        "programme": [.select, .insert, .update],
        "programme_inspection": [.select, .insert, .delete],
        // Published figures kept for programme reports, and frozen programme reports: added, never changed (triggers too).
        "inspection_evidence": .appendOnly,
        "programme_snapshot": .appendOnly,
        // Batches of codes for the survey of people on probation (issue 21): issued, never changed; each code is an
        // invitation.
        "survey_code_batch": [.select, .insert],
    ]

    /// Tables that exist only between a migration and the first start after it, and that the owner deals with.
    static let transientTables: Set<String> = ["invitation_draft_unsealed"]

    /// Functions the service may call beyond those every role may: the survey import's two DDL steps.
    public static let functions = ["survey_import_create_staging(bigint)", "survey_import_attach_staging(bigint)"]

    /// The statements that give `role` exactly the service's privileges in `schema` (nil: the connection's current
    /// schema, as `migrate` runs them). Each table's privileges are revoked first.
    public static func grantStatements(role: String, schema: String? = nil) -> [String] {
        let quotedRole = quote(role)
        let prefix = schema.map { quote($0) + "." } ?? ""
        var statements: [String] = []
        if let schema { statements.append("GRANT USAGE ON SCHEMA \(quote(schema)) TO \(quotedRole);") }
        for (table, privileges) in tables.sorted(by: { $0.key < $1.key }) {
            statements.append("REVOKE ALL ON \(prefix)\(table) FROM \(quotedRole);")
            statements.append("GRANT \(privileges.keywords.joined(separator: ", ")) ON \(prefix)\(table) TO \(quotedRole);")
        }
        for function in functions { statements.append("GRANT EXECUTE ON FUNCTION \(prefix)\(function) TO \(quotedRole);") }
        return statements
    }

    /// What an operator runs on an external server before the first `migrate` (`migrate --print-roles`; psql runs it
    /// as it is): the two roles, the database owned by the owner, and the schema closed to everyone else. The grants
    /// come after the tables exist: `migrate` applies them itself when it is given both connection strings, and
    /// `migrate --print-grants` prints them.
    public static func setupScript(owner: String, service: String, database: String) -> String {
        let lines = [
            "-- As a superuser (or a role with CREATEROLE and CREATEDB), once, for example: psql -v ON_ERROR_STOP=1 -f roles.sql",
            "CREATE ROLE \(quote(owner)) LOGIN PASSWORD 'choose-a-password';   -- runs migrations; owns every table",
            "CREATE ROLE \(quote(service)) LOGIN PASSWORD 'choose-another';     -- serve and every other command; owns nothing",
            "CREATE DATABASE \(quote(database)) OWNER \(quote(owner));",
            "\\connect \(quote(database))",
            "REVOKE ALL ON DATABASE \(quote(database)) FROM PUBLIC;",
            "GRANT CONNECT, TEMPORARY ON DATABASE \(quote(database)) TO \(quote(owner)), \(quote(service));",
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC;",
            "GRANT USAGE ON SCHEMA public TO \(quote(service));",
            "-- Then: DATABASE_OWNER_URL=<the owner's connection string> DATABASE_URL=<the service's> stakeholder-views migrate",
            "-- applies the migrations as the owner and grants the service role its privileges (migrate --print-grants shows them).",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// `migrate --print-grants`: the grants `migrate` gives the service role, to run by hand after migrating.
    public static func grantScript(service: String) -> String {
        (["-- As the owner role, after every migrate (migrate applies them itself when given DATABASE_OWNER_URL):"]
            + grantStatements(role: service)).joined(separator: "\n") + "\n"
    }

    /// A double-quoted SQL identifier.
    static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The role a pool connects as.
    public static func currentRole(_ client: PostgresClient) async throws -> String {
        try await client.query("SELECT current_user AS role")[0].decode("role")
    }

    /// Grants the service's privileges to `role` on the owner's connection (the schema on its search path).
    public static func grant(to role: String, owner: PostgresClient, logger: Logger) async throws {
        try await owner.withTransaction { connection in
            for statement in grantStatements(role: role) {
                try await connection.execute(PostgresQuery(unsafeSQL: statement))
            }
        }
        logger.info("service role granted its privileges", metadata: ["db.service_role": "\(role)"])
    }

    /// Why `serve` will not run as the pool's role: each problem as a sentence, empty when the role is fit.
    ///
    /// A role that is a superuser, owns (or may become the owner of) a table, may create objects in the schema, or
    /// holds UPDATE, DELETE, TRUNCATE or TRIGGER on the audit log or the snapshots could disable or get round the
    /// triggers and chains that protect them.
    public static func problems(_ client: PostgresClient) async throws -> [String] {
        var problems: [String] = []
        let role = try await client.query(
            """
            SELECT current_user AS name, rolsuper, rolbypassrls, rolcreaterole,
                   coalesce(has_schema_privilege(current_user, current_schema(), 'CREATE'), false) AS can_create
            FROM pg_roles WHERE rolname = current_user
            """
        )[0]
        if try role.decode("rolsuper", as: Bool.self) {
            problems.append("it is a superuser, which can change any table, disable any trigger and set session_replication_role")
        }
        if try role.decode("rolbypassrls", as: Bool.self) { problems.append("it has BYPASSRLS") }
        if try role.decode("rolcreaterole", as: Bool.self) { problems.append("it has CREATEROLE, so it can grant itself other roles") }
        if try role.decode("can_create", as: Bool.self) { problems.append("it may create objects in the schema (CREATE on the schema)") }
        let owned = try await client.query(
            """
            SELECT c.relname AS name, pg_get_userbyid(c.relowner) AS owner FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
              AND pg_has_role(current_user, c.relowner, 'MEMBER')
            ORDER BY c.relname
            """
        ).map { try $0.decode("name", as: String.self) }
        if !owned.isEmpty {
            let shown = owned.prefix(5).joined(separator: ", ") + (owned.count > 5 ? " and \(owned.count - 5) more" : "")
            problems.append("it owns (or is a member of the owner of) \(shown), so it could disable their triggers or alter them")
        }
        for table in ["audit_event", "report_snapshot"] {
            let rows = try await client.query(
                """
                SELECT to_regclass(\(table)) IS NOT NULL
                       AND has_table_privilege(current_user, to_regclass(\(table)), 'UPDATE, DELETE, TRUNCATE, TRIGGER') AS writable
                """
            )
            if try rows[0].decode("writable", as: Bool.self) {
                problems.append("it may UPDATE, DELETE, TRUNCATE or add triggers to \(table), which must stay append-only")
            }
        }
        return problems
    }

    /// Refuses to serve as a role with any of `problems`, unless `allow` (DATABASE_ALLOW_PRIVILEGED_ROLE, for
    /// development) — then it warns.
    public static func checkServiceRole(_ client: PostgresClient, allow: Bool, logger: Logger) async throws {
        let problems = try await problems(client)
        guard !problems.isEmpty else { return }
        let role = try await currentRole(client)
        let message =
            "the database role '\(role)' that serve connects as (DATABASE_URL) is too powerful: \(problems.joined(separator: "; ")). "
            + "Connect as a role that owns nothing and has only the service's privileges (README, \"Database roles\"; "
            + "`stakeholder-views migrate --print-roles` prints the statements), or set DATABASE_ALLOW_PRIVILEGED_ROLE=true for development"
        if allow {
            logger.warning(
                "serving as a privileged database role because DATABASE_ALLOW_PRIVILEGED_ROLE=true",
                metadata: ["db.role": "\(role)", "db.problems": "\(problems.joined(separator: "; "))"]
            )
            return
        }
        throw Refused(description: message)
    }

    /// `serve` will not start as this role.
    public struct Refused: Error, CustomStringConvertible {
        public let description: String
    }
}
