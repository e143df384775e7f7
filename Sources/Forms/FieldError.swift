/// A problem with one answer, with its message key and the message in the page's language.
public struct FieldError: Sendable, Hashable {
    /// The question the error belongs to.
    public let questionId: String
    /// The id of the input the error summary links to (the question's first input, or the first empty date box).
    public let fieldId: String
    /// The message key, present in English and Welsh.
    public let key: MessageKey
    /// The message, in the language asked for, shown next to the question.
    public let message: String
    /// The text of the error summary link: the message, preceded by the question when a page has several questions.
    public let summaryText: String

    /// Makes a field error; the summary text is the message unless given.
    public init(questionId: String, fieldId: String, key: MessageKey, message: String, summaryText: String? = nil) {
        self.questionId = questionId
        self.fieldId = fieldId
        self.key = key
        self.message = message
        self.summaryText = summaryText ?? message
    }

    /// The same error with its summary text saying which question it is about.
    func naming(_ question: Question, _ language: Language) -> FieldError {
        FieldError(
            questionId: questionId,
            fieldId: fieldId,
            key: key,
            message: message,
            summaryText: "\(question.label.text(language)) \u{2013} \(message)"
        )
    }
}

/// What happened to a submitted page: every answer so far (with this page's replaced, hidden ones dropped) and its errors.
public struct PageSubmission: Sendable, Hashable {
    /// All answers after the submission, ready to store when `errors` is empty and to show back when it is not.
    public let answers: Answers
    /// The errors on this page, in question order; empty when the person may move on.
    public let errors: [FieldError]
}
