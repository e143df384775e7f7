import Domain
import Foundation
import Operations
import Testing
import Web

@Suite("Staff form parsing, password rules, tokens, configuration")
struct AccountsUnitTests {
    @Test("form bodies decode + and percent escapes and keep repeated names")
    func formParsing() throws {
        let form = try StaffForm(parsing: Array("a=1+2&b=%C3%A9t%C3%A9&a=3&empty=&flag".utf8))
        #expect(form["a"] == "1 2")
        #expect(form["b"] == "été")
        #expect(form["empty"] == "")
        #expect(form["flag"] == "")
        #expect(form.fields.filter { $0.0 == "a" }.map(\.1) == ["1 2", "3"])
    }

    @Test("invalid UTF-8, bad escapes and control characters are refused with the right problem")
    func formProblems() {
        #expect(throws: StaffForm.Problem.unreadable) { try StaffForm(parsing: [0x61, 0x3D, 0xFF]) }
        #expect(throws: StaffForm.Problem.unreadable) { try StaffForm(parsing: Array("a=%ED%A0%80".utf8)) }
        #expect(throws: StaffForm.Problem.unreadable) { try StaffForm(parsing: Array("a=%01".utf8)) }
        #expect(throws: StaffForm.Problem.unreadable) { try StaffForm(parsing: Array("a=%4".utf8)) }
        #expect(throws: StaffForm.Problem.unreadable) { try StaffForm(parsing: Array("a=%zz".utf8)) }
        #expect(throws: StaffForm.Problem.valueTooLong) { try StaffForm(parsing: Array(("a=" + String(repeating: "x", count: 10_001)).utf8)) }
    }

    @Test("passwords: at least 12 characters, at most 64, not common (any case), not the email, not one repeated character")
    func passwordPolicy() throws {
        let policy = try PasswordPolicy.load(path: projectRoot + "/data/common-passwords.txt")
        #expect(policy.problem(with: "purple elephant marmalade", email: "a@example.gov.uk") == nil)
        #expect(policy.problem(with: "", email: nil) == "Enter a password")
        #expect(policy.problem(with: "elevenchars", email: nil)?.contains("12 characters or more") == true)
        #expect(policy.problem(with: String(repeating: "ab1", count: 22), email: nil)?.contains("64 characters or fewer") == true)
        #expect(policy.problem(with: "PASSWORD1234", email: nil)?.contains("too common") == true)
        #expect(policy.problem(with: "qwertyuiop123", email: nil)?.contains("too common") == true)
        #expect(policy.problem(with: "aaaaaaaaaaaaaaa", email: nil)?.contains("too common") == true)
        #expect(policy.problem(with: "ffion.jones.long@example.gov.uk", email: "ffion.jones.long@example.gov.uk")?.contains("email") == true)
        // Multi-byte characters count against bcrypt's 72-byte limit.
        #expect(policy.problem(with: String(repeating: "é", count: 40), email: nil)?.contains("fewer") == true)
    }

    @Test("a missing common-passwords file stops start-up with a message naming the variable")
    func missingList() {
        #expect(throws: AppConfiguration.Invalid.self) { try PasswordPolicy.load(path: "/nonexistent/list.txt") }
    }

    @Test("tokens are 256-bit base64url, all different; only well-formed ones are looked up")
    func tokens() {
        let tokens = (0..<100).map { _ in SecretToken.generate() }
        #expect(Set(tokens).count == 100)
        #expect(tokens.allSatisfy(SecretToken.isWellFormed))
        #expect(!SecretToken.isWellFormed("short"))
        #expect(!SecretToken.isWellFormed(String(repeating: "=", count: 43)))
        #expect(SecretToken.constantTimeEquals("abc", "abc"))
        #expect(!SecretToken.constantTimeEquals("abc", "abd"))
        #expect(!SecretToken.constantTimeEquals("abc", "abcd"))
    }

    @Test("bcrypt hashes at the configured cost and verifies; BCRYPT_COST below 12 is refused")
    func bcrypt() async throws {
        let hasher = PasswordHasher(cost: 4)
        let hash = try await hasher.hash("purple elephant marmalade")
        #expect(hash.hasPrefix("$2b$04$"))
        #expect(try await hasher.verify("purple elephant marmalade", hash: hash))
        #expect(try await !hasher.verify("purple elephant marmalade!", hash: hash))
        #expect(throws: AppConfiguration.Invalid.self) { try AppConfiguration(environment: ["BCRYPT_COST": "11"]) }
        #expect(try AppConfiguration(environment: ["BCRYPT_COST": "13"]).bcryptCost == 13)
        #expect(AppConfiguration().bcryptCost == 12)
    }

    @Test("the staff-account settings read their variables and refuse bad values")
    func configuration() throws {
        let configuration = try AppConfiguration(environment: [
            "SESSION_IDLE_TIMEOUT": "600", "SESSION_ABSOLUTE_TIMEOUT": "3600",
            "COMMON_PASSWORDS_FILE": "/etc/list.txt", "TRUST_X_FORWARDED_FOR": "yes",
        ])
        #expect(configuration.sessionIdleTimeout == .seconds(600))
        #expect(configuration.sessionAbsoluteTimeout == .seconds(3600))
        #expect(configuration.commonPasswordsFile == "/etc/list.txt")
        #expect(configuration.trustForwardedFor)
        let defaults = AppConfiguration()
        #expect(defaults.sessionIdleTimeout == .seconds(1800))
        #expect(defaults.sessionAbsoluteTimeout == .seconds(43200))
        #expect(throws: AppConfiguration.Invalid.self) { try AppConfiguration(environment: ["SESSION_IDLE_TIMEOUT": "5"]) }
        #expect(throws: AppConfiguration.Invalid.self) { try AppConfiguration(environment: ["TRUST_X_FORWARDED_FOR": "maybe"]) }
    }

    @Test("VLOs may see only their own provider's work; disabled accounts nothing")
    func organisationScope() {
        var vlo = StaffUser(
            id: 1,
            email: "v@example.gov.uk",
            displayName: "V",
            role: .vlo,
            organisationID: 5,
            organisationName: "NPS Wales",
            mustChangePassword: false,
            active: true
        )
        #expect(vlo.maySeeWork(of: 5))
        #expect(!vlo.maySeeWork(of: 6))
        var inspector = vlo
        inspector.role = .inspector
        inspector.organisationID = 1
        #expect(inspector.maySeeWork(of: 6))
        vlo.active = false
        #expect(!vlo.maySeeWork(of: 5))
        #expect(!vlo.can(.useStaffPages))
    }
}
