import IDCACore
import IDCATokens

/// The audit key: Ed25519, kept in its own file, used for nothing but checkpoints.
///
/// It shares the token key's algorithm and file format (PKCS#8 PEM that OpenSSL reads) but is a
/// distinct type, so that the compiler refuses a token key where an audit key belongs and the
/// other way round: a leaked token key must not be able to forge checkpoints.
public struct AuditSigningKey: Sendable, CustomStringConvertible {
    private let key: TokenSigningKey

    private init(key: TokenSigningKey) { self.key = key }

    /// A fresh key from the system's cryptographically secure generator.
    public static func generate() -> AuditSigningKey { AuditSigningKey(key: .generate()) }

    /// Parses a PKCS#8 `PRIVATE KEY` PEM block holding an Ed25519 key.
    public init(pemRepresentation: String) throws(KeyError) {
        key = try TokenSigningKey(pemRepresentation: pemRepresentation)
    }

    public var pemRepresentation: String { key.pemRepresentation }
    public var publicKey: AuditVerificationKey { AuditVerificationKey(key: key.publicKey) }
    /// RFC 7638 thumbprint of the public key.
    public var keyID: String { key.keyID }
    /// Names the key by its id only.
    public var description: String { "AuditSigningKey(kid: \(keyID))" }

    /// A checkpoint of `head` at `time`.
    public func checkpoint(_ head: AuditHead, time: Int64) -> AuditCheckpoint {
        let text = AuditCheckpoint.signedText(sequence: head.sequence, hash: head.hash, time: time, keyID: keyID)
        return AuditCheckpoint(sequence: head.sequence, hash: head.hash, time: time, keyID: keyID,
                               signature: Base64URL.encode(key.sign(Array(text.utf8))))
    }
}

/// The public half of the audit key: what an auditor needs to check checkpoints.
public struct AuditVerificationKey: Sendable, Hashable {
    let key: TokenVerificationKey

    init(key: TokenVerificationKey) { self.key = key }

    /// Parses a `PUBLIC KEY` PEM block (SubjectPublicKeyInfo), as `openssl pkey -pubout` writes.
    public init(pemRepresentation: String) throws(KeyError) {
        key = try TokenVerificationKey(pemRepresentation: pemRepresentation)
    }

    public var pemRepresentation: String { key.pemRepresentation }
    public var keyID: String { key.keyID }

    /// Whether the checkpoint names this key and carries its valid signature.
    public func isValid(_ checkpoint: AuditCheckpoint) -> Bool {
        guard checkpoint.keyID == keyID, let signature = Base64URL.decode(checkpoint.signature) else { return false }
        return key.isValidSignature(signature, for: Array(checkpoint.signedText.utf8))
    }
}
