import Domain
import Forms
import Foundation
import Hummingbird

/// An assigned inspector keys in a paper victim questionnaire through the same form definition and renderer. The
/// response goes into the ballot box like an online one, with channel "paper" and no withdrawal tag; a `paper_return`
/// row counts it for the provider's response figures.
struct PaperReturnRoutes: Sendable {
    let dependencies: AppDependencies

    func register(on staff: StaffRouter) {
        staff.get("/inspections/:id/paper", .enterPaperReturns) { request, context, session in
            let inspection = try await InspectionAccess(database: dependencies.database).resolve(context, session, .assigned).inspection
            let language = request.uri.queryParameters.get("language").flatMap(Language.init(rawValue:)) ?? .en
            return try await page(session, inspection, language: language, provider: nil, answers: [:], errors: [], stored: false)
        }
        staff.post("/inspections/:id/paper", .enterPaperReturns) { request, context, session in
            try await save(request, context, session)
        }
    }

    struct Page: Sendable {
        let title: String
        let staff: StaffChrome
        let csrfToken: String
        let inspectionID: Int
        let language: String
        let otherLanguage: String
        let otherLanguageName: String
        let providers: [Choice]
        let providerError: String?
        let errorSummary: String
        let sections: [String]
        let stored: Bool
    }

    private func page(
        _ session: StaffSession,
        _ inspection: Inspection,
        language: Language,
        provider: Int?,
        answers: Answers,
        errors: [FieldError],
        stored: Bool,
        providerError: String? = nil
    ) async throws -> Response {
        guard let form = dependencies.forms.current(id: VictimRoutes.formID) else { throw HTTPError(.internalServerError) }
        let names = try await InspectionStore(database: dependencies.database).providers()
        let providers = names.filter { inspection.providerIDs.contains($0.id) }.map {
            Choice(value: String($0.id), label: $0.name, checked: $0.id == provider)
        }
        let model = Page(
            title: "Enter a paper questionnaire",
            staff: StaffChrome(session),
            csrfToken: session.csrfToken,
            inspectionID: inspection.id,
            language: language.rawValue,
            otherLanguage: language.other.rawValue,
            otherLanguageName: language == .en ? "Welsh" : "English",
            providers: providers,
            providerError: providerError,
            errorSummary: FormRenderer.renderErrorSummary(errors: errors, language: language),
            sections: form.pages.map { FormRenderer.render(page: $0, of: form, answers: answers, errors: errors, language: language) },
            stored: stored
        )
        let status: HTTPResponse.Status = errors.isEmpty && providerError == nil ? (stored ? .created : .ok) : .unprocessableContent
        return dependencies.templates.page("paper/form", model, status: status)
    }

    private func save(_ request: Request, _ context: AppRequestContext, _ session: StaffSession) async throws -> Response {
        let inspection = try await InspectionAccess(database: dependencies.database).resolve(context, session, .assigned).inspection
        guard let form = dependencies.forms.current(id: VictimRoutes.formID) else { throw HTTPError(.internalServerError) }
        let post = context.staffForm ?? StaffForm(fields: [])
        let language = post["language"].flatMap(Language.init(rawValue:)) ?? .en
        var answers: Answers = [:]
        for formPage in form.pages {
            answers.merge(form.answers(for: formPage, post: post.fields.map { (name: $0.0, value: $0.1) })) { _, new in new }
        }
        answers = form.pruneHidden(answers)
        let errors = form.validate(answers: answers, language: language)
        let provider = Int(post["provider"] ?? "").flatMap { inspection.providerIDs.contains($0) ? $0 : nil }
        guard errors.isEmpty, let provider else {
            return try await page(
                session,
                inspection,
                language: language,
                provider: provider,
                answers: answers,
                errors: errors,
                stored: false,
                providerError: provider == nil ? "Choose the provider whose victim returned this questionnaire" : nil
            )
        }
        try await PaperReturnStore(database: dependencies.database, secrets: dependencies.linkSecrets, audit: dependencies.accounts.audit).enter(
            form,
            answers: answers,
            inspectionID: inspection.id,
            providerID: provider,
            enteredBy: session.user.id,
            language: language,
            now: dependencies.now(),
            actor: dependencies.accounts.actor(request, context)
        )
        dependencies.metrics.recordSubmission(channel: .paper, language: language)
        return try await page(session, inspection, language: language, provider: nil, answers: [:], errors: [], stored: true)
    }
}
