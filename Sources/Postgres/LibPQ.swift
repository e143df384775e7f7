import CLibPQ
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Owns one `PGconn*`. Not Sendable: it lives inside one `PostgresConnection` actor and is used only on that actor's
/// thread. `PQfinish` runs when the last reference goes, which is on that thread or after the actor is gone.
///
/// Statements run as prepared statements: the first time the connection runs a statement's text (with its parameter
/// types) it prepares it under a name of its own and from then on sends only the name and the values
/// (`PQsendQueryPrepared`), so the server parses and plans it once per connection, not once per call. The cache is
/// bounded (least recently used statements are deallocated) and belongs to this handle, so a replaced connection
/// starts with an empty one. When the server rejects a statement as stale (see
/// `PostgresError.isStalePreparedStatement`) the cache forgets it; outside a transaction the statement is prepared
/// again and run at once, inside one the error goes up to `withTransaction`, which runs the transaction again. A
/// connection whose statements vanish twice (a pooler in transaction mode hands it a different server session) stops
/// preparing and sends unnamed statements, as before, for the rest of its life.
final class LibPQHandle {
    let conn: OpaquePointer
    /// libpq's cancel object for this connection, made once (`PQgetCancel` allocates and copies every time).
    /// `Canceller` uses it from other threads while a statement runs, which libpq allows.
    private(set) var cancel: OpaquePointer?
    private var statements: StatementCache

    init(_ conn: OpaquePointer, statementCacheCapacity: Int) {
        self.conn = conn
        self.statements = StatementCache(capacity: statementCacheCapacity)
    }

    deinit {
        if let cancel { PQfreeCancel(cancel) }
        PQfinish(conn)
    }

    /// Opens a connection (blocking). Throws a `.connection` error with libpq's message on failure.
    static func connect(_ configuration: PostgresConfiguration) throws(PostgresError) -> LibPQHandle {
        let parameters = configuration.connectParameters()
        let keywords = parameters.map { strdup($0.0) }
        let values = parameters.map { strdup($0.1) }
        defer {
            for pointer in keywords { free(pointer) }
            for pointer in values { free(pointer) }
        }
        var keywordPointers: [UnsafePointer<CChar>?] = keywords.map { $0.map { UnsafePointer($0) } }
        var valuePointers: [UnsafePointer<CChar>?] = values.map { $0.map { UnsafePointer($0) } }
        keywordPointers.append(nil)
        valuePointers.append(nil)
        guard let conn = PQconnectdbParams(keywordPointers, valuePointers, 1) else {
            throw PostgresError.client(.connection, "libpq could not allocate a connection", code: SQLState("08001"))
        }
        let handle = LibPQHandle(conn, statementCacheCapacity: configuration.statementCacheCapacity)
        guard PQstatus(conn) == CONNECTION_OK else {
            throw PostgresError.client(.connection, "could not connect: \(oneLine(handle.errorMessage))", code: SQLState("08001"))
        }
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        guard PQsetClientEncoding(conn, "UTF8") == 0 else {
            throw PostgresError.client(.connection, "could not set client encoding to UTF8", code: SQLState("08001"))
        }
        var settings = "SET DateStyle TO 'ISO, YMD'; SET TimeZone TO 'UTC'; SET IntervalStyle TO 'iso_8601'; "
        settings += "SET client_min_messages TO warning; SET extra_float_digits TO 1;"
        if let timeout = configuration.statementTimeout {
            let milliseconds = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
            settings += " SET statement_timeout TO \(milliseconds);"
        }
        _ = try handle.executeScript(settings)
        handle.cancel = PQgetCancel(conn)
        return handle
    }

    var errorMessage: String {
        guard let message = PQerrorMessage(conn) else { return "" }
        return String(cString: message)
    }

    var isBad: Bool { PQstatus(conn) != CONNECTION_OK }

    var isIdle: Bool { PQtransactionStatus(conn) == PQTRANS_IDLE }

