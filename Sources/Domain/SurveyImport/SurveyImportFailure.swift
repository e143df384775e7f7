/// Why an import stopped before writing anything: a problem with the file as a whole, the codebook, the options or
/// the database state. Row problems are not failures; they are collected in a `ProblemLog`.
///
/// `description` is a sentence for the person running the import. It never holds row contents.
public struct SurveyImportFailure: Error, CustomStringConvertible, Sendable, Equatable {
    /// A stable code for the kind of failure, for tests, logs and the page.
    public enum Code: String, Sendable {
        case fileNotFound = "file_not_found"
        case fileTooLarge = "file_too_large"
        case emptyFile = "empty_file"
        case binaryFile = "binary_file"
        case unsupportedEncoding = "unsupported_encoding"
        case headerOnly = "header_only"
        case notAHeader = "not_a_header"
        case duplicateColumn = "duplicate_column"
        case missingColumns = "missing_columns"
        case truncatedLastLine = "truncated_last_line"
        case unknownCodebook = "unknown_codebook"
        case unsupportedCodebook = "unsupported_codebook"
        case yearNotInCodebook = "year_not_in_codebook"
        case alreadyImported = "already_imported"
        case invalidRows = "invalid_rows"
        case noValidRows = "no_valid_rows"
        case readError = "read_error"
    }

    public let code: Code
    public let description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
