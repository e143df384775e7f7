import ArgumentParser
import Domain
import Foundation
import Logging
import Operations

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the web service.")

    @Option(help: "Address to listen on (env HOST, default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (env PORT, default 8080).")
    var port: Int?

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be from 0 to 65535") }
        if let host, host.isEmpty { throw ValidationError("--host must not be empty") }
    }

    func run() async throws {
        var configuration = try Setup.configuration()
        if let host { configuration.host = host }
        if let port { configuration.port = port }
        if let port, port == configuration.metricsPort {
            Setup.fail("--port must differ from METRICS_PORT (\(port)): the metrics listener is separate from the public one")
        }
        do {
            try await Server.run(configuration, logger: Logger(label: "stakeholder-views"))
        } catch {
            Setup.fail("\(error)")
        }
    }
}
