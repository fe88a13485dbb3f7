@testable import IDCARegistry
import IDCASynthetic
import Testing

@Suite("RFC 4180 writer")
struct CSVWriterTests {
    @Test(arguments: [
        // Left alone.
        ("plain", "plain"), ("", ""), ("with space", "with space"), ("张三", "张三"), (" lead", " lead"),
        // Quoted.
        ("a,b", "\"a,b\""), ("say \"hi\"", "\"say \"\"hi\"\"\""), ("\"", "\"\"\"\""), ("l1\nl2", "\"l1\nl2\""),
        ("cr\r", "\"cr\r\""),
    ])
    func quotesOnlyFieldsThatNeedIt(field: String, encoded: String) {
        #expect(CSVWriter.encoded(field) == encoded)
        #expect(CSVWriter.needsQuoting(field) == (field != encoded))
    }

    @Test func writesCRLFRecordsByDefaultAndLFOnRequest() {
        var crlf = CSVWriter()
        crlf.append(record: ["a", "b,c"])
        crlf.append(record: ["", "d"])
        #expect(String(decoding: crlf.bytes, as: UTF8.self) == "a,\"b,c\"\r\n,d\r\n")
        var lf = CSVWriter(lineTerminator: .lf)
        lf.append(record: ["a", "b"])
        #expect(String(decoding: lf.bytes, as: UTF8.self) == "a,b\n")
    }

    @Test func aLoneEmptyFieldIsQuotedSoItIsNotABlankLine() throws {
        var writer = CSVWriter()
        writer.append(record: [""])
        writer.append(record: ["x"])
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "\"\"\r\nx\r\n")
        #expect(try drain(CSVReader(bytes: writer.bytes)) == [.record(line: 1, [""]), .record(line: 2, ["x"])])
    }

    @Test(arguments: [CSVWriter.LineTerminator.crlf, .lf])
    func whateverItWritesTheReaderReadsBack(terminator: CSVWriter.LineTerminator) throws {
        var random = SeededGenerator(seed: 4180)
        let alphabet: [String] = ["a", "Z", "0", ",", "\"", "\n", "\r", " ", "张", "·", "😀"]
        var records: [[String]] = []
        var writer = CSVWriter(lineTerminator: terminator)
        for _ in 0..<2000 {
            let fields = (0..<Int.random(in: 1...5, using: &random)).map { _ in
                (0..<Int.random(in: 0...6, using: &random)).map { _ in alphabet.randomElement(using: &random)! }.joined()
            }
            records.append(fields)
            writer.append(record: fields)
        }
        let parsed = try drain(CSVReader(bytes: writer.bytes))
        #expect(parsed.count == records.count)
        var line = 1
        for (record, item) in zip(records, parsed) {
            #expect(item == .record(line: line, record))
            // Each record's line breaks (inside quotes and the terminator) advance the line count.
            line += record.joined().utf8.filter { $0 == 0x0A }.count + 1
        }
    }
}