    /// False when the server has closed the connection or sent something while it was idle (an administrator's
    /// termination, a server shutdown). Non-blocking: polls the socket with a zero timeout.
    var isHealthy: Bool {
        if isBad { return false }
        let socket = PQsocket(conn)
        guard socket >= 0 else { return false }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, 0)
        if ready == 0 { return true }
        // Readable while idle means an error message or end of file: the session is over either way.
        _ = PQconsumeInput(conn)
        return false
    }

    /// How many prepared statements the connection holds now, and whether it still prepares (for tests).
    var preparedStatements: (count: Int, preparing: Bool) { (statements.count, statements.isEnabled) }

    /// Runs one or more statements with no parameters (simple query protocol).
    func executeScript(_ sql: String) throws(PostgresError) -> Int {
        guard PQsendQuery(conn, sql) == 1 else { throw connectionError() }
        return try collect().affectedRows
    }

    /// Runs one statement with parameters (extended protocol) and waits for its result (blocking): as a prepared
    /// statement, prepared first if this connection has not run its text yet. `afterSend` runs after each message
    /// batch is sent (the caller's chance to cancel a statement whose task was cancelled before it was sent).
    func run(_ query: PostgresQuery, afterSend: () -> Void, retrying: Bool = false) throws(PostgresError) -> PostgresResult {
        guard statements.isEnabled else {
            try sendUnnamed(query)
            afterSend()
            return try collect()
        }
        let idle = isIdle
        if idle { deallocateOrphans() }
        let key = StatementCache.Key(sql: query.sql, types: query.types)
        let name: String
        if let cached = statements.name(for: key) {
            name = cached
        } else {
            if let evicted = statements.evictIfFull() { deallocate(evicted) }
            name = StatementCache.newName()
            let types = query.types.map(\.oid)
            guard PQsendPrepare(conn, name, query.sql, Int32(types.count), types) == 1 else { throw connectionError() }
            afterSend()
            _ = try collect()
            statements.insert(key, name: name)
        }
        do throws(PostgresError) {
            try sendPrepared(name, query)
            afterSend()
            return try collect()
        } catch  where error.isStalePreparedStatement {
            if error.code == .invalidSQLStatementName {
                statements.statementsVanished()
            } else {
                statements.remove(key)
                statements.orphans.append(name)
            }
            // Once more, prepared anew; and if that too finds its statement gone (a pooler may run the Parse and the
            // Bind on different server sessions), once more unnamed, as the connection has stopped preparing by then.
            guard idle, !retrying || !statements.isEnabled else { throw error }
            return try run(query, afterSend: afterSend, retrying: true)
        }
    }

    private func sendUnnamed(_ query: PostgresQuery) throws(PostgresError) {
        let types: [Oid] = query.types.map(\.oid)
        let sent = Self.withParameters(query.parameters) { count, values, lengths, formats in
            PQsendQueryParams(conn, query.sql, count, types, values, lengths, formats, 0)
        }
        guard sent == 1 else { throw connectionError() }
    }

    private func sendPrepared(_ name: String, _ query: PostgresQuery) throws(PostgresError) {
        let sent = Self.withParameters(query.parameters) { count, values, lengths, formats in
            PQsendQueryPrepared(conn, name, count, values, lengths, formats, 0)
        }
        guard sent == 1 else { throw connectionError() }
    }

    /// Deallocates a statement the cache let go of. Failures are ignored: in a failed transaction the statement stays
    /// until the connection closes, and a statement that vanished needs nothing.
    private func deallocate(_ name: String) {
        // Only while idle: in a transaction, a DEALLOCATE that failed would abort it.
        if isIdle {
            _ = try? executeScript("DEALLOCATE \(name)")
        } else {
            statements.orphans.append(name)
        }
    }

    /// Deallocates statements replaced after a schema change while a transaction was open.
    private func deallocateOrphans() {
        guard !statements.orphans.isEmpty else { return }
        let names = statements.orphans
        statements.orphans = []
        for name in names { _ = try? executeScript("DEALLOCATE \(name)") }
    }

    /// The parameters as libpq takes them: one buffer holding every value (text NUL-terminated, binary as it is),
    /// pointers into it, lengths and formats (nil when every value is text, as libpq then needs neither).
    private static func withParameters<R>(
        _ parameters: [PostgresQuery.Parameter],
        _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> R
    ) -> R {
        if parameters.isEmpty { return body(0, nil, nil, nil) }
        var storage: [UInt8] = []
        var offsets: [Int] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        var anyBinary = false
        offsets.reserveCapacity(parameters.count)
        lengths.reserveCapacity(parameters.count)
        formats.reserveCapacity(parameters.count)
        for parameter in parameters {
            switch parameter {
            case .null:
                offsets.append(-1)
                lengths.append(0)
                formats.append(0)
            case .text(let text):
                offsets.append(storage.count)
                storage.append(contentsOf: text.utf8)
                storage.append(0)
                lengths.append(0)
                formats.append(0)
            case .binary(let bytes):
                anyBinary = true
                offsets.append(storage.count)
                storage.append(contentsOf: bytes)
                lengths.append(Int32(bytes.count))
                formats.append(1)
            }
        }
        // Never empty, so the base address is never nil (a zero-length binary value still points somewhere valid).
        storage.append(0)
        return storage.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!)
            let pointers: [UnsafePointer<CChar>?] = offsets.map { offset in
                offset < 0 ? nil : (base + offset).assumingMemoryBound(to: CChar.self)
            }
            return pointers.withUnsafeBufferPointer { values in
                if !anyBinary { return body(Int32(parameters.count), values.baseAddress, nil, nil) }
                return lengths.withUnsafeBufferPointer { lengths in
                    formats.withUnsafeBufferPointer { formats in
                        body(Int32(parameters.count), values.baseAddress, lengths.baseAddress, formats.baseAddress)
                    }
                }
            }
        }
    }

    /// Waits for every result of the statement just sent (blocking) and returns the last, or throws the first error.
    func collect() throws(PostgresError) -> PostgresResult {
        var firstError: PostgresError? = nil
        var last: PostgresResult? = nil
        while let result = PQgetResult(conn) {
            defer { PQclear(result) }
            if firstError != nil { continue }
            do throws(PostgresError) {
                last = try Self.decode(result, connection: self)
            } catch {
                firstError = error
            }
        }
        if let firstError { throw firstError }
        guard let last else { throw connectionError() }
        return last
    }

    /// Starts `COPY … FROM STDIN`.
    func beginCopy(_ sql: String) throws(PostgresError) {
        guard let result = PQexec(conn, sql) else { throw connectionError() }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        if status == PGRES_COPY_IN { return }
        if status == PGRES_FATAL_ERROR { throw Self.serverError(result) }
        // Not a COPY FROM STDIN: drain so the connection stays usable.
        while let extra = PQgetResult(conn) { PQclear(extra) }
        throw PostgresError.client(.protocolViolation, "the statement given to copyFrom is not COPY … FROM STDIN")
    }

    func putCopyData(_ bytes: [UInt8]) throws(PostgresError) {
        let status = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { PQputCopyData(conn, $0.baseAddress, Int32($0.count)) }
        }
        guard status == 1 else { throw connectionError() }
    }

    /// Ends the COPY (with an error message to make the server abort it) and returns the rows copied.
    func endCopy(abortMessage: String?) throws(PostgresError) -> Int {
        guard PQputCopyEnd(conn, abortMessage) == 1 else { throw connectionError() }
        return try collect().affectedRows
    }

    func connectionError() -> PostgresError {
        PostgresError(kind: .connection, code: SQLState("08006"), message: oneLine(errorMessage))
    }

    static func decode(_ result: OpaquePointer, connection: LibPQHandle) throws(PostgresError) -> PostgresResult {
        let status = PQresultStatus(result)
        switch status {
        case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
            let fieldCount = Int(PQnfields(result))
            let rowCount = Int(PQntuples(result))
            var names: [String] = []
            var types: [PostgresType] = []
            for field in 0..<fieldCount {
                names.append(PQfname(result, Int32(field)).map { String(cString: $0) } ?? "?column?")
                types.append(PostgresType(PQftype(result, Int32(field))))
            }
            let columns = PostgresColumns(names: names, types: types)
            var rows: [PostgresRow] = []
            rows.reserveCapacity(rowCount)
            for row in 0..<rowCount {
                var cells: [PostgresRow.Cell?] = []
                cells.reserveCapacity(fieldCount)
                for field in 0..<fieldCount {
                    let (row, column) = (Int32(row), Int32(field))
                    guard PQgetisnull(result, row, column) == 0, let value = PQgetvalue(result, row, column) else {
                        cells.append(nil)
                        continue
                    }
                    let text = UnsafeBufferPointer(
                        start: UnsafeRawPointer(value).assumingMemoryBound(to: UInt8.self),
                        count: Int(PQgetlength(result, row, column))
                    )
                    // bytea straight from its hex text into bytes: no string of twice the size on the way.
                    if types[field] == .bytea, let bytes = PostgresBytes.bytes(hexText: text) {
                        cells.append(.bytes(bytes))
                    } else {
                        cells.append(.text(String(decoding: text, as: UTF8.self)))
                    }
                }
                rows.append(PostgresRow(columns: columns, cells: cells))
            }
            return PostgresResult(rows: rows, affectedRows: rowCount)
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            let tuples = PQcmdTuples(result).map { String(cString: $0) } ?? ""
            return PostgresResult(rows: [], affectedRows: Int(tuples) ?? 0)
        case PGRES_FATAL_ERROR, PGRES_NONFATAL_ERROR:
            if PQresultErrorField(result, field("C")) == nil { throw connection.connectionError() }
            throw serverError(result)
        case PGRES_BAD_RESPONSE:
            throw PostgresError.client(.protocolViolation, "the server sent a response libpq did not understand", code: SQLState("08P01"))
        default:
            throw PostgresError.client(.protocolViolation, "unexpected result status \(status.rawValue)")
        }
    }

    static func serverError(_ result: OpaquePointer) -> PostgresError {
        func text(_ code: Character) -> String? {
            PQresultErrorField(result, field(code)).map { String(cString: $0) }
        }
        let code = SQLState(text("C") ?? "XX000")
        let isConnection = code ~= .connectionExceptionClass || code == .adminShutdown || code == .crashShutdown
        return PostgresError(
            kind: isConnection ? .connection : .server,
            code: code,
            message: text("M") ?? "",
            detail: text("D"),
            hint: text("H"),
            constraint: text("n"),
            table: text("t"),
            column: text("c"),
            schema: text("s"),
            routine: text("R")
        )
    }

    private static func field(_ code: Character) -> Int32 { Int32(code.asciiValue ?? 0) }
}

