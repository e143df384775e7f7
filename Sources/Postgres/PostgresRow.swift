/// The columns of a result: names and types, shared by its rows.
public final class PostgresColumns: Sendable {
    public let names: [String]
    public let types: [PostgresType]
    let indexByName: [String: Int]

    init(names: [String], types: [PostgresType]) {
        self.names = names
        self.types = types
        var index: [String: Int] = [:]
        for (i, name) in names.enumerated() where index[name] == nil { index[name] = i }
        self.indexByName = index
    }
}

/// One row of a result, copied out of libpq: safe to keep and to pass between tasks.
public struct PostgresRow: Sendable {
    public let columns: PostgresColumns
    /// The values as copied out of libpq; nil is SQL NULL.
    let cells: [Cell?]

    /// One non-NULL value: text as PostgreSQL sent it, or a bytea column's bytes (decoded from its hex text once).
    enum Cell: Sendable {
        case text(String)
        case bytes([UInt8])
    }

    init(columns: PostgresColumns, cells: [Cell?]) {
        self.columns = columns
        self.cells = cells
    }

    /// Values in text format (bytea as hex text); nil is SQL NULL.
    public var values: [String?] {
        cells.map { cell in
            switch cell {
            case nil: nil
            case .text(let text): text
            case .bytes(let bytes): PostgresBytes.hexText(bytes)
            }
        }
    }

    /// Decodes the named column. Errors name the column, the Swift type and the column's SQL type.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let index = columns.indexByName[column] else {
            throw PostgresError.client(.decoding, "no column named \(column) in the result (columns: \(columns.names.joined(separator: ", ")))")
        }
        return try decode(index, as: type)
    }

    /// Decodes the column at `index` (0-based).
    public func decode<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        guard cells.indices.contains(index) else {
            throw PostgresError.client(.decoding, "no column at index \(index) (the result has \(cells.count))")
        }
        let name = columns.names[index]
        let sqlType = columns.types[index]
        guard let cell = cells[index] else {
            if let null = T.postgresNull { return null }
            throw PostgresError.client(.decoding, "column \(name) (\(sqlType)) is NULL; decode it as \(T.self)? to accept NULL")
        }
        do {
            switch cell {
            case .text(let text): return try T.decode(postgresText: text, type: sqlType)
            case .bytes(let bytes): return try T.decode(postgresBytes: bytes, type: sqlType)
            }
        } catch let failure as PostgresDecodingFailure {
            throw PostgresError.client(.decoding, "column \(name) (\(sqlType)) cannot be read as \(T.self): \(failure.reason)")
        }
    }

    /// True when the named column is NULL.
    public func isNull(_ column: String) -> Bool {
        guard let index = columns.indexByName[column] else { return true }
        return cells[index] == nil
    }
}

/// The outcome of a statement: its rows (if any) and the number of rows it affected.
public struct PostgresResult: Sendable {
    public let rows: [PostgresRow]
    /// Rows inserted, updated, deleted or copied, as the server reported (0 when it reported none).
    public let affectedRows: Int
}
