#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a key could not be loaded, parsed or stored.
///
/// Descriptions are written for the operator who has to fix the file. They never include key
/// material: a key error may end up in a log.
public enum KeyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text is not a single PEM block (RFC 7468), or its base64 body is not valid.
    case malformedPEM(String)
    /// The PEM block holds bytes that are not a PKCS#8 Ed25519 private key structure.
    case malformedDER(String)
    /// A well-formed key of a kind this module does not use (RSA, EC, X25519, an encrypted key …).
    case wrongKeyType(String)
    /// Raw key bytes of the wrong length.
    case wrongLength(expected: Int, actual: Int)
    /// A symmetric key file is not one line of standard base64.
    case malformedSecretKey(String)
    /// Group or others may read or write the key file (`mode` holds the permission bits).
    case insecurePermissions(path: String, mode: UInt32)
    /// The file could not be opened or read; `errno` is the system's reason.
    case unreadableFile(path: String, errno: Int32)
    /// The file could not be created, written, synced or renamed into place.
    case unwritableFile(path: String, errno: Int32)
    /// The path names a directory, device or other non-regular file.
    case notARegularFile(path: String)
    /// The file is larger than any key file this module writes.
    case fileTooLarge(path: String, limit: Int)
    /// The file is not UTF-8 text.
    case notText(path: String)
    /// A key file is already there and the caller did not ask to replace it.
    case fileExists(path: String)

    /// A sentence for the operator, with the path and the system's reason where there is one.
    public var description: String {
        switch self {
        case .malformedPEM(let reason):
            return "The key is not a valid PEM block: \(reason)."
        case .malformedDER(let reason):
            return "The key is not a valid PKCS#8 Ed25519 private key: \(reason)."
        case .wrongKeyType(let found):
            return "The key is \(found); an Ed25519 private key (openssl genpkey -algorithm ed25519) is required."
        case .wrongLength(let expected, let actual):
            return "The key has \(actual) bytes; \(expected) are required."
        case .malformedSecretKey(let reason):
            return "The secret key is not one line of base64 holding 32 bytes: \(reason)."
        case .insecurePermissions(let path, let mode):
            return "The key file \(path) has mode \(octal(mode)), which lets group or others read or write it; "
                + "run `chmod 600 \(path)`."
        case .unreadableFile(let path, let code):
            return "The key file \(path) cannot be read: \(systemReason(code))."
        case .unwritableFile(let path, let code):
            return "The key file \(path) cannot be written: \(systemReason(code))."
        case .notARegularFile(let path):
            return "\(path) is not a regular file."
        case .fileTooLarge(let path, let limit):
            return "The key file \(path) is larger than \(limit) bytes; it is not a key file."
        case .notText(let path):
            return "The key file \(path) is not UTF-8 text."
        case .fileExists(let path):
            return "The key file \(path) already exists; it was left unchanged."
        }
    }
}

private func octal(_ mode: UInt32) -> String {
    let digits = String(mode & 0o7777, radix: 8)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}

private func systemReason(_ code: Int32) -> String {
    // glibc's strerror returns a static string for every known errno, and a per-thread buffer for
    // unknown ones, so calling it from concurrent tasks is safe.
    String(cString: strerror(code)) + " (errno \(code))"
}
