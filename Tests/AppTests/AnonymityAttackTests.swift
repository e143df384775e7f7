import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

@testable import Domain
@testable import Operations
@testable import Web

/// The ballot box attacked as an insider would (issue 15; docs/privacy.md "How the claims are tested"): a DBA with
/// the tables, a `pg_dump` and the WAL, during the window and after release; and someone holding only the letter.
@Suite("Anonymity holds against the database and the letter")
struct AnonymityAttackTests {
    /// Answers for every page that needs one; the nonce goes into the free text.
    static func fields(page: String, nonce: String) -> [(String, String)] {
        switch page {
        case "completed_by": [("v2_completed_by", "victim")]
        case "named_vlo": [("v5_named_vlo", "yes")]
        case "helped_most": [("v19_helped_most", "Kind and clear. \(nonce)")]
        default: []
        }
    }

    /// Answers every page of a journey already started, to the check page; returns the resume code shown.
    static func answerAll(_ browser: inout VictimBrowser, nonce: String) async throws -> String {
        var page = try await browser.follow("/questionnaire")
        var code = ""
        for _ in 0..<40 where !page.html.contains("Check your answers") {
            if let shown = resumeCode(in: page.html) { code = shown }
            let action = try #require(page.html.range(of: "action=\"/questionnaire/page/"), "no question form")
            let pageID = String(page.html[action.upperBound...].prefix { $0 != "\"" })
            let posted = try await browser.post("/questionnaire/page/\(pageID)", fields(page: pageID, nonce: nonce) + [("action", "continue")])
            #expect(posted.status == .seeOther, "page \(pageID)")
            page = try await browser.follow(posted.location ?? "/questionnaire")
        }
        #expect(page.html.contains("Check your answers"))
        return code
    }

