import Foundation
import Postgres
import Synchronization
import TestSupport
import Testing

/// Records what a pool tells its observer.
final class RecordingPoolObserver: PostgresPoolObserver {
    private let seen = Mutex<(waits: [Duration], timeouts: [Duration])>(([], []))

    var waits: [Duration] { seen.withLock { $0.waits } }
    var timeouts: [Duration] { seen.withLock { $0.timeouts } }

    func connectionAcquired(waited: Duration) { seen.withLock { $0.waits.append(waited) } }
    func acquireTimedOut(waited: Duration) { seen.withLock { $0.timeouts.append(waited) } }
}

@Suite("Transactions, errors, pool limits, broken connections, cancellation and COPY")
struct BehaviourTests {
    @Test("a transaction commits when its closure returns and rolls back when it throws")
    func transactions() async throws {
        struct Refused: Error {}
        try await withTestDatabase { db, _ in
            try await db.execute("CREATE TABLE item (id int PRIMARY KEY)")
            try await db.withTransaction { connection in
                try await connection.execute("INSERT INTO item VALUES (1)")
            }
            await #expect(throws: Refused.self) {
                try await db.withTransaction { connection in
                    try await connection.execute("INSERT INTO item VALUES (2)")
                    throw Refused()
                }
            }
            let ids = try await db.query("SELECT id FROM item ORDER BY id").map { try $0.decode("id", as: Int.self) }
            #expect(ids == [1])
        }
    }

    @Test("server errors carry SQLSTATE, constraint and message, match by code and class, and hide values in description")
    func sqlstate() async throws {
        try await withTestDatabase { db, _ in
            try await db.execute("CREATE TABLE person (email text CONSTRAINT person_email_key UNIQUE)")
            try await db.execute("INSERT INTO person VALUES (\("secret@example.org"))")
            do {
                try await db.execute("INSERT INTO person VALUES (\("secret@example.org"))")
                Issue.record("a duplicate was accepted")
            } catch let error as PostgresError {
                #expect(error.code == .uniqueViolation)
                #expect(error.code ~= .integrityConstraintViolationClass)
                #expect(!(error.code ~= .dataExceptionClass))
                #expect(error.constraint == "person_email_key")
                #expect(error.table == "person")
                #expect(error.detail?.contains("secret@example.org") == true)
                #expect(!error.description.contains("secret@example.org"))
                #expect(error.description.contains("23505"))
            }
            do {
                _ = try await db.query("SELECT \("twelve")::integer")
                Issue.record("a bad integer was accepted")
            } catch let error as PostgresError {
                #expect(error.code == .invalidTextRepresentation)
                #expect(!error.description.contains("twelve"))
            }
            // The connection is still usable after errors.
            #expect(try await db.query("SELECT 1 AS one")[0].decode("one", as: Int.self) == 1)
        }
    }

    @Test("when every connection is busy, a caller gets the pool-timeout error instead of waiting for ever")
    func poolExhaustion() async throws {
        try await withTestDatabase(poolSize: 1, acquireTimeout: .milliseconds(200)) { db, _ in
            let observer = RecordingPoolObserver()
            db.observe(with: observer)
            let (held, release) = AsyncStream.makeStream(of: Void.self)
            let (started, signalStarted) = AsyncStream.makeStream(of: Void.self)
            let holder = Task {
                try await db.withConnection { connection in
                    try await connection.execute("SELECT 1")
                    signalStarted.yield()
                    for await _ in held { break }
                }
            }
            for await _ in started { break }
            do {
                try await db.execute("SELECT 2")
                Issue.record("acquired a connection from an exhausted pool")
            } catch let error as PostgresError {
                #expect(error.kind == .poolTimeout)
                #expect(error.description.contains("pool size 1"))
            }
            #expect(db.statistics.timeouts == 1)
            #expect(db.statistics.inUse == 1 && db.statistics.idle == 0 && db.statistics.size == 1)
            // The observer saw the holder's lease (no wait) and the timed-out wait, which lasted the acquire timeout.
            #expect(observer.waits == [.zero])
            #expect(observer.timeouts.count == 1)
            #expect(observer.timeouts.allSatisfy { $0 >= .milliseconds(200) })
            release.yield()
            release.finish()
            try await holder.value
            // Once released, the connection is lent again.
            #expect(try await db.query("SELECT 3 AS n")[0].decode("n", as: Int.self) == 3)
        }
    }

    @Test("shutdown twice returns (a failed start shuts down pools a service already closed), and the pool stays closed")
    func shutdownTwice() async throws {
        try await withTestDatabase(poolSize: 2) { db, _ in
            let one = try await db.query("SELECT 1 AS n")[0].decode("n", as: Int.self)
            #expect(one == 1)
            await db.shutdown()
            await db.shutdown()
            var refused = false
            do { _ = try await db.query("SELECT 1") } catch is PostgresError { refused = true }
            #expect(refused, "a closed pool refuses work")
        }
    }

    @Test("waiting callers are served in turn when connections come back")
    func waitersAreServed() async throws {
        // What is tested is that every waiter is served, not how fast: the whole suite shares two cooperative threads
        // with CPU-heavy suites (fuzzing), so the default 10 s acquire timeout made this a timed test (it failed so in CI).
        try await withTestDatabase(poolSize: 2, acquireTimeout: .seconds(300)) { db, _ in
            let observer = RecordingPoolObserver()
            db.observe(with: observer)
            let total = try await withThrowingTaskGroup(of: Int.self) { group in
                for n in 1...40 {
                    group.addTask { try await db.query("SELECT \(n)::int AS n, pg_sleep(0.005)")[0].decode("n", as: Int.self) }
                }
                return try await group.reduce(0, +)
            }
            #expect(total == (1...40).reduce(0, +))
            #expect(db.statistics.inUse == 0)
            // Every lease is observed once; with 40 callers on 2 connections many had to wait.
            #expect(observer.waits.count == 40)
            #expect(observer.waits.filter { $0 > .zero }.count >= 10)
            #expect(observer.timeouts.isEmpty)
        }
    }

    @Test("a backend terminated by the server is replaced, and the next query succeeds")
    func terminatedBackendIsReplaced() async throws {
        try await withTestDatabase(poolSize: 1) { db, database in
            let before = try await db.query("SELECT pg_backend_pid() AS pid")[0].decode("pid", as: Int.self)
            try await TestDatabase.withAdmin(database.connectionString) { admin in
                let killed = try await admin.query("SELECT pg_terminate_backend(\(before)) AS done")[0].decode("done", as: Bool.self)
                #expect(killed)
                // Wait until the server has really ended it.
                for _ in 0..<100 {
                    let alive = try await admin.query("SELECT count(*) AS n FROM pg_stat_activity WHERE pid = \(before)")
                    if try alive[0].decode("n", as: Int.self) == 0 { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            let after = try await db.query("SELECT pg_backend_pid() AS pid")[0].decode("pid", as: Int.self)
            #expect(after != before)
        }
    }

    @Test("cancelling the calling task cancels the statement on the server")
    func cancellation() async throws {
        try await withTestDatabase(poolSize: 1) { db, _ in
            let clock = ContinuousClock()
            let start = clock.now
            let sleeper = Task { try await db.execute("SELECT pg_sleep(30)") }
            try await Task.sleep(for: .milliseconds(300))
            sleeper.cancel()
            let outcome = await sleeper.result
            let elapsed = clock.now - start
            switch outcome {
            case .success: Issue.record("pg_sleep(30) finished despite cancellation")
            case .failure(let error):
                let canceled = (error as? PostgresError)?.code == .queryCanceled || error is CancellationError
                #expect(canceled, "\(error)")
            }
            #expect(elapsed < .seconds(10))
            #expect(try await db.query("SELECT 1 AS one")[0].decode("one", as: Int.self) == 1)
        }
    }

    @Test("statement_timeout from the configuration stops long statements")
    func statementTimeout() async throws {
        try await withTestDatabase(poolSize: 1, statementTimeout: .milliseconds(100)) { db, _ in
            do {
                try await db.execute("SELECT pg_sleep(5)")
                Issue.record("statement ran past statement_timeout")
            } catch let error as PostgresError {
                #expect(error.code == .queryCanceled)
            }
        }
    }

    @Test("blocking libpq calls leave Swift's cooperative threads free: six one-second statements on six connections overlap")
    func cooperativePoolStaysFree() async throws {
        // Each statement blocks its connection's own thread. Had they blocked the cooperative pool (two threads here,
        // as the first version of this layer did), they would run two at a time, one pair after another. This
        // measures overlap, not speed: the server notes when each statement began and ended its sleep, and all six
        // must have been asleep at one moment, however slowly the machine opened the connections or ran the client.
        try await withTestDatabase(poolSize: 6) { db, _ in
            // Six connections open first (six statements at once that each hold one), so none is opened mid-test.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<6 { group.addTask { try await db.execute("SELECT pg_sleep(0.3)") } }
                try await group.waitForAll()
            }
            let intervals = try await withThrowingTaskGroup(of: (Double, Double).self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        let row = try await db.query(
                            """
                            SELECT extract(epoch FROM started)::float8 AS started, extract(epoch FROM clock_timestamp())::float8 AS ended
                            FROM (SELECT clock_timestamp() AS started, pg_sleep(1) AS slept) s
                            """
                        )[0]
                        return (try row.decode("started", as: Double.self), try row.decode("ended", as: Double.self))
                    }
                }
                return try await group.reduce(into: [(Double, Double)]()) { $0.append($1) }
            }
            let lastStart = intervals.map(\.0).max() ?? 0
            let firstEnd = intervals.map(\.1).min() ?? 0
            #expect(intervals.count == 6)
            #expect(lastStart < firstEnd, "the six one-second sleeps did not all overlap: last began \(lastStart - firstEnd) s after the first ended")
        }
    }

    @Test("COPY FROM STDIN stores 100,000 rows")
    func copy100k() async throws {
        try await withTestDatabase(poolSize: 1) { db, _ in
            try await db.execute("CREATE TABLE answer (id int PRIMARY KEY, code smallint, note text)")
            let copied = try await db.withConnection { connection in
                try await PostgresConnection.copyFrom("COPY answer (id, code, note) FROM STDIN (FORMAT csv)", into: connection) { writer in
                    for id in 1...100_000 {
                        try await writer.write("\(id),\(id % 5 + 1),\"row \(id), \"\"quoted\"\"\"\n")
                    }
                }
            }
            #expect(copied == 100_000)
            let summary = try await db.query("SELECT count(*) AS n, sum(code) AS codes, max(note) FILTER (WHERE id = 7) AS note FROM answer")
            #expect(try summary[0].decode("n", as: Int.self) == 100_000)
            #expect(try summary[0].decode("codes", as: Int.self) == 300_000)
            #expect(try summary[0].decode("note", as: String.self) == "row 7, \"quoted\"")
        }
    }

    @Test("a COPY whose writer throws stores nothing and leaves the connection usable")
    func copyAbort() async throws {
        struct Broken: Error {}
        try await withTestDatabase(poolSize: 1) { db, _ in
            try await db.execute("CREATE TABLE answer (id int PRIMARY KEY)")
            await #expect(throws: Broken.self) {
                try await db.withConnection { connection in
                    _ = try await PostgresConnection.copyFrom("COPY answer FROM STDIN", into: connection) { writer in
                        for id in 1...1000 { try await writer.write("\(id)\n") }
                        throw Broken()
                    }
                }
            }
            #expect(try await db.query("SELECT count(*) AS n FROM answer")[0].decode("n", as: Int.self) == 0)
            // A bad row is the server's error, with its SQLSTATE.
            do {
                _ = try await db.withConnection { connection in
                    try await PostgresConnection.copyFrom("COPY answer FROM STDIN", into: connection) { writer in
                        try await writer.write("1\nnot-a-number\n")
                    }
                }
                Issue.record("COPY accepted a bad row")
            } catch let error as PostgresError {
                #expect(error.code == .invalidTextRepresentation)
            }
            #expect(try await db.query("SELECT count(*) AS n FROM answer")[0].decode("n", as: Int.self) == 0)
        }
    }
}
