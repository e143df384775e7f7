import Domain
import Forms
import Foundation
import Hummingbird

extension AuditEvent {
    static let surveyCodesIssued: AuditEvent = "survey_codes.issued"
}

/// Provider survey coordinators' pages (issue 21): the inspections covering their provider, issuing a batch of
/// single-use codes for the online survey of people on probation as a CSV file for the provider's own text-message
/// system, and following each batch (issued, opened, answered). Nothing about a person is asked for or accepted, and
/// nothing here reads an answer.
struct SurveyCodeRoutes: Sendable {
    let dependencies: AppDependencies
    var codes: SurveyCodeStore { SurveyCodeStore(database: dependencies.database, secrets: dependencies.linkSecrets) }

    static let basePath = "/survey-codes"
    /// A batch's figures are shown only from this many codes up, as per-VLO figures are (DOMAIN.md invariant 2): with
    /// fewer, "1 answered" could tell the coordinator which person answered.
    static let threshold = LinkRoutes.perVLOThreshold

    func register(on staff: StaffRouter) {
        staff.get(Self.basePath, .issueSurveyCodes) { _, _, session in
            try await LinkRoutes.coveringPage(
                dependencies,
                session,
                title: "Survey codes for people on probation",
                base: Self.basePath,
                intro: "Choose one to issue single-use codes for your text-message system and follow how many were answered."
            )
        }
        staff.get("\(Self.basePath)/:inspection", .issueSurveyCodes) { _, context, session in
            let (inspection, provider) = try await require(context, session)
            return try await inspectionPage(session, inspection, provider: provider, form: context.restoredForm, errors: FieldErrors())
        }
        staff.post("\(Self.basePath)/:inspection", .issueSurveyCodes) { request, context, session in try await issue(request, context, session) }
    }

    /// The inspection in the path and the coordinator's provider, when that provider is inspected by it: a
    /// coordinator of another provider gets 403 and learns nothing of its batches.
    private func require(_ context: AppRequestContext, _ session: StaffSession) async throws -> (Inspection, Int) {
        try await LinkRoutes.providerInspection(dependencies, context, session)
    }

    struct BatchRow: Sendable {
        let number: Int
        let issued: String
        let language: String
        let size: Int
        let opened: String
        let submitted: String
    }

    struct InspectionPage: Sendable {
        let title: String
        let staff: StaffChrome
        let csrfToken: String
        let inspectionID: Int
        let open: Bool
        let window: String
        let count: InputField
        let languages: [Choice]
        let languageError: String?
        let errors: FieldErrors
        let batches: [BatchRow]
        let hasBatches: Bool
        let messageEnglish: String
        let messageWelsh: String
        let threshold: Int
    }

    private func inspectionPage(
        _ session: StaffSession,
        _ inspection: Inspection,
        provider: Int,
        form: StaffForm?,
        errors: FieldErrors
    ) async throws -> Response {
        let today = dependencies.today
        let batches = try await codes.batches(inspectionID: inspection.id, providerID: provider)
        let language = form?["language"] ?? "both"
        let example = SurveyCodeMessage.link(baseURL: dependencies.configuration.baseURL, code: "ABCDEFGHJK")
        let model = InspectionPage(
            title: inspection.title,
            staff: StaffChrome(session),
            csrfToken: session.csrfToken,
            inspectionID: inspection.id,
            open: inspection.victimWindowIsOpen(on: today),
            window: "\(inspection.victimWindowOpensOn.govuk) to \(inspection.victimWindowClosesOn.govuk)",
            count: InputField(
                id: "count",
                label: "How many codes",
                value: form?["count"] ?? "",
                hint: "From 1 to 100,000: one for each person you will send a text message to.",
                error: errors["count"],
                maxLength: 7
            ),
            languages: LinkRoutes.languageChoices(language, order: ["both", "en", "cy"]),
            languageError: errors["language"],
            errors: errors,
            batches: batches.enumerated().map { index, batch in
                let shown = batch.size >= Self.threshold
                return BatchRow(
                    number: batches.count - index,
                    issued: LinkRoutes.format(batch.issuedAt),
                    language: LinkRoutes.languageName(batch.language),
                    size: batch.size,
                    opened: shown ? String(batch.opened) : "Not shown",
                    submitted: shown ? String(batch.submitted) : "Not shown"
                )
            },
            hasBatches: !batches.isEmpty,
            messageEnglish: SurveyCodeMessage.text(.en, link: example),
            messageWelsh: SurveyCodeMessage.text(.cy, link: example),
            threshold: Self.threshold
        )
        return dependencies.templates.page("codes/inspection", model, status: errors.hasErrors ? .unprocessableContent : .ok)
    }

    private func issue(_ request: Request, _ context: AppRequestContext, _ session: StaffSession) async throws -> Response {
        let (inspection, provider) = try await require(context, session)
        let form = context.staffForm ?? StaffForm(fields: [])
        var errors = FieldErrors()
        let typed = form.trimmed("count").replacingOccurrences(of: ",", with: "")
        let count = Int(typed)
        if count == nil || !(1...SurveyCodeStore.maximumBatch).contains(count ?? 0) {
            errors.add("count", "Enter a number of codes from 1 to 100,000")
        }
        let language = form["language"] ?? ""
        if !["en", "cy", "both"].contains(language) { errors.add("language", "Choose the language of the questionnaire") }
        if !inspection.victimWindowIsOpen(on: dependencies.today) {
            errors.add("count", "The survey for this inspection is not open, so codes cannot be issued")
        }
        if let problem = SurveyCodeMessage.problem(baseURL: dependencies.configuration.baseURL) {
            errors.add("count", problem)
        }
        guard !errors.hasErrors, let count else {
            return try await inspectionPage(session, inspection, provider: provider, form: form, errors: errors)
        }
        let issued = try await codes.issue(
            inspectionID: inspection.id,
            providerID: provider,
            issuedBy: Int(session.user.id),
            count: count,
            language: language,
            now: dependencies.now()
        )
        try await dependencies.accounts.audit.record(
            .surveyCodesIssued,
            actor: dependencies.accounts.actor(request, context),
            subject: .inspection(inspection.id),
            details: ["count": .int(Int64(count)), "batch": .int(Int64(issued.batchID))]
        )
        var response = Response(
            status: .created,
            headers: [
                .contentType: "text/csv; charset=utf-8",
                .contentDisposition: "attachment; filename=\"survey-codes-\(inspection.id)-\(issued.batchID).csv\"",
                .cacheControl: "no-store",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: Self.csv(issued.codes, baseURL: dependencies.configuration.baseURL)))
        )
        response.headers[.xContentTypeOptions] = "nosniff"
        return response
    }

    /// The file for the provider's text-message system: one row per code, with its link and the whole message in
    /// English and in Welsh (each one SMS). The only time the codes exist outside the people's phones: not stored.
    static func csv(_ codes: [String], baseURL: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(codes.count * 260)
        out.append(contentsOf: Array("code,link,message_en,message_cy\r\n".utf8))
        for code in codes {
            let link = SurveyCodeMessage.link(baseURL: baseURL, code: code)
            for (index, field) in [
                LinkSecrets.display(code: code), link, SurveyCodeMessage.text(.en, link: link), SurveyCodeMessage.text(.cy, link: link),
            ]
            .enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out.append(UInt8(ascii: "\""))
                out.append(contentsOf: Array(field.replacingOccurrences(of: "\"", with: "\"\"").utf8))
                out.append(UInt8(ascii: "\""))
            }
            out.append(contentsOf: [13, 10])
        }
        return out
    }
}
