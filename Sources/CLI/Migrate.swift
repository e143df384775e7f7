import ArgumentParser
import Domain
import Foundation
import Logging
import Operations

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the SQL migrations in sql/ that the database does not have yet.",
        discussion: "Runs as the owner role when DATABASE_OWNER_URL is set (or in the embedded cluster), then grants the role of "
            + "DATABASE_URL the service's privileges. --print-roles prints the CREATE ROLE statements for an external server, "
            + "--print-grants the GRANT statements; neither touches a database."
    )

    @Flag(help: "Only list applied and pending migrations.")
    var status = false

    @Flag(help: "Print the statements that create the owner and service roles and grant the service its privileges; connect to nothing.")
    var printRoles = false

    @Flag(help: "Print the GRANT statements that give the service role its privileges (migrate applies them itself); connect to nothing.")
    var printGrants = false

    @Option(help: "The owner role's name, for --print-roles.")
    var ownerRole = DatabaseRoles.defaultOwnerRole

    @Option(help: "The service role's name, for --print-roles and --print-grants.")
    var serviceRole = DatabaseRoles.defaultServiceRole

    @Option(help: "The database's name, for --print-roles.")
    var database = "stakeholder_views"

    func run() async throws {
        if printRoles || printGrants {
            let script =
                printRoles
                ? DatabaseRoles.setupScript(owner: ownerRole, service: serviceRole, database: database)
                : DatabaseRoles.grantScript(service: serviceRole)
            FileHandle.standardOutput.write(Data(script.utf8))
            return
        }
        let configuration = try Setup.configuration()
        do {
            let lines = try await Server.migrate(configuration, statusOnly: status, logger: Logger(label: "stakeholder-views"))
            for line in lines { print(line) }
        } catch {
            Setup.fail("\(error)")
        }
    }
}
