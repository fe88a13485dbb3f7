import Crypto

/// Ed25519 private key used to sign certification tokens.
///
/// Stored on disk as PKCS#8 PEM, the format `openssl genpkey -algorithm ed25519` writes and
/// `openssl pkey` reads, so operators can create, inspect and back up keys with standard tools.
public struct TokenSigningKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let key: Curve25519.Signing.PrivateKey

    /// The matching public key, as published in the JWKS.
    public let publicKey: TokenVerificationKey

    private init(key: Curve25519.Signing.PrivateKey) {
        self.key = key
        // Cannot fail: a public key derived by the library always has 32 bytes.
        self.publicKey = TokenVerificationKey(validatedKey: key.publicKey)
    }

    /// A fresh key from the system's cryptographically secure generator.
    public static func generate() -> TokenSigningKey {
        TokenSigningKey(key: Curve25519.Signing.PrivateKey())
    }

    /// The key whose 32-byte seed (RFC 8032's private key, JWK member `d`) is `seed`.
    public init(rawRepresentation seed: [UInt8]) throws(KeyError) {
        guard seed.count == 32 else { throw .wrongLength(expected: 32, actual: seed.count) }
        do {
            self.init(key: try Curve25519.Signing.PrivateKey(rawRepresentation: seed))
        } catch {
            // Only a wrong length makes the library throw, and that was checked above.
            throw .malformedDER("the seed was refused by the Ed25519 implementation")
        }
    }

    /// Parses a PKCS#8 `PRIVATE KEY` PEM block holding an Ed25519 key (RFC 8410).
    ///
    /// Accepts version 1 (what OpenSSL writes) and version 2 with the optional public key, which
    /// must then match the private key. Surrounding text outside the block is ignored, as RFC 7468
    /// suggests; encrypted keys and keys of other types are refused with `.wrongKeyType`.
    public init(pemRepresentation: String) throws(KeyError) {
        let der = try PEM.decode(pemRepresentation, label: "PRIVATE KEY")
        let parsed = try PKCS8.parseEd25519PrivateKey(der)
        try self.init(rawRepresentation: parsed.seed)
        if let embedded = parsed.publicKey, embedded != publicKey.rawRepresentation {
            throw .malformedDER("the embedded public key does not belong to the private key")
        }
    }

    /// PKCS#8 PEM: DER `302e020100300506032b657004220420` followed by the 32-byte seed, in one
    /// 64-character base64 line, byte for byte what `openssl genpkey -algorithm ed25519` writes.
    public var pemRepresentation: String {
        PEM.encode(PKCS8.ed25519PrivateKeyPrefix + Array(key.rawRepresentation), label: "PRIVATE KEY")
    }

    /// The key id (`kid`): the RFC 7638 thumbprint of the public key.
    public var keyID: String { publicKey.keyID }

    /// Names the key by its id only: private keys must never reach a log.
    public var description: String { "TokenSigningKey(kid: \(keyID))" }
    /// Names the key by its id only: private keys must never reach a log.
    public var debugDescription: String { description }
    /// Shows only the key id, so `dump` and debuggers do not print the seed.
    public var customMirror: Mirror { Mirror(self, children: ["keyID": keyID]) }

    /// An Ed25519 signature (64 bytes) over `message`.
    public func sign(_ message: [UInt8]) -> [UInt8] {
        do {
            return Array(try key.signature(for: message))
        } catch {
            // BoringSSL's ED25519_sign returns 1 for every well-formed key and the type only holds
            // well-formed keys; a failure here means the crypto library itself is broken, and
            // continuing without a signature would be worse than stopping.
            fatalError("Ed25519 signing failed inside the crypto library: \(error)")
        }
    }
}

/// Ed25519 public key used to verify certification tokens, as published in the JWKS.
public struct TokenVerificationKey: Sendable, Hashable {
    private let key: Curve25519.Signing.PublicKey

    /// The 32-byte public key (RFC 8032 encoding, JWK member `x`).
    public let rawRepresentation: [UInt8]

    /// The key id (`kid`): base64url SHA-256 JWK thumbprint of the public key (RFC 7638, RFC 8037 §2).
    ///
    /// Derived from the key itself, so a `kid` can never point at a different key than the one that
    /// produced it, and every party can recompute it.
    public let keyID: String

    fileprivate init(validatedKey: Curve25519.Signing.PublicKey) {
        self.key = validatedKey
        self.rawRepresentation = Array(validatedKey.rawRepresentation)
        self.keyID = Self.thumbprint(x: Base64URL.encode(rawRepresentation))
    }

