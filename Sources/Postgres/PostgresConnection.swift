import CLibPQ
import Logging
import NIOCore
import Synchronization

/// One database connection. Every libpq call runs on the connection's own thread (its actor's executor is a
/// one-thread event loop), so blocking calls never hold up Swift's cooperative pool.
///
/// Obtain one from `PostgresClient.withConnection` or `withTransaction`; it must not be kept after the closure returns.
/// A connection found broken at the start of a lease (the server restarted, `pg_terminate_backend`) is replaced
/// before the first statement, so the caller sees a working connection.
public actor PostgresConnection {
    private let loop: any EventLoop
    private let configuration: PostgresConfiguration
    private let logger: Logger
    private let slot: Int
    private var handle: LibPQHandle?
    /// Set by the pool when a lease starts; the first statement then checks the connection's health on its thread.
    private let leaseStarted = Atomic<Bool>(true)

    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }

    init(loop: any EventLoop, configuration: PostgresConfiguration, logger: Logger, slot: Int) {
        self.loop = loop
        self.configuration = configuration
        self.logger = logger
        self.slot = slot
    }

    nonisolated func markLeaseStarted() {
        leaseStarted.store(true, ordering: .releasing)
    }

    /// Runs a statement and returns its rows.
    @discardableResult
    public nonisolated func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await run(query).rows
    }

    /// Runs a statement and returns the number of rows it affected.
    @discardableResult
    public nonisolated func execute(_ query: PostgresQuery) async throws -> Int {
        try await run(query).affectedRows
    }

    /// Runs a statement. Cancelling the calling task cancels the statement on the server (`PQcancel`).
    public nonisolated func run(_ query: PostgresQuery) async throws -> PostgresResult {
        try await cancellable { handle, afterSend throws(PostgresError) in
            try handle.run(query, afterSend: afterSend)
        }
    }

    /// Runs several statements separated by semicolons, with no parameters. For migrations; the caller vouches that
    /// no outside input is in the text.
    public nonisolated func unsafeExecuteScript(_ sql: String) async throws {
        _ = try await cancellable { handle, afterSend throws(PostgresError) in
            guard PQsendQuery(handle.conn, sql) == 1 else { throw handle.connectionError() }
            afterSend()
            return try handle.collect()
        }
    }

    /// How many prepared statements this connection holds, and whether it still prepares them (for tests).
    func preparedStatements() -> (count: Int, preparing: Bool) {
        handle?.preparedStatements ?? (0, true)
    }

    /// Runs `work` (which sends and collects) on the connection's thread, with `PQcancel` called from the cancelling
    /// thread if the task is cancelled meanwhile. `work` calls the closure it is given after each send, which cancels
    /// at once when the cancellation came before anything was sent.
    ///
    /// The cancellation handler is installed here, outside the actor: installed inside an actor whose executor is an
    /// event loop, `withTaskCancellationHandler` was measured to run the blocking work on the cooperative pool.
    private nonisolated func cancellable(
        _ work: @escaping @Sendable (LibPQHandle, () -> Void) throws(PostgresError) -> PostgresResult
    ) async throws -> PostgresResult {
        try Task.checkCancellation()
        let canceller = Canceller()
        return try await withTaskCancellationHandler {
            try await self.sendAndCollect(work, canceller: canceller)
        } onCancel: {
            canceller.cancel()
        }
    }

    private func sendAndCollect(
        _ work: @Sendable (LibPQHandle, () -> Void) throws(PostgresError) -> PostgresResult,
        canceller: Canceller
    ) throws -> PostgresResult {
        let handle = try ready()
        canceller.install(handle.cancel)
        defer { canceller.uninstall() }
        return try work(handle) {
            if canceller.wasCancelled { canceller.cancel() }
        }
    }

    /// Streams data into `COPY … FROM STDIN`: `body` writes rows in the COPY format named in the statement
    /// (text or CSV); the data is sent in chunks of about 64 KiB. Throwing from `body` aborts the COPY on the server
    /// and nothing is stored. Returns the number of rows copied.
    ///
    /// Static so that `body` runs in the caller's isolation: `try await PostgresConnection.copyFrom(sql, into: connection) { … }`.
    public static func copyFrom(
        _ statement: PostgresQuery,
        into connection: PostgresConnection,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (CopyWriter) async throws -> Void
    ) async throws -> Int {
        guard statement.parameters.isEmpty else {
            throw PostgresError.client(.protocolViolation, "COPY statements cannot have bound parameters")
        }
        try await connection.beginCopy(statement.sql)
        let writer = CopyWriter(connection: connection)
        do {
            try await body(writer)
            try await writer.flush()
        } catch {
            _ = try? await connection.endCopy(abortMessage: "aborted by the client")
            throw error
        }
        return try await connection.endCopy(abortMessage: nil)
    }

    func beginCopy(_ sql: String) throws {
        try ready().beginCopy(sql)
    }

    func putCopyData(_ bytes: [UInt8]) throws {
        guard let handle else { throw PostgresError.client(.connection, "connection closed during COPY", code: SQLState("08006")) }
        try handle.putCopyData(bytes)
    }

    func endCopy(abortMessage: String?) throws -> Int {
        guard let handle else { throw PostgresError.client(.connection, "connection closed during COPY", code: SQLState("08006")) }
        return try handle.endCopy(abortMessage: abortMessage)
    }

    /// Closes the connection (the pool calls this when it shuts down).
    func close() {
        handle = nil
    }

    /// The connection's handle, opened or replaced as needed. At the start of a lease, a broken connection is
    /// replaced and a transaction left open by an earlier lease (a cancelled task) is rolled back.
    private func ready() throws(PostgresError) -> LibPQHandle {
        if let handle, !leaseStarted.exchange(false, ordering: .acquiring) { return handle }
        if let handle {
            if handle.isHealthy {
                if !handle.isIdle { _ = try handle.executeScript("ROLLBACK") }
                return handle
            }
            logger.notice("database connection lost; reconnecting", metadata: ["db.slot": "\(slot)"])
            self.handle = nil
        }
        leaseStarted.store(false, ordering: .relaxed)
        let fresh = try LibPQHandle.connect(configuration)
        logger.debug("database connection opened", metadata: ["db.slot": "\(slot)"])
        handle = fresh
        return fresh
    }

}

