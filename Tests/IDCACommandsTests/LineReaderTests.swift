import Foundation
import Testing
@testable import IDCACommands
import IDCARules
import IDCASynthetic

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The line contract (a line is everything up to LF; only a CR right before the LF is dropped)
/// and the guarantee that reading in chunks never changes a verdict.
@Suite("Line splitting and chunking")
struct LineReaderTests {
    static let smallCapacities = [64, 65, 66, 67, 70, 96, 127, 128]

    // MARK: Splitting contract

    struct Split: CustomTestStringConvertible, Sendable {
        let input: String
        let lines: [String]
        var testDescription: String { input.debugDescription }
    }

    static let splits: [Split] = [
        Split(input: "", lines: []),
        Split(input: "a", lines: ["a"]),                          // a last line without LF counts
        Split(input: "a\n", lines: ["a"]),                        // ending with LF adds no line
        Split(input: "a\nb", lines: ["a", "b"]),
        Split(input: "a\nb\n", lines: ["a", "b"]),
        Split(input: "\n", lines: [""]),                          // an empty line is the candidate ""
        Split(input: "\n\n", lines: ["", ""]),
        Split(input: "a\n\nb\n", lines: ["a", "", "b"]),
        Split(input: "a\r\n", lines: ["a"]),                      // CR right before LF is dropped
        Split(input: "\r\n", lines: [""]),
        Split(input: "a\r\nb\r\n", lines: ["a", "b"]),
        Split(input: "a\r\r\n", lines: ["a\r"]),                  // only one CR is dropped
        Split(input: "a\rb\n", lines: ["a\rb"]),                  // a CR elsewhere is kept
        Split(input: "\ra\n", lines: ["\ra"]),
        Split(input: "a\r", lines: ["a\r"]),                      // a final CR without LF is kept
        Split(input: "\r", lines: ["\r"]),
        Split(input: "a\n\r", lines: ["a", "\r"]),
        Split(input: "\r\r\n\n", lines: ["\r", ""]),
        Split(input: "a\n\r\nb", lines: ["a", "", "b"]),
        Split(input: " a \n\tb\t\n", lines: [" a ", "\tb\t"]),    // nothing else is trimmed
        Split(input: "a\u{0}b\n", lines: ["a\u{0}b"]),            // NUL is an ordinary byte
        Split(input: "\u{3000}\n\u{85}\r\n", lines: ["\u{3000}", "\u{85}"]),
        Split(input: "a\u{2028}b\u{2029}c\n", lines: ["a\u{2028}b\u{2029}c"]), // only LF ends a line
        Split(input: "a\u{0B}b\u{0C}c\n", lines: ["a\u{0B}b\u{0C}c"]),
    ]

    @Test("LineReader splits exactly at LF and drops only a CR right before it", arguments: splits)
    func splitting(_ split: Split) throws {
        for capacity in [1 << 20, 64] {
            let lines = try readLines(Array(split.input.utf8), capacity: capacity)
            #expect(lines == split.lines.map { .bytes(Array($0.utf8)) }, "capacity \(capacity)")
        }
    }

    struct VerdictCase: CustomTestStringConvertible, Sendable {
        let input: String
        let output: String
        var testDescription: String { input.debugDescription }
    }

    /// The contract seen through verdicts, in process and through the binary.
    static let verdictCases: [VerdictCase] = [
        VerdictCase(input: "11010519491231002X\r\n", output: "VALID\n"),
        VerdictCase(input: "11010519491231002X\r", output: "INVALID:whitespace\n"),
        VerdictCase(input: "11010519491231002X\r\r\n", output: "INVALID:whitespace\n"),
        VerdictCase(input: "\r11010519491231002X\n", output: "INVALID:whitespace\n"),
        VerdictCase(input: "1101051949\r1231002X\n", output: "INVALID:whitespace\n"),
        VerdictCase(input: "11010519491231002X\n", output: "VALID\n"),
        VerdictCase(input: "11010519491231002X", output: "VALID\n"),
        VerdictCase(input: "11010519491231002X\n\n", output: "VALID\nINVALID:empty\n"),
        VerdictCase(input: "\n11010519491231002X", output: "INVALID:empty\nVALID\n"),
        VerdictCase(input: "\r\n", output: "INVALID:empty\n"),
        VerdictCase(input: "\r", output: "INVALID:whitespace\n"),
        VerdictCase(input: "\n", output: "INVALID:empty\n"),
        VerdictCase(input: "", output: ""),
        VerdictCase(input: "11010519491231002X\u{0}\n", output: "INVALID:length\n"),
        VerdictCase(input: "1101051949123\u{0}002X\n", output: "INVALID:format\n"),
        VerdictCase(input: "11010519491231002X\u{0B}\n", output: "INVALID:whitespace\n"),
    ]