    /// The key with these 32 bytes.
    public init(rawRepresentation: [UInt8]) throws(KeyError) {
        guard rawRepresentation.count == 32 else { throw .wrongLength(expected: 32, actual: rawRepresentation.count) }
        do {
            self.init(validatedKey: try Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation))
        } catch {
            throw .wrongLength(expected: 32, actual: rawRepresentation.count)
        }
    }

    /// Parses a `PUBLIC KEY` PEM block (SubjectPublicKeyInfo, RFC 8410), as `openssl pkey -pubout` writes.
    public init(pemRepresentation: String) throws(KeyError) {
        let der = try PEM.decode(pemRepresentation, label: "PUBLIC KEY")
        guard der.count == PKCS8.ed25519PublicKeyPrefix.count + 32,
              der.starts(with: PKCS8.ed25519PublicKeyPrefix)
        else {
            throw .malformedDER("not an Ed25519 SubjectPublicKeyInfo")
        }
        try self.init(rawRepresentation: Array(der.dropFirst(PKCS8.ed25519PublicKeyPrefix.count)))
    }

    /// SubjectPublicKeyInfo PEM, for checking signatures with `openssl pkeyutl -verify`.
    public var pemRepresentation: String {
        PEM.encode(PKCS8.ed25519PublicKeyPrefix + rawRepresentation, label: "PUBLIC KEY")
    }

    /// The public JWK (RFC 8037): `{"kty":"OKP","crv":"Ed25519","kid":"…","use":"sig","alg":"EdDSA","x":"…"}`.
    public var jwkJSON: String {
        #"{"kty":"OKP","crv":"Ed25519","kid":"# + JSONWriter.quoted(keyID)
            + #","use":"sig","alg":"EdDSA","x":"# + JSONWriter.quoted(Base64URL.encode(rawRepresentation)) + "}"
    }

    /// Whether `signature` is a valid Ed25519 signature of `message` by this key.
    ///
    /// BoringSSL refuses non-canonical signatures (S ≥ L), so a valid signature cannot be altered
    /// into a second valid one.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        signature.count == 64 && key.isValidSignature(signature, for: message)
    }

    /// Keys are equal when their bytes are; the id is derived from them.
    public static func == (lhs: TokenVerificationKey, rhs: TokenVerificationKey) -> Bool {
        lhs.rawRepresentation == rhs.rawRepresentation
    }

    /// Hashes the key bytes.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(rawRepresentation)
    }

    /// RFC 7638 §3: the required members in lexicographic order, no whitespace, SHA-256, base64url.
    private static func thumbprint(x: String) -> String {
        let canonical = #"{"crv":"Ed25519","kty":"OKP","x":"# + JSONWriter.quoted(x) + "}"
        return Base64URL.encode(Array(SHA256.hash(data: Array(canonical.utf8))))
    }
}

/// The fixed DER framing of Ed25519 keys (RFC 8410 §7, §10.3).
enum PKCS8 {
    /// `SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING (32) } }`, up to the seed.
    static let ed25519PrivateKeyPrefix: [UInt8] = [
        0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]
    /// `SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (0 unused bits) }`, up to the key.
    static let ed25519PublicKeyPrefix: [UInt8] = [
        0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00,
    ]

    private static let ed25519OID: [UInt8] = [0x2B, 0x65, 0x70]
    /// Other algorithms an operator might hand us by mistake, named in the error.
    private static let knownOIDs: [([UInt8], String)] = [
        ([0x2B, 0x65, 0x6E], "an X25519 key"),
        ([0x2B, 0x65, 0x6F], "an X448 key"),
        ([0x2B, 0x65, 0x71], "an Ed448 key"),
        ([0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01], "an RSA key"),
        ([0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01], "an EC key"),
    ]

    /// The parts of a OneAsymmetricKey (RFC 5958) that matter for Ed25519.
    struct ParsedPrivateKey {
        /// The 32-byte seed.
        var seed: [UInt8]
        /// The public key of a version 2 structure, when present.
        var publicKey: [UInt8]?
    }

    /// Parses `OneAsymmetricKey` (RFC 5958) for Ed25519, strictly in DER.
    static func parseEd25519PrivateKey(_ der: [UInt8]) throws(KeyError) -> ParsedPrivateKey {
        var outer = DERReader(der)
        var body = try outer.readElement(tag: 0x30, "OneAsymmetricKey")
        guard outer.isAtEnd else { throw .malformedDER("trailing bytes after the key") }

        let version = try body.readElement(tag: 0x02, "version").remaining
        guard version == [0x00] || version == [0x01] else { throw .malformedDER("unsupported version") }

        var algorithm = try body.readElement(tag: 0x30, "AlgorithmIdentifier")
        let oid = try algorithm.readElement(tag: 0x06, "algorithm").remaining
        guard oid == ed25519OID else {
            let name = knownOIDs.first { $0.0 == oid }?.1 ?? "a key of an unsupported algorithm"
            throw .wrongKeyType(name)
        }
        // RFC 8410 §3: the parameters MUST be absent for Ed25519.
        guard algorithm.isAtEnd else { throw .malformedDER("Ed25519 parameters must be absent") }

        var privateKey = try body.readElement(tag: 0x04, "privateKey")
        let seed = try privateKey.readElement(tag: 0x04, "CurvePrivateKey").remaining
        guard privateKey.isAtEnd else { throw .malformedDER("trailing bytes in privateKey") }
        guard seed.count == 32 else { throw .wrongLength(expected: 32, actual: seed.count) }

        if body.peekTag == 0xA0 {
            _ = try body.readElement(tag: 0xA0, "attributes")  // attributes carry nothing we use
        }
        var publicKey: [UInt8]?
        if body.peekTag == 0x81 {
            guard version == [0x01] else { throw .malformedDER("a public key requires version 2") }
            let bits = try body.readElement(tag: 0x81, "publicKey").remaining
            guard bits.count == 33, bits[0] == 0x00 else { throw .malformedDER("malformed publicKey") }
            publicKey = Array(bits.dropFirst())
        }
        guard body.isAtEnd else { throw .malformedDER("unexpected fields after privateKey") }
        return ParsedPrivateKey(seed: seed, publicKey: publicKey)
    }
}