/// Lends a statement the connection's `PGcancel*` (owned by its `LibPQHandle`), which libpq allows to be used from any
/// thread. The address is kept as an integer so the holder is Sendable; the Mutex makes `cancel`, `install` and
/// `uninstall` exclusive, so the pointer is never used after the statement returns. A cancellation that arrives
/// before the statement is sent is remembered, and the connection's thread cancels right after sending.
private final class Canceller: Sendable {
    private struct State {
        var address: UInt = 0
        var cancelled = false
    }

    private let state = Mutex(State())

    func install(_ pointer: OpaquePointer?) {
        state.withLock { $0.address = UInt(bitPattern: pointer.map { Int(bitPattern: UnsafeRawPointer($0)) } ?? 0) }
    }

    var wasCancelled: Bool { state.withLock { $0.cancelled } }

    func cancel() {
        state.withLock { state in
            state.cancelled = true
            guard let pointer = OpaquePointer(bitPattern: state.address) else { return }
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(pointer, &buffer, 256)
        }
    }

    func uninstall() {
        state.withLock { $0.address = 0 }
    }
}

/// Buffers COPY data and sends it to the connection in chunks of about 64 KiB.
public final class CopyWriter {
    private let connection: PostgresConnection
    private var buffer: [UInt8] = []
    private let chunkSize = 64 * 1024

    init(connection: PostgresConnection) {
        self.connection = connection
        buffer.reserveCapacity(chunkSize + 4096)
    }

    /// Appends bytes (whole rows or parts of rows) to the stream.
    public func write(_ bytes: some Sequence<UInt8>) async throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= chunkSize { try await flush() }
    }

    /// Appends UTF-8 text to the stream.
    public func write(_ text: String) async throws {
        try await write(text.utf8)
    }

    func flush() async throws {
        guard !buffer.isEmpty else { return }
        let chunk = buffer
        buffer.removeAll(keepingCapacity: true)
        try await connection.putCopyData(chunk)
    }
}
