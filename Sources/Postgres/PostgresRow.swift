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
    /// Values in text format; nil is SQL NULL.
    public let values: [String?]

    /// Decodes the named column. Errors name the column, the Swift type and the column's SQL type.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let index = columns.indexByName[column] else {
            throw PostgresError.client(.decoding, "no column named \(column) in the result (columns: \(columns.names.joined(separator: ", ")))")
        }
        return try decode(index, as: type)
    }

    /// Decodes the column at `index` (0-based).
    public func decode<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        guard values.indices.contains(index) else {
            throw PostgresError.client(.decoding, "no column at index \(index) (the result has \(values.count))")
        }
        let name = columns.names[index]
        let sqlType = columns.types[index]
        guard let text = values[index] else {
            if let null = T.postgresNull { return null }
            throw PostgresError.client(.decoding, "column \(name) (\(sqlType)) is NULL; decode it as \(T.self)? to accept NULL")
        }
        do {
            return try T.decode(postgresText: text, type: sqlType)
        } catch let failure as PostgresDecodingFailure {
            throw PostgresError.client(.decoding, "column \(name) (\(sqlType)) cannot be read as \(T.self): \(failure.reason)")
        }
    }

    /// True when the named column is NULL.
    public func isNull(_ column: String) -> Bool {
        guard let index = columns.indexByName[column] else { return true }
        return values[index] == nil
    }
}

/// The outcome of a statement: its rows (if any) and the number of rows it affected.
public struct PostgresResult: Sendable {
    public let rows: [PostgresRow]
    /// Rows inserted, updated, deleted or copied, as the server reported (0 when it reported none).
    public let affectedRows: Int
}
