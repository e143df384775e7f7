import ArgumentParser
import Domain
import Foundation
import Logging
import Operations

struct Database: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Start, stop or check the embedded PostgreSQL cluster under DATA_DIR.",
        subcommands: [Start.self, Stop.self, Status.self]
    )

    enum Action { case start, stop, status }

    static func perform(_ action: Action) async throws {
        let configuration = try Setup.configuration()
        let logger = Logger(label: "stakeholder-views")
        do {
            let cluster = try EmbeddedCluster(dataDirectory: configuration.dataDirectory + "/postgres")
            switch action {
            case .start:
                _ = try await DatabaseSetup.startEmbedded(cluster, logger: logger)
                print(cluster.connectionString)
            case .stop:
                try cluster.stop(logger: logger)
            case .status:
                if cluster.isRunning() {
                    print("running: \(cluster.connectionString)")
                } else {
                    print("not running (\(cluster.dataDirectory))")
                    throw ExitCode(3)
                }
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            Setup.fail("\(error)")
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create (if needed) and start the cluster; print its connection string.")
        func run() async throws { try await Database.perform(.start) }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the cluster.")
        func run() async throws { try await Database.perform(.stop) }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say whether the cluster is running (exit 3 when it is not).")
        func run() async throws { try await Database.perform(.status) }
    }
}
