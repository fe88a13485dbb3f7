import ArgumentParser
import Foundation
import IDCAAudit
import IDCACore
import IDCAServices
import IDCATokens

/// `idca audit …`: checking and signing the audit log.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Verify the audit log's hash chain and checkpoints, or sign a checkpoint.",
        subcommands: [Verify.self, Checkpoint.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Walk the whole audit log: check every hash, every stored checkpoint and any checkpoint you hold.",
            discussion: """
                Exit status 0 when the log is intact; 1 at the first break (named by its sequence number, and with --json \
                "intact": false), or when the check cannot run at all (no database, an unreadable key or checkpoint file: the message \
                says which, and --json prints {"error", "message"}); 2 for a bad invocation. \
                A checkpoint file you kept (from `idca audit checkpoint --output` or GET /v1/audit/checkpoints/latest) also \
                detects a log that was cut back and rewritten after that checkpoint was signed.
                """)

        @OptionGroup var storage: StorageOptions
        @Option(name: .customLong("checkpoint"), help: ArgumentHelp("A checkpoint JSON file you hold (repeatable).", valueName: "file"))
        var checkpointFiles: [String] = []
        @Option(help: ArgumentHelp("The audit public key (PEM) to check signatures with; default: derived from the key directory's audit-signing.pem.",
                                   valueName: "file"))
        var publicKey: String?
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            let key = try loadVerificationKey()
            let held = try checkpointFiles.map(readCheckpoint)
            let database = try await Storage.open(storage.databasePath, access: .readOnly)
            let report = try await AuditService(log: database.auditLog, clock: SystemTime()).verify(key: key, extra: held)
            await database.close()
            if json {
                var object: [String: Any] = [
                    "intact": report.isIntact, "entries": report.entries, "checkpoints": report.checkpoints,
                    "head": ["sequence": report.head.sequence, "hash": report.head.hash],
                ]
                if let broken = report.firstBreak {
                    object["first_break"] = ["sequence": broken.sequence, "problem": broken.problem.code, "message": broken.problem.description]
                }
                printJSON(object)
            } else if let broken = report.firstBreak {
                printToStandardError("idca: the audit log is BROKEN at entry \(broken.sequence): \(broken.problem).")
                print("Entries before it verified: \(report.entries). Checkpoints with valid signatures: \(report.checkpoints).")
            } else {
                print("The audit log is intact: \(report.entries) entries, \(report.checkpoints) signed checkpoint\(report.checkpoints == 1 ? "" : "s") verified.")
                if report.checkpoints == 0 && report.entries > 0 {
                    print("No checkpoint covers it: a log rewritten by someone with the database would look the same. Keep checkpoints (idca audit checkpoint --output).")
                }
                print("Head: \(report.head.sequence) \(report.head.hash)")
            }
            if !report.isIntact { throw ExitCode.failure }
        }

        func loadVerificationKey() throws -> AuditVerificationKey {
            if let publicKey {
                // A public key need not be private, so this is not `KeyFile.read` (which refuses readable files).
                guard let data = FileManager.default.contents(atPath: publicKey) else {
                    throw CommandFailure("cannot read the audit public key \(publicKey): no such file, or not readable.")
                }
                do {
                    return try AuditVerificationKey(pemRepresentation: String(decoding: data, as: UTF8.self))
                } catch {
                    throw CommandFailure("\(publicKey) is not an Ed25519 public key in PEM (openssl pkey -in keys/audit-signing.pem -pubout): \(error)")
                }
            }
            let path = (storage.keysDirectory as NSString).appendingPathComponent(KeyDirectory.auditKeyFile)
            do {
                return try AuditSigningKey(pemRepresentation: KeyFile.read(path)).publicKey
            } catch {
                throw CommandFailure("cannot load the audit key \(path): \(error). Give --public-key FILE, or run `idca keys generate` on a new CA.")
            }
        }
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign the audit log's head now and print the checkpoint (keep it: it is your proof of the log as it was).")

        @OptionGroup var storage: StorageOptions
        @Option(help: ArgumentHelp("Also write the checkpoint JSON to this file.", valueName: "file")) var output: String?
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            let wiring = try await Wiring.open(storage: storage, requireExistingDatabase: true)
            let audit = wiring.auditService
            var signed = try await audit.checkpoint(with: wiring.keys.audit)
            let isNew = signed != nil
            if signed == nil { signed = try await audit.latestCheckpoint() }
            guard let checkpoint = signed else {
                throw CommandFailure("the audit log is empty: there is nothing to sign yet.")
            }
            let data = try checkpointJSON(checkpoint)
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: data + Data("\n".utf8)) else {
                    throw CommandFailure("cannot write \(output)")
                }
            }
            if json {
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("Checkpoint of entry \(checkpoint.sequence) at \(RFC3339.string(fromUnixSeconds: checkpoint.time))"
                      + (isNew ? ":" : " (nothing new since, so this is the newest one, signed earlier):"))
                print(String(decoding: data, as: UTF8.self))
            }
        }
    }
}

/// A checkpoint's JSON, with sorted keys so that files of the same checkpoint are identical.
func checkpointJSON(_ checkpoint: AuditCheckpoint) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(checkpoint)
}

func readCheckpoint(_ path: String) throws -> AuditCheckpoint {
    guard FileManager.default.isReadableFile(atPath: path) else {
        throw CommandFailure("cannot read the checkpoint file \(path): no such file, or not readable.")
    }
    do {
        return try JSONDecoder().decode(AuditCheckpoint.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
        throw CommandFailure("cannot read the checkpoint file \(path): it must be the JSON of a checkpoint ({\"sequence\", \"hash\", \"time\", \"key_id\", \"signature\"}).")
    }
}
