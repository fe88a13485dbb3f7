import Foundation
import Testing
@testable import IDCACommands
import IDCARules

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A temporary file opened for reading or writing, removed when closed.
final class TemporaryFile {
    let url: URL
    let descriptor: Int32

    private init(url: URL, descriptor: Int32) {
        self.url = url
        self.descriptor = descriptor
    }

    /// A file holding `contents`, opened read-only at offset 0.
    static func reading(_ contents: [UInt8]) throws -> TemporaryFile {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("idca-in-\(UUID().uuidString)")
        try Data(contents).write(to: url)
        let descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return TemporaryFile(url: url, descriptor: descriptor)
    }

    /// An empty file opened write-only.
    static func writing() throws -> TemporaryFile {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("idca-out-\(UUID().uuidString)")
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return TemporaryFile(url: url, descriptor: descriptor)
    }

    /// Everything written to the file so far.
    func contents() throws -> [UInt8] { try [UInt8](Data(contentsOf: url)) }

    /// The file's current size, as `fstat` reports it.
    func size() -> Int {
        var info = stat()
        fstat(descriptor, &info)
        return Int(info.st_size)
    }

    deinit {
        close(descriptor)
        try? FileManager.default.removeItem(at: url)
    }
}

/// What `LineReader` handed over for one line, copied out of its buffer.
enum ReadLine: Equatable, CustomStringConvertible {
    case bytes([UInt8])
    case oversized(UInt8)

    var description: String {
        switch self {
        case .bytes(let bytes): "bytes(\(String(decoding: bytes, as: UTF8.self).debugDescription))"
        case .oversized(let flags): "oversized(flags: \(flags))"
        }
    }
}

/// Reads `input` with a `LineReader` of `capacity` from a regular file and returns the lines.
func readLines(_ input: [UInt8], capacity: Int = 1 << 20) throws -> [ReadLine] {
    let file = try TemporaryFile.reading(input)
    var lines: [ReadLine] = []
    try LineReader(descriptor: file.descriptor, capacity: capacity).forEachLine({ line in
        switch line {
        case .bytes(let bytes): lines.append(.bytes(Array(bytes)))
        case .oversized(let flags): lines.append(.oversized(flags.rawValue))
        }
    }, whenIdle: {})
    return lines
}

/// The deterministic context every in-process test uses (today = 2026-11-29).
let testContext = ValidationContext(today: CivilDate(year: 2026, month: 11, day: 29)!)

/// Streams `input` through `LineReader(capacity:)` and `ValidationReport`, exactly as
/// `idca validate` does for standard input, and returns what it printed.
func reportStream<Number: ValidationReportable>(
    _: Number.Type, _ input: [UInt8], capacity: Int = 1 << 20, json: Bool = false, upgrade: Bool = false,
    context: ValidationContext = testContext
) throws -> (output: String, invalidCount: Int) {
    let inputFile = try TemporaryFile.reading(input)
    let outputFile = try TemporaryFile.writing()
    var report = ValidationReport<Number>(
        context: context, output: OutputBuffer(descriptor: outputFile.descriptor), json: json, upgradesLegacyNumbers: upgrade)
    try LineReader(descriptor: inputFile.descriptor, capacity: capacity)
        .forEachLine({ line in try report.report(line) }, whenIdle: { try report.output.flush() })
    try report.output.flush()
    return (String(decoding: try outputFile.contents(), as: UTF8.self), report.invalidCount)
}

/// The verdict line the IDCARules API gives for one candidate's bytes.
func ruleVerdict<Number: IdentityNumber>(_: Number.Type, _ bytes: [UInt8], context: ValidationContext = testContext) -> String {
    let violation = bytes.withUnsafeBufferPointer { Number.violation(in: $0, context: context) }
    return violation.map { "INVALID:\($0.rawValue)" } ?? "VALID"
}

/// Output text split into LF-terminated lines (a missing final LF shows up as `<no LF>`).
func splitLines(_ text: String) -> [String] {
    var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if parts.last == "" { parts.removeLast() } else if let last = parts.popLast() { parts.append(last + "<no LF>") }
    return parts
}

/// The kinds, for tests that run the same table over all three.
enum Kind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case residentID = "resident-id"
    case organizationCode = "organization-code"
    case creditCode = "credit-code"

    var testDescription: String { rawValue }

    func verdict(_ bytes: [UInt8], context: ValidationContext = testContext) -> String {
        switch self {
        case .residentID: ruleVerdict(ResidentIDNumber.self, bytes, context: context)
        case .organizationCode: ruleVerdict(OrganizationCode.self, bytes, context: context)
        case .creditCode: ruleVerdict(CreditCode.self, bytes, context: context)
        }
    }

    func reportStream(_ input: [UInt8], capacity: Int = 1 << 20, json: Bool = false) throws -> (output: String, invalidCount: Int) {
        switch self {
        case .residentID: try IDCACommandsTests.reportStream(ResidentIDNumber.self, input, capacity: capacity, json: json)
        case .organizationCode: try IDCACommandsTests.reportStream(OrganizationCode.self, input, capacity: capacity, json: json)
        case .creditCode: try IDCACommandsTests.reportStream(CreditCode.self, input, capacity: capacity, json: json)
        }
    }
}

/// Compares two lists of output lines, reporting the count and the first differing line rather
/// than dumping thousands of lines.
func expectSameLines(
    _ actual: [String], _ expected: [String], inputs: [[UInt8]]? = nil, _ context: @autoclosure () -> String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.count == expected.count, "\(context()): \(actual.count) lines instead of \(expected.count)", sourceLocation: sourceLocation)
    guard let index = (0..<min(actual.count, expected.count)).first(where: { actual[$0] != expected[$0] }) else { return }
    let input = inputs.map { index < $0.count ? String(decoding: $0[index], as: UTF8.self).debugDescription : "?" } ?? ""
    Issue.record("\(context()): line \(index) \(input) is \(actual[index].debugDescription), expected \(expected[index].debugDescription)",
                 sourceLocation: sourceLocation)
}
