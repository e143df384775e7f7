import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Testing

@testable import Domain
@testable import Operations
@testable import Web

/// `GET /metrics`: the operator's token, what is counted, and what never appears.
@Suite("Metrics for the operator")
struct MetricsTests {
    static let token = "metrics-token-for-tests-0123456789abcdef"

    /// Turns the endpoint on with `MetricsTests.token`.
    static func enabled(_ configuration: inout AppConfiguration) {
        configuration.metricsToken = token
    }

    /// Scrapes `/metrics` with the token and returns the text (recording an issue unless it is a 200).
    static func scrape(_ client: any TestClientProtocol, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let response = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(token)"])
        #expect(response.status == .ok, sourceLocation: sourceLocation)
        return response.text
    }

    /// The value of the sample line `series` (name and labels exactly as exposed), or nil when there is none.
    static func value(_ series: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    @Test("without METRICS_TOKEN there is no endpoint: /metrics is a 404 like any unknown page, token or not")
    func disabledWhenUnset() async throws {
        try await TestApp.run { client, _ in
            let plain = try await client.execute(uri: "/metrics", method: .get)
            #expect(plain.status == .notFound)
            let withToken = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(Self.token)"])
            #expect(withToken.status == .notFound)
            #expect(!withToken.text.contains("http_requests_total"))
        }
    }

    @Test(
        "a metrics request without the operator's token gets a short 401 asking for a bearer token, and no metric",
        arguments: [
            nil, "Bearer wrong-token-of-a-decent-length-0123456789", "Bearer \(String(token.dropLast()))", "Bearer \(token)x", "Basic \(token)",
            "Bearer", "Bearer ", token,
        ]
    )
    func refused(authorization: String?) async throws {
        try await TestApp.run(configure: Self.enabled) { client, _ in
            var headers: HTTPFields = [:]
            if let authorization { headers[.authorization] = authorization }
            let response = try await client.execute(uri: "/metrics", method: .get, headers: headers)
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            #expect(response.headers[.contentType] == "text/plain; charset=utf-8")
            #expect(response.text.contains("operator's token"))
            #expect(!response.text.contains("# TYPE"))
            #expect(!response.text.contains("http_requests_total"))
            #expect(!response.text.contains(Self.token))
        }
    }

    @Test("the right token gets the text exposition format, with the scheme in any case")
    func rightToken() async throws {
        try await TestApp.run(configure: Self.enabled) { client, _ in
            _ = try await client.execute(uri: "/", method: .get)
            for scheme in ["Bearer", "bearer", "BEARER"] {
                let response = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "\(scheme) \(Self.token)"])
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                #expect(response.text.contains("# TYPE http_requests_total counter"))
                #expect(response.text.contains("# TYPE victim_submissions_total counter"))
            }
        }
    }

    @Test("requests are counted and timed under their route pattern, never the path; unknown pages share one label")
    func routePatterns() async throws {
        try await TestApp.run(configure: Self.enabled) { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let link = try #require(try await fixtures.issue(app).first)
            #expect(try await client.execute(uri: "/q/\(link.token)", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/no-such-page/\(link.token)", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/assets/no-such-file-\(link.token).css", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/assets/css/app.css", method: .get).status == .ok)

            let text = try await Self.scrape(client)
            #expect(Self.value(#"http_requests_total{method="GET",route="/q/{token}",status="200"}"#, in: text) == 1)
            #expect(Self.value(#"http_request_duration_seconds_count{method="GET",route="/q/{token}"}"#, in: text) == 1)
            #expect(Self.value(#"http_requests_total{method="GET",route="/healthz",status="200"}"#, in: text) == 1)
            #expect(Self.value(#"http_requests_total{method="GET",route="/assets",status="200"}"#, in: text) == 1)
            // Both misses (the page and the file) share the one label.
            #expect(Self.value(#"http_requests_total{method="GET",route="unmatched",status="404"}"#, in: text) == 2)
            #expect(!text.contains(link.token))
            #expect(!text.contains("no-such"))
        }
    }

    @Test("an unusual method is counted as 'other', so clients cannot add label values")
    func unusualMethod() async throws {
        try await TestApp.run(configure: Self.enabled) { client, _ in
            _ = try await client.execute(uri: "/", method: HTTPRequest.Method("BREW")!)
            let text = try await Self.scrape(client)
            #expect(text.contains(#"method="other""#))
            #expect(!text.contains("BREW"))
        }
    }

    @Test("the pool's gauges are in the scrape: capacity, in use, idle, waiting, and every lease's wait")
    func poolGauges() async throws {
        try await TestApp.run(configure: Self.enabled) { client, app in
            _ = try await client.execute(uri: "/healthz", method: .get)
            let text = try await Self.scrape(client)
            let capacity = try #require(Self.value("db_pool_connections_capacity", in: text))
            #expect(capacity == Double(app.db.configuration.poolSize))
            let inUse = try #require(Self.value("db_pool_connections_in_use", in: text))
            let idle = try #require(Self.value("db_pool_connections_idle", in: text))
            #expect(inUse + idle == capacity)
            #expect(Self.value("db_pool_waiting_acquirers", in: text) == 0)
            #expect(Self.value("db_pool_acquire_timeouts_total", in: text) == 0)
            // /healthz's query leased a connection: at least one observed wait, and none was refused.
            #expect(try #require(Self.value("db_pool_acquire_wait_seconds_count", in: text)) >= 1)
            #expect(text.contains(#"db_pool_acquire_wait_seconds_bucket{le="0.0"}"#))
        }
    }

    @Test(
        "after a victim's journey by link, one by access code, a paper return and a staff sign-in, the scrape holds no token, code, answer or name, and the counters moved"
    )
    func privacyAfterJourneys() async throws {
        try await TestApp.run(configure: Self.enabled) { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let links = try await fixtures.issue(app, count: 2)
            let before = try await Self.scrape(client)
            #expect(Self.value(#"victim_submissions_total{channel="online",language="en"}"#, in: before) == 0)

            var byLink = VictimBrowser(client)
            try await VictimQuestionnaireTests.complete(&byLink, token: links[0].token)
            #expect(try await byLink.post("/questionnaire/submit", []).location == "/questionnaire/done")

            var byCode = VictimBrowser(client)
            let typed = LinkSecrets.display(code: links[1].code)
            #expect(try await byCode.post("/start", [("code", typed), ("lang", "cy")], withCSRF: false).location == "/questionnaire")
            #expect(try await byCode.follow("/questionnaire").status == .ok)

            let inspector = try await app.signedIn(client, as: .inspector, email: "ceridwen.metrics@example.gov.uk")
            let inspectorID = try await app.db.query("SELECT id FROM staff_user WHERE role = 'inspector'")[0].decode("id", as: Int.self)
            try await InspectionStore(database: app.db).assign(inspectionID: fixtures.inspectionID, inspectors: [inspectorID], lead: nil)
            let paper = try await inspector.post(
                "/inspections/\(fixtures.inspectionID)/paper",
                [
                    ("language", "cy"), ("provider", String(fixtures.providerB)), ("v2_completed_by", "helper"),
                    ("v19_helped_most", "Ysgrifennwyd â llaw"),
                ]
            )
            #expect(paper.status == .created)

            let text = try await Self.scrape(client)
            #expect(Self.value(#"victim_submissions_total{channel="online",language="en"}"#, in: text) == 1)
            #expect(Self.value(#"victim_submissions_total{channel="paper",language="cy"}"#, in: text) == 1)
            #expect(Self.value(#"victim_submissions_total{channel="online",language="cy"}"#, in: text) == 0)
            #expect(Self.value(#"http_requests_total{method="POST",route="/questionnaire/submit",status="303"}"#, in: text) == 1)
            #expect(Self.value(#"http_requests_total{method="POST",route="/q/{token}",status="303"}"#, in: text) == 1)
            #expect(Self.value(#"http_requests_total{method="POST",route="/sign-in",status="303"}"#, in: text) == 1)
            #expect(Self.value(#"http_requests_total{method="POST",route="/inspections/{id}/paper",status="201"}"#, in: text) == 1)

            let secrets = links.flatMap { [$0.token, $0.code, LinkSecrets.display(code: $0.code)] } + [Self.token]
            let personal = [
                "Roedd hi", "garedig", "Ysgrifennwyd", "helper", "ceridwen", "example.gov.uk", TestApp.password,
                "Inspector Person",
            ]
            for secret in secrets + personal {
                #expect(!text.localizedCaseInsensitiveContains(secret), "the scrape holds '\(secret)'")
            }
            // Every label value is from a short fixed vocabulary or a route pattern.
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let open = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}") else { continue }
                for pair in line[line.index(after: open)..<close].split(separator: ",") {
                    let value = pair.split(separator: "=", maxSplits: 1).last.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
                    #expect(value.map { $0.count <= 80 } == true, "a long label value: \(line)")
                }
            }
        }
    }

    @Test("imports from the upload page are counted by outcome, with the rows they wrote")
    func importCounters() async throws {
        try await SurveyImportWebTests.withUploadApp { client, testApp, _ in
            let registry = testApp.dependencies.metrics.registry
            #expect(Self.value(#"survey_imports_total{outcome="imported"}"#, in: registry.emitToString()) == 0)
            let generated = try SurveyImportWebTests.generatedCSV(testApp, rows: 30)
            var lines = String(decoding: generated, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            var fields = lines[5].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields[1] = "99"
            lines[5] = fields.joined(separator: ",")
            let file = Array(lines.joined(separator: "\n").utf8)

            // All or nothing with an invalid row: rejected, nothing written.
            try await Self.upload(client, file: file, acceptValidRows: false)
            var text = registry.emitToString()
            #expect(Self.value(#"survey_imports_total{outcome="rejected"}"#, in: text) == 1)
            #expect(Self.value(#"survey_imports_total{outcome="imported"}"#, in: text) == 0)
            #expect(Self.value("survey_import_rows_total", in: text) == 0)

            // The valid rows: imported, 29 rows.
            try await Self.upload(client, file: file, acceptValidRows: true)
            text = registry.emitToString()
            #expect(Self.value(#"survey_imports_total{outcome="imported"}"#, in: text) == 1)
            #expect(Self.value(#"survey_imports_total{outcome="rejected"}"#, in: text) == 1)
            #expect(Self.value("survey_import_rows_total", in: text) == 29)
            #expect(Self.value(#"survey_imports_total{outcome="failed"}"#, in: text) == 0)
        }
    }

    /// Uploads `file` for 2013, waits for the check, imports, and waits for the job to finish.
    static func upload(_ client: any TestClientProtocol, file: [UInt8], acceptValidRows: Bool) async throws {
        let (headers, body) = SurveyImportWebTests.multipart(year: "2013", fileName: "survey.csv", file: file)
        let posted = try await client.execute(uri: SurveyImportRoutes.basePath, method: .post, headers: headers, body: body)
        let location = try #require(posted.headers[.location])
        _ = try await SurveyImportWebTests.settledPage(client, location)
        let committed = try await client.execute(
            uri: location + "/import",
            method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: acceptValidRows ? "accept_valid_rows=yes" : "")
        )
        #expect(committed.status == .seeOther)
        _ = try await SurveyImportWebTests.settledPage(client, location)
    }

    @Test("retention deletions are counted by kind; zero counts, dry runs and runs that did not get the lock add nothing")
    func retentionDeletions() {
        let metrics = AppMetrics()
        func outcome(_ counts: [(RetentionOutcome.Kind, Int)], ran: Bool = true, dryRun: Bool = false) -> RetentionOutcome {
            RetentionOutcome(items: counts.map { .init(inspectionID: 1, kind: $0.0, count: $0.1) }, ran: ran, dryRun: dryRun)
        }
        metrics.recordRetention(outcome([(.victimResponses, 3), (.sentencerNotes, 0)]))
        metrics.recordRetention(outcome([(.victimResponses, 2)]))
        metrics.recordRetention(outcome([(.victimResponses, 7)], dryRun: true))
        metrics.recordRetention(outcome([(.victimResponses, 7)], ran: false))
        let text = metrics.registry.emitToString()
        #expect(Self.value(#"retention_deletions_total{kind="victim_responses"}"#, in: text) == 5)
        #expect(!text.contains("sentencer_notes"))
    }

    @Test("ballot box releases are counted: runs, and responses released")
    func releases() async throws {
        try await TestApp.run { _, app in
            let fixtures = try await Fixtures.make(app.db)
            _ = try await AnonymityAttackTests.submitThroughStore(app, fixtures, count: 11)
            let metrics = AppMetrics()
            metrics.recordRelease(try await app.release())
            metrics.recordRelease(try await app.release())
            let text = metrics.registry.emitToString()
            #expect(Self.value("victim_responses_released_total", in: text) == 11)
            #expect(Self.value("ballot_box_release_runs_total", in: text) == 2)
        }
    }

    @Test("with METRICS_PORT the metrics are only on their own listener: the public port answers 404")
    func separateListener() async throws {
        try await TestApp.run(configure: Self.enabled) { _, app in
            #expect(buildMetricsApplication(app.dependencies) == nil)
        }
        let configure: (inout AppConfiguration) -> Void = { configuration in
            Self.enabled(&configuration)
            configuration.metricsPort = 9464
        }
        try await TestApp.run(configure: configure) { client, app in
            #expect(try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(Self.token)"]).status == .notFound)
            let metricsApp = try #require(buildMetricsApplication(app.dependencies))
            try await metricsApp.test(.router) { operator_ in
                let refused = try await operator_.execute(uri: "/metrics", method: .get)
                #expect(refused.status == .unauthorized)
                let scraped = try await operator_.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(Self.token)"])
                #expect(scraped.status == .ok)
                #expect(scraped.text.contains("db_pool_connections_capacity"))
                #expect(try await operator_.execute(uri: "/", method: .get).status == .notFound)
                #expect(try await operator_.execute(uri: "/healthz", method: .get).status == .notFound)
            }
        }
    }
}
