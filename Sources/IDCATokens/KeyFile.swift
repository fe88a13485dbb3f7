#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Key files in the keys directory.
///
/// Private and secret keys live in small text files that only their owner may read. Writing goes
/// through a temporary file so that a crash never leaves half a key behind, and reading refuses
/// files that group or others can reach: a key that may have leaked must not silently stay in use.
public enum KeyFile {
    /// Key files are a few hundred bytes; anything this large is the wrong file.
    public static let maximumSize = 64 * 1024

    /// Writes atomically (temp file + rename) with mode 0600; refuses to overwrite an existing file unless `replacing`.
    ///
    /// The data and the directory entry are synced before returning, so a key reported as written
    /// survives a power loss. Without `replacing`, the file is linked into place with `link(2)`,
    /// which fails if the name exists: there is no window in which two writers can both succeed.
    public static func write(_ contents: String, to path: String, replacing: Bool = false) throws(KeyError) {
        let directory = directoryName(of: path)
        var template = Array("\(directory)/.\(baseName(of: path)).tmp-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw .unwritableFile(path: path, errno: errno) }
        let temporaryPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // The temporary name must go on every path except a successful rename, which consumed it.
        var temporaryExists = true
        defer { if temporaryExists { unlink(temporaryPath) } }

        do throws(KeyError) {
            // mkstemp already uses 0600, but only as far as the umask allows; set it explicitly.
            guard fchmod(descriptor, 0o600) == 0 else { throw .unwritableFile(path: path, errno: errno) }
            try writeFully(descriptor, Array(contents.utf8), path: path)
            guard fsync(descriptor) == 0 else { throw .unwritableFile(path: path, errno: errno) }
        } catch {
            close(descriptor)
            throw error
        }
        guard close(descriptor) == 0 else { throw .unwritableFile(path: path, errno: errno) }

        if replacing {
            guard rename(temporaryPath, path) == 0 else { throw .unwritableFile(path: path, errno: errno) }
            temporaryExists = false
        } else {
            guard link(temporaryPath, path) == 0 else {
                let code = errno
                if code == EEXIST { throw .fileExists(path: path) }
                throw .unwritableFile(path: path, errno: code)
            }
        }
        try syncDirectory(directory, path: path)
    }

    /// Reads a key file; fails closed with `.insecurePermissions` if group or others can read/write it (mode & 0o077 != 0).
    ///
    /// The mode is checked on the open descriptor (`fstat`), so the file checked is the file read.
    /// Symbolic links are followed: secret stores commonly mount keys that way, and it is the
    /// target's permissions that decide who can read the key.
    public static func read(_ path: String) throws(KeyError) -> String {
        // O_NONBLOCK keeps a FIFO planted at the path from hanging startup; regular files ignore it.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard descriptor >= 0 else { throw .unreadableFile(path: path, errno: errno) }
        defer { close(descriptor) }

        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .unreadableFile(path: path, errno: errno) }
        guard status.st_mode & S_IFMT == S_IFREG else { throw .notARegularFile(path: path) }
        let permissions = UInt32(status.st_mode) & 0o7777
        guard permissions & 0o077 == 0 else { throw .insecurePermissions(path: path, mode: permissions) }

        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadableFile(path: path, errno: errno)
            }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
            guard bytes.count <= maximumSize else { throw .fileTooLarge(path: path, limit: maximumSize) }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .notText(path: path) }
        return text
    }

    private static func writeFully(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws(KeyError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { systemWrite(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw .unwritableFile(path: path, errno: errno)
            }
            offset += written
        }
    }

    /// Makes the new directory entry durable (a rename or link is only on disk once its directory is).
    private static func syncDirectory(_ directory: String, path: String) throws(KeyError) {
        let descriptor = open(directory, O_RDONLY | O_CLOEXEC | O_DIRECTORY)
        guard descriptor >= 0 else { throw .unwritableFile(path: path, errno: errno) }
        defer { close(descriptor) }
        // Some file systems cannot sync a directory and say EINVAL; there is nothing more to do there.
        guard fsync(descriptor) == 0 || errno == EINVAL else { throw .unwritableFile(path: path, errno: errno) }
    }

    private static func directoryName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = path[..<slash]
        return directory.isEmpty ? "/" : String(directory)
    }

    private static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}

// `KeyFile.read` and `KeyFile.write` shadow the C functions inside the type; these reach them.
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}
