import Foundation
@testable import IDCARegistry
import IDCASynthetic
import Testing

@Suite("RFC 4180 reader")
struct CSVReaderTests {
    // Every input here is read with block boundaries at every byte (`parseEveryWay`), so each case
    // also checks the reader resumes correctly wherever a block ends. Records stay under 32 bytes,
    // the smallest buffer used.

    @Test(arguments: [
        // Plain records, LF, with and without a final line break.
        ("a,b,c\n1,2,3\n", [Parsed.record(line: 1, ["a", "b", "c"]), .record(line: 2, ["1", "2", "3"])]),
        ("a,b\n1,2", [.record(line: 1, ["a", "b"]), .record(line: 2, ["1", "2"])]),
        // CRLF, and CRLF mixed with LF.
        ("a,b\r\n1,2\r\n", [.record(line: 1, ["a", "b"]), .record(line: 2, ["1", "2"])]),
        ("a,b\r\n1,2\n3,4\r\n", [.record(line: 1, ["a", "b"]), .record(line: 2, ["1", "2"]), .record(line: 3, ["3", "4"])]),
        // A CR at the very end is a line break; a CR elsewhere is data.
        ("a,b\r", [.record(line: 1, ["a", "b"])]),
        ("a\rb,c\n", [.record(line: 1, ["a\rb", "c"])]),
        ("a\r,b\n", [.record(line: 1, ["a\r", "b"])]),
        // Quoted commas.
        ("\"a,b\",c\n", [.record(line: 1, ["a,b", "c"])]),
        ("x,\",\",\",,\"\n", [.record(line: 1, ["x", ",", ",,"])]),
        // Quoted line breaks: the next record's line number counts them.
        ("x,\"l1\nl2\",y\nnext,row\n", [.record(line: 1, ["x", "l1\nl2", "y"]), .record(line: 3, ["next", "row"])]),
        ("\"a\n\n\nb\"\nc\n", [.record(line: 1, ["a\n\n\nb"]), .record(line: 5, ["c"])]),
        ("\"a\r\nb\"\r\nc\r\n", [.record(line: 1, ["a\r\nb"]), .record(line: 3, ["c"])]),
        // "" escapes, including at the edges, alone, and across a line break.
        ("\"say \"\"hi\"\"\",x\n", [.record(line: 1, ["say \"hi\"", "x"])]),
        ("\"\"\"\"\n", [.record(line: 1, ["\""])]),
        ("\"\"\"a\",\"b\"\"\"\n", [.record(line: 1, ["\"a", "b\""])]),
        ("\"a\"\"\nb\"\"c\",d\ne\n", [.record(line: 1, ["a\"\nb\"c", "d"]), .record(line: 3, ["e"])]),
        // Empty fields, quoted and not.
        (",,\n", [.record(line: 1, ["", "", ""])]),
        ("a,,b\n", [.record(line: 1, ["a", "", "b"])]),
        ("a,\n", [.record(line: 1, ["a", ""])]),
        ("a,", [.record(line: 1, ["a", ""])]),
        ("\"\",a\n", [.record(line: 1, ["", "a"])]),
        ("a,\"\"", [.record(line: 1, ["a", ""])]),
        ("\"\"\n", [.record(line: 1, [""])]),
        // A quoted field closing at the end of input.
        ("a,\"b\"", [.record(line: 1, ["a", "b"])]),
        ("a,\"b\"\r", [.record(line: 1, ["a", "b"])]),
        // Byte-order mark: skipped at the start, kept elsewhere.
        ("\u{FEFF}a,b\n", [.record(line: 1, ["a", "b"])]),
        ("\u{FEFF}\"a\",b\n", [.record(line: 1, ["a", "b"])]),
        ("a\n\u{FEFF}b\n", [.record(line: 1, ["a"]), .record(line: 2, ["\u{FEFF}b"])]),
        // Blank lines are not records but still count as lines.
        ("a\n\nb\n\r\nc\n", [.record(line: 1, ["a"]), .record(line: 3, ["b"]), .record(line: 5, ["c"])]),
        ("\n\na\n", [.record(line: 3, ["a"])]),
        // Nothing at all.
        ("", []),
        ("\u{FEFF}", []),
        ("\n\r\n", []),
        // UTF-8 content.
        ("张三,北京·朝阳\n", [.record(line: 1, ["张三", "北京·朝阳"])]),
    ])
    func readsWellFormedRecords(input: String, expected: [Parsed]) throws {
        #expect(try parseEveryWay(Array(input.utf8)) == expected)
    }

