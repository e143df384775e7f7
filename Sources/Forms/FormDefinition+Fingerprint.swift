extension FormDefinition {
    /// A stable hash of the parsed definition, `fnv1a64:` and 16 hex digits.
    ///
    /// Every stored field counts (ids, types, texts in both languages, codes, flags, conditions, measures); comments, key order,
    /// quoting and layout of the file do not. It is the same on every machine and Swift version.
    public var fingerprint: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in canonicalText.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "fnv1a64:" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The definition written out field by field, each value length-prefixed so no two definitions write the same text.
    var canonicalText: String {
        var writer = CanonicalWriter()
        writer.field("id", id)
        writer.field("version", String(version))
        writer.field("kind", kind.rawValue)
        writer.text("title", title)
        writer.field("languages", languages.map(\.rawValue).joined(separator: ","))
        writer.field("translation_status", translationStatus)
        for page in pages {
            writer.field("page", page.id)
            if let title = page.title { writer.text("page.title", title) }
            for question in page.questions { writer.question(question) }
        }
        if let codebook {
            writer.field("applies_to_years", codebook.appliesToYears.map(String.init).joined(separator: ","))
            for missing in codebook.missingCodes {
                writer.field("missing", missing.code)
                writer.field("missing.meaning", missing.meaning.rawValue)
                writer.text("missing.label", missing.label)
            }
            writer.field("weight_variable", codebook.weightVariable ?? "")
            for variable in codebook.variables { writer.variable(variable) }
        }
        return writer.output
    }
}

/// Writes `name:length:value` lines.
struct CanonicalWriter {
    private(set) var output = ""

    mutating func field(_ name: String, _ value: String) {
        output += "\(name):\(value.utf8.count):\(value)\n"
    }

    mutating func text(_ name: String, _ text: LocalizedText) {
        field(name + ".en", text.en)
        field(name + ".cy", text.cy)
    }

    mutating func optionalInt(_ name: String, _ value: Int?) {
        field(name, value.map(String.init) ?? "")
    }

    mutating func option(_ option: Option) {
        field("option", option.code)
        text("option.label", option.label)
        field("option.flags", "\(option.excludedFromBase),\(option.exclusive),\(option.positive)")
    }

    mutating func question(_ question: Question) {
        field("question", question.id)
        field("type", question.type.rawValue)
        text("label", question.label)
        if let hint = question.hint { text("hint", hint) }
        field("required", String(question.required))
        field("scale", question.scale?.rawValue ?? "")
        optionalInt("max_length", question.maxLength)
        optionalInt("min", question.min)
        optionalInt("max", question.max)
        field("show_when", question.showWhen.map { "\($0.question)=\($0.anyOf.joined(separator: ","))" } ?? "")
        field("measure", question.measure?.rawValue ?? "")
        field("outcome", question.outcome?.rawValue ?? "")
        field("criteria", question.criteria.joined(separator: ","))
        for option in question.options { self.option(option) }
    }

    mutating func variable(_ variable: CodebookVariable) {
        field("variable", variable.id)
        text("label", variable.label)
        field("type", variable.type.rawValue)
        field("role", variable.role.rawValue)
        field("required", String(variable.required))
        field("missing", variable.missing.joined(separator: ","))
        optionalInt("min", variable.min)
        optionalInt("max", variable.max)
        field("measure", variable.measure?.rawValue ?? "")
        field("outcome", variable.outcome?.rawValue ?? "")
        for code in variable.codes { option(code) }
    }
}
