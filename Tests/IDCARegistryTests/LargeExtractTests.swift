import Foundation
import IDCACore
@testable import IDCARegistry
import IDCARules
import IDCASynthetic
import Testing

@Suite("Large extracts")
struct LargeExtractTests {
    /// A reproducible 100,000-row extract with rejects mixed in at known rows, and what importing it must give.
    struct Extract {
        var text = "resident_id,name,status,phone\n"
        var imported = 0
        var rejected: [RejectedRow] = []
        var importedIDs: [String] = []

        init(rows: Int, seed: UInt64) {
            var random = SeededGenerator(seed: seed)
            let numbers = SyntheticNumbers(regions: Fixtures.context.regions)
            let births = CivilDate(year: 1940, month: 1, day: 1)!...CivilDate(year: 2010, month: 12, day: 31)!
            let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"]
            let given = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "艳"]
            let statuses = ["active", "active", "active", "active", "deceased", "cancelled"]
            var seen = Set<String>()
            var line = 1
            for index in 0..<rows {
                line += 1
                var id = numbers.residentID(bornIn: births, using: &random)
                let name = surnames.randomElement(using: &random)! + given.randomElement(using: &random)!
                var status = statuses.randomElement(using: &random)!
                let phone = Bool.random(using: &random) ? "1" + String(UInt64.random(in: 3_000_000_000...9_999_999_999, using: &random)) : ""
                var expected: RejectedRow?
                switch index % 1_000 {
                case 101:
                    // A copying mistake in the check character.
                    id = String(id.dropLast()) + (id.hasSuffix("0") ? "1" : "0")
                    expected = RejectedRow(line: line, reason: "checksum", column: "resident_id")
                case 307:
                    status = "Active"
                    expected = RejectedRow(line: line, reason: "unknown_status", column: "status")
                case 503 where !importedIDs.isEmpty:
                    // Somebody listed twice.
                    id = importedIDs[importedIDs.count / 2]
                case 709:
                    text += "\(id),\"\(name)\nbroken\",\(status),\(phone)\n"
                    rejected.append(RejectedRow(line: line, reason: "name_invalid", column: "name"))
                    line += 1
                    continue
                default:
                    break
                }
                if expected == nil && !seen.insert(id).inserted {
                    expected = RejectedRow(line: line, reason: "duplicate_row", column: "resident_id")
                }
                text += "\(id),\(name),\(status),\(phone)\n"
                if let expected {
                    rejected.append(expected)
                } else {
                    imported += 1
                    importedIDs.append(id)
                }
            }
        }
    }

    @Test func readsA100kRowFileLazilyWithExactCounts() throws {
        let extract = Extract(rows: 100_000, seed: 20261129)
        let directory = try TemporaryDirectory()
        let path = directory.file("residents.csv")
        try Data(extract.text.utf8).write(to: URL(fileURLWithPath: path))
        let fileSize = extract.text.utf8.count
        #expect(fileSize > 3 * CSVReader.defaultCapacity)

        let reader = try CSVReader(path: path)
        var progress: [ImportProgress] = []
        let clock = ManualClock(step: .zero)
        let rows = try Fixtures.residentParser.rows(from: reader, progress: clock.schedule(rowInterval: 10_000, timeInterval: .seconds(1))) {
            progress.append($0)
        }

        // Records come as they are read: after the first thousand, at most one block has been read.
        let iterator = rows.makeIterator()
        var count = 0
        var hashes = 0
        while count < 1_000, let record = iterator.next() {
            count += 1
            hashes &+= record.residentIDHash.hashValue
        }
        #expect(reader.bytesRead <= CSVReader.defaultCapacity)
        #expect(!rows.isFinished)

        // The rest, counted without keeping them: nothing grows with the file but the rejects.
        var firstImported: String?
        var lastImported: String?
        while let record = iterator.next() {
            count += 1
            if count == 1_001 { firstImported = record.residentIDHash }
            lastImported = record.residentIDHash
        }
        #expect(rows.isFinished)
        #expect(rows.readError == nil)
        #expect(count == extract.imported)
        #expect(rows.report.imported == extract.imported)
        #expect(rows.report.rejected == extract.rejected)
        #expect(rows.rowsRead == 100_000)
        #expect(firstImported == extract.importedIDs[1_000])
        #expect(lastImported == extract.importedIDs.last)
        #expect(reader.bytesRead == fileSize)
        // The schedule is checked every 1,024 rows, so "every 10,000 rows" comes at each 10 × 1,024.
        #expect(progress.map(\.rows) == Array(stride(from: 10_240, through: 100_000, by: 10_240)) + [100_000])
        #expect(progress.last?.isFinished == true)
        // Every kind of planted reject occurred (100 of each but duplicates, which also occur by chance).
        let counts = rows.report.rejectCounts
        #expect(counts["checksum"] == 100 && counts["unknown_status"] == 100 && counts["name_invalid"] == 100)
        #expect((counts["duplicate_row"] ?? 0) >= 99)
    }

    @Test func theRejectsFileRoundTripsThroughTheReader() throws {
        let extract = Extract(rows: 5_000, seed: 7)
        let rows = try Fixtures.residentParser.rows(from: CSVReader(bytes: Array(extract.text.utf8)))
        _ = Array(rows)
        // Plus rows whose reason and column need quoting, to exercise the writer.
        let rejected = rows.report.rejected + [
            RejectedRow(line: 9_999, reason: "odd, \"quoted\"", column: nil),
            RejectedRow(line: 10_000, reason: "multi\nline", column: "a,b"),
        ]
        #expect(rejected.count > 15)

        let directory = try TemporaryDirectory()
        let path = rejectsPath(forInput: directory.file("residents.csv"))
        #expect(path.hasSuffix("/residents.rejects.csv"))
        try writeRejects(rejected, to: path)

        let reader = try CSVReader(path: path)
        guard case .record(let header)? = try reader.next() else {
            Issue.record("no header")
            return
        }
        #expect(header.strings == ["line", "reason", "column"])
        var readBack: [RejectedRow] = []
        while let item = try reader.next() {
            guard case .record(let record) = item else {
                Issue.record("malformed rejects file: \(item)")
                return
            }
            let fields = record.strings
            readBack.append(RejectedRow(line: Int(fields[0])!, reason: fields[1], column: fields[2].isEmpty ? nil : fields[2]))
        }
        #expect(readBack == rejected)
        // Nothing personal is in it: no row content, only lines, codes and column names.
        let written = try String(contentsOfFile: path, encoding: .utf8)
        #expect(written.unicodeScalars.allSatisfy { $0.isASCII })
        #expect(!extract.importedIDs.contains { written.contains($0) })
    }

    @Test(arguments: [
        ("residents.csv", "residents.rejects.csv"), ("/data/Residents.CSV", "/data/Residents.rejects.csv"),
        ("extract", "extract.rejects.csv"), ("a.txt", "a.txt.rejects.csv"), (".csv", ".csv.rejects.csv"),
    ])
    func rejectsFileSitsBesideTheInput(input: String, expected: String) {
        #expect(rejectsPath(forInput: input) == expected)
    }

    @Test func writingRejectsIntoAMissingDirectoryFails() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: RegistryIOError.self) { try writeRejects([], to: directory.file("absent/rejects.csv")) }
    }
}