    @Test(arguments: [
        // A quote inside an unquoted field: that line is rejected, the next one read.
        ("a,b\"c,d\nx,y\n", [Parsed.malformed(line: 1, .quoteInUnquotedField), .record(line: 2, ["x", "y"])]),
        ("a\"b", [.malformed(line: 1, .quoteInUnquotedField)]),
        // Text after a closing quote.
        ("\"a\"b,c\nx\n", [.malformed(line: 1, .textAfterClosingQuote), .record(line: 2, ["x"])]),
        ("\"a\" ,c\nx\n", [.malformed(line: 1, .textAfterClosingQuote), .record(line: 2, ["x"])]),
        ("\"a\"\r\"b\nx\n", [.malformed(line: 1, .textAfterClosingQuote), .record(line: 2, ["x"])]),
        // A quote left open at the end: only its own line is lost.
        ("x\n\"abc\ny,z\n", [.record(line: 1, ["x"]), .malformed(line: 2, .unterminatedQuote), .record(line: 3, ["y", "z"])]),
        ("a,\"bc", [.malformed(line: 1, .unterminatedQuote)]),
        // A stray opening quote that pairs with a later one does not swallow the rows between:
        // the record fails, and reading resumes at the line after the one it began on.
        ("1,\"ab\n2,ok\n3,\"q\",z\n", [.malformed(line: 1, .textAfterClosingQuote), .record(line: 2, ["2", "ok"]),
                                       .record(line: 3, ["3", "q", "z"])]),
        // A failure on the second line of a multi-line record: both lines are reported.
        ("\"a\nb\"x\nc\n", [.malformed(line: 1, .textAfterClosingQuote), .malformed(line: 2, .quoteInUnquotedField),
                           .record(line: 3, ["c"])]),
        // Good records on either side keep their line numbers.
        ("h\n\"q\nq\"\nbad\"\n\"ok\"\n", [.record(line: 1, ["h"]), .record(line: 2, ["q\nq"]), .malformed(line: 4, .quoteInUnquotedField),
                                         .record(line: 5, ["ok"])]),
    ])
    func reportsMalformedQuotingAndResynchronizes(input: String, expected: [Parsed]) throws {
        #expect(try parseEveryWay(Array(input.utf8)) == expected)
    }

    @Test(arguments: [
        // Well-formed: BMP ideograph, middle dot, supplementary plane, the last scalar.
        ([0xE5, 0xBC, 0xA0], true), ([0xC2, 0xB7], true), ([0xF0, 0x9F, 0x98, 0x80], true), ([0xF4, 0x8F, 0xBF, 0xBF], true),
        ([0xEF, 0xBF, 0xBD], true), ([0xED, 0x9F, 0xBF], true),
        // Ill-formed: stray bytes, overlong forms, surrogates, beyond U+10FFFF, truncated sequences.
        ([0xFF], false), ([0x80], false), ([0xC0, 0x80], false), ([0xC1, 0xBF], false), ([0xE0, 0x80, 0x80], false),
        ([0xED, 0xA0, 0x80], false), ([0xF4, 0x90, 0x80, 0x80], false), ([0xF5, 0x80, 0x80, 0x80], false),
        ([0xE5, 0xBC], false), ([0xF0, 0x9F, 0x98], false), ([0xC2], false),
    ] as [([UInt8], Bool)])
    func rejectsRowsThatAreNotUTF8(sequence: [UInt8], isValid: Bool) throws {
        // The sequence sits in the middle of row 2, just before a comma.
        let input = Array("a,b\nx".utf8) + sequence + Array(",y\nc,d\n".utf8)
        let expected: [Parsed] = [
            .record(line: 1, ["a", "b"]),
            isValid ? .record(line: 2, ["x" + String(decoding: sequence, as: UTF8.self), "y"]) : .malformed(line: 2, .invalidUTF8),
            .record(line: 3, ["c", "d"]),
        ]
        #expect(try parseEveryWay(input) == expected)
    }

    @Test func invalidUTF8InsideAQuotedMultiLineRecordCostsOnlyThatRecord() throws {
        let input = Array("\"a\n".utf8) + [0xFF] + Array("\",b\nc\n".utf8)
        #expect(try parseEveryWay(input) == [.malformed(line: 1, .invalidUTF8), .record(line: 3, ["c"])])
    }

    @Test func acceptsRecordsThatFillTheBuffer() throws {
        // 15 bytes of field and LF: exactly a 16-byte buffer.
        let input = Array("aaaaaaaaaaaaaaa\nb\n".utf8)
        let reader = CSVReader(bytes: input, capacity: 16, readLimit: 5)
        #expect(try drain(reader) == [.record(line: 1, [String(repeating: "a", count: 15)]), .record(line: 2, ["b"])])
    }

