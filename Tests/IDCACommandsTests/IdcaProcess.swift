import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the real `idca` executable built next to this test bundle.
enum Idca {
    /// What one run of `idca` produced.
    struct Run: CustomStringConvertible {
        let arguments: [String]
        let status: Int32
        let stdout: [UInt8]
        let stderr: String

        var output: String { String(decoding: stdout, as: UTF8.self) }

        /// Standard output split at LF. Every line must be LF-terminated; a missing final LF
        /// is reported as a trailing unterminated line, so exact comparisons catch it.
        var lines: [String] { splitLines(output) }

        var description: String {
            "idca \(arguments.joined(separator: " ")) → status \(status), \(stdout.count) bytes out, stderr: \(stderr.prefix(500))"
        }
    }

    struct NotFound: Error, CustomStringConvertible {
        let searched: [String]
        var description: String {
            "The idca executable was not found (build it with `swift build`, or set IDCA_BINARY). Looked in:\n  "
                + searched.joined(separator: "\n  ")
        }
    }

    struct TimedOut: Error, CustomStringConvertible {
        let arguments: [String]
        let seconds: Double
        var description: String { "idca \(arguments.joined(separator: " ")) did not finish within \(seconds) s; it was terminated" }
    }

    /// The executable, found once: `IDCA_BINARY` if set, else an `idca` file in the build products
    /// directory that holds this test bundle, else `.build/{debug,release}/idca` under the package root.
    static let executable: Result<URL, NotFound> = locate()

    static func executableURL() throws -> URL { try executable.get() }

    private static func locate() -> Result<URL, NotFound> {
        var searched: [String] = []
        func candidate(_ url: URL) -> URL? {
            let path = url.standardizedFileURL.path
            searched.append(path)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  FileManager.default.isExecutableFile(atPath: path) else { return nil }
            return URL(fileURLWithPath: path)
        }

        if let override = ProcessInfo.processInfo.environment["IDCA_BINARY"], !override.isEmpty {
            if let found = candidate(URL(fileURLWithPath: override)) { return .success(found) }
            return .failure(NotFound(searched: searched))
        }

        // Walk up from where the test bundle lives: the products directory holds both
        // `idcaPackageTests.xctest` (a file on Linux, a bundle directory on macOS) and `idca`.
        var starts: [URL] = [Bundle.main.bundleURL, Bundle.main.executableURL].compactMap { $0 }
        if let argument0 = CommandLine.arguments.first, !argument0.isEmpty {
            starts.append(URL(fileURLWithPath: argument0).resolvingSymlinksInPath())
        }
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            starts.append(bundle.bundleURL)
        }
        for start in starts {
            var directory = start.standardizedFileURL
            for _ in 0..<5 {
                if let found = candidate(directory.appendingPathComponent("idca")) { return .success(found) }
                let parent = directory.deletingLastPathComponent()
                if parent.path == directory.path { break }
                directory = parent
            }
        }

        // Fall back on the package layout: <root>/Tests/IDCACommandsTests/<this file>.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for configuration in ["debug", "release"] {
            if let found = candidate(root.appendingPathComponent(".build/\(configuration)/idca")) { return .success(found) }
        }
        return .failure(NotFound(searched: searched))
    }

    /// Runs `idca arguments`. Standard input is `stdin` fed through a pipe by a separate thread,
    /// or /dev/null when `stdin` is nil (so that a run that wrongly reads it sees end of input).
    /// Standard output and error go to temporary files, so no pipe can fill up and deadlock.
    /// `stdinPath`, if given, is opened and handed over as standard input instead.
    /// `environment` is added to this process's environment for the child.
    static func run(_ arguments: [String], stdin: [UInt8]? = nil, stdinPath: String? = nil, timeout: Double = 60,
                    environment: [String: String] = [:]) throws -> Run {
        _ = ignoreBrokenPipes
        let process = Process()
        process.executableURL = try executableURL()
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("idca-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("stdout")
        let errURL = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = outHandle
        process.standardError = errHandle

        let inputPipe: Pipe?
        var stdinHandle: FileHandle?
        if stdin != nil {
            let pipe = Pipe()
            process.standardInput = pipe
            inputPipe = pipe
        } else if let stdinPath {
            guard let handle = FileHandle(forReadingAtPath: stdinPath) else { throw POSIXError(.ENOENT) }
            process.standardInput = handle
            stdinHandle = handle
            inputPipe = nil
        } else {
            process.standardInput = FileHandle.nullDevice
            inputPipe = nil
        }

        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        // The child has its copies now. (Process itself closes the parent's read end of a Pipe.)
        try? outHandle.close()
        try? errHandle.close()
        try? stdinHandle?.close()

        let writerDone = DispatchSemaphore(value: 0)
        if let inputPipe, let stdin {
            let writer = inputPipe.fileHandleForWriting
            let bytes = stdin
            Thread.detachNewThread {
                bytes.withUnsafeBytes { raw in
                    // A write error (EPIPE if idca exits early) just ends the feed.
                    _ = try? writeAll(writer.fileDescriptor, raw)
                }
                try? writer.close()
                writerDone.signal()
            }
        } else {
            writerDone.signal()
        }

        if finished.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            _ = finished.wait(timeout: .now() + 5)
            throw TimedOut(arguments: arguments, seconds: timeout)
        }
        _ = writerDone.wait(timeout: .now() + 5)
        #expect(process.terminationReason == .exit, "idca was killed by signal \(process.terminationStatus)")

        let stdout = try [UInt8](Data(contentsOf: outURL))
        let stderr = String(decoding: try Data(contentsOf: errURL), as: UTF8.self)
        return Run(arguments: arguments, status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }

    /// Feeding standard input to a run that exits without reading it (a usage error) must end in
    /// EPIPE for the feeding thread, not in SIGPIPE for the whole test process.
    private static let ignoreBrokenPipes: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// `idca validate KIND --today 2026-11-29 [extra…] [values…]`.
    static func validate(_ kind: String, _ values: [String] = [], flags: [String] = [], stdin: [UInt8]? = nil) throws -> Run {
        try run(["validate", kind, "--today", fixedToday] + flags + values, stdin: stdin)
    }
}

/// The "today" every deterministic test uses.
let fixedToday = "2026-11-29"

/// Writes every byte to `descriptor`, retrying after partial writes and interruptions.
func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws {
    var offset = 0
    while offset < bytes.count {
        let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
        if written < 0 {
            if errno == EINTR { continue }
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        offset += written
    }
}

/// Candidates joined as an LF-terminated byte stream.
func lfInput(_ lines: [String]) -> [UInt8] {
    Array(lines.map { $0 + "\n" }.joined().utf8)
}

/// Expected output lines as one LF-terminated text.
func lfText(_ lines: [String]) -> String {
    lines.map { $0 + "\n" }.joined()
}
