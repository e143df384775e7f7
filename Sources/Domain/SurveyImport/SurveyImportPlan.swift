import Forms

/// A codebook compiled for the importer: where each variable is stored and fast lookups for its codes.
///
/// Storage (sql/0030): the year, provider code and name, subarea, respondent id and weight have columns of their
/// own; every other variable (codes, 0/1 flags, whole numbers) is one element of the row's `codes integer[]`, in
/// the order of `storedVariables`. A missing-value code is kept as its negative (missing code 9 is stored as -9) so
/// it is never counted as an answer; an empty value is NULL.
struct SurveyImportPlan: Sendable {
    let codebookID: String
    let codebookVersion: Int
    let yearVariable: CodebookVariable
    let providerVariable: CodebookVariable
    let identifierVariable: CodebookVariable
    let providerNameVariable: CodebookVariable?
    let subareaVariable: CodebookVariable?
    let weightVariable: CodebookVariable?
    /// The variables held in `codes`, in order.
    let storedVariables: [CodebookVariable]
    let lookups: [ValueLookup]
    let providerLookup: ValueLookup
    /// The area codes allowed when the subarea variable has type code (nil when it is free text).
    let subareaCodes: Set<[UInt8]>?
    let allVariables: [CodebookVariable]

    /// Compiles `definition`; throws `unsupportedCodebook` naming what the importer cannot store.
    init(definition: FormDefinition) throws(SurveyImportFailure) {
        guard let codebook = definition.codebook else {
            throw SurveyImportFailure(.unknownCodebook, "\(definition.id) is a \(definition.kind.rawValue), not a codebook")
        }
        func fail(_ message: String) -> SurveyImportFailure {
            SurveyImportFailure(.unsupportedCodebook, "codebook \(definition.id) v\(definition.version): \(message)")
        }
        func single(_ role: VariableRole, types: [VariableType], required: Bool) throws(SurveyImportFailure) -> CodebookVariable? {
            let matches = codebook.variables.filter { $0.role == role }
            if matches.count > 1 { throw fail("the importer needs at most one variable with role \(role.rawValue)") }
            guard let variable = matches.first else {
                if required { throw fail("the importer needs a variable with role \(role.rawValue)") }
                return nil
            }
            if !types.contains(variable.type) {
                throw fail("variable \(variable.id) (role \(role.rawValue)) must have type \(types.map(\.rawValue).joined(separator: " or "))")
            }
            return variable
        }
        guard let year = try single(.year, types: [.integer], required: true),
            let provider = try single(.provider, types: [.code], required: true),
            let identifier = try single(.identifier, types: [.integer, .text], required: true)
        else { throw fail("the importer needs year, provider and identifier variables") }
        codebookID = definition.id
        codebookVersion = definition.version
        yearVariable = year
        providerVariable = provider
        identifierVariable = identifier
        providerNameVariable = try single(.providerName, types: [.text], required: false)
        subareaVariable = try single(.subarea, types: [.text, .code], required: false)
        weightVariable = try single(.weight, types: [.decimal], required: false)
        let ownColumns: Set<VariableRole> = [.year, .provider, .identifier, .providerName, .subarea, .weight]
        var stored: [CodebookVariable] = []
        var lookups: [ValueLookup] = []
        for variable in codebook.variables where !ownColumns.contains(variable.role) {
            guard [.code, .flag, .integer].contains(variable.type) else {
                throw fail(
                    "variable \(variable.id) has type \(variable.type.rawValue); the importer stores only code, flag and integer variables "
                        + "besides the year, provider, provider name, subarea, identifier and weight"
                )
            }
            lookups.append(try ValueLookup(variable: variable, missingCodes: codebook.missingCodes, fail: fail))
            stored.append(variable)
        }
        storedVariables = stored
        self.lookups = lookups
        providerLookup = try ValueLookup(variable: provider, missingCodes: [], fail: fail)
        subareaCodes = subareaVariable.flatMap { $0.type == .code ? Set($0.codes.map { Array($0.code.utf8) }) : nil }
        allVariables = codebook.variables
    }

