import CLibPQ

#if canImport(Glibc)
import Glibc
#endif

/// Owns one `PGconn*`. Not Sendable: it lives inside one `PostgresConnection` actor and is used only on that actor's
/// thread. `PQfinish` runs when the last reference goes, which is on that thread or after the actor is gone.
final class LibPQHandle {
    let conn: OpaquePointer

    init(_ conn: OpaquePointer) { self.conn = conn }

    deinit { PQfinish(conn) }

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
        let handle = LibPQHandle(conn)
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

    /// Runs one or more statements with no parameters (simple query protocol).
    func executeScript(_ sql: String) throws(PostgresError) -> Int {
        guard PQsendQuery(conn, sql) == 1 else { throw connectionError() }
        return try collect().affectedRows
    }

    /// Sends one statement with parameters (extended protocol). Follow with `collect()`.
    func send(_ query: PostgresQuery) throws(PostgresError) {
        let values = query.values.map { $0.flatMap { strdup($0) } }
        defer { for pointer in values { free(pointer) } }
        let valuePointers: [UnsafePointer<CChar>?] = values.map { $0.map { UnsafePointer($0) } }
        let types: [Oid] = query.types.map(\.oid)
        let sent = PQsendQueryParams(conn, query.sql, Int32(values.count), types, valuePointers, nil, nil, 0)
        guard sent == 1 else { throw connectionError() }
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
                var values: [String?] = []
                values.reserveCapacity(fieldCount)
                for field in 0..<fieldCount {
                    if PQgetisnull(result, Int32(row), Int32(field)) == 1 {
                        values.append(nil)
                    } else {
                        values.append(String(cString: PQgetvalue(result, Int32(row), Int32(field))))
                    }
                }
                rows.append(PostgresRow(columns: columns, values: values))
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
            schema: text("s")
        )
    }

    private static func field(_ code: Character) -> Int32 { Int32(code.asciiValue ?? 0) }
}

@available(*, unavailable)
extension LibPQHandle: Sendable {}
