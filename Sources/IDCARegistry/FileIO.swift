#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A system call on a registry file failed; `description` gives the system's reason.
///
/// The path is an operator's own file name, not personal data, so it is kept for the message.
public struct RegistryIOError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The call that failed: `open`, `read`, `write`, `rename`, …
    public let operation: String
    /// The file involved, when known.
    public let path: String?
    /// The `errno` value.
    public let code: Int32

    /// Wraps a failed call's `errno`.
    public init(operation: String, path: String?, code: Int32) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    public var description: String {
        let reason = String(cString: strerror(code))
        if let path { return "\(operation) \(path): \(reason)" }
        return "\(operation) failed: \(reason)"
    }
}

/// Thin wrappers over the C library, so that reading a 100 MB extract costs one `read` per MiB and
/// nothing else (no Foundation `FileHandle`, no `Data`).
enum FileIO {
    /// Opens `path` read-only.
    static func openForReading(_ path: String) throws(RegistryIOError) -> Int32 {
        while true {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            if descriptor >= 0 { return descriptor }
            if errno != EINTR { throw RegistryIOError(operation: "open", path: path, code: errno) }
        }
    }

    /// The size of a regular file, or `nil` for pipes, terminals and sockets.
    static func regularFileSize(_ descriptor: Int32) -> Int? {
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(status.st_size)
    }

    /// Reads up to `count` bytes, retrying when a signal interrupts the call; 0 means end of input.
    static func read(_ descriptor: Int32, _ buffer: UnsafeMutablePointer<UInt8>, _ count: Int, path: String?) throws(RegistryIOError) -> Int {
        while true {
            #if canImport(Glibc)
            let result = Glibc.read(descriptor, buffer, count)
            #else
            let result = Darwin.read(descriptor, buffer, count)
            #endif
            if result >= 0 { return result }
            if errno != EINTR { throw RegistryIOError(operation: "read", path: path, code: errno) }
        }
    }

    /// Writes `bytes` to `path` all at once: first to a temporary file beside it, then renamed over
    /// it, so a reader never sees half a file and a failed write leaves the old file in place.
    static func replaceFile(at path: String, with bytes: [UInt8], mode: mode_t = 0o644) throws(RegistryIOError) {
        let temporary = "\(path).tmp-\(getpid())"
        var descriptor: Int32
        repeat { descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode) } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else { throw RegistryIOError(operation: "open", path: temporary, code: errno) }
        var failure: RegistryIOError?
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let result = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = RegistryIOError(operation: "write", path: temporary, code: errno)
                    return
                }
                offset += result
            }
        }
        if close(descriptor) != 0 && failure == nil { failure = RegistryIOError(operation: "close", path: temporary, code: errno) }
        if failure == nil && rename(temporary, path) != 0 { failure = RegistryIOError(operation: "rename", path: path, code: errno) }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }
}
