import Crypto
import IDCACore

/// A 256-bit symmetric key (index key, pseudonym key, data key), stored as one line of base64 text.
///
/// The file format is what `openssl rand -base64 32` prints, so an operator can create or inspect a
/// key without idca. `description` and `dump` never show the key bytes.
public struct SecretKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The key for the crypto library; internal so that no caller can read the bytes out.
    let key: SymmetricKey

    private init(key: SymmetricKey) { self.key = key }

    /// A fresh key from the system's cryptographically secure generator.
    public static func generate() -> SecretKey {
        SecretKey(key: SymmetricKey(size: .bits256))
    }

    /// The key with exactly these 32 bytes (for test vectors and key import).
    public init(rawRepresentation: [UInt8]) throws(KeyError) {
        guard rawRepresentation.count == 32 else { throw .wrongLength(expected: 32, actual: rawRepresentation.count) }
        self.key = SymmetricKey(data: rawRepresentation)
    }

    /// Parses a key file: standard padded base64 of 32 bytes, optionally surrounded by whitespace
    /// (a trailing newline in particular).
    public init(fileContents: String) throws(KeyError) {
        var text = Substring(fileContents)
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        guard !text.isEmpty else { throw .malformedSecretKey("the file is empty") }
        guard let bytes = Base64Standard.decode(text) else { throw .malformedSecretKey("the text is not canonical base64") }
        try self.init(rawRepresentation: bytes)
    }

    /// The key file's text: 44 characters of padded base64 and a newline.
    public var fileContents: String {
        key.withUnsafeBytes { Base64Standard.encode($0) } + "\n"
    }

    /// A public name for the key, for the audit log and for operators comparing key files: the first
    /// 16 hex digits of SHA-256 over a fixed label and the key. It reveals nothing of the key.
    public var fingerprint: String {
        var hasher = SHA256()
        hasher.update(data: Array("idca-key-fingerprint\u{0}".utf8))
        key.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return String(hasher.finalize().withUnsafeBytes { Hex.encode($0) }.prefix(16))
    }

    /// Redacted: keys must never reach a log.
    public var description: String { "SecretKey(redacted)" }
    /// Redacted: keys must never reach a log.
    public var debugDescription: String { description }
    /// No children, so `dump` and debuggers show nothing of the key either.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

/// Keyed hash (HMAC-SHA256) for registry lookups: the database stores these, never the plaintext.
///
/// A plain SHA-256 of an 18-character resident ID could be reversed by trying every valid number;
/// with a secret key, a stolen database alone reveals nothing.
public struct KeyedHasher: Sendable {
    /// HMAC state with the key pads already absorbed. `HMAC` is a value type whose hashers are
    /// copy-on-write, so each call copies this and only hashes its own message: importing a
    /// million rows is dominated by the message, not by re-deriving the key pads.
    private let keyed: HMAC<SHA256>

    /// A hasher under `key` (the index key).
    public init(key: SecretKey) {
        self.keyed = HMAC<SHA256>(key: key.key)
    }

    /// Hex-encoded HMAC of `domain` + 0x00 + `value` (domain separation: "resident_id", "person_name", "api_key" …).
    ///
    /// The domain keeps equal strings of different kinds apart (a name that happens to equal an
    /// API key hashes differently). `domain` must not contain NUL, which makes the first NUL the
    /// unambiguous separator; domains are constants in code, so a NUL is a programming error.
    public func hash(_ value: String, domain: String) -> String {
        precondition(!domain.utf8.contains(0), "a keyed-hash domain must not contain NUL")
        var mac = keyed
        // One contiguous message and one update: a registry import hashes millions of short
        // values, and per-call overhead is then as large as the hashing itself.
        mac.update(joining: domain, value)
        return mac.finalize().withUnsafeBytes { Hex.encode($0) }
    }
}

/// Pairwise pseudonyms: same subject + same site → same value; different sites → unlinkable.
///
/// This is the only subject identifier a site ever sees (OpenID Connect's pairwise `sub`): two
/// sites comparing their users cannot tell that two accounts belong to the same person, and the
/// value reveals nothing about the registry identity without the pseudonym key.
public struct PseudonymGenerator: Sendable {
    private let keyed: HMAC<SHA256>

    /// A generator under `key` (the pseudonym key).
    public init(key: SecretKey) {
        self.keyed = HMAC<SHA256>(key: key.key)
    }

