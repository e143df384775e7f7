import Domain
import Foundation
import Hummingbird

extension AuditEvent {
    static let linksIssued: AuditEvent = "links.issued"
    static let linkRevoked: AuditEvent = "links.revoked"
    static let linkReissued: AuditEvent = "links.reissued"
}

/// Victim Liaison Officers' pages: the inspections covering their provider, issuing links (one or a batch) with
/// printable letters, following their provider's links, revoking and reissuing. VLOs never see answers: nothing here
/// reads `victim_response`.
struct LinkRoutes: Sendable {
    let dependencies: AppDependencies
    var inspections: InspectionStore { InspectionStore(database: dependencies.database) }
    var invitations: InvitationStore { InvitationStore(database: dependencies.database, secrets: dependencies.linkSecrets) }

    /// Per-VLO figures are shown only from this many links up (DOMAIN.md invariant 2).
    static let perVLOThreshold = 10

    func register(on staff: StaffRouter) {
        staff.get("/links", .issueLinks) { _, _, session in try await listPage(session) }
        staff.get("/links/:inspection", .issueLinks) { _, context, session in
            let (inspection, provider) = try await require(context, session)
            return try await inspectionPage(session, inspection, provider: provider, form: context.restoredForm, errors: FieldErrors())
        }
        staff.post("/links/:inspection", .issueLinks) { request, context, session in try await issue(request, context, session) }
        staff.post("/links/:inspection/:link/revoke", .issueLinks) { request, context, session in
            try await revoke(request, context, session, reissue: false)
        }
        staff.post("/links/:inspection/:link/reissue", .issueLinks) { request, context, session in
            try await revoke(request, context, session, reissue: true)
        }
    }

    /// The inspection in the path and the VLO's provider, when that provider is inspected by it.
    private func require(_ context: AppRequestContext, _ session: StaffSession) async throws -> (Inspection, Int) {
        try await Self.providerInspection(dependencies, context, session)
    }

    /// The inspection in the path's `:inspection` and the signed-in provider staff member's provider, when that
    /// provider is inspected by it (a VLO's links, a survey coordinator's codes): 403 otherwise, and nothing learnt.
    static func providerInspection(
        _ dependencies: AppDependencies,
        _ context: AppRequestContext,
        _ session: StaffSession
    ) async throws
        -> (Inspection, Int)
    {
        let granted = try await InspectionAccess(database: dependencies.database).resolve(context, parameter: "inspection", session, .coversProvider)
        return (granted.inspection, granted.providerID ?? 0)
    }

    /// The language radios of an issuing form, `checked` chosen.
    static func languageChoices(_ checked: String, order: [String] = ["en", "cy", "both"]) -> [Choice] {
        order.map { Choice(value: $0, label: languageName($0), checked: $0 == checked) }
    }

    // MARK: List

    struct InspectionRow: Sendable {
        let id: Int
        let title: String
        let window: String
        let open: Bool
    }

    struct ListPage: Sendable {
        let title: String
        let intro: String
        let base: String
        let staff: StaffChrome
        let csrfToken: String
        let rows: [InspectionRow]
        let empty: Bool
    }

    private func listPage(_ session: StaffSession) async throws -> Response {
        try await Self.coveringPage(
            dependencies,
            session,
            title: "Questionnaire links",
            base: "/links",
            intro: "Choose one to issue questionnaire links and follow their progress."
        )
    }

    /// The inspections covering the signed-in provider staff member's organisation, each linking to `base/ID`: the
    /// VLO's links and the survey coordinator's codes start here.
    static func coveringPage(
        _ dependencies: AppDependencies,
        _ session: StaffSession,
        title: String,
        base: String,
        intro: String
    ) async throws
        -> Response
    {
        let inspections = InspectionStore(database: dependencies.database)
        guard let provider = try await inspections.providerID(ofOrganisation: session.user.organisationID) else {
            throw HTTPError(.forbidden, message: "Your account is not linked to a provider.")
        }
        let today = dependencies.today
        let rows = try await inspections.covering(providerID: provider).map {
            InspectionRow(
                id: $0.id,
                title: $0.title,
                window: "\($0.victimWindowOpensOn.govuk) to \($0.victimWindowClosesOn.govuk)",
                open: $0.victimWindowIsOpen(on: today)
            )
        }
        return dependencies.templates.page(
            "links/list",
            ListPage(
                title: title,
                intro: intro,
                base: base,
                staff: StaffChrome(session),
                csrfToken: session.csrfToken,
                rows: rows,
                empty: rows.isEmpty
            )
        )
    }

