import Domain

/// A GOV.UK date input (day, month and year fields named `<id>-day`, `<id>-month` and `<id>-year`), as the
/// `admin/date-input` partial draws it, and the date its fields give. Every staff form that asks for a date uses it.
struct DateInput: Sendable {
    let id: String
    let legend: String
    let hint: String
    let day: String
    let month: String
    let year: String
    let error: String?

    /// The fields as sent, or else `value`'s parts. `example` is a date written the way the fields take it.
    init(_ form: StaffForm?, id: String, legend: String, value: LocalDate?, example: String = "1 4 2027", errors: FieldErrors) {
        self.id = id
        self.legend = legend
        hint = "For example, \(example)"
        var parts = ["", "", ""]
        if let value { parts = [String(value.day), String(value.month), String(value.year)] }
        day = form.map { String($0.trimmed("\(id)-day").prefix(2)) } ?? parts[0]
        month = form.map { String($0.trimmed("\(id)-month").prefix(2)) } ?? parts[1]
        year = form.map { String($0.trimmed("\(id)-year").prefix(4)) } ?? parts[2]
        error = errors[id]
    }

    /// The date the form's three fields give (a real date from 1990 to 2100), or nil with an error added. All three
    /// empty gives nil with the `missing` message, or with no error when `missing` is nil (the caller says what is
    /// missing).
    static func parse(
        _ form: StaffForm,
        id: String,
        missing: String? = nil,
        example: String = "1 4 2027",
        errors: inout FieldErrors
    ) -> LocalDate? {
        let parts = ["day", "month", "year"].map { form.trimmed("\(id)-\($0)") }
        if parts.allSatisfy(\.isEmpty) {
            if let missing { errors.add(id, missing) }
            return nil
        }
        guard let day = Int(parts[0]), let month = Int(parts[1]), let year = Int(parts[2]), (1990...2100).contains(year),
            let date = LocalDate(year: year, month: month, day: day)
        else {
            errors.add(id, "Enter a real date, for example \(example)")
            return nil
        }
        return date
    }
}
