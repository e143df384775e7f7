/// HTML-escapes text for element content and quoted attribute values: `&`, `<`, `>`, `"` and `'`.
public func escapeHTML(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&#39;"
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result
}

/// Indented HTML lines, two spaces a level.
struct HTMLLines {
    private(set) var lines: [String] = []
    var level = 0

    mutating func add(_ line: String) {
        lines.append(String(repeating: "  ", count: level) + line)
    }

    mutating func open(_ line: String) {
        add(line)
        level += 1
    }

    mutating func close(_ line: String) {
        level -= 1
        add(line)
    }

    /// Adds text verbatim with no indentation (textarea content, where white space matters).
    mutating func appendToLast(_ text: String) {
        guard let last = lines.popLast() else { return }
        lines.append(last + text)
    }

    var html: String {
        lines.joined(separator: "\n") + "\n"
    }
}