    // MARK: One inspection

    struct LinkRow: Sendable {
        let id: Int
        let reference: String
        let language: String
        let status: String
        let issued: String
        let changed: String
        let canRevoke: Bool
    }

    struct InspectionPage: Sendable {
        let title: String
        let staff: StaffChrome
        let csrfToken: String
        let inspectionID: Int
        let open: Bool
        let window: String
        let count: InputField
        let reference: InputField
        let languages: [Choice]
        let languageError: String?
        let errors: FieldErrors
        let links: [LinkRow]
        let issued: Int
        let submitted: Int
        let rate: String
        let mine: String?
    }

    private func inspectionPage(
        _ session: StaffSession,
        _ inspection: Inspection,
        provider: Int,
        form: StaffForm?,
        errors: FieldErrors
    ) async throws -> Response {
        let today = dependencies.today
        let links = try await invitations.links(inspectionID: inspection.id, providerID: provider, today: today)
        let summary = try await invitations.summary(inspectionID: inspection.id, today: today).first { $0.providerID == provider }
        let mineIssued = links.filter { $0.issuedBy == session.user.id && $0.status != .revoked }
        let mine: String? =
            mineIssued.count >= Self.perVLOThreshold
            ? "Links you issued: \(mineIssued.count); submitted: \(mineIssued.filter { $0.status == .submitted }.count)" : nil
        let language = form?["language"] ?? "en"
        let model = InspectionPage(
            title: inspection.title,
            staff: StaffChrome(session),
            csrfToken: session.csrfToken,
            inspectionID: inspection.id,
            open: inspection.victimWindowIsOpen(on: today),
            window: "\(inspection.victimWindowOpensOn.govuk) to \(inspection.victimWindowClosesOn.govuk)",
            count: InputField(
                id: "count",
                label: "How many links",
                value: form?["count"] ?? "1",
                hint: "From 1 to \(InvitationStore.maximumBatch).",
                error: errors["count"],
                maxLength: 3
            ),
            reference: InputField(
                id: "reference",
                label: "Your reference (optional)",
                value: form?["reference"] ?? "",
                hint:
                    "For your own records, up to \(InvitationStore.maximumReferenceLength) characters. Do not use a victim’s name or other details.",
                error: errors["reference"],
                maxLength: InvitationStore.maximumReferenceLength
            ),
            languages: Self.languageChoices(language),
            languageError: errors["language"],
            errors: errors,
            links: links.map { link in
                LinkRow(
                    id: link.id,
                    reference: link.reference ?? "",
                    language: Self.languageName(link.language),
                    status: Self.statusName(link.status),
                    issued: Self.format(link.issuedAt),
                    changed: Self.format(link.changedAt),
                    canRevoke: [.issued, .opened, .inProgress].contains(link.status)
                )
            },
            issued: summary?.issued ?? 0,
            submitted: summary?.submitted ?? 0,
            rate: summary?.responseRate.map { String(format: "%.0f%%", $0 * 100) } ?? "No links issued yet",
            mine: mine
        )
        return dependencies.templates.page("links/inspection", model, status: errors.hasErrors ? .unprocessableContent : .ok)
    }

