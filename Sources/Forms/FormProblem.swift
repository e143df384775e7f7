/// One thing wrong with a definition file, with where it is and what is wrong, in plain English.
public struct FormProblem: Sendable, Hashable, CustomStringConvertible {
    /// The file's path as given to the loader.
    public let file: String
    /// The line, counted from 1, where known.
    public let line: Int?
    /// The column, counted from 1 in Unicode scalars, where known.
    public let column: Int?
    /// What is wrong.
    public let message: String

    /// Makes a problem.
    public init(file: String, line: Int?, column: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `file:line:column: message`, the form compilers use, so editors can jump to it.
    public var description: String {
        switch (line, column) {
        case (let line?, let column?): "\(file):\(line):\(column): \(message)"
        case (let line?, nil): "\(file):\(line): \(message)"
        default: "\(file): \(message)"
        }
    }
}

/// Loading failed: the definition (or definitions) had problems, and nothing from a file with a problem was loaded.
public struct FormLoadError: Error, Sendable, CustomStringConvertible {
    /// Every problem found, in file and line order.
    public let problems: [FormProblem]

    /// Makes the error.
    public init(problems: [FormProblem]) {
        self.problems = problems
    }

    /// One problem per line.
    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}
