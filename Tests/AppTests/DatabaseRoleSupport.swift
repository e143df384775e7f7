import Domain
import Foundation
import Operations
import Postgres
import TestSupport
import Web

/// Roles of a test's own in the test cluster (issue 18): names carry the test's schema, so parallel tests (and two
/// clones on one cluster) never share one, and they are dropped with the schema.
extension TestDatabase {
    /// The service role of this schema: `<schema>_svc`.
    var serviceRole: String { schema + "_svc" }
    /// A non-superuser owner role of this schema, for tests that attack as the owner: `<schema>_own`.
    var ownerRole: String { schema + "_own" }

    /// Creates the service role (LOGIN, nothing else) and grants it exactly the service's privileges on this schema,
    /// which must already be migrated.
    func createServiceRole() async throws {
        try await Self.withAdmin(connectionString) { admin in
            try await admin.execute(PostgresQuery(unsafeSQL: "CREATE ROLE \"\(serviceRole)\" LOGIN"))
            for statement in DatabaseRoles.grantStatements(role: serviceRole, schema: schema) {
                try await admin.execute(PostgresQuery(unsafeSQL: statement))
            }
        }
    }

    /// A pool on this schema connecting as `role` (the test cluster trusts its Unix socket).
    func client(role: String, poolSize: Int = 4, acquireTimeout: Duration = .seconds(10)) -> PostgresClient {
        var configuration = configuration(poolSize: poolSize, acquireTimeout: acquireTimeout)
        configuration.overrides.append(("user", role))
        return PostgresClient(configuration: configuration, logger: quietLogger)
    }
}