    private func issue(_ request: Request, _ context: AppRequestContext, _ session: StaffSession) async throws -> Response {
        let (inspection, provider) = try await require(context, session)
        let form = context.staffForm ?? StaffForm(fields: [])
        var errors = FieldErrors()
        let count = Int(form.trimmed("count"))
        if count == nil || !(1...InvitationStore.maximumBatch).contains(count ?? 0) {
            errors.add("count", "Enter a number of links from 1 to \(InvitationStore.maximumBatch)")
        }
        let reference = form.trimmed("reference")
        if reference.count > InvitationStore.maximumReferenceLength {
            errors.add("reference", "Your reference must be \(InvitationStore.maximumReferenceLength) characters or fewer")
        }
        let language = form["language"] ?? ""
        if !["en", "cy", "both"].contains(language) { errors.add("language", "Choose the language of the letter and questionnaire") }
        if !inspection.victimWindowIsOpen(on: dependencies.today) {
            errors.add("count", "The questionnaire window for this inspection is not open, so links cannot be issued")
        }
        guard !errors.hasErrors, let count else {
            return try await inspectionPage(session, inspection, provider: provider, form: form, errors: errors)
        }
        let links = try await invitations.issue(
            inspectionID: inspection.id,
            providerID: provider,
            issuedBy: Int(session.user.id),
            count: count,
            reference: reference.isEmpty ? nil : reference,
            language: language,
            now: dependencies.now()
        )
        try await dependencies.accounts.audit.record(
            .linksIssued,
            actor: dependencies.accounts.actor(request, context),
            subject: AuditSubject(type: "inspection", id: String(inspection.id)),
            details: ["count": .int(Int64(links.count))]
        )
        return letters(links, language: language, inspection: inspection)
    }

    private func revoke(_ request: Request, _ context: AppRequestContext, _ session: StaffSession, reissue: Bool) async throws -> Response {
        let (inspection, provider) = try await require(context, session)
        guard let link = context.parameters.get("link", as: Int.self),
            let details = try await invitations.issueDetails(link, providerID: provider), details.inspectionID == inspection.id
        else { throw HTTPError(.notFound) }
        let now = dependencies.now()
        guard try await invitations.revoke(link, providerID: provider, now: now) else {
            throw HTTPError(.conflict, message: "That link has already been used, withdrawn or revoked, so it cannot be revoked.")
        }
        let actor = dependencies.accounts.actor(request, context)
        let subject = AuditSubject(type: "invitation", id: String(link))
        guard reissue else {
            try await dependencies.accounts.audit.record(.linkRevoked, actor: actor, subject: subject)
            return .redirect(to: "/links/\(inspection.id)", type: .normal)
        }
        guard inspection.victimWindowIsOpen(on: dependencies.today) else {
            throw HTTPError(.conflict, message: "The questionnaire window is closed, so a new link cannot be issued.")
        }
        let links = try await invitations.issue(
            inspectionID: inspection.id,
            providerID: provider,
            issuedBy: Int(session.user.id),
            count: 1,
            reference: details.reference,
            language: details.language,
            now: now
        )
        try await dependencies.accounts.audit.record(.linkReissued, actor: actor, subject: subject)
        return letters(links, language: details.language, inspection: inspection)
    }

    // MARK: Letters

    struct Letter: Sendable {
        let number: Int
        let link: String
        let startAddress: String
        let code: String
        let english: Bool
        let welsh: Bool
    }

    struct LettersPage: Sendable {
        let title: String
        let count: Int
        let inspectionID: Int
        let letters: [Letter]
    }

    /// The printable letters: the only page that ever shows full links and codes. Not stored anywhere.
    private func letters(_ links: [IssuedLink], language: String, inspection: Inspection) -> Response {
        let base = dependencies.configuration.baseURL
        let letters = links.enumerated().map { index, link in
            Letter(
                number: index + 1,
                link: "\(base)/q/\(link.token)",
                startAddress: "\(base)/start",
                code: LinkSecrets.display(code: link.code),
                english: language != "cy",
                welsh: language != "en"
            )
        }
        let model = LettersPage(
            title: "\(links.count) questionnaire letter\(links.count == 1 ? "" : "s")",
            count: links.count,
            inspectionID: inspection.id,
            letters: letters
        )
        var response = dependencies.templates.page("links/letters", model, status: .created)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    static func languageName(_ code: String) -> String {
        switch code {
        case "cy": "Welsh"
        case "both": "English and Welsh"
        default: "English"
        }
    }

    static func statusName(_ status: InvitationAccess.Status) -> String {
        switch status {
        case .issued: "Issued"
        case .opened: "Opened"
        case .inProgress: "In progress"
        case .submitted: "Submitted"
        case .withdrawn: "Withdrawn"
        case .expired: "Expired"
        case .revoked: "Revoked"
        }
    }

    static func format(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = AppDependencies.london
        formatter.dateFormat = "d MMM yyyy HH:mm"
        return formatter.string(from: date)
    }
}
