import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A bounded pool of PostgreSQL connections, each on a thread of its own.
///
/// Connections open lazily, on first use. When all are busy a caller waits, in order, for up to `acquireTimeout`
/// and then gets a `.poolTimeout` error. Create one per process and call `shutdown()` when done.
public final class PostgresClient: Sendable {
    public let configuration: PostgresConfiguration
    private let group: MultiThreadedEventLoopGroup
    private let slots: [PostgresConnection]
    private let state: Mutex<PoolState>
    private let logger: Logger

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Int, any Error>
    }

    private struct PoolState {
        var idle: [Int]
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var closed = false
        var totalWaits = 0
        var timeouts = 0
        var observer: (any PostgresPoolObserver)?
    }

    /// A moment's view of the pool, for metrics and health pages (one lock, no allocation).
    public struct Statistics: Sendable {
        /// The pool's capacity: the most connections it opens.
        public var size: Int
        /// Connections lent out now.
        public var inUse: Int
        /// Callers waiting for a connection now.
        public var waiting: Int
        /// Leases that had to wait since the pool started.
        public var totalWaits: Int
        /// Waits that ended in `.poolTimeout` since the pool started.
        public var timeouts: Int
        /// Connections not lent out (opened or not yet opened: connections open lazily).
        public var idle: Int { size - inUse }
    }

    public init(configuration: PostgresConfiguration, logger: Logger) {
        precondition(configuration.poolSize > 0, "pool size must be at least 1")
        self.configuration = configuration
        self.logger = logger
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.poolSize)
        var loops = group.makeIterator()
        var slots: [PostgresConnection] = []
        for slot in 0..<configuration.poolSize {
            guard let loop = loops.next() else { break }
            slots.append(PostgresConnection(loop: loop, configuration: configuration, logger: logger, slot: slot))
        }
        self.slots = slots
        self.state = Mutex(PoolState(idle: Array(slots.indices.reversed())))
    }

    /// The pool's state now.
    public var statistics: Statistics {
        state.withLock { state in
            Statistics(
                size: slots.count,
                inUse: slots.count - state.idle.count,
                waiting: state.waiters.count,
                totalWaits: state.totalWaits,
                timeouts: state.timeouts
            )
        }
    }

    /// Tells `observer` about every lease from now on (nil stops it): how long each caller waited for a connection and
    /// which waits timed out. The observer is called outside the pool's lock, on the caller's task, so it must be cheap.
    public func observe(with observer: (any PostgresPoolObserver)?) {
        state.withLock { $0.observer = observer }
    }

    @discardableResult
    /// Lends a connection to `body` and takes it back when `body` returns or throws.
    public func withConnection<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        let slot = try await acquire()
        defer { release(slot) }
        let connection = slots[slot]
        connection.markLeaseStarted()
        return try await body(connection)
    }

    @discardableResult
    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws (and rethrows).
    ///
    /// When the server rejects one of the connection's prepared statements as stale (a schema change, `DISCARD ALL`,
    /// a pooler in transaction mode: `PostgresError.isStalePreparedStatement`), the transaction is rolled back and
    /// `body` runs again, in a new transaction with the statements prepared anew (at most three runs in all: by the
    /// third the connection has stopped preparing). So `body` should change nothing outside the database that it
    /// cannot do again.
    public func withTransaction<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        try await withConnection { connection in
            var attempt = 0
            while true {
                attempt += 1
                // Transaction control goes unprepared (simple protocol: one message, nothing to go stale).
                try await connection.unsafeExecuteScript("BEGIN")
                let result: Result
                do {
                    result = try await body(connection)
                } catch {
                    // A lost connection has no transaction left to roll back; the next lease replaces it.
                    _ = try? await connection.unsafeExecuteScript("ROLLBACK")
                    // At most three runs: the second time statements vanish the connection stops preparing.
                    if attempt < 3, let error = error as? PostgresError, error.isStalePreparedStatement { continue }
                    throw error
                }
                try await connection.unsafeExecuteScript("COMMIT")
                return result
            }
        }
    }

    /// Runs one statement on a pooled connection and returns its rows.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await withConnection { connection in try await connection.query(query) }
    }

    /// Runs one statement on a pooled connection and returns the number of rows it affected.
    @discardableResult
    public func execute(_ query: PostgresQuery) async throws -> Int {
        try await withConnection { connection in try await connection.execute(query) }
    }

    /// Fails waiting callers, closes every connection and stops the pool's threads. Leases in progress finish first
    /// only if the caller waited for them; later `withConnection` calls fail with `.poolClosed`.
    ///
    /// Safe to call more than once (a failed start shuts pools down that a service may already have): later calls return
    /// at once. A second close of the connections would schedule work on event loops already shut down and never end.
    public func shutdown() async {
        let (alreadyClosed, waiters) = state.withLock { state in
            let was = state.closed
            state.closed = true
            defer { state.waiters = [] }
            return (was, state.waiters)
        }
        if alreadyClosed { return }
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError.client(.poolClosed, "the database pool has been shut down"))
        }
        for slot in slots { await slot.close() }
        try? await group.shutdownGracefully()
    }

    private func acquire() async throws -> Int {
        enum Outcome {
            case slot(Int)
            case wait
            case closed
        }
        let (immediate, observer): (Outcome, (any PostgresPoolObserver)?) = state.withLock { state in
            if state.closed { return (.closed, nil) }
            if let slot = state.idle.popLast() { return (.slot(slot), state.observer) }
            return (.wait, nil)
        }
        switch immediate {
        case .slot(let slot):
            observer?.connectionAcquired(waited: .zero)
            return slot
        case .closed: throw PostgresError.client(.poolClosed, "the database pool has been shut down")
        case .wait: break
        }
        let started = ContinuousClock.now
        let id = state.withLock { state in
            state.nextWaiterID += 1
            state.totalWaits += 1
            return state.nextWaiterID
        }
        let timeout = configuration.acquireTimeout
        let slot = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int, any Error>) in
                let handedOver: Int?? = state.withLock { state in
                    if state.closed { return .some(nil) }
                    if let slot = state.idle.popLast() { return .some(slot) }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                switch handedOver {
                case .some(.some(let slot)):
                    continuation.resume(returning: slot)
                case .some(.none):
                    continuation.resume(throwing: PostgresError.client(.poolClosed, "the database pool has been shut down"))
                case .none:
                    Task { [self] in
                        try? await Task.sleep(for: timeout)
                        self.expire(id, after: timeout, started: started)
                    }
                }
            }
        } onCancel: {
            self.removeWaiter(id)?.continuation.resume(throwing: CancellationError())
        }
        state.withLock { $0.observer }?.connectionAcquired(waited: ContinuousClock.now - started)
        return slot
    }

    private func expire(_ id: UInt64, after timeout: Duration, started: ContinuousClock.Instant) {
        guard let (continuation, observer) = removeWaiter(id, countTimeout: true) else { return }
        observer?.acquireTimedOut(waited: ContinuousClock.now - started)
        logger.warning("database pool exhausted", metadata: ["db.pool.size": "\(slots.count)"])
        continuation.resume(
            throwing: PostgresError.client(
                .poolTimeout,
                "no database connection became free within \(timeout) (pool size \(slots.count))",
                code: SQLState("53300")
            )
        )
    }

    private func removeWaiter(
        _ id: UInt64,
        countTimeout: Bool = false
    ) -> (continuation: CheckedContinuation<Int, any Error>, observer: (any PostgresPoolObserver)?)? {
        state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            if countTimeout { state.timeouts += 1 }
            return (state.waiters.remove(at: index).continuation, state.observer)
        }
    }

    private func release(_ slot: Int) {
        let waiter: Waiter? = state.withLock { state in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.idle.append(slot)
            return nil
        }
        waiter?.continuation.resume(returning: slot)
    }
}

/// Watches a pool's leases, for metrics. Both methods are called outside the pool's lock on the caller's task: keep
/// them cheap (a counter or histogram update) and never call back into the pool.
public protocol PostgresPoolObserver: Sendable {
    /// A caller got a connection after waiting `waited` (`.zero` when one was free at once).
    func connectionAcquired(waited: Duration)
    /// A caller gave up after waiting `waited` for a connection and got `.poolTimeout`.
    func acquireTimedOut(waited: Duration)
}
