import Foundation
import Logging
import Synchronization
import Testing

@testable import Domain
@testable import Operations
@testable import Web

/// Log messages kept for a test to read.
final class CapturedLog: Sendable {
    private let lines = Mutex<[String]>([])
    var messages: [String] { lines.withLock { $0 } }

    /// A logger whose messages (with their metadata) land here.
    func logger() -> Logger {
        Logger(label: "test") { _ in Handler(log: self) }
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let details = (event.metadata ?? [:]).map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
            log.lines.withLock { $0.append("\(event.level) \(event.message) \(details)") }
        }
    }
}

@Suite("The first run leads somewhere")
struct FirstRunTests {
    @Test("with no staff account, serve says the command that creates the first administrator; once there is one, it says nothing")
    func firstAdministrator() async throws {
        try await TestApp.run { _, app in
            let captured = CapturedLog()
            try await Server.sayHowToCreateTheFirstAdministrator(app.db, configuration: app.dependencies.configuration, logger: captured.logger())
            #expect(captured.messages.count == 1)
            let message = try #require(captured.messages.first)
            #expect(message.hasPrefix("notice no staff account yet"))
            #expect(message.contains(" user create --role admin --email "))
            #expect(message.contains("command=/"), "the command names the binary by its absolute path")
            _ = try await app.createUser("first@example.gov.uk", role: .admin)
            try await Server.sayHowToCreateTheFirstAdministrator(app.db, configuration: app.dependencies.configuration, logger: captured.logger())
            #expect(captured.messages.count == 1)
        }
    }
}
