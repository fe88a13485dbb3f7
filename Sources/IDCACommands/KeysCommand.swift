import ArgumentParser
import Foundation
import IDCACore
import IDCAPostgres
import IDCATokens

/// `idca keys …`: key management.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage idca's keys.", subcommands: [Generate.self, Rotate.self, List.self, Revoke.self])

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create whichever keys are missing in the key directory (existing keys are kept).",
            discussion: "Refuses to create a new index, pseudonym or data key for a database that already holds registry entries or sites: new keys would orphan every stored hash, pseudonym and ciphertext. Likewise a new audit key for a database with audit checkpoints, which it could not vouch for. Restore the original key files instead, or pass --force-new-keys to accept that loss.")

        @OptionGroup var storage: StorageOptions
        @Flag(help: "Print one JSON object.") var json = false
        @Flag(help: "Create missing data or audit keys even though the database already holds data or checkpoints made with the old ones.")
        var forceNewKeys = false

        func run() async throws {
            let directory = KeyDirectory(path: storage.keysDirectory)
            let missingDataKeys = directory.missingDataKeys()
            let missingAuditKey = !directory.hasAuditKey
            if !missingDataKeys.isEmpty || missingAuditKey, !forceNewKeys,
               PostgresBackend.isURL(storage.databasePath) || FileManager.default.fileExists(atPath: storage.databasePath) {
                let database = try await Storage.open(storage.databasePath, access: .create)
                let residents = try await database.registry.residentCount()
                let sites = try await database.sites.sites().count
                let checkpoints = try await database.auditLog.checkpoints().count
                await database.close()
                if !missingDataKeys.isEmpty, residents > 0 || sites > 0 {
                    throw CommandFailure("""
                        \(database.location) already holds \(residents) residents and \(sites) sites, but \(missingDataKeys.joined(separator: ", ")) \
                        is missing from \(storage.keysDirectory)/. New keys would make that data unusable: restore the original key files \
                        (or check --keys / IDCA_KEYS), or pass --force-new-keys to accept the loss.
                        """)
                }
                if missingAuditKey, checkpoints > 0 {
                    // The stored checkpoints were signed by the missing key: a new one would make every
                    // one of them fail `idca audit verify`, which is exactly what a rewrite looks like.
                    throw CommandFailure("""
                        \(database.location) holds \(checkpoints) audit checkpoints, but \(KeyDirectory.auditKeyFile) is missing from \
                        \(storage.keysDirectory)/. A new audit key could not vouch for them: restore the original file, or pass \
                        --force-new-keys to accept that the old checkpoints no longer verify.
                        """)
                }
            }
            let created = try directory.generateMissing()
            let keys = try directory.load()
            if !created.isEmpty {
                // Key generation is an act of this CA: recorded in its log, by public key id only.
                let database = try await Storage.open(storage.databasePath, access: .create)
                if let audit = created.first(where: { $0.file == KeyDirectory.auditKeyFile }) {
                    // A new audit key replaces the old one (the refusal above let it through): the old
                    // key's row is revoked, so that instances enroll the new one.
                    try await database.keys.revoke(purpose: "audit-signing", except: audit.keyID)
                }
                let now = SystemTime().now()
                try await database.auditLog.append(created.map { key in
                    AuditEvent(.keyGenerated, time: now, actor: commandLineOperator, outcome: "generated", object: key.keyID,
                               details: [("file", key.file)])
                })
                await database.close()
            }
            let names = created.map(\.file)
            if json {
                printJSON(["created": names, "signing_key_id": keys.signing.keyID, "audit_key_id": keys.audit.keyID,
                           "keys": storage.keysDirectory])
            } else {
                print(names.isEmpty ? "All keys present in \(storage.keysDirectory)/." : "Created in \(storage.keysDirectory)/: \(names.joined(separator: ", ")).")
                print("Token signing key id: \(keys.signing.keyID)")
                print("Audit key id: \(keys.audit.keyID)")
            }
        }
    }
}