    /// The column rule for each header field, matched to variable ids ignoring case and surrounding spaces.
    /// Throws when a column is named twice or a required variable has no column; returns the extra columns.
    func match(header: [String]) throws(SurveyImportFailure) -> (columns: [ColumnRule], extra: [String]) {
        var columns: [ColumnRule] = []
        var extra: [String] = []
        var seen: Set<String> = []
        var matched = 0
        for name in header {
            let key = name.trimmingSpaces.lowercased()
            guard let variable = allVariables.first(where: { $0.id.lowercased() == key }) else {
                columns.append(.ignored)
                extra.append(name.trimmingSpaces.isEmpty ? "(unnamed)" : name.trimmingSpaces)
                continue
            }
            if !seen.insert(variable.id).inserted {
                throw SurveyImportFailure(.duplicateColumn, "the header names column \(variable.id) twice")
            }
            matched += 1
            switch variable.id {
            case yearVariable.id: columns.append(.year)
            case providerVariable.id: columns.append(.provider)
            case identifierVariable.id: columns.append(.identifier)
            case providerNameVariable?.id: columns.append(.providerName)
            case subareaVariable?.id: columns.append(.subarea)
            case weightVariable?.id: columns.append(.weight)
            default:
                guard let slot = storedVariables.firstIndex(where: { $0.id == variable.id }) else {
                    columns.append(.ignored)
                    continue
                }
                columns.append(.stored(slot))
            }
        }
        if matched == 0 {
            throw SurveyImportFailure(
                .notAHeader,
                "the first line is not a header for codebook \(codebookID): none of its \(header.count) column names is a variable of the codebook"
            )
        }
        let missing = allVariables.filter { $0.required && !seen.contains($0.id) }.map(\.id)
        if !missing.isEmpty {
            throw SurveyImportFailure(
                .missingColumns,
                "the file has no column for the required variable\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")); nothing was imported"
            )
        }
        return (columns, extra)
    }
}

/// What to do with one column of the file.
enum ColumnRule: Sendable, Equatable {
    case year
    case provider
    case providerName
    case subarea
    case identifier
    case weight
    /// Element `slot` of `codes`.
    case stored(Int)
    /// A column the codebook does not know: reported once, then ignored.
    case ignored
}

/// Turns a field's bytes into the stored integer: a code, a flag, a whole number in range, or a missing code
/// (stored negative). Values of one ASCII character, the common case, are a table look-up.
struct ValueLookup: Sendable {
    static let invalid = Int32.min
    let variable: CodebookVariable
    /// The stored value for each one-byte field, or `invalid`.
    let single: [Int32]
    /// The stored value for fields of two to eight bytes, keyed by `key(_:)`.
    let longer: [UInt64: Int32]
    /// The allowed range, for integer variables.
    let integerRange: ClosedRange<Int>?

    init(
        variable: CodebookVariable,
        missingCodes: [MissingCode],
        fail: (String) -> SurveyImportFailure
    ) throws(SurveyImportFailure) {
        self.variable = variable
        var table: [String: Int32] = [:]
        func number(_ code: String, _ what: String) throws(SurveyImportFailure) -> Int32 {
            guard !code.isEmpty, code.count <= 9, code.allSatisfy({ $0.isASCII && $0.isNumber }), code == "0" || !code.hasPrefix("0"),
                let value = Int32(code)
            else {
                throw fail("\(what) '\(code)' of variable \(variable.id) is not a whole number without leading zeros, which the importer stores")
            }
            return value
        }
        for option in variable.codes { table[option.code] = try number(option.code, "code") }
        if variable.type == .flag {
            table["0"] = 0
            table["1"] = 1
        }
        for code in variable.missing {
            let value = try number(code, "missing code")
            if value == 0 { throw fail("missing code 0 of variable \(variable.id) cannot be told apart from an answer") }
            table[code] = -value
        }
        _ = missingCodes
        var single = [Int32](repeating: Self.invalid, count: 256)
        var longer: [UInt64: Int32] = [:]
        for (code, value) in table {
            let bytes = Array(code.utf8)
            if bytes.count == 1 { single[Int(bytes[0])] = value } else { longer[Self.key(bytes[...])] = value }
        }
        self.single = single
        self.longer = longer
        if variable.type == .integer {
            integerRange = (variable.min ?? 0)...(variable.max ?? Int(Int32.max))
            if (variable.min ?? 0) < 0 { throw fail("variable \(variable.id) allows negative values, which the importer cannot store") }
        } else {
            integerRange = nil
        }
    }

    static func key(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var key: UInt64 = 0
        for byte in bytes { key = key << 8 | UInt64(byte) }
        return key
    }

    /// The stored value for `bytes` (already trimmed, not empty), or `invalid`.
    func value(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        if bytes.count == 1 {
            let found = single[Int(bytes[0])]
            if found != Self.invalid || integerRange == nil { return found }
        }
        return longerValue(bytes)
    }

    /// The stored value for a field that is not a one-byte code.
    func longerValue(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        if bytes.count >= 2 && bytes.count <= 8 {
            var key: UInt64 = 0
            for byte in bytes { key = key << 8 | UInt64(byte) }
            if let found = longer[key] { return found }
        }
        guard let range = integerRange, let number = parseWholeNumber(bytes), range.contains(number) else { return Self.invalid }
        return Int32(number)
    }
}

/// A whole number of up to nine ASCII digits, or nil.
func parseWholeNumber(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
    guard !bytes.isEmpty, bytes.count <= 9 else { return nil }
    var value = 0
    for byte in bytes {
        guard byte >= 0x30, byte <= 0x39 else { return nil }
        value = value * 10 + Int(byte - 0x30)
    }
    return value
}

extension String {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
