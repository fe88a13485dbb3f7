import Foundation
import Testing
@testable import IDCACommands
import IDCARules

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `idca validate` streams: one output line per input line on large inputs, output written in
/// blocks rather than per line, and answers visible as soon as interactive input pauses.
@Suite("Streaming")
struct StreamingTests {
    /// Eight lines with eight different verdicts, repeated.
    static let pattern: [(String, String)] = [
        ("11010519491231002X", "VALID"),
        ("11010519491231002X\r", "VALID"),           // CRLF on the wire
        ("110105194912310021", "INVALID:checksum"),
        ("", "INVALID:empty"),
        ("110105491231002", "INVALID:legacy_15"),
        ("11010519491231002x", "INVALID:lowercase_x"),
        (" 11010519491231002X", "INVALID:whitespace"),
        ("11010520261130001X", "INVALID:birth_date_future"),
    ]

    @Test("200,000 lines through the binary give exactly 200,000 verdicts, in order", .timeLimit(.minutes(1)))
    func twoHundredThousandLines() throws {
        let repetitions = 25_000
        let chunk = Array(Self.pattern.map { $0.0 + "\n" }.joined().utf8)
        var input: [UInt8] = []
        input.reserveCapacity(chunk.count * repetitions)
        for _ in 0..<repetitions { input += chunk }
        let expectedChunk = Self.pattern.map { $0.1 + "\n" }.joined()

        let started = Date()
        let run = try Idca.validate("resident-id", stdin: input)
        let seconds = Date().timeIntervalSince(started)

        #expect(run.status == 1)
        #expect(run.stderr.isEmpty)
        let newlines = run.stdout.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        #expect(newlines == 8 * repetitions)
        #expect(run.stdout.last == 0x0A)
        #expect(run.output == String(repeating: expectedChunk, count: repetitions))
        // Not a benchmark; a generous bound that only a per-line write or a quadratic buffer would break.
        #expect(seconds < 30, "took \(seconds) s")
    }

    @Test("200,000 valid lines without a final LF exit 0 with 200,000 VALID lines", .timeLimit(.minutes(1)))
    func twoHundredThousandValidLines() throws {
        let count = 200_000
        var input = Array(String(repeating: "91350100M000100Y43\r\n", count: count - 1).utf8)
        input += Array("91350100M000100Y43".utf8)
        let run = try Idca.validate("credit-code", stdin: input)
        #expect(run.status == 0)
        #expect(run.stdout.count == count * "VALID\n".utf8.count)
        #expect(run.output == String(repeating: "VALID\n", count: count))
    }

    @Test("20,000 lines in --json mode: one parseable object per line", .timeLimit(.minutes(1)))
    func jsonStream() throws {
        let repetitions = 2_500
        let input = Array(String(repeating: Self.pattern.map { $0.0 + "\n" }.joined(), count: repetitions).utf8)
        let run = try Idca.validate("resident-id", flags: ["--json"], stdin: input)
        #expect(run.status == 1)
        let lines = run.lines
        #expect(lines.count == 8 * repetitions)
        for index in stride(from: 0, to: lines.count, by: 97) {
            let object = JSONOutputTests.object(lines[index])
            let expected = Self.pattern[index % 8].1
            if expected == "VALID" {
                #expect(object?["valid"] as? Bool == true, "line \(index)")
            } else {
                #expect(object?["reason"] as? String == String(expected.dropFirst("INVALID:".count)), "line \(index)")
            }
        }
    }

    // MARK: Output in blocks

    @Test("the report writes in blocks of at least 64 KiB, not per line")
    func outputIsWrittenInBlocks() throws {
        let file = try TemporaryFile.writing()
        var report = ValidationReport<ResidentIDNumber>(
            context: testContext, output: OutputBuffer(descriptor: file.descriptor), json: false, upgradesLegacyNumbers: false)
        let line = Array("11010519491231002X".utf8)
        var sizes: [Int] = []
        for _ in 0..<30_000 {
            try line.withUnsafeBufferPointer { try report.report(.bytes($0)) }
            sizes.append(file.size())
        }
        // 30,000 × "VALID\n" = 180,000 bytes: two full blocks written, the rest still buffered.
        let changes = zip(sizes, sizes.dropFirst()).filter { $0 != $1 }.count + (sizes.first == 0 ? 0 : 1)
        #expect(changes == 2, "writes: \(changes)")
        #expect(sizes.first == 0)
        #expect(sizes.first(where: { $0 > 0 }).map { $0 >= 1 << 16 } == true)
        #expect(sizes.last.map { $0 >= 2 << 16 && $0 < 180_000 } == true)
        try report.output.flush()
        #expect(file.size() == 180_000)
        #expect(report.invalidCount == 0)
    }

    @Test("OutputBuffer keeps small output until flushed")
    func outputBufferHoldsSmallOutput() throws {
        let file = try TemporaryFile.writing()
        var output = OutputBuffer(descriptor: file.descriptor, blockSize: 100)
        output.append("0123456789")
        try output.flushIfFull()
        #expect(file.size() == 0)
        for _ in 0..<9 { output.append("0123456789") }
        try output.flushIfFull()
        #expect(file.size() == 100)
        output.append("tail")
        try output.flushIfFull()
        #expect(file.size() == 100)
        try output.flush()
        #expect(file.size() == 104)
        try output.flush()
        #expect(file.size() == 104)
    }

    // MARK: Interactive use

    /// Waits until `descriptor` has data and reads what is there, or returns nil after `timeout` ms.
    static func readAvailable(_ descriptor: Int32, timeout: Int32) -> [UInt8]? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, timeout) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        return count > 0 ? Array(buffer[0..<count]) : nil
    }

    @Test("a verdict appears as soon as interactive input pauses, before standard input is closed", .timeLimit(.minutes(1)))
    func answersWithoutWaitingForEndOfInput() throws {
        let process = Process()
        process.executableURL = try Idca.executableURL()
        process.arguments = ["validate", "resident-id", "--today", fixedToday]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let writeEnd = input.fileHandleForWriting.fileDescriptor
        let readEnd = output.fileHandleForReading.fileDescriptor
        try Array("11010519491231002X\n".utf8).withUnsafeBytes { try writeAll(writeEnd, $0) }
        #expect(Self.readAvailable(readEnd, timeout: 10_000) == Array("VALID\n".utf8))
        try Array("11010519491231002x\r\n".utf8).withUnsafeBytes { try writeAll(writeEnd, $0) }
        #expect(Self.readAvailable(readEnd, timeout: 10_000) == Array("INVALID:lowercase_x\n".utf8))
        // A partial line waits for its end…
        try Array("1101051949".utf8).withUnsafeBytes { try writeAll(writeEnd, $0) }
        #expect(Self.readAvailable(readEnd, timeout: 200) == nil)
        // …which is end of input for a last line without LF.
        try input.fileHandleForWriting.close()
        #expect(Self.readAvailable(readEnd, timeout: 10_000) == Array("INVALID:length\n".utf8))
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
    }
}
