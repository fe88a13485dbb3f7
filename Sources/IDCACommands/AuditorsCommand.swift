import ArgumentParser
import IDCACore

/// `idca auditors …`: the people who may read the audit log and the statistics.
struct AuditorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auditors", abstract: "Register auditors and list them.", subcommands: [Add.self, List.self, Revoke.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register an auditor and print their API key (shown once; only a hash is stored).")

        @OptionGroup var storage: StorageOptions
        @Option(help: "The auditor's name (kept in the auditors table, not in the audit log).") var name: String
        @Flag(help: "Print one JSON object: {\"auditor_id\": …, \"api_key\": …}.") var json = false

        func run() async throws {
            let wiring = try await Wiring.open(storage: storage)
            let (auditor, apiKey) = try await wiring.auditorService.add(name: name, by: commandLineOperator)
            if json {
                printJSON(["auditor_id": auditor.id.rawValue, "api_key": apiKey])
            } else {
                print("auditor_id: \(auditor.id.rawValue)")
                print("api_key: \(apiKey)")
                print("Give the key to the auditor now: idca keeps only its hash and cannot show it again.")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List auditors.")
        @OptionGroup var storage: StorageOptions
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            let auditors = try await Wiring.open(storage: storage, requireExistingDatabase: true).auditorService.auditors()
            if json {
                printJSON(["auditors": auditors.map { auditor in
                    var object: [String: Any] = ["auditor_id": auditor.id.rawValue, "name": auditor.name,
                                                 "created_at": RFC3339.string(fromUnixSeconds: auditor.createdAt)]
                    if let revoked = auditor.revokedAt { object["revoked_at"] = RFC3339.string(fromUnixSeconds: revoked) }
                    return object
                }])
            } else {
                if auditors.isEmpty { print("No auditors.") }
                for auditor in auditors {
                    let state = auditor.revokedAt == nil ? "active " : "revoked"
                    print("\(auditor.id.rawValue)  \(state)  \(RFC3339.string(fromUnixSeconds: auditor.createdAt))  \(auditor.name)")
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an auditor's API key: it stops working at once, on a running server too.")
        @OptionGroup var storage: StorageOptions
        @Argument(help: "The auditor id.") var id: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            guard let auditorID = AuditorID(rawValue: id),
                  try await Wiring.open(storage: storage, requireExistingDatabase: true).auditorService.revoke(auditorID, by: commandLineOperator)
            else {
                throw CommandFailure("no active auditor has the id '\(id)'.")
            }
            if json {
                printJSON(["auditor_id": id, "revoked": true])
            } else {
                print("\(id) revoked.")
            }
        }
    }
}
