import Foundation
import IDCAAudit
import IDCATokens

#if canImport(Glibc)
import Glibc
#endif

/// The keys `idca` needs, each in its own file of the key directory, each protecting one thing
/// (Docs/THREAT-MODEL.md):
///
/// | file | key | protects |
/// | --- | --- | --- |
/// | `token-signing.pem` | Ed25519 (PKCS#8 PEM) | the authenticity of certification tokens |
/// | `index.key` | HMAC-SHA256 | registry lookups: resident IDs and names are stored only as keyed hashes |
/// | `pseudonym.key` | HMAC-SHA256 | pairwise pseudonyms: without it sites cannot link their users |
/// | `data.key` | AES-256-GCM | the encrypted copy of personal data kept for lawful disclosure |
/// | `audit-signing.pem` | Ed25519 (PKCS#8 PEM) | audit checkpoints: a rewritten log cannot be re-signed |
struct KeyDirectory {
    static let signingKeyFile = "token-signing.pem"
    static let auditKeyFile = "audit-signing.pem"
    static let indexKeyFile = "index.key"
    static let pseudonymKeyFile = "pseudonym.key"
    static let dataKeyFile = "data.key"

    let path: String

    struct Keys: Sendable {
        var signing: TokenSigningKey
        var index: SecretKey
        var pseudonym: SecretKey
        var data: SecretKey
        var audit: AuditSigningKey
    }

    /// What `generateMissing` created: the file and the key's public id (never the key).
    struct Created {
        var file: String
        var keyID: String
    }

    private func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// The keys whose loss orphans stored data (hashes, pseudonyms, ciphertexts) that are not on disk.
    func missingDataKeys() -> [String] {
        [Self.indexKeyFile, Self.pseudonymKeyFile, Self.dataKeyFile].filter { !FileManager.default.fileExists(atPath: file($0)) }
    }

    /// Whether the audit key's file is there.
    var hasAuditKey: Bool { FileManager.default.fileExists(atPath: file(Self.auditKeyFile)) }

    /// Creates whichever keys are missing (mode 0600) and returns the names of those created.
    /// Existing keys are never replaced: that would orphan every token and hash made with them.
    func generateMissing() throws -> [Created] {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var created: [Created] = []
        if !FileManager.default.fileExists(atPath: file(Self.signingKeyFile)) {
            let key = TokenSigningKey.generate()
            try KeyFile.write(key.pemRepresentation, to: file(Self.signingKeyFile))
            created.append(Created(file: Self.signingKeyFile, keyID: key.keyID))
        }
        if !FileManager.default.fileExists(atPath: file(Self.auditKeyFile)) {
            let key = AuditSigningKey.generate()
            try KeyFile.write(key.pemRepresentation, to: file(Self.auditKeyFile))
            created.append(Created(file: Self.auditKeyFile, keyID: key.keyID))
        }
        for name in [Self.indexKeyFile, Self.pseudonymKeyFile, Self.dataKeyFile] where !FileManager.default.fileExists(atPath: file(name)) {
            let key = SecretKey.generate()
            try KeyFile.write(key.fileContents, to: file(name))
            created.append(Created(file: name, keyID: key.fingerprint))
        }
        return created
    }

    /// Loads every key, refusing files that group or others can read (`KeyFile.read` checks).
    func load() throws -> Keys {
        do {
            return Keys(
                signing: try TokenSigningKey(pemRepresentation: KeyFile.read(file(Self.signingKeyFile))),
                index: try SecretKey(fileContents: KeyFile.read(file(Self.indexKeyFile))),
                pseudonym: try SecretKey(fileContents: KeyFile.read(file(Self.pseudonymKeyFile))),
                data: try SecretKey(fileContents: KeyFile.read(file(Self.dataKeyFile))),
                audit: try AuditSigningKey(pemRepresentation: KeyFile.read(file(Self.auditKeyFile))))
        } catch {
            var message = "cannot load keys from \(path)/: \(error)"
            if case .unreadableFile(_, let code) = error, code == ENOENT {
                // Generating keys is right for a new CA and ruinous for an existing one: new index and
                // pseudonym keys orphan every stored hash and every site's pseudonyms.
                message += " If this is a new CA, `idca keys generate --keys \(path)` creates the missing keys; if it already holds data, restore the original key files instead."
            }
            throw CommandFailure(message)
        }
    }
}
