import Foundation
import IDCACore
@testable import IDCARegistry
import IDCARules

/// Fixed inputs: a fixed "today" keeps birth-date verdicts reproducible.
enum Fixtures {
    static let today = CivilDate(year: 2026, month: 11, day: 29)!
    static let context = ValidationContext(today: today)

    /// A valid resident ID (the example of GB 11643).
    static let residentID = "11010519491231002X"

    /// `first17` completed with its check character, so that only later rules can fail.
    static func residentID(_ first17: String) -> String {
        first17 + String(ResidentIDNumber.checkCharacter(forFirst17: first17)!)
    }

    /// `body` completed with its check character.
    static func organizationCode(_ body: String) -> String {
        body + String(OrganizationCode.checkCharacter(forBody: body)!)
    }

    /// A credit code of registration authority 9, category 1, division 110105, embedding `organizationCode`.
    static func creditCode(embedding organizationCode: String) -> String {
        let first17 = "91110105" + organizationCode
        return first17 + String(CreditCode.checkCharacter(forFirst17: first17)!)
    }

    /// Stands in for the importer's hashing and sealing: keeps the values readable for assertions.
    static func plainRecord(_ id: ResidentIDNumber, _ name: String, _ status: ResidentStatus, _ phone: String?) -> ResidentRecord {
        ResidentRecord(residentIDHash: id.canonical, nameHash: name, status: status, regionCode: id.region.code,
                       sealedPhone: phone.map { Array($0.utf8) })
    }

    static let residentParser = ResidentRowParser(context: context, makeRecord: plainRecord)
    static let organizationParser = OrganizationRowParser(context: context)

    /// Every record and the report of a resident extract given as text.
    static func residents(_ text: String) throws -> ([ResidentRecord], ImportReport) {
        let rows = try residentParser.rows(from: CSVReader(bytes: Array(text.utf8)))
        let records = Array(rows)
        return (records, rows.report)
    }

    /// Every record and the report of an organization extract given as text.
    static func organizations(_ text: String) throws -> ([OrganizationRecord], ImportReport) {
        let rows = try organizationParser.rows(from: CSVReader(bytes: Array(text.utf8)))
        let records = Array(rows)
        return (records, rows.report)
    }
}

/// What a reader handed out, copied so it outlives the reader's buffer.
enum Parsed: Hashable, CustomStringConvertible {
    case record(line: Int, [String])
    case malformed(line: Int, CSVReader.Problem)

    var description: String {
        switch self {
        case .record(let line, let fields): "\(line): \(fields.map { "«\($0)»" }.joined(separator: " "))"
        case .malformed(let line, let problem): "\(line): \(problem.rawValue)"
        }
    }
}

/// Reads everything `reader` yields.
func drain(_ reader: CSVReader) throws -> [Parsed] {
    var items: [Parsed] = []
    while let item = try reader.next() {
        switch item {
        case .record(let record): items.append(.record(line: record.line, record.strings))
        case .malformed(let malformation): items.append(.malformed(line: malformation.line, malformation.problem))
        }
    }
    return items
}

/// Buffer sizes and read sizes that put block boundaries everywhere: one byte per read, odd read
/// sizes, buffers barely longer than a record, and the default.
let readerShapes: [(capacity: Int, readLimit: Int)] = [
    (CSVReader.defaultCapacity, .max), (CSVReader.defaultCapacity, 1), (32, 1), (32, 3), (40, 7), (64, .max),
]

/// Parses `bytes` under every shape and checks they all agree; returns the common result.
func parseEveryWay(_ bytes: [UInt8]) throws -> [Parsed] {
    let reference = try drain(CSVReader(bytes: bytes))
    for shape in readerShapes {
        let result = try drain(CSVReader(bytes: bytes, capacity: shape.capacity, readLimit: shape.readLimit))
        guard result == reference else {
            throw ShapeMismatch(capacity: shape.capacity, readLimit: shape.readLimit, expected: reference, found: result)
        }
    }
    return reference
}

struct ShapeMismatch: Error, CustomStringConvertible {
    let capacity: Int, readLimit: Int
    let expected: [Parsed], found: [Parsed]
    var description: String { "capacity \(capacity), read limit \(readLimit): \(found) instead of \(expected)" }
}

/// A directory removed when the value is released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "idca-registry-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
