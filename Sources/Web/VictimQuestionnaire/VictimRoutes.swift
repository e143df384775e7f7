import Domain
import Forms
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The questionnaire journey: the start page behind a link or an access code, one page per question group, check your
/// answers, submit once, confirmation, withdrawal. No account; a short-lived session cookie names the invitation, and
/// the invitation names its form: a victim's link (`/q/TOKEN`, `/start`) opens the victim questionnaire, and a code
/// sent by text message to a person on probation (`/p/CODE`, issue 21) the service-user questionnaire, through the
/// same pages, sessions, sealed drafts and ballot box, in the words of `Audience`.
struct VictimRoutes: Sendable {
    let dependencies: AppDependencies
    let invitations: InvitationStore
    let sessions: VictimSessionStore
    let guesses: RateLimiter

    static let formID = "victim-questionnaire"
    static let neutralExit = "https://www.bbc.co.uk/weather"

    init(dependencies: AppDependencies) {
        self.dependencies = dependencies
        invitations = InvitationStore(database: dependencies.database, secrets: dependencies.linkSecrets)
        sessions = VictimSessionStore(database: dependencies.database)
        guesses = RateLimiter(database: dependencies.database, secrets: dependencies.linkSecrets, bucket: "victim-link", limit: 30, window: 15 * 60)
    }

    func register(on router: Router<AppRequestContext>) {
        router.get("/q/:token") { request, context in try await startPage(request, context) }
        router.post("/q/:token") { request, context in try await begin(request, context) }
        router.get("/start") { request, _ in codePage(language(request), code: "", error: false) }
        router.get("/p/:code") { request, context in try await codeStartPage(request, context) }
        router.post("/p/:code") { request, context in try await codeBegin(request, context) }
        router.post("/start") { request, context in try await enterCode(request, context) }
        router.get("/questionnaire") { request, context in try await resume(request, context) }
        router.get("/questionnaire/page/:page") { request, context in try await showPage(request, context) }
        router.post("/questionnaire/page/:page") { request, context in try await answerPage(request, context) }
        router.get("/questionnaire/check") { request, context in try await checkPage(request, context) }
        router.post("/questionnaire/submit") { request, context in try await submit(request, context) }
        router.get("/questionnaire/done") { request, context in try await donePage(request, context) }
        router.get("/questionnaire/withdraw") { request, context in try await withdrawPage(request, context) }
        router.post("/questionnaire/withdraw") { request, context in try await withdraw(request, context) }
        router.post("/questionnaire/withdraw-code") { request, context in try await withdrawWithCode(request, context) }
        router.get("/questionnaire/language/:language") { request, context in try await switchLanguage(request, context) }
        router.get("/exit") { request, _ in try await exit(request) }
        router.get("/privacy") { request, _ in
            let (lang, audience) = (language(request), Self.footerAudience(request))
            return page(
                "victim/privacy",
                lang,
                LanguageOnly(otherLanguageHref: "/privacy?lang=\(lang.other.rawValue)\(Self.footerQuery(audience))"),
                audience: audience
            )
        }
        router.get("/accessibility") { request, _ in
            let (lang, audience) = (language(request), Self.footerAudience(request))
            return page(
                "victim/accessibility",
                lang,
                LanguageOnly(otherLanguageHref: "/accessibility?lang=\(lang.other.rawValue)\(Self.footerQuery(audience))"),
                audience: audience
            )
        }
    }

    // MARK: Start

