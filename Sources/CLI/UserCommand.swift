import ArgumentParser
import Domain
import Foundation
import Logging
import Operations

// MARK: Staff accounts (issue 4)

extension Role: ExpressibleByArgument {}

/// `user create|list|set-password|disable`. Passwords come from a prompt with echo off, or from standard input when it
/// is not a terminal (one line); never from an argument, where they would sit in shell history and `ps`.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage staff accounts (the first administrator is created here).",
        subcommands: [Create.self, List.self, SetPassword.self, Disable.self]
    )

    static func perform<T: Sendable>(_ body: @Sendable (AccountsCommandLine) async throws -> T) async throws -> T {
        let configuration = try Setup.configuration()
        do {
            return try await AccountsCommandLine.run(configuration, logger: Logger(label: "stakeholder-views"), body)
        } catch {
            Setup.fail("\(error)")
        }
    }

    /// Reads a new password: twice at a terminal with echo off, or one line from piped standard input.
    static func readNewPassword() -> String {
        if isatty(STDIN_FILENO) == 0 {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else { Setup.fail("no password on standard input") }
            return line
        }
        let first = prompt("New password (at least 12 characters): ")
        let second = prompt("Type it again: ")
        guard first == second else { Setup.fail("the passwords do not match") }
        return first
    }

    /// Prints `text` to standard error and reads a line from the terminal without echoing it.
    static func prompt(_ text: String) -> String {
        FileHandle.standardError.write(Data(text.utf8))
        var original = termios()
        tcgetattr(STDIN_FILENO, &original)
        var silent = original
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        let line = readLine(strippingNewline: true) ?? ""
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
        FileHandle.standardError.write(Data("\n".utf8))
        return line
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a staff user; the password is read from a prompt or standard input.")

        @Option(help: "admin, inspector, vlo or survey_coordinator.")
        var role: Role

        @Option(help: "Their email address (their sign-in name).")
        var email: String

        @Option(help: "Their full name, as shown on pages (default: the part of the email before @).")
        var name: String?

        @Option(help: "For a VLO or a survey coordinator: the code of the provider they work for.")
        var provider: String?

        func run() async throws {
            let password = UserCommand.readNewPassword()
            let (email, role, provider) = (email, role, provider)
            let name = name ?? String(email.split(separator: "@").first ?? "")
            let id = try await UserCommand.perform { accounts in
                try await accounts.createUser(email: email, displayName: name, role: role, providerCode: provider, password: password)
            }
            print("created user \(id)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List staff users: id, email, role, organisation, status.")

        func run() async throws {
            let lines = try await UserCommand.perform { accounts in try await accounts.listUsers() }
            for line in lines { print(line) }
        }
    }

    struct SetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-password",
            abstract: "Set a user's password (read from a prompt or standard input) and end their sessions."
        )

        @Option(help: "The user's email address.")
        var email: String

        func run() async throws {
            let password = UserCommand.readNewPassword()
            let email = email
            try await UserCommand.perform { accounts in try await accounts.setPassword(email: email, password: password) }
            print("password set")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user and end their sessions.")

        @Option(help: "The user's email address.")
        var email: String

        func run() async throws {
            let email = email
            try await UserCommand.perform { accounts in try await accounts.disable(email: email) }
            print("user disabled")
        }
    }
}
