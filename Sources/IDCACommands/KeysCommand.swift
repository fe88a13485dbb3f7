import ArgumentParser
import IDCATokens

/// `idca keys …`: key management.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage idca's keys.", subcommands: [Generate.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create whichever keys are missing in the key directory (existing keys are kept).")

        @OptionGroup var storage: StorageOptions
        @Flag(help: "Print one JSON object.") var json = false

        func run() throws {
            let directory = KeyDirectory(path: storage.keysDirectory)
            let created = try directory.generateMissing()
            let signing = try directory.load().signing
            if json {
                printJSON(["created": created, "signing_key_id": signing.keyID, "keys": storage.keysDirectory])
            } else {
                print(created.isEmpty ? "All keys present in \(storage.keysDirectory)/." : "Created in \(storage.keysDirectory)/: \(created.joined(separator: ", ")).")
                print("Token signing key id: \(signing.keyID)")
            }
        }
    }
}