    @Test func rejectsRecordsLongerThanTheBuffer() throws {
        let long = String(repeating: "a", count: 40)
        let reader = CSVReader(bytes: Array("\(long)\nb,c\n\(long)".utf8), capacity: 16, readLimit: 3)
        #expect(try drain(reader) == [.malformed(line: 1, .recordTooLong), .record(line: 2, ["b", "c"]), .malformed(line: 3, .recordTooLong)])
    }

    @Test func aTooLongQuotedRecordResumesAtItsSecondLine() throws {
        let reader = CSVReader(bytes: Array("\"a\nb\nc\nd\ne\nf\ng\nh\ni\"\nz\n".utf8), capacity: 16, readLimit: 4)
        let expected: [Parsed] = [.malformed(line: 1, .recordTooLong)]
            + ["b", "c", "d", "e", "f", "g", "h"].enumerated().map { .record(line: $0.offset + 2, [$0.element]) }
            + [.malformed(line: 9, .quoteInUnquotedField), .record(line: 10, ["z"])]
        #expect(try drain(reader) == expected)
    }

    @Test func theLineFastPathAgreesWithTheFullParser() throws {
        // Whole lines in the buffer take the fast path; one byte per read never has a whole line
        // and takes the full state machine. Random inputs over the bytes that matter must agree.
        var random = SeededGenerator(seed: 4_180)
        let pieces: [[UInt8]] = [
            Array("a".utf8), Array("bcdefgh".utf8), [0x2C], [0x2C], [0x22], [0x0A], [0x0A], [0x0D], Array("张".utf8), [0xFF], [0xC2, 0xB7],
        ]
        for _ in 0..<3_000 {
            let input = (0..<Int.random(in: 0...40, using: &random)).flatMap { _ in pieces.randomElement(using: &random)! }
            let whole = try drain(CSVReader(bytes: input))
            #expect(try drain(CSVReader(bytes: input, capacity: CSVReader.defaultCapacity, readLimit: 1)) == whole, "\(input)")
            #expect(try drain(CSVReader(bytes: input, capacity: CSVReader.defaultCapacity, readLimit: 5)) == whole, "\(input)")
        }
    }

    @Test func countsBytesForProgress() throws {
        let input = Array("a,b\nc,d\n".utf8)
        let reader = CSVReader(bytes: input)
        #expect(reader.totalBytes == input.count)
        _ = try reader.next()
        #expect(reader.bytesConsumed == 4)
        _ = try reader.next()
        #expect(reader.bytesConsumed == 8)
        #expect(try reader.next() == nil)
        #expect(reader.bytesRead == input.count)
    }

    @Test func readsFilesByPathAndKnowsTheirSize() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("input.csv")
        try Data("h1,h2\r\n\"x,1\",y\r\n".utf8).write(to: URL(fileURLWithPath: path))
        let reader = try CSVReader(path: path)
        #expect(reader.totalBytes == 16)
        #expect(try drain(reader) == [.record(line: 1, ["h1", "h2"]), .record(line: 2, ["x,1", "y"])])
    }

    @Test func refusesAMissingFile() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: RegistryIOError.self) { try CSVReader(path: directory.file("absent.csv")) }
        do {
            _ = try CSVReader(path: directory.file("absent.csv"))
        } catch {
            #expect(error.operation == "open")
            #expect(error.code == ENOENT)
        }
    }

    @Test func readsFromAPipeWithoutKnowingItsSize() throws {
        var descriptors: [Int32] = [0, 0]
        #expect(pipe(&descriptors) == 0)
        defer { close(descriptors[0]) }
        let text = Array("a,\"b\nc\"\nd,e\n".utf8)
        #expect(write(descriptors[1], text, text.count) == text.count)
        close(descriptors[1])
        let reader = CSVReader(descriptor: descriptors[0])
        #expect(reader.totalBytes == nil)
        #expect(try drain(reader) == [.record(line: 1, ["a", "b\nc"]), .record(line: 3, ["d", "e"])])
    }

    @Test func recordsAreCollectionsOfByteViews() throws {
        let reader = CSVReader(bytes: Array("ab,\"c\"\"d\",\n".utf8))
        guard case .record(let record)? = try reader.next() else {
            Issue.record("expected a record")
            return
        }
        #expect(record.count == 3)
        #expect(Array(record[0]) == Array("ab".utf8))
        #expect(Array(record[1]) == Array("c\"d".utf8))
        #expect(record[2].isEmpty)
        #expect(record.map(\.count) == [2, 3, 0])
    }
}