    /// The resume code a victim page shows, if any.
    static func resumeCode(in html: String) -> String? {
        guard let range = html.range(of: "data-resume-code>") else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "<" })
    }

    /// Spearman's rank correlation of two rankings of the same items (no ties).
    static func spearman(_ a: [Int], _ b: [Int]) -> Double {
        let n = Double(a.count)
        let d2 = zip(a, b).reduce(0.0) { $0 + pow(Double($1.0 - $1.1), 2) }
        return 1 - 6 * d2 / (n * (n * n - 1))
    }

    /// A shuffled release of 40 gives |ρ| ≥ 0.6 by chance about once in 10,000 runs (ρ·√39 ≈ 3.7 standard errors);
    /// rows left in submission order give ρ = 1.
    static let correlationLimit = 0.6
    static let submissions = 40

    /// Runs a PostgreSQL program from the cluster's bin directory with `arguments`, returning what it printed. It
    /// waits on a thread of its own, never on Swift's cooperative pool (which the other tests share).
    static func pgProgram(_ name: String, _ arguments: [String]) async throws -> String {
        let bin = try #require(EmbeddedCluster.findBinDirectory(), "PostgreSQL's programs were not found (set PG_BINDIR)")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("sv-\(name)-\(UUID().uuidString).txt").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let command = [bin + "/" + name] + arguments
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try Subprocess.run(command, logPath: output) })
            }
        }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(status == 0, "\(name) failed: \(text.prefix(500))")
        return text
    }

    @Test("a DBA finds no nonce, no shared transaction id and no order that points back to a link, before or after release")
    func databaseAttacker() async throws {
        try await TestApp.run(poolSize: 6) { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let links = try await fixtures.issue(app, count: Self.submissions)
            let nonces = (0..<Self.submissions).map { "NONCE\($0)X\(UUID().uuidString.prefix(8))" }
            var resumeCodes: [String] = []
            // Submitted one after another through the real pages, in a known order, a minute apart.
            for (index, link) in links.enumerated() {
                var browser = VictimBrowser(client)
                try await browser.get("/q/\(link.token)")
                try await browser.post("/q/\(link.token)", [("lang", "en"), ("action", "start")], withCSRF: false)
                let shown = try await Self.answerAll(&browser, nonce: nonces[index])
                resumeCodes += [shown, try #require(LinkSecrets.normalise(resumeCode: shown))]
                let sent = try await browser.post("/questionnaire/submit", [])
                #expect(sent.location == "/questionnaire/done")
                app.clock.advance(by: 60)
            }
            let schema = app.database.schema
            #expect(try await app.count("SELECT count(*) FROM sealed_response") == Self.submissions)
            #expect(try await app.count("SELECT count(*) FROM victim_response") == 0)

            // During the window: no table holds a nonce, or a resume code, readably, in any column, text or bytes.
            let columns = try await app.db.query(
                """
                SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
                JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                WHERE c.table_schema = \(schema) AND t.table_type = 'BASE TABLE' ORDER BY c.table_name, c.ordinal_position
                """
            )
            let tables = Set(try columns.map { try $0.decode("table_name", as: String.self) })
            #expect(tables.contains("sealed_response") && tables.contains("victim_response"))
            func readableNonces() async throws -> Set<String> {
                var found: Set<String> = []
                for table in tables {
                    for row in try await app.db.query("SELECT t::text AS row FROM \(identifier: table) t") {
                        let text = try row.decode("row", as: String.self)
                        for secret in nonces + resumeCodes where text.contains(secret) { found.insert(secret) }
                    }
                }
                for column in columns where try column.decode("data_type", as: String.self) == "bytea" {
                    let table = try column.decode("table_name", as: String.self)
                    let name = try column.decode("column_name", as: String.self)
                    for row in try await app.db.query(
                        "SELECT \(identifier: name) AS b FROM \(identifier: table) WHERE \(identifier: name) IS NOT NULL"
                    ) {
                        let bytes = String(decoding: try row.decode("b", as: PostgresBytes.self).bytes, as: UTF8.self)
                        for secret in nonces + resumeCodes where bytes.contains(secret) { found.insert(secret) }
                    }
                }
                return found
            }
            #expect(try await readableNonces().isEmpty)
            let dump = try await Self.pgProgram("pg_dump", ["--no-owner", "-n", schema, "-d", app.database.connectionString])
            #expect(dump.contains("sealed_response"))
            #expect((nonces + resumeCodes).filter { dump.contains($0) }.isEmpty)

            // No row of any table shares a transaction id with a submitted link, except the sealed copies.
            let linkXmins = Set(
                try await app.db.query("SELECT xmin::text AS x FROM invitation WHERE status = 'submitted'").map {
                    try $0.decode("x", as: String.self)
                }
            )
            #expect(linkXmins.count == Self.submissions)
            for table in tables where table != "invitation" && table != "sealed_response" {
                let shared = try await app.db.query("SELECT xmin::text AS x FROM \(identifier: table) t").filter {
                    linkXmins.contains(try $0.decode("x", as: String.self))
                }
                #expect(shared.isEmpty, "\(table) shares a transaction id with a submitted link")
            }

            // What the DBA records before release: each sealed copy's position and the link it came with.
            let rank = Dictionary(uniqueKeysWithValues: links.enumerated().map { ($1.id, $0) })
            var sealedRank: [String: Int] = [:]
            for row in try await app.db.query("SELECT ctid::text AS c, invitation_id FROM sealed_response") {
                sealedRank[try row.decode("c", as: String.self)] = rank[try row.decode("invitation_id", as: Int.self)]
            }
            let sealedFile = try await app.db.query("SELECT pg_relation_filenode('sealed_response')::text AS f")[0].decode("f", as: String.self)
            let releasedFile = try await app.db.query("SELECT pg_relation_filenode('victim_response')::text AS f")[0].decode("f", as: String.self)
            let start = try await app.db.query("SELECT pg_current_wal_lsn()::text AS l")[0].decode("l", as: String.self)

            let outcome = try await BallotBox(database: app.db, secrets: testLinkSecrets).release(today: app.dependencies.today)
            #expect(outcome.total == Self.submissions)
            let end = try await app.db.query("SELECT pg_current_wal_lsn()::text AS l")[0].decode("l", as: String.self)
            #expect(try await app.count("SELECT count(*) FROM sealed_response") == 0)
            #expect(try await app.count("SELECT count(*) FROM victim_response") == Self.submissions)
            // The release rewrote the ballot box's file (VACUUM FULL): the released copies' bytes are not in it.
            let rewritten = try await app.db.query("SELECT pg_relation_filenode('sealed_response')::text AS f")[0].decode("f", as: String.self)
            #expect(rewritten != sealedFile)

            // After release: no released row shares a transaction id with any link row.
            let allLinkXmins = try await app.db.query("SELECT xmin::text AS x FROM invitation").map { try $0.decode("x", as: String.self) }
            let releasedXmins = try await app.db.query("SELECT xmin::text AS x FROM victim_response").map { try $0.decode("x", as: String.self) }
            #expect(Set(releasedXmins).isDisjoint(with: allLinkXmins))
            #expect(Set(releasedXmins).count == 1)

            // Row order by ctid, by id and in a dump does not follow submission order.
            func order(_ by: String) async throws -> [Int] {
                try await app.db.query("SELECT answers ->> 'v19_helped_most' AS t FROM victim_response ORDER BY \(unsafeRaw: by)").map { row in
                    let text = try row.decode("t", as: String.self)
                    return try #require(nonces.firstIndex { text.contains($0) })
                }
            }
            let identity = Array(0..<Self.submissions)
            for column in ["ctid", "id", "form_id, ctid", "answers::text"] {
                let rho = Self.spearman(try await order(column), identity)
                #expect(abs(rho) < Self.correlationLimit, "order by \(column): rank correlation \(rho)")
            }
            let afterDump = try await Self.pgProgram("pg_dump", ["--no-owner", "-n", schema, "-d", app.database.connectionString])
            let dumped = nonces.enumerated().compactMap { index, nonce in afterDump.range(of: nonce).map { (index, $0.lowerBound) } }
            #expect(dumped.count == Self.submissions)
            let dumpOrder = dumped.sorted { $0.1 < $1.1 }.map(\.0)
            #expect(abs(Self.spearman(dumpOrder, identity)) < Self.correlationLimit, "dump order")

            // The release's WAL, read with pg_waldump: its deletes of sealed copies and inserts of released rows, in
            // order, do not pair a link with its answers.
            let directory = try await app.db.query("SELECT setting FROM pg_settings WHERE name = 'data_directory'")[0].decode(
                "setting",
                as: String.self
            )
            let wal = try await Self.pgProgram("pg_waldump", ["-p", directory + "/pg_wal", "-s", start, "-e", end, "-r", "Heap"])
            var ctidRank: [String: Int] = [:]
            for row in try await app.db.query("SELECT ctid::text AS c, answers ->> 'v19_helped_most' AS t FROM victim_response") {
                let text = try row.decode("t", as: String.self)
                ctidRank[try row.decode("c", as: String.self)] = nonces.firstIndex { text.contains($0) }
            }
            var deletes: [Int] = []
            var inserts: [Int] = []
            let pattern = /desc: (INSERT|DELETE)(?:\+INIT)? off (\d+).*?rel \d+\/\d+\/(\d+) (?:fork \w+ )?blk (\d+)/
            for line in wal.split(separator: "\n") {
                guard let match = line.firstMatch(of: pattern) else { continue }
                let ctid = "(\(match.4),\(match.2))"
                if match.1 == "DELETE", match.3 == sealedFile, let r = sealedRank[ctid] { deletes.append(r) }
                if match.1 == "INSERT", match.3 == releasedFile, let r = ctidRank[ctid] { inserts.append(r) }
            }
            #expect(deletes.count == Self.submissions, "the release's deletes were found in the WAL")
            #expect(inserts.count == Self.submissions, "the release's inserts were found in the WAL")
            let paired = zip(deletes, inserts).filter { $0 == $1 }.count
            #expect(paired <= 5, "\(paired) of \(Self.submissions) WAL deletes pair with their own insert")
            #expect(abs(Self.spearman(deletes, inserts)) < Self.correlationLimit, "WAL order pairs sealed copies with released rows")
        }
    }

    @Test("holding only the letter shows, submits and withdraws none of a victim's answers; the resume code does all of it")
    func letterHolder() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let link = try #require(try await fixtures.issue(app).first)
            let nonce = "SECRET\(UUID().uuidString.prefix(8))"

            // The victim starts and saves answers (the free text with the nonce) but does not send them yet.
            var victim = VictimBrowser(client)
            try await victim.post("/q/\(link.token)", [("action", "start")], withCSRF: false)
            let code = try await Self.answerAll(&victim, nonce: nonce)
            #expect(LinkSecrets.normalise(resumeCode: code) != nil)
            #expect(try await victim.get("/questionnaire/check").html.contains(nonce))
            // The draft is sealed and padded like a sealed copy: its size says nothing of the answers.
            let draftSizes = try await app.db.query("SELECT length(sealed) AS n FROM victim_draft").map { try $0.decode("n", as: Int.self) }
            #expect(draftSizes == [16_384])

            // The VLO (or someone in the household) with the letter: by link and by access code.
            var holder = VictimBrowser(client)
            let start = try await holder.get("/q/\(link.token)")
            #expect(start.html.contains("already been started"))
            #expect(!start.html.contains(nonce))
            let byCode = try await holder.post("/start", [("code", link.code)], withCSRF: false)
            #expect(byCode.html.contains("already been started"))
            #expect(!byCode.html.contains(nonce) && holder.cookie == nil)
            // A wrong resume code opens nothing.
            let wrong = try await holder.post("/q/\(link.token)", [("action", "resume"), ("resume_code", "0000-0000-0000")], withCSRF: false)
            #expect(wrong.status == .unprocessableContent && holder.cookie == nil && !wrong.html.contains(nonce))
            let accessCodeAsResume = try await holder.post("/q/\(link.token)", [("action", "resume"), ("resume_code", link.code)], withCSRF: false)
            #expect(accessCodeAsResume.status == .unprocessableContent && holder.cookie == nil)
            // Starting again gives empty answers on every page, and sending them is refused as incomplete.
            try await holder.post("/q/\(link.token)", [("action", "start-again")], withCSRF: false)
            #expect(holder.cookie != nil)
            for uri in ["/questionnaire", "/questionnaire/check", "/questionnaire/page/helped_most", "/questionnaire/page/completed_by"] {
                #expect(!(try await holder.follow(uri).html.contains(nonce)), "\(uri)")
            }
            #expect(try await app.count("SELECT count(*) FROM victim_draft WHERE invitation_id = \(link.id)") == 2)

            // The victim's resume code on another device carries on with the saved answers.
            var other = VictimBrowser(client)
            let resumed = try await other.post("/q/\(link.token)", [("action", "resume"), ("resume_code", code.lowercased())], withCSRF: false)
            #expect(resumed.location == "/questionnaire")
            #expect(try await other.get("/questionnaire/check").html.contains(nonce))
            #expect(try await victim.post("/questionnaire/submit", []).location == "/questionnaire/done")
            #expect(try await app.count("SELECT count(*) FROM sealed_response") == 1)
            #expect(try await app.count("SELECT count(*) FROM victim_draft WHERE invitation_id = \(link.id)") == 0)

            // Sent: the letter cannot withdraw; the holder's own session cannot either.
            var fresh = VictimBrowser(client)
            let sent = try await fresh.get("/q/\(link.token)")
            #expect(sent.html.contains("Answers have been sent for this link") && !sent.html.contains(nonce))
            let holderDone = try await holder.follow("/questionnaire/done")
            #expect(holderDone.html.contains("enter the resume code") && !holderDone.html.contains("Yes, withdraw"))
            let holderWithdraw = try await holder.post("/questionnaire/withdraw", [])
            #expect(holderWithdraw.html.contains("enter the resume code"))
            var letterOnly = VictimBrowser(client)
            let guessed = try await letterOnly.post("/q/\(link.token)", [("action", "withdraw"), ("resume_code", "ABCD-EFGH-JKMN")], withCSRF: false)
            #expect(guessed.status == .unprocessableContent && letterOnly.cookie == nil)
            let status = try await app.db.query("SELECT status FROM invitation WHERE id = \(link.id)")[0].decode("status", as: String.self)
            #expect(status == "submitted")
            #expect(try await app.count("SELECT count(*) FROM sealed_response") == 1)

            // With the resume code, on a new device, by access code: withdrawn.
            var later = VictimBrowser(client)
            let page = try await later.post("/start", [("code", link.code)], withCSRF: false)
            #expect(page.html.contains("Answers have been sent for this link"))
            let opened = try await later.post("/start", [("code", link.code), ("action", "withdraw"), ("resume_code", code)], withCSRF: false)
            #expect(opened.location == "/questionnaire/withdraw")
            let confirm = try await later.follow("/questionnaire/withdraw")
            #expect(confirm.html.contains("Yes, withdraw my answers"))
            let withdrawn = try await later.post("/questionnaire/withdraw", [])
            #expect(withdrawn.html.contains("Your answers have been withdrawn"))
            #expect(try await app.count("SELECT count(*) FROM sealed_response") == 0)
        }
    }

    @Test("the letter can start again and send its own answers, but what it sends never holds the victim's saved answers")
    func letterHolderSends() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let link = try #require(try await fixtures.issue(app).first)
            var victim = VictimBrowser(client)
            try await victim.post("/q/\(link.token)", [("action", "start")], withCSRF: false)
            _ = try await Self.answerAll(&victim, nonce: "VICTIMSAID")
            var holder = VictimBrowser(client)
            try await holder.post("/q/\(link.token)", [("action", "start-again")], withCSRF: false)
            _ = try await Self.answerAll(&holder, nonce: "HOLDERSAID")
            #expect(try await holder.post("/questionnaire/submit", []).location == "/questionnaire/done")
            let sealed = try await app.db.query("SELECT sealed FROM sealed_response")
            #expect(sealed.count == 1)
            let box = BallotBox(database: app.db, secrets: testLinkSecrets)
            let payload = try box.open(try sealed[0].decode("sealed", as: PostgresBytes.self).bytes)
            #expect(!"\(payload.answers)".contains("VICTIMSAID") && "\(payload.answers)".contains("HOLDERSAID"))
            // The victim's draft is gone with the link, unread; their session now learns only that answers were sent.
            #expect(try await app.count("SELECT count(*) FROM victim_draft") == 0)
            let done = try await victim.follow("/questionnaire/done")
            #expect(done.html.contains("enter the resume code") && !done.html.contains("VICTIMSAID"))
        }
    }

    @Test("wrong resume codes are rate-limited like access codes, per address, and the address is stored only as a daily keyed hash")
    func resumeCodeGuessing() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let link = try #require(try await fixtures.issue(app).first)
            var victim = VictimBrowser(client)
            try await victim.post("/q/\(link.token)", [("action", "start")], withCSRF: false)
            _ = try await Self.answerAll(&victim, nonce: "n")
            var guesser = VictimBrowser(client)
            var statuses: [HTTPResponse.Status] = []
            for attempt in 0..<31 {
                let code = String(format: "%012d", attempt)
                statuses.append(try await guesser.post("/q/\(link.token)", [("action", "resume"), ("resume_code", code)], withCSRF: false).status)
            }
            #expect(statuses.prefix(30).allSatisfy { $0 == .unprocessableContent })
            #expect(statuses.last == .tooManyRequests)
            #expect(guesser.cookie == nil)
            let clients = try await app.db.query("SELECT DISTINCT client FROM rate_limit_hit").map { try $0.decode("client", as: String.self) }
            #expect(clients.count == 1)
            #expect(clients.allSatisfy { $0.count == 64 && $0.allSatisfy(\.isHexDigit) })
        }
    }

    @Test("a rate-limit counter's address hash changes from one UTC day to the next, and is the same within a day")
    func rateLimitKeyRotates() async throws {
        try await TestApp.run { _, app in
            let limiter = RateLimiter(database: app.db, secrets: testLinkSecrets, bucket: "b", limit: 1, window: 60)
            let morning = app.clock.now
            let address = "203.0.113.7"
            #expect(limiter.stored(address, now: morning) == limiter.stored(address, now: morning.addingTimeInterval(3600)))
            #expect(limiter.stored(address, now: morning) != limiter.stored(address, now: morning.addingTimeInterval(86_400)))
            #expect(!limiter.stored(address, now: morning).contains("203"))
        }
    }

    /// Submits `count` responses for provider A through the store, each with a nonce; returns the nonces.
    static func submitThroughStore(_ app: TestApp, _ fixtures: Fixtures, count: Int) async throws -> [String] {
        let store = InvitationStore(database: app.db, secrets: testLinkSecrets)
        let form = try #require(app.dependencies.forms.current(id: VictimRoutes.formID))
        var nonces: [String] = []
        for link in try await fixtures.issue(app, count: count) {
            let nonce = "N\(UUID().uuidString)"
            let outcome = try await store.submit(
                link.id,
                form: form,
                answers: ["v2_completed_by": .codes(["victim"]), "v19_helped_most": .text(nonce)],
                language: .en,
                secret: LinkSecrets.newResumeCode(),
                today: app.dependencies.today,
                now: app.clock.now
            )
            #expect(outcome == .stored)
            nonces.append(nonce)
        }
        return nonces
    }

    /// How many released rows hold each nonce.
    static func releasedCounts(_ app: TestApp, _ nonces: [String]) async throws -> [Int] {
        let texts = try await app.db.query("SELECT answers ->> 'v19_helped_most' AS t FROM victim_response").map {
            try $0.decode("t", as: String.self)
        }
        return nonces.map { nonce in texts.filter { $0.contains(nonce) }.count }
    }

    struct Interrupted: Error {}

    @Test("a release interrupted after taking the sealed copies loses nothing; two releases at once release each response once")
    func interruptedAndConcurrentRelease() async throws {
        try await TestApp.run(poolSize: 6) { _, app in
            let fixtures = try await Fixtures.make(app.db)
            let nonces = try await Self.submitThroughStore(app, fixtures, count: 12)
            let box = BallotBox(database: app.db, secrets: testLinkSecrets)
            await #expect(throws: Interrupted.self) {
                try await box.release(today: app.dependencies.today) { _ in throw Interrupted() }
            }
            #expect(try await app.count("SELECT count(*) FROM sealed_response") == 12)
            #expect(try await app.count("SELECT count(*) FROM victim_response") == 0)
            async let first = box.release(today: app.dependencies.today)
            async let second = box.release(today: app.dependencies.today)
            let outcomes = try await [first, second]
            #expect(outcomes.map(\.total).reduce(0, +) == 12)
            #expect(try await Self.releasedCounts(app, nonces) == Array(repeating: 1, count: 12))
            #expect(try await app.count("SELECT count(*) FROM sealed_response") == 0)
            // A second pass finds nothing more to release.
            #expect(try await box.release(today: app.dependencies.today).total == 0)
        }
    }

    @Test("fewer than 10 wait sealed while the window is open; at its close the remainder is released without withdrawal keys")
    func remainderAtClose() async throws {
        try await TestApp.run { _, app in
            let fixtures = try await Fixtures.make(app.db)
            let nonces = try await Self.submitThroughStore(app, fixtures, count: 9)
            let box = BallotBox(database: app.db, secrets: testLinkSecrets)
            #expect(try await box.release(today: app.dependencies.today).total == 0)
            #expect(try await app.count("SELECT count(*) FROM sealed_response") == 9)
            try app.moveClock(to: "2026-12-22")
            #expect(try await box.release(today: app.dependencies.today).total == 9)
            #expect(try await Self.releasedCounts(app, nonces) == Array(repeating: 1, count: 9))
            #expect(try await app.count("SELECT count(*) FROM victim_response WHERE withdrawal_key IS NOT NULL") == 0)
        }
    }

    @Test("a victim withdraws after release with the resume code; the released response goes, the others stay")
    func withdrawalAfterRelease() async throws {
        try await TestApp.run { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let others = try await Self.submitThroughStore(app, fixtures, count: 9)
            let link = try #require(try await fixtures.issue(app).first)
            var victim = VictimBrowser(client)
            try await victim.post("/q/\(link.token)", [("action", "start")], withCSRF: false)
            let code = try await Self.answerAll(&victim, nonce: "MINE")
            #expect(try await victim.post("/questionnaire/submit", []).location == "/questionnaire/done")
            #expect(try await victim.get("/questionnaire/done").html.contains(code))
            #expect(try await BallotBox(database: app.db, secrets: testLinkSecrets).release(today: app.dependencies.today).total == 10)
            var later = VictimBrowser(client)
            let opened = try await later.post("/q/\(link.token)", [("action", "withdraw"), ("resume_code", code)], withCSRF: false)
            #expect(opened.location == "/questionnaire/withdraw")
            try await later.follow("/questionnaire/withdraw")
            #expect(try await later.post("/questionnaire/withdraw", []).html.contains("Your answers have been withdrawn"))
            #expect(try await app.count("SELECT count(*) FROM victim_response") == 9)
            #expect(try await app.count("SELECT count(*) FROM victim_response WHERE answers::text LIKE '%MINE%'") == 0)
            #expect(try await Self.releasedCounts(app, others) == Array(repeating: 1, count: 9))
        }
    }
}
