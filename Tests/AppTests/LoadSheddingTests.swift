import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

@testable import App

/// Issue 10: under overload and database trouble the service answers 503 "please try again" at once, never 500.
@Suite("Load shedding and database trouble")
struct LoadSheddingTests {
    @Test("one request more than MAX_CONCURRENT_REQUESTS gets 503 with Retry-After at once; static files still load")
    func shedsBeyondTheLimit() async throws {
        let oneAtATime: (inout AppConfiguration) -> Void = { $0.maxConcurrentRequests = 1 }
        try await TestApp.run(poolSize: 1, acquireTimeout: .seconds(10), configure: oneAtATime) { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let links = try await fixtures.issue(app, count: 2)
            let limit = app.dependencies.requestLimit
            // Hold the pool's only connection: the first request is admitted and waits for it.
            let (release, releasing) = AsyncStream<Void>.makeStream()
            let holder = Task { try await app.servicePool.withConnection { _ in for await _ in release { break } } }
            while app.servicePool.statistics.inUse < 1 { await Task.yield() }
            async let first = client.execute(uri: "/q/\(links[0].token)", method: .get) { $0.status }
            while app.servicePool.statistics.waiting < 1 { await Task.yield() }
            #expect(limit.current == 1)
            // Without shedding this request would wait for the connection too, until the pool's acquire timeout.
            try await client.execute(uri: "/q/\(links[1].token)", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "5")
                #expect(response.text.contains("Please try again"))
                // In Welsh too: a victim answering in Welsh gets this page without a session to choose the language.
                #expect(response.text.contains(#"<div lang="cy">"#) && response.text.contains("Rhowch gynnig arall arni"))
            }
            try await client.execute(uri: "/assets/css/app.css", method: .get) { response in
                #expect(response.status == .ok)
            }
            #expect(limit.shed == 1)
            // The operator sees it: the shed counter moved and the in-flight gauge shows the held request.
            let scrape = app.dependencies.metrics.render(pool: app.servicePool.statistics, requests: limit)
            #expect(scrape.contains("http_requests_shed_total 1\n"))
            #expect(scrape.contains("http_requests_in_flight 1.0\n") || scrape.contains("http_requests_in_flight 1\n"))
            #expect(scrape.contains("http_requests_in_flight_limit 1"))
            #expect(app.servicePool.statistics.timeouts == 0, "the 503 came from shedding, not from waiting for the pool")
            releasing.finish()
            try await holder.value
            #expect(try await first == .ok)
            // The place is given back: the next request is served.
            try await client.execute(uri: "/q/\(links[1].token)", method: .get) { response in
                #expect(response.status == .ok)
            }
            #expect(limit.current == 0)
        }
    }

    @Test("shedding is logged once a second, not once a request")
    func shedLogIsRateLimited() {
        let limit = ConcurrencyLimit(limit: 1)
        #expect(limit.shouldLog(second: 5))
        #expect(!limit.shouldLog(second: 5))
        #expect(!limit.shouldLog(second: 5))
        #expect(limit.shouldLog(second: 6))
    }

    @Test("a request that waits longer than the pool's acquire timeout gets the 503 page, not a 500")
    func poolTimeoutIsUnavailable() async throws {
        try await TestApp.run(poolSize: 1, acquireTimeout: .milliseconds(100)) { client, app in
            let fixtures = try await Fixtures.make(app.db)
            let link = try #require(try await fixtures.issue(app).first)
            // The application's own pool (the service role's), not the owner's that fixtures use.
            try await app.servicePool.withConnection { _ in
                try await client.execute(uri: "/q/\(link.token)", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(response.headers[.retryAfter] == "5")
                    #expect(response.text.contains("Nothing you have already submitted has been lost"))
                }
            }
            #expect(app.servicePool.statistics.timeouts == 1)
        }
    }
}