/// Reads DER tag-length-value elements; refuses indefinite and non-minimal lengths.
struct DERReader {
    private let bytes: [UInt8]
    private var index: Int

    /// A reader positioned at the start of `bytes`.
    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.index = 0
    }

    /// Whether every byte has been consumed.
    var isAtEnd: Bool { index == bytes.count }
    /// The tag of the next element, if any.
    var peekTag: UInt8? { index < bytes.count ? bytes[index] : nil }
    /// The bytes not yet consumed (an element's whole contents, for a fresh reader).
    var remaining: [UInt8] { Array(bytes[index...]) }

    /// Reads one element with `tag` and returns a reader over its contents.
    mutating func readElement(tag: UInt8, _ name: String) throws(KeyError) -> DERReader {
        guard index < bytes.count, bytes[index] == tag else { throw .malformedDER("expected \(name)") }
        index += 1
        guard index < bytes.count else { throw .malformedDER("truncated \(name)") }
        let first = bytes[index]
        index += 1
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7F)
            // Key structures are tiny: two length bytes are plenty, and 0x80 (indefinite) is BER only.
            guard count >= 1, count <= 2, index + count <= bytes.count else { throw .malformedDER("bad length of \(name)") }
            for _ in 0..<count {
                length = length << 8 | Int(bytes[index])
                index += 1
            }
            // DER: the long form only when needed, with no leading zero byte.
            guard length >= 0x80, length >> (8 * (count - 1)) != 0 else { throw .malformedDER("non-minimal length of \(name)") }
        }
        guard length <= bytes.count - index else { throw .malformedDER("truncated \(name)") }
        let contents = Array(bytes[index..<index + length])
        index += length
        return DERReader(contents)
    }
}

/// PEM text encoding (RFC 7468).
enum PEM {
    /// One block with 64-character lines, ending in a newline.
    static func encode(_ der: [UInt8], label: String) -> String {
        let body = Array(Base64Standard.encode(der).utf8)
        var text = "-----BEGIN \(label)-----\n"
        var start = 0
        while start < body.count {
            let end = min(start + 64, body.count)
            text += String(decoding: body[start..<end], as: UTF8.self) + "\n"
            start = end
        }
        return text + "-----END \(label)-----\n"
    }

    /// The DER bytes of the single PEM block in `text`, which must carry `label`.
    static func decode(_ text: String, label: String) throws(KeyError) -> [UInt8] {
        // By Character: "\r\n" is a single Character in Swift, so splitting at "\n" alone would
        // leave CRLF files in one piece.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
        let beginLines = lines.indices.filter { trimmed(lines[$0]).hasPrefix("-----BEGIN ") }
        guard let begin = beginLines.first else { throw .malformedPEM("no -----BEGIN line") }
        guard beginLines.count == 1 else { throw .malformedPEM("more than one PEM block") }
        let beginLine = trimmed(lines[begin])
        guard beginLine.hasSuffix("-----"), beginLine.utf8.count > 16 else { throw .malformedPEM("malformed -----BEGIN line") }
        let foundLabel = String(beginLine.dropFirst(11).dropLast(5))
        guard foundLabel == label else {
            switch foundLabel {
            case "ENCRYPTED PRIVATE KEY": throw .wrongKeyType("an encrypted private key (decrypt it with openssl pkey first)")
            case "RSA PRIVATE KEY": throw .wrongKeyType("an RSA key")
            case "EC PRIVATE KEY": throw .wrongKeyType("an EC key")
            case "PUBLIC KEY" where label == "PRIVATE KEY": throw .wrongKeyType("a public key")
            case "PRIVATE KEY" where label == "PUBLIC KEY": throw .wrongKeyType("a private key")
            default: throw .wrongKeyType("a PEM block labelled \"\(foundLabel)\"")
            }
        }
        guard let end = lines[(begin + 1)...].firstIndex(where: { trimmed($0).hasPrefix("-----END ") }) else {
            throw .malformedPEM("no -----END line")
        }
        guard trimmed(lines[end]) == "-----END \(label)-----" else { throw .malformedPEM("the -----END line does not match") }
        let body = lines[(begin + 1)..<end].map { trimmed($0) }.joined()
        guard !body.isEmpty else { throw .malformedPEM("empty body") }
        guard let der = Base64Standard.decode(body) else { throw .malformedPEM("the body is not valid base64") }
        return der
    }

    private static func trimmed(_ line: Substring) -> Substring {
        var line = line
        while let first = line.first, first == " " || first == "\t" { line.removeFirst() }
        while let last = line.last, last == " " || last == "\t" { line.removeLast() }
        return line
    }
}