    private func startPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let token = context.parameters.get("token") ?? ""
        let now = dependencies.now()
        guard let invitation = try await lookUp(token: token, request, context: context, now: now) else {
            return try await refusal(request, context, now: now)
        }
        try await invitations.markOpened(invitation.id, now: now)
        let lang = request.uri.queryParameters.get("lang").flatMap(Language.init(rawValue:)) ?? invitation.defaultLanguage
        return startModelPage(invitation, lang, action: "/q/\(token)", code: nil, otherLanguageHref: "/q/\(token)?lang=\(lang.other.rawValue)")
    }

    /// The start page for what the letter may do with this link: start afresh, or ask for the resume code.
    private func startModelPage(
        _ invitation: InvitationAccess,
        _ lang: Language,
        action: String,
        code: String?,
        otherLanguageHref: String,
        typed: String? = nil
    ) -> Response {
        let status = invitation.effectiveStatus(on: dependencies.today)
        let model = StartModel(
            action: action,
            code: code,
            fresh: status != .submitted && status != .inProgress,
            started: status == .inProgress,
            sent: status == .submitted,
            error: typed != nil,
            typed: String((typed ?? "").prefix(40)),
            otherLanguageHref: otherLanguageHref
        )
        return page("victim/start", lang, model, status: typed == nil ? .ok : .unprocessableContent, audience: Audience(formID: invitation.formID))
    }

    private func begin(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        if Self.isCrossSite(request, baseURL: dependencies.configuration.baseURL) { return crossSiteRefusal(request, context) }
        let token = context.parameters.get("token") ?? ""
        let now = dependencies.now()
        let post: FormPost?
        switch try await read(request, context) {
        case .success(let form): post = form
        case .failure(let refusal) where refusal.tooLarge: return badRequest(language(request), status: .contentTooLarge)
        case .failure: post = nil  // only the language is read here; a start needs no fields
        }
        let lang = post?["lang"].flatMap(Language.init(rawValue:)) ?? .en
        guard let invitation = try await lookUp(token: token, request, context: context, now: now) else {
            return try await refusal(request, context, now: now, language: lang)
        }
        return try await choose(invitation, post, lang, action: "/q/\(token)", code: nil, request, context, now: now)
    }

    private func enterCode(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        if Self.isCrossSite(request, baseURL: dependencies.configuration.baseURL) { return crossSiteRefusal(request, context) }
        let now = dependencies.now()
        let post: FormPost
        switch try await read(request, context) {
        case .success(let form): post = form
        case .failure(let refusal): return badRequest(language(request), status: refusal.status)
        }
        let lang = post["lang"].flatMap(Language.init(rawValue:)) ?? .en
        let typed = post["code"] ?? ""
        guard let code = LinkSecrets.normalise(code: typed) else {
            return codePage(lang, code: String(typed.prefix(40)), error: true)
        }
        let client = client(request, context)
        if try await guesses.isBlocked(client, now: now) { return tooMany(lang) }
        guard let invitation = try await invitations.find(code: code), usable(invitation), invitation.formID == InvitationAccess.victimFormID else {
            _ = try await guesses.allow(client, now: now)
            return page("victim/not-working", lang, Empty(), status: .notFound)
        }
        // The code page's own form starts an unused link at once; the start page's forms say what to do.
        if post["action"] == nil && invitation.effectiveStatus(on: dependencies.today).isUnused
            && invitation.effectiveStatus(on: dependencies.today) != .inProgress
        {
            return try await startSession(invitation, secret: LinkSecrets.newResumeCode(), language: lang, now: now)
        }
        if post["action"] == nil {
            return startModelPage(invitation, lang, action: "/start", code: code, otherLanguageHref: "/start?lang=\(lang.other.rawValue)")
        }
        return try await choose(invitation, post, lang, action: "/start", code: code, request, context, now: now)
    }

    /// Whether a POST to the start or code page was sent by another site's page (issue 18): such a form could start a
    /// questionnaire in the victim's browser under a link the other site chose (session planting), and the victim
    /// would then type answers into it. These pages have no session yet to carry a CSRF token, so the browser's own
    /// word is taken: `Sec-Fetch-Site` (every current browser sends it) must be `same-origin` (or `none`, typed by the
    /// user); without it, an `Origin` header must be this service's (`PUBLIC_BASE_URL`, or the request's own host).
    /// A request with neither header is not from a browser that could be led there, and is served.
    static func isCrossSite(_ request: Request, baseURL: String) -> Bool {
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!] {
            return !(site == "same-origin" || site == "none")
        }
        guard let origin = request.headers[.origin]?.lowercased(), origin != "null" else { return false }
        var own: Set<String> = []
        if let url = URL(string: baseURL), let scheme = url.scheme, let host = url.host {
            own.insert("\(scheme)://\(host)\(url.port.map { ":\($0)" } ?? "")".lowercased())
        }
        if let host = request.head.authority {
            own.insert("http://\(host)".lowercased())
            own.insert("https://\(host)".lowercased())
        }
        return !own.contains(origin)
    }

    /// The answer to a cross-site start: a plain refusal that creates no session and counts no guess.
    private func crossSiteRefusal(_ request: Request, _ context: AppRequestContext) -> Response {
        context.logger.info("cross-site start refused")
        return badRequest(language(request), status: .forbidden)
    }

    /// What the start page's forms ask for: carry on with the resume code, withdraw with it, or start afresh (a new
    /// resume code; answers saved under another stay locked). Answers already sent are never replaced.
    private func choose(
        _ invitation: InvitationAccess,
        _ post: FormPost?,
        _ lang: Language,
        action: String,
        code: String?,
        _ request: Request,
        _ context: AppRequestContext,
        now: Date
    ) async throws -> Response {
        let status = invitation.effectiveStatus(on: dependencies.today)
        let other = code == nil ? "\(action)?lang=\(lang.other.rawValue)" : "/start?lang=\(lang.other.rawValue)"
        switch post?["action"] {
        case "resume", "withdraw":
            let typed = post?["resume_code"] ?? ""
            let client = client(request, context)
            if try await guesses.isBlocked(client, now: now) { return tooMany(lang) }
            let withdrawing = post?["action"] == "withdraw"
            var opens = false
            let secret = LinkSecrets.normalise(resumeCode: typed)
            if let secret, withdrawing, status == .submitted {
                opens = try await invitations.sentWith(invitation.id, secret: secret)
            } else if let secret, !withdrawing, status == .inProgress {
                opens = try await invitations.hasDraft(invitation.id, secret: secret)
            }
            if opens, let secret {
                return try await startSession(
                    invitation,
                    secret: secret,
                    language: lang,
                    now: now,
                    then: withdrawing ? "/questionnaire/withdraw" : "/questionnaire"
                )
            }
            _ = try await guesses.allow(client, now: now)
            return startModelPage(invitation, lang, action: action, code: code, otherLanguageHref: other, typed: typed)
        case "start-again" where status == .inProgress:
            return try await startSession(invitation, secret: LinkSecrets.newResumeCode(), language: lang, now: now)
        default:
            // Only an unused link starts at once; a started one starts again only when asked to (a stale form or a
            // second tab shows the "already been started" page instead), and a sent one never does.
            guard status != .submitted, status != .inProgress else {
                return startModelPage(invitation, lang, action: action, code: code, otherLanguageHref: other)
            }
            return try await startSession(invitation, secret: LinkSecrets.newResumeCode(), language: lang, now: now)
        }
    }

    /// Finds a usable invitation for a token, counting failures against the client's address.
    private func lookUp(token: String, _ request: Request, context: AppRequestContext, now: Date) async throws -> InvitationAccess? {
        let client = client(request, context)
        if try await guesses.isBlocked(client, now: now) { return nil }
        guard let invitation = try await invitations.find(token: token), usable(invitation), invitation.formID == InvitationAccess.victimFormID else {
            _ = try await guesses.allow(client, now: now)
            return nil
        }
        return invitation
    }

    // MARK: Codes sent by text message to people on probation

    /// `GET /p/CODE`: the start page for a code sent to a person on probation. Like a victim's link it spends nothing
    /// (it only records that the code was opened); the code is read as access codes are (spaces, hyphens, lower case,
    /// O for 0, I or L for 1), and a wrong or used-up code counts against the same limit.
    private func codeStartPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let now = dependencies.now()
        let lang = language(request)
        guard let (invitation, code) = try await lookUpServiceUserCode(request, context, now: now) else {
            return try await refusal(request, context, now: now, language: lang, audience: .personOnProbation)
        }
        try await invitations.markOpened(invitation.id, now: now)
        let shown = request.uri.queryParameters.get("lang").flatMap(Language.init(rawValue:)) ?? invitation.defaultLanguage
        let action = "/p/\(LinkSecrets.display(code: code))"
        return startModelPage(invitation, shown, action: action, code: nil, otherLanguageHref: "\(action)?lang=\(shown.other.rawValue)")
    }

    /// `POST /p/CODE`: starting (or resuming, or withdrawing with the resume code) as the start page's forms ask.
    private func codeBegin(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        if Self.isCrossSite(request, baseURL: dependencies.configuration.baseURL) { return crossSiteRefusal(request, context) }
        let now = dependencies.now()
        let post: FormPost?
        switch try await read(request, context) {
        case .success(let form): post = form
        case .failure(let refusal) where refusal.tooLarge:
            return badRequest(language(request), status: .contentTooLarge, audience: .personOnProbation)
        case .failure: post = nil
        }
        let lang = post?["lang"].flatMap(Language.init(rawValue:)) ?? .en
        guard let (invitation, code) = try await lookUpServiceUserCode(request, context, now: now) else {
            return try await refusal(request, context, now: now, language: lang, audience: .personOnProbation)
        }
        return try await choose(invitation, post, lang, action: "/p/\(LinkSecrets.display(code: code))", code: nil, request, context, now: now)
    }

    /// The usable service-user invitation the path's code belongs to, and the code normalised, or nil (counted as a
    /// failed guess).
    private func lookUpServiceUserCode(_ request: Request, _ context: AppRequestContext, now: Date) async throws -> (InvitationAccess, String)? {
        let client = client(request, context)
        if try await guesses.isBlocked(client, now: now) { return nil }
        // Typed by hand, a code may carry spaces (sent as %20): decoded before it is read.
        let typed = context.parameters.get("code").map { $0.removingPercentEncoding ?? $0 } ?? ""
        guard let code = LinkSecrets.normalise(code: typed),
            let invitation = try await invitations.find(code: code), usable(invitation),
            invitation.formID == InvitationAccess.serviceUserFormID
        else {
            _ = try await guesses.allow(client, now: now)
            return nil
        }
        return (invitation, code)
    }

    /// The audience the footer's privacy and accessibility pages speak to (`for=probation` from the service-user pages).
    static func footerAudience(_ request: Request) -> Audience {
        request.uri.queryParameters.get("for") == "probation" ? .personOnProbation : .victim
    }

    static func footerQuery(_ audience: Audience) -> String {
        audience == .personOnProbation ? "&for=probation" : ""
    }

    /// The address failed look-ups are counted against: the same as sign-in throttling uses (`X-Forwarded-For` when
    /// `TRUST_X_FORWARDED_FOR` is set), so that behind a proxy each victim has their own count.
    private func client(_ request: Request, _ context: AppRequestContext) -> String {
        dependencies.accounts.clientAddress(request, context)
    }

    /// Links that were submitted stay usable (to withdraw with the resume code); expired, revoked and withdrawn ones
    /// do not.
    private func usable(_ invitation: InvitationAccess) -> Bool {
        switch invitation.effectiveStatus(on: dependencies.today) {
        case .issued, .opened, .inProgress, .submitted: true
        case .expired, .revoked, .withdrawn: false
        }
    }

    private func refusal(
        _ request: Request,
        _ context: AppRequestContext,
        now: Date,
        language: Language? = nil,
        audience: Audience = .victim
    ) async throws -> Response {
        let lang = language ?? self.language(request)
        if try await guesses.isBlocked(client(request, context), now: now) { return tooMany(lang, audience: audience) }
        return page("victim/not-working", lang, Empty(), status: .notFound, audience: audience)
    }

    /// A session holding `secret`, then on to `then`. Starting an unused link also records that its form version
    /// has answers (in a transaction of its own, never the one that submits).
    private func startSession(
        _ invitation: InvitationAccess,
        secret: String,
        language: Language,
        now: Date,
        then: String = "/questionnaire"
    ) async throws -> Response {
        let cookie = try await sessions.start(invitationID: invitation.id, secret: secret, language: language, now: now)
        // A new resume code gets an (empty) draft at once, so that the code shown on the first page already resumes.
        if invitation.status.isUnused, !(try await invitations.hasDraft(invitation.id, secret: secret)),
            let form = dependencies.forms.current(id: invitation.formID)
        {
            try await invitations.saveDraft(invitation.id, secret: secret, form: form, answers: [:], now: now)
        }
        if invitation.status.isUnused {
            try await invitations.markStarted(invitation.id, now: now)
            if let form = dependencies.forms.current(id: invitation.formID) {
                try await FormVersionStore(database: dependencies.database).markUsed(form)
            }
        }
        var response = Response.redirect(to: then, type: .normal)
        response.setCookie(
            Cookie(
                name: VictimSessionStore.cookieName,
                value: cookie,
                path: "/",
                secure: dependencies.configuration.cookieSecure,
                httpOnly: true,
                sameSite: .strict
            )
        )
        return response
    }

    // MARK: Questions

    /// The session, its invitation and the form, or the page to show instead.
    private func current(_ request: Request) async throws -> Result<Journey, Refusal> {
        let lang = language(request)
        guard let cookie = request.cookies[VictimSessionStore.cookieName]?.value,
            case let (session, invitation)? = try await sessions.findWithInvitation(cookie: cookie, now: dependencies.now())
        else { return .failure(Refusal(response: page("victim/session-expired", lang, Empty(), status: .forbidden))) }
        guard let invitation, usable(invitation),
            let form = dependencies.forms.current(id: invitation.formID)
        else {
            let audience = invitation.map { Audience(formID: $0.formID) } ?? .victim
            return .failure(Refusal(response: page("victim/not-working", session.language, Empty(), status: .notFound, audience: audience)))
        }
        return .success(Journey(cookie: cookie, session: session, invitation: invitation, form: form))
    }

    /// The journey for this request, or a `Refusal` carrying the page to show instead.
    private func journey(_ request: Request) async throws -> Journey {
        switch try await current(request) {
        case .success(let journey): return journey
        case .failure(let refusal): throw refusal
        }
    }

    private func resume(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let journey = try await journey(request)
        if journey.invitation.status == .submitted { return .redirect(to: "/questionnaire/done", type: .normal) }
        let answers = try await invitations.draft(journey.invitation.id, secret: journey.session.secret)
        let pages = journey.form.shownPages(answers: answers)
        let next = pages.first { page in page.questions.allSatisfy { answers[$0.id] == nil } }
        return .redirect(to: next.map { "/questionnaire/page/\($0.id)" } ?? "/questionnaire/check", type: .normal)
    }

    private func showPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let journey = try await journey(request)
        if journey.invitation.status == .submitted { return .redirect(to: "/questionnaire/done", type: .normal) }
        let answers = try await invitations.draft(journey.invitation.id, secret: journey.session.secret)
        guard let formPage = journey.form.page(id: context.parameters.get("page") ?? ""),
            journey.form.shownPages(answers: answers).contains(where: { $0.id == formPage.id })
        else {
            return page(
                "victim/page-not-found",
                journey.session.language,
                notFoundModel(journey.session.language),
                status: .notFound,
                audience: journey.audience
            )
        }
        return questionPage(journey, formPage, answers: answers, errors: [], returnTo: request.uri.queryParameters.get("return"))
    }

    private func answerPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let journey = try await journey(request)
        let lang = journey.session.language
        let post = try await posted(request, context, journey)
        if journey.invitation.status == .submitted { return .redirect(to: "/questionnaire/done", type: .normal) }
        let previous = try await invitations.draft(journey.invitation.id, secret: journey.session.secret)
        guard let formPage = journey.form.page(id: context.parameters.get("page") ?? ""),
            journey.form.shownPages(answers: previous).contains(where: { $0.id == formPage.id })
        else { return page("victim/page-not-found", lang, notFoundModel(lang), status: .notFound, audience: journey.audience) }
        let returnTo = post["return"] == "check" ? "check" : nil
        let now = dependencies.now()
        let submission = journey.form.submit(page: formPage, post: post.pairs, previous: previous, language: lang)
        // Switching language keeps what was typed, valid or not; but an answer holding a character that cannot be
        // stored (a null character) is shown with its error instead.
        if post["action"] == "switch-language" && !submission.errors.contains(where: { $0.key == .answerUnsavable }) {
            // Keep what was typed, valid or not, and show the same page in the other language.
            try await invitations.saveDraft(
                journey.invitation.id,
                secret: journey.session.secret,
                form: journey.form,
                answers: submission.answers,
                now: now
            )
            try await sessions.setLanguage(cookie: journey.cookie, lang.other)
            var switched = journey
            switched.session.language = lang.other
            return questionPage(switched, formPage, answers: submission.answers, errors: [], returnTo: returnTo)
        }
        if !submission.errors.isEmpty {
            return questionPage(journey, formPage, answers: submission.answers, errors: submission.errors, returnTo: returnTo)
        }
        try await invitations.saveDraft(
            journey.invitation.id,
            secret: journey.session.secret,
            form: journey.form,
            answers: submission.answers,
            now: now
        )
        if returnTo == "check" { return .redirect(to: "/questionnaire/check", type: .normal) }
        let pages = journey.form.shownPages(answers: submission.answers)
        let index = pages.firstIndex { $0.id == formPage.id } ?? pages.count
        let next = index + 1 < pages.count ? "/questionnaire/page/\(pages[index + 1].id)" : "/questionnaire/check"
        return .redirect(to: next, type: .normal)
    }

    private func questionPage(_ journey: Journey, _ formPage: FormPage, answers: Answers, errors: [FieldError], returnTo: String?) -> Response {
        let lang = journey.session.language
        let form = journey.form
        let pages = form.shownPages(answers: answers)
        let index = pages.firstIndex { $0.id == formPage.id } ?? 0
        let back = returnTo == "check" ? "/questionnaire/check" : (index > 0 ? "/questionnaire/page/\(pages[index - 1].id)" : nil)
        let model = QuestionModel(
            pageTitle: FormRenderer.pageTitle(page: formPage, of: form, answers: answers, hasErrors: !errors.isEmpty, language: lang),
            backHref: back,
            action: "/questionnaire/page/\(formPage.id)",
            csrf: journey.session.csrfToken,
            errorSummary: FormRenderer.renderErrorSummary(errors: errors, language: lang),
            questions: FormRenderer.render(page: formPage, of: form, answers: answers, errors: errors, language: lang),
            returnTo: returnTo ?? "",
            progress: "\(VictimText.questionProgress.text(lang)) \(index + 1) / \(pages.count)",
            otherLanguageHref: "/questionnaire/language/\(lang.other.rawValue)?return=/questionnaire/page/\(formPage.id)",
            resumeCode: shownResumeCode(journey)
        )
        return page("victim/question", lang, model, status: errors.isEmpty ? .ok : .unprocessableContent, audience: journey.audience)
    }

    // MARK: Check, submit, done

    private func checkPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let journey = try await journey(request)
        if journey.invitation.status == .submitted { return .redirect(to: "/questionnaire/done", type: .normal) }
        let lang = journey.session.language
        let answers = try await invitations.draft(journey.invitation.id, secret: journey.session.secret)
        let rows = journey.form.shownPages(answers: answers).flatMap { formPage in
            journey.form.shownQuestions(on: formPage, answers: answers).map { question in
                CheckRow(
                    question: question.label.text(lang),
                    answer: Self.display(answers[question.id], question: question, language: lang),
                    href: "/questionnaire/page/\(formPage.id)?return=check"
                )
            }
        }
        return page(
            "victim/check",
            lang,
            CheckModel(
                rows: rows,
                csrf: journey.session.csrfToken,
                otherLanguageHref: "/questionnaire/language/\(lang.other.rawValue)?return=/questionnaire/check",
                resumeCode: shownResumeCode(journey)
            ),
            audience: journey.audience
        )
    }

    private func submit(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let journey = try await journey(request)
        let lang = journey.session.language
        _ = try await posted(request, context, journey)  // reads the body and checks CSRF
        let answers = journey.form.pruneHidden(try await invitations.draft(journey.invitation.id, secret: journey.session.secret))
        if let first = journey.form.validate(answers: answers, language: lang).first,
            let formPage = journey.form.pages.first(where: { $0.questions.contains { $0.id == first.questionId } })
        {
            return .redirect(to: "/questionnaire/page/\(formPage.id)?return=check", type: .normal)
        }
        let outcome = try await invitations.submit(
            journey.invitation.id,
            form: journey.form,
            answers: answers,
            language: lang,
            secret: journey.session.secret,
            today: dependencies.today,
            now: dependencies.now()
        )
        switch outcome {
        case .stored:
            context.logger.info("victim response stored", metadata: ["inspection.id": "\(journey.invitation.inspectionID)"])
            dependencies.metrics.recordSubmission(channel: .online, language: lang)
            return .redirect(to: "/questionnaire/done", type: .normal)
        case .alreadySubmitted:
            return .redirect(to: "/questionnaire/done", type: .normal)
        case .unavailable:
            return page("victim/not-working", lang, Empty(), status: .notFound, audience: journey.audience)
        }
    }

    private func donePage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let journey = try await journey(request)
        guard journey.invitation.status == .submitted else { return .redirect(to: "/questionnaire", type: .normal) }
        let lang = journey.session.language
        // Someone else's session (started with the letter while the victim sent the answers) learns only the status.
        guard try await invitations.sentWith(journey.invitation.id, secret: journey.session.secret) else {
            return withdrawCodePage(journey)
        }
        return page(
            "victim/done",
            lang,
            DoneModel(
                resumeCode: shownResumeCode(journey),
                otherLanguageHref: "/questionnaire/language/\(lang.other.rawValue)?return=/questionnaire/done"
            ),
            audience: journey.audience
        )
    }

    private func withdrawPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let journey = try await journey(request)
        guard journey.invitation.status == .submitted else { return .redirect(to: "/questionnaire", type: .normal) }
        let lang = journey.session.language
        guard try await invitations.sentWith(journey.invitation.id, secret: journey.session.secret) else {
            return withdrawCodePage(journey)
        }
        return page(
            "victim/withdraw",
            lang,
            CheckModel(
                rows: [],
                csrf: journey.session.csrfToken,
                otherLanguageHref: "/questionnaire/language/\(lang.other.rawValue)?return=/questionnaire/withdraw"
            ),
            audience: journey.audience
        )
    }

    private func withdraw(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let journey = try await journey(request)
        let lang = journey.session.language
        _ = try await posted(request, context, journey)  // reads the body and checks CSRF
        let outcome = try await invitations.withdraw(
            journey.invitation.id,
            secret: journey.session.secret,
            today: dependencies.today,
            now: dependencies.now()
        )
        switch outcome {
        case .withdrawn, .alreadyWithdrawn:
            try await sessions.end(cookie: journey.cookie)
            var response = page("victim/withdrawn", lang, Empty(), audience: journey.audience)
            response.setCookie(expiredCookie())
            return response
        case .wrongSecret:
            return withdrawCodePage(journey)
        case .unavailable:
            return page("victim/not-working", lang, Empty(), status: .notFound, audience: journey.audience)
        }
    }

    /// Within a session whose resume code did not send this link's answers: the resume code that did is asked for.
    private func withdrawCodePage(_ journey: Journey, refused typed: String? = nil) -> Response {
        let lang = journey.session.language
        let model = StartModel(
            action: "/questionnaire/withdraw-code",
            csrf: journey.session.csrfToken,
            fresh: false,
            started: false,
            sent: true,
            error: typed != nil,
            typed: String((typed ?? "").prefix(40)),
            otherLanguageHref: "/questionnaire/language/\(lang.other.rawValue)?return=/questionnaire/withdraw"
        )
        return page("victim/start", lang, model, status: model.error ? .unprocessableContent : .ok, audience: journey.audience)
    }

    /// The resume code typed on `withdrawCodePage`: a new session under it, then the withdrawal page.
    private func withdrawWithCode(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let journey = try await journey(request)
        let post = try await posted(request, context, journey)
        let now = dependencies.now()
        let client = client(request, context)
        if try await guesses.isBlocked(client, now: now) { return tooMany(journey.session.language, audience: journey.audience) }
        let typed = post["resume_code"] ?? ""
        guard let secret = LinkSecrets.normalise(resumeCode: typed), journey.invitation.status == .submitted,
            try await invitations.sentWith(journey.invitation.id, secret: secret)
        else {
            _ = try await guesses.allow(client, now: now)
            return withdrawCodePage(journey, refused: typed)
        }
        try await sessions.end(cookie: journey.cookie)
        return try await startSession(
            journey.invitation,
            secret: secret,
            language: journey.session.language,
            now: now,
            then: "/questionnaire/withdraw"
        )
    }

    // MARK: Language, exit

    private func switchLanguage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let target = context.parameters.get("language").flatMap(Language.init(rawValue:)) ?? .en
        if let cookie = request.cookies[VictimSessionStore.cookieName]?.value {
            try await sessions.setLanguage(cookie: cookie, target)
        }
        let back: String = request.uri.queryParameters.get("return") ?? "/questionnaire"
        // Only paths within the questionnaire: never an open redirect.
        let safe = back.hasPrefix("/questionnaire") && !back.contains("//") ? back : "/questionnaire"
        return .redirect(to: safe, type: .normal)
    }

    private func exit(_ request: Request) async throws -> Response {
        if let cookie = request.cookies[VictimSessionStore.cookieName]?.value {
            try await sessions.end(cookie: cookie)
        }
        var response = Response.redirect(to: Self.neutralExit, type: .normal)
        response.setCookie(expiredCookie())
        return response
    }

    // MARK: Reading posts

    /// The posted form of a journey request, read once with its CSRF token checked; otherwise a `Refusal` with the
    /// page to show (400, 403 or 413).
    private func posted(_ request: Request, _ context: AppRequestContext, _ journey: Journey) async throws -> FormPost {
        let lang = journey.session.language
        switch try await read(request, context) {
        case .success(let form):
            guard SecretToken.constantTimeEquals(form["csrf_token"] ?? "", journey.session.csrfToken) else {
                throw Refusal(response: badRequest(lang, status: .forbidden, audience: journey.audience))
            }
            return form
        case .failure(let refusal):
            throw Refusal(response: badRequest(lang, status: refusal.status, audience: journey.audience))
        }
    }

    /// The resume code as the victim's pages show it (nil for a session from before the ballot box, whose secret is
    /// the access code and is not shown as a resume code).
    private func shownResumeCode(_ journey: Journey) -> String? {
        InvitationStore.isLegacy(secret: journey.session.secret) ? nil : LinkSecrets.display(resumeCode: journey.session.secret)
    }

    /// Why a victim's post could not be read: too large (413) or not a readable form (400).
    struct Unreadable: Error {
        let tooLarge: Bool
        var status: HTTPResponse.Status { tooLarge ? .contentTooLarge : .badRequest }
    }

    /// The posted form, or why it could not be read.
    private func read(_ request: Request, _ context: AppRequestContext) async throws -> Result<FormPost, Unreadable> {
        do {
            return .success(try await FormPost.read(request, context: context))
        } catch is NIOTooManyBytesError {
            return .failure(Unreadable(tooLarge: true))
        } catch is FormPost.Invalid {
            return .failure(Unreadable(tooLarge: false))
        }
    }

    // MARK: Rendering helpers

    private func language(_ request: Request) -> Language {
        request.uri.queryParameters.get("lang").flatMap(Language.init(rawValue:)) ?? .en
    }

    private func page(
        _ template: String,
        _ lang: Language,
        _ content: some Sendable,
        status: HTTPResponse.Status = .ok,
        audience: Audience = .victim
    ) -> Response {
        dependencies.templates.page(template, VictimPage(lang: lang, content: content, audience: audience), status: status)
    }

    private func codePage(_ lang: Language, code: String, error: Bool) -> Response {
        page("victim/code", lang, CodeModel(code: code, error: error), status: error ? .unprocessableContent : .ok)
    }

    private func badRequest(_ lang: Language, status: HTTPResponse.Status = .badRequest, audience: Audience = .victim) -> Response {
        if status == .contentTooLarge { return page("victim/too-large", lang, Empty(), status: status, audience: audience) }
        return page("victim/bad-request", lang, Empty(), status: status, audience: audience)
    }

    private func tooMany(_ lang: Language, audience: Audience = .victim) -> Response {
        var response = page("victim/too-many", lang, Empty(), status: .tooManyRequests, audience: audience)
        response.headers[.retryAfter] = "900"
        return response
    }

    private func notFoundModel(_ lang: Language) -> ErrorPage {
        lang == .cy
            ? ErrorPage(title: "Heb ddod o hyd i’r dudalen", message: "Os gwnaethoch deipio’r cyfeiriad gwe, gwiriwch ei fod yn gywir.")
            : ErrorPage(title: "Page not found", message: "If you typed the web address, check it is correct.")
    }

    private func expiredCookie() -> Cookie {
        Cookie(
            name: VictimSessionStore.cookieName,
            value: "",
            maxAge: 0,
            path: "/",
            secure: dependencies.configuration.cookieSecure,
            httpOnly: true,
            sameSite: .strict
        )
    }

    /// An answer as words in `language`, for the check page.
    static func display(_ answer: AnswerValue?, question: Question, language: Language) -> String {
        guard let answer else { return VictimText.notAnswered.text(language) }
        switch answer {
        case .codes(let codes):
            let labels = codes.compactMap { question.option(code: $0)?.label.text(language) }
            return labels.isEmpty ? VictimText.notAnswered.text(language) : labels.joined(separator: ", ")
        case .text(let text): return text.isEmpty ? VictimText.notAnswered.text(language) : text
        case .number(let number): return number
        case .date(let parts): return "\(parts.day)/\(parts.month)/\(parts.year)"
        }
    }
}

/// The session, invitation and form a questionnaire request is about.
struct Journey: Sendable {
    let cookie: String
    var session: VictimSession
    let invitation: InvitationAccess
    let form: FormDefinition

    /// Who the pages speak to: the invitation's form decides.
    var audience: Audience { Audience(formID: invitation.formID) }
}

/// A victim request answered with a page of its own instead of the handler's (the session expired, the link no longer
/// works, a post that cannot be read): an `HTTPResponseError` whose response is that page, which
/// `ErrorPageMiddleware` passes on as it is.
struct Refusal: HTTPResponseError {
    let response: Response

    var status: HTTPResponse.Status { response.status }

    func response(from request: Request, context: some RequestContext) throws -> Response { response }
}

extension Language {
    var other: Language { self == .cy ? .en : .cy }
}