    /// HMAC-SHA256(key, "idca-pseudonym-v1" 0x00 subjectReference 0x00 siteID), first 20 bytes, base32 (RFC 4648 alphabet, lower-case, no padding) → 32 characters.
    ///
    /// `siteID` must not contain NUL (site ids are generated by idca): then the last NUL is the
    /// separator and no two (subject, site) pairs share an input. 160 bits keep collisions out of
    /// reach for any realistic number of subjects while fitting a 32-character column.
    public func pseudonym(subjectReference: String, siteID: String) -> String {
        precondition(!siteID.utf8.contains(0), "a site id must not contain NUL")
        var mac = keyed
        mac.update(joining: "idca-pseudonym-v1", subjectReference, siteID)
        return mac.finalize().withUnsafeBytes { Base32.encode(Array($0.prefix(20))) }
    }

    /// What the database stores to find a subject by a site's pseudonym: a keyed hash of it, so
    /// that someone who can read the database but holds no key cannot match the pseudonyms that
    /// different sites know one person by.
    public func index(ofPseudonym pseudonym: String) -> String {
        var mac = keyed
        mac.update(joining: "idca-pseudonym-index-v1", pseudonym)
        return mac.finalize().withUnsafeBytes { Hex.encode($0) }
    }
}

/// AES-256-GCM for the encrypted copy of personal data kept for lawful disclosure.
///
/// Each message gets a fresh random 96-bit nonce. Bind every ciphertext to where it is stored
/// (table, column, row id) through `associatedData`, so a ciphertext copied to another row does
/// not decrypt there. Random nonces stay safe for up to 2³² messages per key (NIST SP 800-38D).
public struct DataSealer: Sendable {
    /// Why `open` refused a sealed message. Deliberately coarse: which check failed is no business
    /// of whoever supplied the ciphertext.
    public enum OpenError: Error, Sendable, Equatable {
        /// Shorter than a nonce and a tag.
        case truncated
        /// The tag does not match: wrong key, wrong associated data, or altered bytes.
        case authenticationFailed
    }

    /// Nonce (12 bytes) plus tag (16 bytes): the size of a sealed empty message.
    public static let overhead = 28

    private let key: SymmetricKey

    /// A sealer under `key` (the data key).
    public init(key: SecretKey) {
        self.key = key.key
    }

    /// Encrypts and authenticates `plaintext`; returns nonce ‖ ciphertext ‖ tag.
    public func seal(_ plaintext: [UInt8], associatedData: [UInt8]) -> [UInt8] {
        do {
            let box = try AES.GCM.seal(plaintext, using: key, nonce: AES.GCM.Nonce(), authenticating: associatedData)
            // `combined` is nil only for nonces that are not 12 bytes; the default nonce is.
            guard let combined = box.combined else { fatalError("AES-GCM produced no combined representation") }
            return Array(combined)
        } catch {
            // Sealing fails only for invalid key or nonce sizes, which the types rule out; a
            // failure means the crypto library is broken, and storing plaintext instead is not an option.
            fatalError("AES-GCM sealing failed inside the crypto library: \(error)")
        }
    }

    /// Decrypts a value from `seal`, after checking its tag against `associatedData`.
    public func open(_ sealed: [UInt8], associatedData: [UInt8]) throws -> [UInt8] {
        guard sealed.count >= Self.overhead else { throw OpenError.truncated }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return Array(try AES.GCM.open(box, using: key, authenticating: associatedData))
        } catch {
            throw OpenError.authenticationFailed
        }
    }
}

extension HMAC {
    /// Absorbs the UTF-8 bytes of `parts` with a 0x00 between each two, as one message, without
    /// building an intermediate array on the heap.
    fileprivate mutating func update(joining parts: String...) {
        var count = parts.count - 1
        for part in parts { count += part.utf8.count }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { buffer in
            var offset = 0
            for (index, part) in parts.enumerated() {
                if index > 0 {
                    buffer[offset] = 0
                    offset += 1
                }
                var part = part
                part.withUTF8 { bytes in
                    _ = UnsafeMutableBufferPointer(rebasing: buffer[offset..<offset + bytes.count]).initialize(fromContentsOf: bytes)
                }
                offset += part.utf8.count
            }
            update(data: UnsafeRawBufferPointer(buffer))
        }
    }
}

/// Lower-case hexadecimal.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// The bytes of lower-case hex text; `nil` for anything else (odd length, upper case, other characters).
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = value(utf8[index]), let low = value(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    /// Two lower-case hex digits per byte.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { output in
            var index = 0
            for byte in bytes {
                output[index] = digits[Int(byte >> 4)]
                output[index + 1] = digits[Int(byte & 0x0F)]
                index += 2
            }
            return index
        }
    }
}

/// The one place this module draws randomness directly from the operating system (getrandom(2)
/// on Linux); keys and nonces come from the crypto library's generator.
enum SystemRandom {
    /// `count` bytes from the operating system's CSPRNG.
    static func bytes(_ count: Int) -> [UInt8] {
        SystemRandomSource().bytes(count)
    }
}
