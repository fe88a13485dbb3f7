#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import IDCARules

/// The one place idca reads the wall clock; everything below it takes the time as a value.
enum SystemClock {
    /// Seconds since 1970-01-01T00:00:00Z.
    static func unixSeconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec)
    }

    /// Today's date in Asia/Shanghai, the date the identity rules measure birth dates against.
    static func todayInShanghai() -> CivilDate {
        CivilDate(shanghaiDayOf: unixSeconds())
    }
}

/// An I/O failure on a file descriptor, reported with the system's reason.
struct IOError: Error, CustomStringConvertible {
    let operation: String
    let code: Int32
    var description: String { "\(operation) failed: \(String(cString: strerror(code)))" }
}

func printToStandardError(_ message: String, newline: Bool = true) {
    var line = message
    if newline && !line.hasSuffix("\n") { line += "\n" }
    // Through the descriptor rather than `stderr`, a C global that strict concurrency rejects.
    try? line.utf8CString.withUnsafeBytes { raw in try writeFully(2, UnsafeRawBufferPointer(rebasing: raw.dropLast())) }
}

/// Reads up to `count` bytes, retrying when a signal interrupts the call; 0 means end of input.
func readRetrying(_ descriptor: Int32, _ buffer: UnsafeMutablePointer<UInt8>, _ count: Int) throws(IOError) -> Int {
    while true {
        let result = read(descriptor, buffer, count)
        if result >= 0 { return result }
        if errno != EINTR { throw IOError(operation: "read", code: errno) }
    }
}

/// Writes every byte, continuing after partial writes and interruptions.
func writeFully(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(IOError) {
    var offset = 0
    while offset < bytes.count {
        let result = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
        if result < 0 {
            if errno == EINTR { continue }
            throw IOError(operation: "write", code: errno)
        }
        offset += result
    }
}

/// The index of the first LF in `bytes[start..<end]`, found with the C library's vectorized memchr.
@inline(__always)
func indexOfLineFeed(_ bytes: UnsafeMutablePointer<UInt8>, from start: Int, to end: Int) -> Int? {
    guard start < end, let found = memchr(bytes + start, 0x0A, end - start) else { return nil }
    return bytes.distance(to: found.assumingMemoryBound(to: UInt8.self))
}

/// The name of the account the process runs as (`getpwuid(geteuid())`), when the system has one.
func processAccountName() -> String? {
    guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return nil }
    return String(cString: name)
}
