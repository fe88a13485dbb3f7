import ArgumentParser
import IDCACore

/// The `idca` command line: every operator task is a subcommand of this root.
public struct IDCACommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "idca",
        abstract: "idca — identity certification authority (后台实名、前台自愿).",
        subcommands: [ValidateCommand.self, ServeCommand.self, KeysCommand.self, SitesCommand.self, AuditorsCommand.self, RegistryCommand.self,
                      AuditCommand.self, StatsCommand.self, CertificationsCommand.self, ReportsCommand.self,
                      DisclosureCommand.self, DemoCommand.self]
    )

    public init() {}

    /// Parses `arguments` (without the program name), runs the command and returns the process
    /// exit status.
    ///
    /// ArgumentParser reports usage errors as EX_USAGE (64); idca's contract, like most Unix
    /// filters, uses 2 for them so that scripts can tell "bad invocation" (2) from "some input was
    /// invalid" (1).
    public static func run(arguments: [String]) async -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
            return 0
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                return 0
            }
            // Scripts that asked for --json get exactly one JSON object on failure too.
            let wantsJSON = arguments.contains("--json")
            if let failure = error as? CommandFailure {
                printToStandardError("idca: \(failure)")
                if wantsJSON { printJSON(["error": "command_failed", "message": failure.description]) }
                return 1
            }
            if let failure = error as? IDCAError {
                // The operator may see the internal detail an HTTP client never does (it names no person).
                printToStandardError("idca: \(failure.message) (\(failure.code)\(failure.detail.map { ": \($0)" } ?? ""))")
                if wantsJSON { printJSON(["error": failure.code, "message": failure.message]) }
                return 1
            }
            if !message.isEmpty { printToStandardError(message) }
            return code == .validationFailure ? 2 : code.rawValue
        }
    }
}