@available(*, unavailable)
extension LibPQHandle: Sendable {}

/// A connection's prepared statements: SQL text and parameter types to the statement's name, least recently used
/// first out. Lives in its `LibPQHandle`, on the connection's thread.
struct StatementCache {
    struct Key: Hashable {
        let sql: String
        let types: [PostgresType]
    }

    private var entries: [Key: (name: String, lastUse: UInt64)] = [:]
    private var uses: UInt64 = 0
    private var vanished = 0
    /// The most statements kept; 0 prepares nothing.
    let capacity: Int
    /// Names of statements replaced while a transaction was open, to deallocate once the connection is idle.
    var orphans: [String] = []

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    var count: Int { entries.count }

    /// False once the connection has stopped preparing (capacity 0, or its statements vanished twice).
    var isEnabled: Bool { capacity > 0 && vanished < 2 }

    mutating func name(for key: Key) -> String? {
        guard let entry = entries[key] else { return nil }
        uses &+= 1
        entries[key] = (entry.name, uses)
        return entry.name
    }

    mutating func insert(_ key: Key, name: String) {
        uses &+= 1
        entries[key] = (name, uses)
    }

    /// Makes room for one more: the least recently used statement's name when the cache is full, to deallocate.
    mutating func evictIfFull() -> String? {
        guard entries.count >= capacity, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) else { return nil }
        entries[oldest.key] = nil
        return oldest.value.name
    }

    mutating func remove(_ key: Key) {
        entries[key] = nil
    }

    /// The server no longer knows the connection's statements (`DISCARD ALL`, `DEALLOCATE ALL`, or a pooler that
    /// moved the connection to another session): forget them all; the second time, stop preparing.
    mutating func statementsVanished() {
        entries = [:]
        orphans = []
        vanished += 1
    }

    /// A name no other connection of this process, or (with 64 random bits) of another process sharing a pooler's
    /// server sessions, uses.
    static func newName() -> String {
        "sv_\(processTag)_\(statementCounter.add(1, ordering: .relaxed).newValue)"
    }

    private static let processTag = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    private static let statementCounter = Atomic<UInt64>(0)
}