    @Test("verdicts follow the line contract (in process)", arguments: verdictCases)
    func verdictsInProcess(_ test: VerdictCase) throws {
        for capacity in [1 << 20, 64] {
            let result = try reportStream(ResidentIDNumber.self, Array(test.input.utf8), capacity: capacity)
            #expect(result.output == test.output, "capacity \(capacity)")
        }
    }

    @Test("verdicts follow the line contract (idca binary)", arguments: verdictCases)
    func verdictsThroughBinary(_ test: VerdictCase) throws {
        let run = try Idca.validate("resident-id", stdin: Array(test.input.utf8))
        #expect(run.output == test.output, "\(run)")
        #expect(run.status == (test.output.contains("INVALID") ? 1 : 0), "\(run)")
    }

    // MARK: Oversized lines

    @Test("a line longer than the buffer is reported as oversized, with the flags of all its bytes")
    func oversizedFlags() throws {
        let digits = [UInt8](repeating: UInt8(ascii: "7"), count: 300)
        #expect(try readLines(digits + [0x0A], capacity: 64) == [.oversized(0)])
        #expect(try readLines(digits + [0x0D, 0x0A], capacity: 64) == [.oversized(0)])
        #expect(try readLines(digits + [0x0D], capacity: 64) == [.oversized(ScreenFlags.whitespace.rawValue)])
        #expect(try readLines(digits + Array("-".utf8), capacity: 64) == [.oversized(ScreenFlags.separator.rawValue)])
        #expect(try readLines(Array("é".utf8) + digits, capacity: 64) == [.oversized(ScreenFlags.nonASCII.rawValue)])
        let both = ScreenFlags([.whitespace, .nonASCII]).rawValue
        #expect(try readLines(digits + Array("\u{3000}".utf8), capacity: 64) == [.oversized(both)])
        // The lines around an oversized one are untouched.
        let mixed = Array("a\n".utf8) + digits + Array("\r\nb\r\n\nc".utf8)
        #expect(try readLines(mixed, capacity: 64) == [.bytes(Array("a".utf8)), .oversized(0), .bytes(Array("b".utf8)), .bytes([]), .bytes(Array("c".utf8))])
    }

