import Domain
import Foundation
import Hummingbird

extension AuditEvent {
    static let linksIssued: AuditEvent = "links.issued"
    static let linkRevoked: AuditEvent = "links.revoked"
    static let linkReissued: AuditEvent = "links.reissued"
    /// A VLO printed reminder letters (detail `count`), with the same codes as the first letters.
    static let linksReminded: AuditEvent = "links.reminded"
    /// A VLO downloaded the CSV of their provider's links (detail `count`).
    static let linksExported: AuditEvent = "links.exported"
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
        staff.get("/links/:inspection", .issueLinks) { request, context, session in
            let (inspection, provider) = try await require(context, session)
            var errors = FieldErrors()
            let query = request.uri.queryParameters
            let view = LinkView.parse({ query.get($0) }, errors: &errors)
            return try await inspectionPage(session, inspection, provider: provider, view: view, form: context.restoredForm, errors: errors)
        }
        staff.post("/links/:inspection", .issueLinks) { request, context, session in try await issue(request, context, session) }
        staff.get("/links/:inspection/links.csv", .issueLinks) { request, context, session in
            try await download(request, context, session)
        }
        staff.post("/links/:inspection/reminders", .issueLinks) { request, context, session in
            try await reminders(request, context, session)
        }
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
        let canRemind: Bool
    }

    struct StatusCount: Sendable {
        let name: String
        let count: Int
        let href: String
        let current: Bool
    }

    struct PageLink: Sendable {
        let number: Int
        let href: String
        let current: Bool
        /// Pages were skipped before this one (the pagination shows an ellipsis).
        let gapBefore: Bool
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
        let statusCounts: [StatusCount]
        let statuses: [Choice]
        let statusError: String?
        let search: String
        let searchError: String?
        let sorts: [Choice]
        let sortError: String?
        let pageError: String?
        let remindError: String?
        let shown: String
        let empty: Bool
        let anyRemindable: Bool
        let pages: [PageLink]
        let paged: Bool
        let previousHref: String?
        let nextHref: String?
        let csvHref: String
        let filtered: Bool
    }

    private func inspectionPage(
        _ session: StaffSession,
        _ inspection: Inspection,
        provider: Int,
        view: LinkView = LinkView(),
        form: StaffForm?,
        errors: FieldErrors,
        status: HTTPResponse.Status? = nil
    ) async throws -> Response {
        var errors = errors
        let today = dependencies.today
        let page = try await invitations.linkPage(
            inspectionID: inspection.id,
            providerID: provider,
            vlo: session.user.id,
            filter: view.filter,
            page: view.page,
            today: today
        )
        if view.page > page.pageCount {
            errors.add(
                "pagination",
                page.pageCount == 1
                    ? "There is only 1 page of links, so page \(view.page) is shown as page 1"
                    : "There are \(page.pageCount) pages of links, so page \(view.page) is shown as page \(page.pageCount)"
            )
        }
        let issued = page.counts.filter { $0.key != .revoked }.values.reduce(0, +)
        let submitted = page.counts[.submitted] ?? 0
        let mine: String? =
            page.mineIssued >= Self.perVLOThreshold ? "Links you issued: \(page.mineIssued); submitted: \(page.mineSubmitted)" : nil
        let language = form?["language"] ?? "en"
        let base = "/links/\(inspection.id)"
        let first = (page.page - 1) * InvitationStore.linksPerPage
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
            links: page.links.map { link in
                LinkRow(
                    id: link.id,
                    reference: link.reference ?? "",
                    language: Self.languageName(link.language),
                    status: Self.statusName(link.status),
                    issued: Self.format(link.issuedAt),
                    changed: Self.format(link.changedAt),
                    canRevoke: [.issued, .opened, .inProgress].contains(link.status),
                    canRemind: link.status.isUnused && page.remindable.contains(link.id)
                )
            },
            issued: issued,
            submitted: submitted,
            rate: issued == 0 ? "No links issued yet" : String(format: "%.0f%%", Double(submitted) / Double(issued) * 100),
            mine: mine,
            statusCounts: InvitationAccess.Status.allCases.map { status in
                StatusCount(
                    name: Self.statusName(status),
                    count: page.counts[status] ?? 0,
                    href: base + LinkView(filter: LinkFilter(status: status)).query,
                    current: view.filter.status == status
                )
            },
            statuses: [Choice(value: "", label: "All statuses", checked: view.filter.status == nil)]
                + InvitationAccess.Status.allCases.map {
                    Choice(value: $0.rawValue, label: Self.statusName($0), checked: view.filter.status == $0)
                },
            statusError: errors["filter-status"],
            search: view.filter.reference ?? "",
            searchError: errors["filter-search"],
            sorts: [
                Choice(value: LinkFilter.Sort.newest.rawValue, label: "Newest first", checked: view.filter.sort == .newest),
                Choice(value: LinkFilter.Sort.oldest.rawValue, label: "Oldest first", checked: view.filter.sort == .oldest),
            ],
            sortError: errors["filter-sort"],
            pageError: errors["pagination"],
            remindError: errors["remind"],
            shown: page.matching == 0
                ? "No links match."
                : "Showing \(first + 1) to \(first + page.links.count) of \(page.matching) link\(page.matching == 1 ? "" : "s")"
                    + (view.filter == LinkFilter() ? "." : " that match."),
            empty: page.links.isEmpty,
            anyRemindable: !page.remindable.isEmpty,
            pages: Self.pageNumbers(current: page.page, count: page.pageCount).enumerated().map { index, number in
                PageLink(
                    number: number,
                    href: base + view.with(page: number).query,
                    current: number == page.page,
                    gapBefore: index > 0 && number > Self.pageNumbers(current: page.page, count: page.pageCount)[index - 1] + 1
                )
            },
            paged: page.pageCount > 1,
            previousHref: page.page > 1 ? base + view.with(page: page.page - 1).query : nil,
            nextHref: page.page < page.pageCount ? base + view.with(page: page.page + 1).query : nil,
            csvHref: base + "/links.csv" + view.with(page: 1).filterQuery,
            filtered: view.filter != LinkFilter()
        )
        let status = status ?? (errors.hasErrors ? (form == nil ? .badRequest : .unprocessableContent) : .ok)
        return dependencies.templates.page("links/inspection", model, status: status)
    }

    /// The page numbers the pagination shows: the first, the last, and the current one with its neighbours.
    static func pageNumbers(current: Int, count: Int) -> [Int] {
        let wanted = Set([1, count, current - 1, current, current + 1]).filter { (1...count).contains($0) }
        return wanted.sorted()
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

    // MARK: Reminders and the CSV

    /// Reminder letters for the chosen unanswered links, with the same access codes as their first letters: nothing is
    /// issued or spent. A chosen link that has been answered, withdrawn, revoked or has expired since the page was shown
    /// prints nothing and says why, for each.
    private func reminders(_ request: Request, _ context: AppRequestContext, _ session: StaffSession) async throws -> Response {
        let (inspection, provider) = try await require(context, session)
        let form = context.staffForm ?? StaffForm(fields: [])
        let chosen = form.fields.filter { $0.0 == "link" }.map(\.1)
        var errors = FieldErrors()
        guard !chosen.isEmpty else {
            errors.add("remind", "Choose at least one unanswered link to print a reminder for")
            return try await inspectionPage(session, inspection, provider: provider, form: nil, errors: errors, status: .unprocessableContent)
        }
        let ids = chosen.compactMap { Int($0) }
        guard ids.count == chosen.count else { throw HTTPError(.badRequest, message: "Choose links from the list.") }
        guard
            let outcome = try await invitations.reminders(
                ids: Array(Set(ids)),
                inspectionID: inspection.id,
                providerID: provider,
                today: dependencies.today
            )
        else { throw HTTPError(.notFound) }
        switch outcome {
        case .failure(let refusals):
            for refused in refusals.refused {
                let name = refused.reference.map { "The link ‘\($0)’" } ?? "A link with no reference"
                let reason =
                    switch refused.reason {
                    case .notUnanswered(.submitted): "has been answered, so it needs no reminder"
                    case .notUnanswered(.withdrawn): "was answered and withdrawn, so it gets no reminder"
                    case .notUnanswered(.expired): "has expired, so a reminder would not work"
                    case .notUnanswered(.revoked): "was revoked, so a reminder would not work"
                    case .notUnanswered: "cannot be answered now"
                    case .noCodeKept: "was issued before reminders could be printed: revoke it and issue a new one instead"
                    }
                errors.add("link-\(refused.id)", "\(name) \(reason). No reminders were printed")
            }
            return try await inspectionPage(session, inspection, provider: provider, form: nil, errors: errors, status: .conflict)
        case .success(let links):
            try await dependencies.accounts.audit.record(
                .linksReminded,
                actor: dependencies.accounts.actor(request, context),
                subject: AuditSubject(type: "inspection", id: String(inspection.id)),
                details: ["count": .int(Int64(links.count))]
            )
            let letters = links.enumerated().map { index, link in
                Letter(
                    number: index + 1,
                    link: "",
                    hasLink: false,
                    startAddress: "\(dependencies.configuration.baseURL)/start",
                    code: LinkSecrets.display(code: link.code),
                    english: link.language != "cy",
                    welsh: link.language != "en"
                )
            }
            let model = LettersPage(
                title: "\(links.count) reminder letter\(links.count == 1 ? "" : "s")",
                count: links.count,
                inspectionID: inspection.id,
                reminder: true,
                letters: letters
            )
            var response = dependencies.templates.page("links/letters", model)
            response.headers[.cacheControl] = "no-store"
            return response
        }
    }

    /// The provider's links matching the page's filter as CSV: reference, language, status and dates, never answers
    /// and never who issued each (so no per-VLO figure below the threshold can be read from it).
    private func download(_ request: Request, _ context: AppRequestContext, _ session: StaffSession) async throws -> Response {
        let (inspection, provider) = try await require(context, session)
        var errors = FieldErrors()
        let query = request.uri.queryParameters
        let view = LinkView.parse({ query.get($0) }, errors: &errors)
        if let problem = errors.items.first { throw HTTPError(.badRequest, message: problem.message + ".") }
        let links = try await invitations.allLinks(inspectionID: inspection.id, providerID: provider, filter: view.filter, today: dependencies.today)
        try await dependencies.accounts.audit.record(
            .linksExported,
            actor: dependencies.accounts.actor(request, context),
            subject: AuditSubject(type: "inspection", id: String(inspection.id)),
            details: ["count": .int(Int64(links.count))]
        )
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8",
                .contentDisposition: "attachment; filename=\"links-\(inspection.id).csv\"",
                .cacheControl: "no-store",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: Self.csv(links)))
        )
    }

    /// The CSV text of `links`: one header row, then one row per link; cells neutralised like every other download.
    static func csv(_ links: [TrackedLink]) -> String {
        var out = ["reference", "language", "status", "issued", "last_change"].joined(separator: ",") + "\r\n"
        for link in links {
            let cells = [
                link.reference ?? "", Self.languageName(link.language), Self.statusName(link.status),
                Self.isoFormat(link.issuedAt), Self.isoFormat(link.changedAt),
            ]
            out += cells.map(ReportExport.csvCell).joined(separator: ",") + "\r\n"
        }
        return out
    }

    static func isoFormat(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB_POSIX")
        formatter.timeZone = AppDependencies.london
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }

    // MARK: Letters

    struct Letter: Sendable {
        let number: Int
        let link: String
        let hasLink: Bool
        let startAddress: String
        let code: String
        let english: Bool
        let welsh: Bool
    }

    struct LettersPage: Sendable {
        let title: String
        let count: Int
        let inspectionID: Int
        /// Reminders: the same codes again, without the link (its token is never kept).
        let reminder: Bool
        let letters: [Letter]
    }

    /// The printable letters: the only page that ever shows full links and codes. Not stored anywhere.
    private func letters(_ links: [IssuedLink], language: String, inspection: Inspection) -> Response {
        let base = dependencies.configuration.baseURL
        let letters = links.enumerated().map { index, link in
            Letter(
                number: index + 1,
                link: "\(base)/q/\(link.token)",
                hasLink: true,
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
            reminder: false,
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
