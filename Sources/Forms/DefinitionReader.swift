import Yams

/// Turns a composed YAML tree into a `FormDefinition`, collecting every problem on the way.
///
/// Not Sendable: one reader reads one file on one task, then is dropped.
final class DefinitionReader {
    let file: String
    private(set) var problems: [FormProblem] = []

    init(file: String) {
        self.file = file
    }

    // MARK: Problems

    func report(_ message: String, at mark: Mark?) {
        problems.append(FormProblem(file: file, line: mark?.line, column: mark?.column, message: message))
    }

    // MARK: Mappings

    /// A mapping's entries by key, with the key marks, after checking keys against the allowed and required lists.
    struct Fields {
        let mark: Mark?
        let context: String
        var values: [String: Node]
        var keyMarks: [String: Mark]

        func has(_ key: String) -> Bool { values[key] != nil }
    }

    func fields(_ node: Node, _ context: String, allowed: [String], required: [String]) -> Fields? {
        guard case .mapping(let mapping) = node else {
            report("\(context) must be a mapping of keys to values, found \(describe(node))", at: node.mark)
            return nil
        }
        var result = Fields(mark: node.mark, context: context, values: [:], keyMarks: [:])
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                report("\(context) has a key that is not plain text", at: key.mark)
                continue
            }
            let name = scalar.string
            guard allowed.contains(name) else {
                var message = "unknown key '\(name)' in \(context)"
                if let suggestion = closest(to: name, in: allowed) {
                    message += "; did you mean '\(suggestion)'?"
                } else {
                    message += "; allowed keys are \(allowed.joined(separator: ", "))"
                }
                report(message, at: key.mark)
                continue
            }
            result.values[name] = value
            result.keyMarks[name] = key.mark
        }
        for name in required where result.values[name] == nil || isNull(result.values[name]) {
            if let keyMark = result.keyMarks[name] {
                report("'\(name)' in \(context) has no value", at: keyMark)
            } else {
                report("\(context) has no '\(name)'", at: node.mark)
            }
        }
        return result
    }

    // MARK: Values

    /// The text under a key of a mapping, without reporting anything: used to name the mapping in messages.
    func peekName(_ node: Node, _ key: String) -> String? {
        guard case .mapping(let mapping) = node, case .scalar(let scalar)? = mapping[key], !scalar.string.isEmpty else { return nil }
        return scalar.string
    }

    func isNull(_ node: Node?) -> Bool {
        guard case .scalar(let scalar)? = node else { return false }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    func describe(_ node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        case .scalar(let scalar): isNull(node) ? "nothing" : "\"\(scalar.string)\""
        }
    }

    /// Text (any scalar). Nil when absent, empty, or of the wrong type (reported).
    func string(_ fields: Fields, _ key: String) -> String? {
        guard let node = fields.values[key], !isNull(node) else { return nil }
        return scalarString(node, "'\(key)' in \(fields.context)")
    }

    func scalarString(_ node: Node, _ what: String) -> String? {
        guard case .scalar(let scalar) = node else {
            report("\(what) must be text, found \(describe(node))", at: node.mark)
            return nil
        }
        return scalar.string
    }

    func int(_ fields: Fields, _ key: String) -> Int? {
        guard let node = fields.values[key], !isNull(node) else { return nil }
        return scalarInt(node, "'\(key)' in \(fields.context)")
    }

    func scalarInt(_ node: Node, _ what: String) -> Int? {
        guard case .scalar(let scalar) = node, scalar.style == .plain, let value = Int(scalar.string) else {
            report("\(what) must be a whole number, found \(describe(node))", at: node.mark)
            return nil
        }
        return value
    }

    func bool(_ fields: Fields, _ key: String) -> Bool? {
        guard let node = fields.values[key], !isNull(node) else { return nil }
        if case .scalar(let scalar) = node, scalar.style == .plain {
            if scalar.string == "true" { return true }
            if scalar.string == "false" { return false }
        }
        report("'\(key)' in \(fields.context) must be true or false, found \(describe(node))", at: node.mark)
        return nil
    }

    func list(_ fields: Fields, _ key: String) -> [Node]? {
        guard let node = fields.values[key], !isNull(node) else { return nil }
        guard case .sequence(let sequence) = node else {
            report("'\(key)' in \(fields.context) must be a list, found \(describe(node))", at: node.mark)
            return nil
        }
        return Array(sequence)
    }

    func stringList(_ fields: Fields, _ key: String) -> [String]? {
        guard let nodes = list(fields, key) else { return nil }
        return nodes.compactMap { scalarString($0, "an entry of '\(key)' in \(fields.context)") }
    }

    func intList(_ fields: Fields, _ key: String) -> [Int]? {
        guard let nodes = list(fields, key) else { return nil }
        return nodes.compactMap { scalarInt($0, "an entry of '\(key)' in \(fields.context)") }
    }

    func choice<E: RawRepresentable & CaseIterable>(_ fields: Fields, _ key: String, as type: E.Type, kind: String) -> E?
    where E.RawValue == String {
        guard let raw = string(fields, key) else { return nil }
        if let value = E(rawValue: raw) { return value }
        let allowed = E.allCases.map(\.rawValue)
        var message = "unknown \(kind) '\(raw)' in \(fields.context)"
        if let suggestion = closest(to: raw, in: allowed) {
            message += "; did you mean '\(suggestion)'?"
        } else {
            message += "; use one of \(allowed.joined(separator: ", "))"
        }
        report(message, at: fields.values[key]?.mark)
        return nil
    }

    /// An English and Welsh text: a mapping with non-empty `en` and `cy`.
    func text(_ fields: Fields, _ key: String) -> LocalizedText? {
        guard let node = fields.values[key], !isNull(node) else { return nil }
        let what = "'\(key)' in \(fields.context)"
        guard let inner = self.fields(node, what, allowed: ["en", "cy"], required: []) else { return nil }
        var en = string(inner, "en")
        var cy = string(inner, "cy")
        if en?.isEmpty ?? true {
            report("\(what) has no English ('en') text", at: node.mark)
            en = nil
        }
        if cy?.isEmpty ?? true {
            report("\(what) has no Welsh ('cy') text", at: node.mark)
            cy = nil
        }
        guard let en, let cy else { return nil }
        return LocalizedText(en: en, cy: cy)
    }

    // MARK: Names

    func checkIdentifier(_ id: String, _ what: String, at mark: Mark?, pattern: IdentifierPattern) {
        guard pattern.matches(id) else {
            report("\(what) '\(id)' \(pattern.rule)", at: mark)
            return
        }
    }

    enum IdentifierPattern {
        /// Lower-case letters, digits and underscores, starting with a letter (question and page ids).
        case snake
        /// Lower-case letters, digits and hyphens, starting with a letter (form ids: file names).
        case kebab
        /// Letters, digits and underscores (option codes).
        case code

        func matches(_ text: String) -> Bool {
            guard let first = text.unicodeScalars.first else { return false }
            let lower = "abcdefghijklmnopqrstuvwxyz"
            let digits = "0123456789"
            switch self {
            case .snake:
                return lower.unicodeScalars.contains(first)
                    && text.unicodeScalars.allSatisfy { lower.unicodeScalars.contains($0) || digits.unicodeScalars.contains($0) || $0 == "_" }
            case .kebab:
                return lower.unicodeScalars.contains(first)
                    && text.unicodeScalars.allSatisfy { lower.unicodeScalars.contains($0) || digits.unicodeScalars.contains($0) || $0 == "-" }
            case .code:
                let upper = lower.uppercased()
                return text.unicodeScalars.allSatisfy {
                    lower.unicodeScalars.contains($0) || upper.unicodeScalars.contains($0) || digits.unicodeScalars.contains($0) || $0 == "_"
                }
            }
        }

        var rule: String {
            switch self {
            case .snake: "must be lower-case letters, digits and underscores, starting with a letter"
            case .kebab: "must be lower-case letters, digits and hyphens, starting with a letter"
            case .code: "must be letters, digits and underscores only"
            }
        }
    }
}

/// The allowed word nearest to a mistyped one, when it is close enough to be a likely typo.
func closest(to word: String, in candidates: [String]) -> String? {
    let scored = candidates.map { ($0, editDistance(word, $0)) }
    guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
    return best.1 <= max(2, word.count / 3) ? best.0 : nil
}

/// Levenshtein distance between two words, in characters.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        }
        previous = current
    }
    return previous[b.count]
}
