import IDCACore
import IDCARules

/// Reads a resident registry extract: the header `resident_id,name,status` or
/// `resident_id,name,status,phone`, then one resident per row.
///
/// A row is imported when its resident ID passes the identity rules, its name passes
/// `NameRules.normalizedPersonName`, its status is exactly `active`, `deceased` or `cancelled`, its
/// phone (if the column exists and the field is not empty) is 11 ASCII digits starting with 1, and
/// no earlier imported row of the file had the same ID. Otherwise the row is rejected with the first
/// reason, in that order (after `malformed_csv` and `column_count`): the identity-rule code in column
/// `resident_id`, `name_invalid` (`name`), `unknown_status` (`status`), `phone_invalid` (`phone`),
/// `duplicate_row` (`resident_id`).
///
/// The parser never sees a key: `makeRecord` gets the validated values and turns them into the
/// stored record (hashing the ID and name, sealing the phone).
public struct ResidentRowParser: Sendable {
    /// Turns a valid row into the record to store: the resident ID, the normalized name
    /// (`NameRules.normalizedPersonName`), the status, and the phone if there is one. `@Sendable`
    /// so that a parser can live in a shared configuration.
    public typealias MakeRecord = @Sendable (_ residentID: ResidentIDNumber, _ normalizedName: String, _ status: ResidentStatus,
                                   _ phone: String?) -> ResidentRecord

    /// The header without a phone column.
    public static let header = ["resident_id", "name", "status"]
    /// The header with a phone column.
    public static let headerWithPhone = ["resident_id", "name", "status", "phone"]

    /// The date and division table the resident IDs are checked against.
    public let context: ValidationContext
    let makeRecord: MakeRecord

    /// A parser checking IDs under `context` and building records with `makeRecord`.
    public init(context: ValidationContext, makeRecord: @escaping MakeRecord) {
        self.context = context
        self.makeRecord = makeRecord
    }

    /// Reads and checks the header now, then returns the rows, read lazily as they are iterated.
    ///
    /// - Parameters:
    ///   - schedule: when `onProgress` runs; `.standard` is every 100,000 rows or 0.2 s.
    ///   - onProgress: called on that schedule while the rows are iterated, and once at the end.
    /// - Throws: `RegistryImportError` when the header is missing, malformed, or not one of the two
    ///   layouts, or the input cannot be read: the import is refused.
    public func rows(from reader: CSVReader, progress schedule: ProgressSchedule = .standard,
                     onProgress: ((ImportProgress) -> Void)? = nil) throws(RegistryImportError) -> ResidentRows {
        let (stream, layout) = try RowStream.open(
            reader, layouts: [ResidentRowParser.header, ResidentRowParser.headerWithPhone], schedule: schedule, onProgress: onProgress)
        return ResidentRows(stream: stream, hasPhone: layout == 1, context: context, makeRecord: makeRecord)
    }
}

/// The records of a resident extract, read one at a time as they are iterated (single pass:
/// iterating again continues where the last iteration stopped).
///
/// Rejected rows are collected on the way; read `report` after iterating. If the input fails to
/// read midway, iteration ends early and `readError` says why: the caller must then not commit
/// what it received.
public final class ResidentRows: Sequence, IteratorProtocol {
    /// Whether the extract has the `phone` column.
    public let hasPhoneColumn: Bool
    private let context: ValidationContext
    private let makeRecord: ResidentRowParser.MakeRecord
    private var stream: RowStream
    private var seen = NumberSet()

    init(stream: RowStream, hasPhone: Bool, context: ValidationContext, makeRecord: @escaping ResidentRowParser.MakeRecord) {
        self.stream = stream
        self.hasPhoneColumn = hasPhone
        self.context = context
        self.makeRecord = makeRecord
    }

    /// Imported and rejected rows so far; complete once iteration has ended.
    public var report: ImportReport { stream.report }
    /// Data rows read so far, imported or rejected.
    public var rowsRead: Int { stream.rowsRead }
    /// Whether the input has been read to its end (or to an I/O error).
    public var isFinished: Bool { stream.isFinished }
    /// The I/O error that ended iteration early, if one did.
    public var readError: RegistryIOError? { stream.readError }

    /// The next valid row's record, recording rejected rows on the way; `nil` at the end.
    public func next() -> ResidentRecord? {
        while let row = stream.nextRow() {
            switch evaluate(row) {
            case .accepted(let record):
                stream.accept()
                return record
            case .rejected(let reason, let column):
                stream.reject(line: row.line, reason: reason, column: column)
            }
        }
        return nil
    }

    private func evaluate(_ row: CSVRecord) -> RowVerdict<ResidentRecord> {
        let idBytes = row[0]
        if let violation = ResidentIDNumber.violation(in: idBytes, context: context) {
            return .rejected(reason: violation.rawValue, column: "resident_id")
        }
        guard let name = RegistryNames.personName(row[1]) else {
            return .rejected(reason: RejectedRow.Reason.nameInvalid.rawValue, column: "name")
        }
        guard let status = ResidentRows.status(row[2]) else {
            return .rejected(reason: RejectedRow.Reason.unknownStatus.rawValue, column: "status")
        }
        var phone: String?
        if hasPhoneColumn {
            let phoneBytes = row[3]
            if !phoneBytes.isEmpty {
                guard ResidentRows.isPhone(phoneBytes) else {
                    return .rejected(reason: RejectedRow.Reason.phoneInvalid.rawValue, column: "phone")
                }
                phone = String(decoding: phoneBytes, as: UTF8.self)
            }
        }
        guard seen.insert(ResidentRows.key(idBytes)) else {
            return .rejected(reason: RejectedRow.Reason.duplicateRow.rawValue, column: "resident_id")
        }
        let residentID = ResidentIDNumber(uncheckedValidBytes: idBytes, context: context)
        return .accepted(makeRecord(residentID, name, status, phone))
    }

    static func status(_ bytes: UnsafeBufferPointer<UInt8>) -> ResidentStatus? {
        if FieldMatch.equals(bytes, "active") { return .active }
        if FieldMatch.equals(bytes, "deceased") { return .deceased }
        if FieldMatch.equals(bytes, "cancelled") { return .cancelled }
        return nil
    }

    /// 11 ASCII digits, the first a 1: a mainland mobile number.
    static func isPhone(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == 11, bytes[0] == UInt8(ascii: "1") else { return false }
        return bytes.allSatisfy { $0 &- UInt8(ascii: "0") < 10 }
    }

    /// The first 17 digits as a number: they identify a valid ID (the 18th is their check).
    static func key(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var key: UInt64 = 0
        for index in 0..<17 { key = key &* 10 &+ UInt64(bytes[index] &- UInt8(ascii: "0")) }
        return key
    }
}
