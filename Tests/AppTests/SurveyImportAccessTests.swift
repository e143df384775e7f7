import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Domain
@testable import Operations
@testable import Web

@Suite("Survey import: mounted behind staff sign-in, the importSurvey permission and CSRF")
struct SurveyImportAccessTests {
    @Test("anonymous visitors sign in first, VLOs are refused, inspectors reach the page, and an upload needs the token")
    func access() async throws {
        try await TestApp.run { client, app in
            let anonymous = StaffBrowser(client)
            let redirected = try await anonymous.get(SurveyImportRoutes.basePath)
            #expect(redirected.status == .seeOther)
            #expect(redirected.headers[.location]?.hasPrefix("/sign-in") == true)
            let vlo = try await app.signedIn(client, as: .vlo)
            #expect(try await vlo.get(SurveyImportRoutes.basePath).status == .forbidden)
            let inspector = try await app.signedIn(client, as: .inspector)
            let page = try await inspector.get(SurveyImportRoutes.basePath)
            #expect(page.status == .ok)
            let token = try #require(inspector.csrfToken)
            #expect(page.text.contains("action=\"\(SurveyImportRoutes.basePath)?csrf_token=\(token)\""))
            // Without the token in the address an upload is refused before its body is read.
            let refused = try await inspector.postRaw(SurveyImportRoutes.basePath, body: Array("year=2013".utf8))
            #expect(refused.status == .forbidden)
            let wrong = try await inspector.postRaw(SurveyImportRoutes.basePath + "?csrf_token=forged", body: Array("year=2013".utf8))
            #expect(wrong.status == .forbidden)
        }
    }
}
