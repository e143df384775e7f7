import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Operations
import Postgres
import Testing
import Web

/// Reference data and an inspection whose victim window is open on the test clock's date (2026-11-26).
struct Fixtures {
    let areaID: Int
    let providerA: Int
    let providerB: Int
    let inspectionID: Int

    static func make(_ db: PostgresClient) async throws -> Fixtures {
        let area = try await db.query(
            "INSERT INTO area (code, name, country, valid_from) VALUES ('WAL', 'Wales', 'wales', '2014-06-01') RETURNING id"
        )[0].decode("id", as: Int.self)
        let a = try await db.query(
            "INSERT INTO provider (code, name, kind, area_id, valid_from) VALUES ('NPSW', 'NPS Wales', 'nps', \(area), '2014-06-01') RETURNING id"
        )[0]
        .decode("id", as: Int.self)
        let b = try await db.query(
            "INSERT INTO provider (code, name, kind, area_id, valid_from) VALUES ('WWCRC', 'Wales CRC', 'crc', \(area), '2014-06-01') RETURNING id"
        )[0]
        .decode("id", as: Int.self)
        let dates = InspectionDates(
            announcedOn: try #require(LocalDate(iso: "2026-10-01")),
            fieldworkStartsOn: try #require(LocalDate(iso: "2026-12-07")),
            weekPlusTwoOn: try #require(LocalDate(iso: "2026-12-21")),
            victimWindowOpensOn: try #require(LocalDate(iso: "2026-11-09")),
            victimWindowClosesOn: try #require(LocalDate(iso: "2026-12-21"))
        )
        let inspection = try await InspectionStore(database: db).create(title: "Wales 2026", areaID: area, providerIDs: [a, b], dates: dates)
        return Fixtures(areaID: area, providerA: a, providerB: b, inspectionID: inspection)
    }

    /// Issues links through the store, as a VLO's page does.
    func issue(_ app: TestApp, count: Int = 1, provider: Int? = nil, language: String = "en") async throws -> [IssuedLink] {
        try await InvitationStore(database: app.db, secrets: testLinkSecrets).issue(
            inspectionID: inspectionID,
            providerID: provider ?? providerA,
            issuedBy: nil,
            count: count,
            reference: "ref",
            language: language,
            now: app.clock.now
        )
    }
}

/// A victim's browser: keeps the session cookie and the latest CSRF token, and follows redirects.
struct VictimBrowser {
    let client: any TestClientProtocol
    var cookie: String?
    var csrf: String?
    var location: String?

    init(_ client: any TestClientProtocol) {
        self.client = client
    }

    struct Page {
        let status: HTTPResponse.Status
        let html: String
        let location: String?
    }

    @discardableResult
    mutating func get(_ uri: String) async throws -> Page {
        try await send(uri, method: .get, body: nil)
    }

    @discardableResult
    mutating func post(_ uri: String, _ fields: [(String, String)], withCSRF: Bool = true) async throws -> Page {
        var all = fields
        if withCSRF, let csrf { all.append(("csrf_token", csrf)) }
        let body = all.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return try await send(uri, method: .post, body: ByteBuffer(string: body))
    }

    mutating func send(_ uri: String, method: HTTPRequest.Method, body: ByteBuffer?) async throws -> Page {
        var headers: HTTPFields = [:]
        if let cookie { headers[.cookie] = "sv_q=\(cookie)" }
        if body != nil { headers[.contentType] = "application/x-www-form-urlencoded" }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body)
        for field in response.headers[values: .setCookie] where field.hasPrefix("sv_q=") {
            let value = String(field.dropFirst(5).prefix { $0 != ";" })
            cookie = value.isEmpty ? nil : value
        }
        let html = String(buffer: response.body)
        if let range = html.range(of: "name=\"csrf_token\" value=\"") {
            csrf = String(html[range.upperBound...].prefix { $0 != "\"" })
        }
        location = response.headers[.location]
        return Page(status: response.status, html: html, location: response.headers[.location])
    }

    /// Starts answering with a link (the start page's POST) and follows to the first question; returns that page.
    @discardableResult
    mutating func begin(_ token: String) async throws -> Page {
        try await post("/q/\(token)", [], withCSRF: false)
        return try await follow("/questionnaire")
    }

    /// GETs `uri` and follows redirects within the service.
    @discardableResult
    mutating func follow(_ uri: String) async throws -> Page {
        var page = try await get(uri)
        var hops = 0
        while let next = page.location, next.hasPrefix("/"), hops < 5 {
            page = try await get(next)
            hops += 1
        }
        return page
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
