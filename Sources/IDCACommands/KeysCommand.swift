import ArgumentParser
import Foundation
import IDCASQLite
import IDCATokens

/// `idca keys …`: key management.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage idca's keys.", subcommands: [Generate.self])

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create whichever keys are missing in the key directory (existing keys are kept).",
            discussion: "Refuses to create a new index, pseudonym or data key for a database that already holds registry entries or sites: new keys would orphan every stored hash, pseudonym and ciphertext. Restore the original key files instead, or pass --force-new-keys to accept that loss.")

        @OptionGroup var storage: StorageOptions
        @Flag(help: "Print one JSON object.") var json = false
        @Flag(help: "Create missing data keys even though the database already holds data (its hashes and pseudonyms become unusable).")
        var forceNewKeys = false

        func run() async throws {
            let directory = KeyDirectory(path: storage.keysDirectory)
            let missingDataKeys = directory.missingDataKeys()
            if !missingDataKeys.isEmpty, !forceNewKeys, FileManager.default.fileExists(atPath: storage.databasePath) {
                let database = try SQLiteDatabase(path: storage.databasePath)
                let residents = try await SQLiteRegistry(database: database).residentCount()
                let sites = try await SQLiteSiteDirectory(database: database).sites().count
                try database.pool.close()
                if residents > 0 || sites > 0 {
                    throw CommandFailure("""
                        \(storage.databasePath) already holds \(residents) residents and \(sites) sites, but \(missingDataKeys.joined(separator: ", ")) \
                        is missing from \(storage.keysDirectory)/. New keys would make that data unusable: restore the original key files \
                        (or check --keys / IDCA_KEYS), or pass --force-new-keys to accept the loss.
                        """)
                }
            }
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
