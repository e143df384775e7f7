import Foundation
import Postgres
import TestSupport
import Testing

@Suite("Connection strings are libpq's own")
struct ConnectionStringTests {
    @Test("a malformed connection string is refused before connecting, with libpq's reason")
    func malformed() {
        for bad in ["postgresql://host:notaport:5432/db?x", "host=a port", "postgres://%zz@localhost/db", "sslmode"] {
            #expect(throws: PostgresError.self, "\(bad)") { try PostgresConfiguration.validate(connectionString: bad) }
        }
        #expect(throws: Never.self) {
            try PostgresConfiguration.validate(connectionString: "postgresql://app@db.example:5432/views?sslmode=verify-full")
            try PostgresConfiguration.validate(connectionString: "host=a,b port=5432,5433 target_session_attrs=read-write")
            try PostgresConfiguration.validate(connectionString: "service=views")
            try PostgresConfiguration.validate(connectionString: "")
        }
    }

    @Test("several hosts: libpq skips one that does not answer and connects to the next read-write server")
    func severalHosts() async throws {
        let url = try TestDatabase.clusterConnectionString()
        let client = PostgresClient(
            configuration: PostgresConfiguration(
                connectionString: url,
                overrides: [
                    ("host", "/nonexistent-socket-dir,\(try socketDirectory(url))"), ("port", "5432,5432"),
                    ("target_session_attrs", "read-write"),
                ],
                poolSize: 1
            ),
            logger: quietLogger
        )
        let rows = try await client.query("SELECT NOT pg_is_in_recovery() AS writable")
        await client.shutdown()
        #expect(try rows[0].decode("writable", as: Bool.self))
    }

    @Test("an unreachable server gives a connection error naming the cause")
    func unreachable() async throws {
        let client = PostgresClient(
            configuration: PostgresConfiguration(connectionString: "host=/nonexistent-socket-dir port=5432 dbname=x connect_timeout=2", poolSize: 1),
            logger: quietLogger
        )
        do {
            try await client.execute("SELECT 1")
            Issue.record("connected to a server that does not exist")
        } catch let error as PostgresError {
            #expect(error.kind == .connection)
            #expect(error.description.contains("No such file or directory") || error.description.contains("could not connect"))
        }
        await client.shutdown()
    }

    /// The test cluster listens on a Unix socket; its directory is the `host` of the connection string.
    private func socketDirectory(_ url: String) throws -> String {
        guard let range = url.range(of: "host='") else { throw Unexpected(url: url) }
        let rest = url[range.upperBound...]
        guard let end = rest.firstIndex(of: "'") else { throw Unexpected(url: url) }
        return String(rest[..<end])
    }

    struct Unexpected: Error {
        let url: String
    }
}