    @Test("line lengths around the buffer size: whole below it, oversized from it on")
    func lengthsAroundCapacity() throws {
        for capacity in [64, 65, 100] {
            for length in (capacity - 4)...(capacity + 4) {
                let line = [UInt8](repeating: UInt8(ascii: "1"), count: length)
                for terminator in [[0x0A], [0x0D, 0x0A]] as [[UInt8]] {
                    let lines = try readLines(line + terminator + Array("11010519491231002X\n".utf8), capacity: capacity)
                    #expect(lines.count == 2, "capacity \(capacity), length \(length)")
                    if case .bytes(let bytes) = lines.first { #expect(bytes == line) }
                    if case .oversized(let flags) = lines.first { #expect(flags == 0, "capacity \(capacity), length \(length)") }
                    #expect(lines.last == .bytes(Array("11010519491231002X".utf8)))
                }
            }
        }
    }

    /// Non-ASCII whitespace: each must be found wherever it falls relative to a chunk boundary.
    static let whitespaceSequences: [String] = [
        "\u{3000}", "\u{2028}", "\u{2029}", "\u{A0}", "\u{85}", "\u{1680}", "\u{2000}", "\u{200A}", "\u{202F}", "\u{205F}",
        " ", "\t", "\r", "\u{0B}", "\u{0C}",
    ]

    /// Look-alikes that are not whitespace: same lead bytes, neighbouring code points.
    static let nonWhitespaceSequences: [[UInt8]] = [
        Array("\u{3001}".utf8), Array("１".utf8), Array("\u{200B}".utf8), Array("\u{2060}".utf8), Array("\u{A1}".utf8),
        Array("\u{84}".utf8), Array("\u{1681}".utf8), Array("\u{202E}".utf8), Array("\u{2030}".utf8), Array("😀".utf8),
        [0xE3, 0x80], [0xE3], [0xC2], [0xFF], [0x80, 0x80], [0xE3, 0x80, 0x80 ^ 0x40],
    ]

    /// Lines of `length` bytes with `sequence` at every offset, followed by lines ending in it.
    static func straddlingLines(_ sequence: [UInt8], capacity: Int) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        let length = 3 * capacity + 7
        for offset in 0...(length - sequence.count) {
            lines.append([UInt8](repeating: UInt8(ascii: "2"), count: offset) + sequence
                + [UInt8](repeating: UInt8(ascii: "3"), count: length - sequence.count - offset))
        }
        for prefix in (capacity - 6)...(2 * capacity + 3) {
            lines.append([UInt8](repeating: UInt8(ascii: "4"), count: prefix) + sequence)
        }
        return lines
    }

    @Test("a whitespace character straddling a chunk boundary at any offset is still whitespace", arguments: whitespaceSequences)
    func whitespaceStraddlingChunks(_ whitespace: String) throws {
        for capacity in [64, 65, 66, 100] {
            let lines = Self.straddlingLines(Array(whitespace.utf8), capacity: capacity)
            // "\r" at the end of a line would be dropped before LF: end those lines with CR CR LF.
            let input = lines.flatMap { $0.last == 0x0D ? $0 + [0x0D, 0x0A] : $0 + [0x0A] }
            let result = try reportStream(ResidentIDNumber.self, input, capacity: capacity)
            let verdicts = splitLines(result.output)
            #expect(verdicts.count == lines.count)
            #expect(verdicts.allSatisfy { $0 == "INVALID:whitespace" }, "capacity \(capacity): \(Set(verdicts))")
            #expect(verdicts == lines.map { ruleVerdict(ResidentIDNumber.self, $0) })
        }
    }

    @Test("a non-whitespace multi-byte sequence straddling a chunk boundary stays non_ascii", arguments: nonWhitespaceSequences)
    func nonWhitespaceStraddlingChunks(_ sequence: [UInt8]) throws {
        for capacity in [64, 65, 66, 100] {
            let lines = Self.straddlingLines(sequence, capacity: capacity)
            let input: [UInt8] = lines.flatMap { $0 + [0x0A] }
            let result = try reportStream(OrganizationCode.self, input, capacity: capacity)
            let verdicts = splitLines(result.output)
            #expect(verdicts.count == lines.count)
            #expect(verdicts.allSatisfy { $0 == "INVALID:non_ascii" }, "capacity \(capacity): \(Set(verdicts))")
            #expect(verdicts == lines.map { ruleVerdict(OrganizationCode.self, $0) })
        }
    }

    @Test("a separator in a long line at any offset is a separator; a long line of digits is a length error")
    func separatorAndLengthInLongLines() throws {
        for capacity in [64, 65, 100] {
            let dashed = Self.straddlingLines(Array("-".utf8), capacity: capacity)
            let dashedResult = try reportStream(CreditCode.self, dashed.flatMap { $0 + [0x0A] }, capacity: capacity)
            #expect(splitLines(dashedResult.output) == dashed.map { _ in "INVALID:separator" })

            let plain = (capacity - 3...3 * capacity).map { [UInt8](repeating: UInt8(ascii: "5"), count: $0) }
            let plainResult = try reportStream(CreditCode.self, plain.flatMap { $0 + [0x0A] }, capacity: capacity)
            #expect(splitLines(plainResult.output) == plain.map { _ in "INVALID:length" })
            #expect(plainResult.invalidCount == plain.count)
        }
    }

    @Test("a CR right before LF at any chunk boundary is dropped, not whitespace")
    func crBeforeLineFeedAtChunkBoundary() throws {
        for capacity in [64, 65, 66, 67, 100] {
            var input: [UInt8] = []
            var expected: [String] = []
            for length in 1...(3 * capacity + 5) {
                let content = [UInt8](repeating: UInt8(ascii: "6"), count: length)
                input += content + [0x0D, 0x0A]
                expected.append(ruleVerdict(ResidentIDNumber.self, content))
                input += Array("11010519491231002X\r\n".utf8)
                expected.append("VALID")
            }
            #expect(!expected.contains("INVALID:whitespace"))
            let result = try reportStream(ResidentIDNumber.self, input, capacity: capacity)
            #expect(splitLines(result.output) == expected, "capacity \(capacity)")
        }
    }

    @Test("a CR that is not right before LF is whitespace at any chunk boundary")
    func crElsewhereAtChunkBoundary() throws {
        for capacity in [64, 65, 100] {
            var input: [UInt8] = []
            var count = 0
            for length in 1...(3 * capacity + 5) {
                let digits = [UInt8](repeating: UInt8(ascii: "6"), count: length)
                input += digits + [0x0D, 0x0D, 0x0A]                  // CR CR LF: one CR stays
                input += digits + [0x0D, UInt8(ascii: "1"), 0x0A]     // CR then a digit
                input += [0x0D] + digits + [0x0A]                     // leading CR
                count += 3
            }
            let result = try reportStream(ResidentIDNumber.self, input, capacity: capacity)
            #expect(splitLines(result.output) == Array(repeating: "INVALID:whitespace", count: count), "capacity \(capacity)")

            // And as the last line, without LF.
            for length in [capacity - 3, capacity - 2, capacity - 1, capacity, capacity + 1, 2 * capacity - 2, 2 * capacity] {
                let last = [UInt8](repeating: UInt8(ascii: "6"), count: length) + [0x0D]
                let lastResult = try reportStream(ResidentIDNumber.self, Array("x\n".utf8) + last, capacity: capacity)
                #expect(lastResult.output == "INVALID:length\nINVALID:whitespace\n", "capacity \(capacity), length \(length)")
            }
        }
    }

    @Test("an oversized line in --json mode is one object with its reason")
    func oversizedLineAsJSON() throws {
        let line = [UInt8](repeating: UInt8(ascii: "8"), count: 200)
        let result = try reportStream(ResidentIDNumber.self, line + [0x0A] + line + Array("\u{3000}\n".utf8), capacity: 64, json: true)
        let lengthMessage = ResidentIDNumber.Violation.length.message
        let whitespaceMessage = ResidentIDNumber.Violation.whitespace.message
        #expect(splitLines(result.output) == [
            "{\"valid\":false,\"reason\":\"length\",\"message\":\"\(lengthMessage)\"}",
            "{\"valid\":false,\"reason\":\"whitespace\",\"message\":\"\(whitespaceMessage)\"}",
        ])
        #expect(result.invalidCount == 2)
    }

    // MARK: Chunking never changes a verdict

    static let oddPieces: [[UInt8]] = [
        Array(" ".utf8), Array("\t".utf8), Array("\r".utf8), Array("-".utf8), Array("x".utf8), Array("a".utf8),
        Array("\u{3000}".utf8), Array("\u{2028}".utf8), Array("\u{2029}".utf8), Array("\u{A0}".utf8), Array("\u{85}".utf8),
        Array("\u{1680}".utf8), Array("\u{2000}".utf8), Array("\u{2009}".utf8), Array("\u{202F}".utf8), Array("\u{205F}".utf8),
        Array("\u{200B}".utf8), Array("\u{3001}".utf8), Array("１".utf8), Array("é".utf8), Array("😀".utf8),
        [0xFF], [0x80], [0xE3, 0x80], [0xC2], [0xE2, 0x80],
    ]

    /// A deterministic mix of lines for one kind: valid numbers, corrupted ones, short junk, long junk.
    static func generatedLines(_ kind: Kind, count: Int, seed: UInt64) -> [[UInt8]] {
        var random = SeededGenerator(seed: seed)
        let numbers = SyntheticNumbers()
        let births = CivilDate(year: 1900, month: 1, day: 1)!...CivilDate(year: 2026, month: 11, day: 29)!
        func valid() -> [UInt8] {
            switch kind {
            case .residentID: Array(numbers.residentID(bornIn: births, using: &random).utf8)
            case .organizationCode: Array(numbers.organizationCode(using: &random).utf8)
            case .creditCode: Array(numbers.creditCode(using: &random).utf8)
            }
        }
        func sprinkle(_ base: [UInt8], pieces: Int) -> [UInt8] {
            var line = base
            for _ in 0..<pieces {
                let piece = oddPieces.randomElement(using: &random)!
                line.insert(contentsOf: piece, at: Int.random(in: 0...line.count, using: &random))
            }
            return line
        }
        var lines: [[UInt8]] = []
        for _ in 0..<count {
            switch Int.random(in: 0..<10, using: &random) {
            case 0, 1, 2:
                lines.append(valid())
            case 3:
                var line = valid()
                line[Int.random(in: 0..<line.count, using: &random)] = Array("0123456789XAZxa".utf8).randomElement(using: &random)!
                lines.append(line)
            case 4:
                lines.append(sprinkle(valid(), pieces: 1))
            case 5:
                let length = Int.random(in: 0...24, using: &random)
                lines.append((0..<length).map { _ in Array("0123456789X".utf8).randomElement(using: &random)! })
            case 6:
                lines.append(sprinkle([], pieces: Int.random(in: 1...4, using: &random)))
            default:
                // Long lines: a few hundred bytes, mostly digits, with 0–3 odd pieces anywhere.
                let length = Int.random(in: 19...700, using: &random)
                let digits = (0..<length).map { _ in UInt8(ascii: "0") + UInt8.random(in: 0...9, using: &random) }
                lines.append(sprinkle(digits, pieces: Int.random(in: 0...3, using: &random)))
            }
        }
        return lines
    }

    /// Joins lines so that each one's content is exactly what the reader must hand back: LF or
    /// CRLF at random, but always CRLF after a line that itself ends in CR.
    static func stream(_ lines: [[UInt8]], seed: UInt64, finalLineFeed: Bool) -> [UInt8] {
        var random = SeededGenerator(seed: seed)
        var bytes: [UInt8] = []
        for (index, line) in lines.enumerated() {
            bytes += line
            if index == lines.count - 1 && !finalLineFeed && !line.isEmpty { break }
            if line.last == 0x0D || Bool.random(using: &random) { bytes.append(0x0D) }
            bytes.append(0x0A)
        }
        return bytes
    }

    /// What the rules say about a long line, derived from Unicode's White_Space property rather
    /// than from the byte patterns the implementation uses.
    static func unicodeVerdict(_ line: [UInt8]) -> String? {
        guard let text = String(validating: line, as: UTF8.self) else { return nil }
        if text.unicodeScalars.contains(where: \.properties.isWhitespace) { return "INVALID:whitespace" }
        if line.contains(where: { $0 >= 0x80 }) { return "INVALID:non_ascii" }
        if line.contains(UInt8(ascii: "-")) { return "INVALID:separator" }
        return "INVALID:length"
    }

    @Test("LineReader + ValidationReport agree with the IDCARules API at every capacity", arguments: Kind.allCases)
    func chunkingNeverChangesAVerdict(kind: Kind) throws {
        let lines = Self.generatedLines(kind, count: 700, seed: 0xC4A2_0000 &+ UInt64(Kind.allCases.firstIndex(of: kind)!))
        let expected = lines.map { kind.verdict($0) }
        #expect(lines.filter { $0.count >= 64 }.count > 100, "the corpus needs many oversized lines")
        #expect(expected.filter { $0 == "VALID" }.count > 100, "the corpus needs many valid lines")
        #expect(Set(expected).count >= 8, "the corpus needs a variety of verdicts: \(Set(expected))")

        for (index, line) in lines.enumerated() where line.count > 24 {
            if let unicode = Self.unicodeVerdict(line) {
                #expect(expected[index] == unicode, "line \(index): \(String(decoding: line, as: UTF8.self).debugDescription)")
            }
        }

        for finalLineFeed in [true, false] {
            let input = Self.stream(lines, seed: finalLineFeed ? 1 : 2, finalLineFeed: finalLineFeed)
            for capacity in Self.smallCapacities + [1 << 20] {
                let result = try kind.reportStream(input, capacity: capacity)
                expectSameLines(splitLines(result.output), expected, inputs: lines, "capacity \(capacity), final LF \(finalLineFeed)")
                #expect(result.invalidCount == expected.filter { $0 != "VALID" }.count)
            }
        }
    }

    @Test("the binary agrees with the IDCARules API on the same generated corpus", arguments: Kind.allCases)
    func binaryAgreesOnGeneratedCorpus(kind: Kind) throws {
        let lines = Self.generatedLines(kind, count: 700, seed: 0xB1A2_0000 &+ UInt64(Kind.allCases.firstIndex(of: kind)!))
        let run = try Idca.validate(kind.rawValue, stdin: Self.stream(lines, seed: 3, finalLineFeed: false))
        expectSameLines(run.lines, lines.map { kind.verdict($0) }, inputs: lines, "idca validate \(kind.rawValue)")
        #expect(run.status == 1)
    }

    // MARK: Short reads

    @Test("reading from a pipe that delivers the input in small pieces gives the same lines")
    func shortReadsFromAPipe() throws {
        let lines = Self.generatedLines(.residentID, count: 300, seed: 77)
        let input = Self.stream(lines, seed: 4, finalLineFeed: true)
        let fromFile = try readLines(input, capacity: 64)

        var descriptors: [Int32] = [0, 0]
        #expect(pipe(&descriptors) == 0)
        let (readEnd, writeEnd) = (descriptors[0], descriptors[1])
        defer { close(readEnd) }
        let feed = input
        let writer = Thread {
            var random = SeededGenerator(seed: 5)
            var offset = 0
            while offset < feed.count {
                let size = min(Int.random(in: 1...90, using: &random), feed.count - offset)
                feed[offset..<(offset + size)].withUnsafeBytes { _ = try? writeAll(writeEnd, $0) }
                offset += size
                if Int.random(in: 0..<8, using: &random) == 0 { usleep(200) }
            }
            close(writeEnd)
        }
        writer.start()

        var fromPipe: [ReadLine] = []
        var idleCalls = 0
        try LineReader(descriptor: readEnd, capacity: 64).forEachLine({ line in
            switch line {
            case .bytes(let bytes): fromPipe.append(.bytes(Array(bytes)))
            case .oversized(let flags): fromPipe.append(.oversized(flags.rawValue))
            }
        }, whenIdle: { idleCalls += 1 })
        #expect(fromPipe == fromFile)
        #expect(fromPipe.count == lines.count)
        #expect(idleCalls > 0, "short reads must give the caller a chance to flush")
    }

    @Test("a regular file read in full-size chunks never reports idleness before the end")
    func noIdleCallsWhileReadingFullChunks() throws {
        let input = [UInt8](repeating: UInt8(ascii: "1"), count: 64 * 50)
        let file = try TemporaryFile.reading(input)
        var idleCalls = 0
        var lines = 0
        try LineReader(descriptor: file.descriptor, capacity: 64).forEachLine({ _ in lines += 1 }, whenIdle: { idleCalls += 1 })
        #expect(lines == 1)
        #expect(idleCalls <= 1)
    }
}
