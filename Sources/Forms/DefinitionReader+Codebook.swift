import Yams

extension DefinitionReader {
    static let missingCodeKeys = ["code", "meaning", "label"]
    static let variableKeys = ["id", "label", "short_label", "type", "role", "required", "codes", "missing", "min", "max", "measure", "outcome"]

    func readCodebook(_ top: Fields) -> Codebook? {
        let years = intList(top, "applies_to_years") ?? []
        if !top.has("applies_to_years") {
            report("a codebook needs 'applies_to_years': the survey years it describes", at: top.mark)
        } else if years.isEmpty {
            report("'applies_to_years' is empty", at: top.values["applies_to_years"]?.mark)
        }
        for year in years where !(1990...2100).contains(year) {
            report("'applies_to_years' has \(year), which is not a plausible survey year", at: top.values["applies_to_years"]?.mark)
        }
        let missingCodes = readMissingCodes(top)
        let weightVariable = string(top, "weight_variable")
        let variables = readVariables(top, missingCodes: missingCodes)
        if let weightVariable {
            let mark = top.values["weight_variable"]?.mark
            if let variable = variables.first(where: { $0.id == weightVariable }) {
                if variable.type != .decimal || variable.role != .weight {
                    report("the weight variable '\(weightVariable)' must have type decimal and role weight", at: mark)
                }
            } else {
                report("'weight_variable' names '\(weightVariable)', which is not a variable of this codebook", at: mark)
            }
        }
        return Codebook(appliesToYears: years, missingCodes: missingCodes, weightVariable: weightVariable, variables: variables)
    }

    private func readMissingCodes(_ top: Fields) -> [MissingCode] {
        guard let nodes = list(top, "missing_codes") else { return [] }
        var result: [MissingCode] = []
        for (index, node) in nodes.enumerated() {
            guard let fields = fields(node, "missing code \(index + 1)", allowed: Self.missingCodeKeys, required: Self.missingCodeKeys) else {
                continue
            }
            let code = string(fields, "code")
            if let code, result.contains(where: { $0.code == code }) {
                report("duplicate missing code '\(code)'", at: fields.values["code"]?.mark)
            }
            let meaning = choice(fields, "meaning", as: MissingCode.Meaning.self, kind: "missing-code meaning")
            let label = text(fields, "label")
            if let code, let meaning, let label {
                result.append(MissingCode(code: code, meaning: meaning, label: label))
            }
        }
        return result
    }

    private func readVariables(_ top: Fields, missingCodes: [MissingCode]) -> [CodebookVariable] {
        guard let nodes = list(top, "variables") else { return [] }
        if nodes.isEmpty { report("'variables' is empty", at: top.values["variables"]?.mark) }
        var result: [CodebookVariable] = []
        var seen: [String: Int] = [:]
        for (index, node) in nodes.enumerated() {
            let context = peekName(node, "id").map { "variable '\($0)'" } ?? "variable \(index + 1)"
            guard let fields = fields(node, context, allowed: Self.variableKeys, required: ["id", "label", "type", "role"]) else { continue }
            let raw = fields
            let id = string(raw, "id")
            if let id {
                checkIdentifier(id, "variable id", at: raw.values["id"]?.mark, pattern: .snake)
                if let first = seen[id] {
                    report("duplicate variable id '\(id)' (first used on line \(first))", at: raw.values["id"]?.mark)
                } else {
                    seen[id] = raw.values["id"]?.mark?.line ?? 0
                }
            }
            let label = text(fields, "label")
            let shortLabel = string(fields, "short_label")
            if let shortLabel,
                shortLabel.trimmingCharacters(in: .whitespaces).isEmpty || shortLabel.count > Question.shortLabelLimit
                    || shortLabel.contains(where: \.isNewline)
            {
                report(
                    "the short_label of \(context) must be one line of 1 to \(Question.shortLabelLimit) characters (it labels the report's chart bars)",
                    at: fields.values["short_label"]?.mark
                )
            }
            let type = choice(fields, "type", as: VariableType.self, kind: "variable type")
            let role = choice(fields, "role", as: VariableRole.self, kind: "variable role")
            let required = bool(fields, "required") ?? false
            let codes = readOptions(fields, allowExclusive: false, key: "codes")
            let missing = stringList(fields, "missing") ?? []
            let min = int(fields, "min")
            let max = int(fields, "max")
            let measure = choice(fields, "measure", as: Measure.self, kind: "measure")
            let outcome = choice(fields, "outcome", as: Outcome.self, kind: "outcome")
            checkVariable(fields, type: type, role: role, codes: codes, missing: missing, missingCodes: missingCodes, min: min, max: max)
            guard let id, let label, let type, let role else { continue }
            result.append(
                CodebookVariable(
                    id: id,
                    label: label,
                    shortLabel: shortLabel,
                    type: type,
                    role: role,
                    required: required,
                    codes: codes,
                    missing: missing,
                    min: min,
                    max: max,
                    measure: measure,
                    outcome: outcome
                )
            )
        }
        return result
    }

    private func checkVariable(
        _ fields: Fields,
        type: VariableType?,
        role: VariableRole?,
        codes: [Option],
        missing: [String],
        missingCodes: [MissingCode],
        min: Int?,
        max: Int?
    ) {
        let context = fields.context
        if type == .code, !fields.has("codes") {
            report("\(context) has type code but no 'codes'", at: fields.mark)
        }
        if let type, type != .code, let mark = fields.keyMarks["codes"] {
            report("'codes' is only for variables of type code (\(context) has type \(type.rawValue))", at: mark)
        }
        if let type, type != .integer {
            for key in ["min", "max"] {
                if let mark = fields.keyMarks[key] { report("'\(key)' is only for variables of type integer (\(context))", at: mark) }
            }
        }
        if let min, let max, min > max {
            report("'min' (\(min)) is more than 'max' (\(max)) in \(context)", at: fields.values["min"]?.mark)
        }
        for code in missing where !missingCodes.contains(where: { $0.code == code }) {
            report("\(context) lists missing code '\(code)', which is not in 'missing_codes'", at: fields.values["missing"]?.mark)
        }
        for option in codes where missing.contains(option.code) {
            report("\(context) uses code '\(option.code)', which is also one of its missing codes", at: fields.values["codes"]?.mark)
        }
        if role == .question {
            if !fields.has("measure") { report("\(context) is a question but has no 'measure'", at: fields.mark) }
            if !fields.has("outcome") { report("\(context) is a question but has no 'outcome'", at: fields.mark) }
            if type == .code, !codes.isEmpty, !codes.contains(where: \.positive) {
                report("\(context) is a question but marks no code 'positive: true'", at: fields.values["codes"]?.mark)
            }
        } else if let role {
            for key in ["measure", "outcome"] {
                if let mark = fields.keyMarks[key] {
                    report("'\(key)' is only for variables with role question (\(context) has role \(role.rawValue))", at: mark)
                }
            }
        }
    }
}
