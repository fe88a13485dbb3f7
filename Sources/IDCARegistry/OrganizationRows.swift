import IDCACore
import IDCARules

/// Reads an organization registry extract: the header
/// `organization_code,credit_code,name,legal_representative,status`, then one organization per row.
///
/// A row is imported when its organization code passes the GB 11714 rules; its credit code is empty
/// (organizations registered before 2015) or passes GB 32100 and embeds the same organization code
/// (characters 9–17); its name passes `NameRules.normalizedOrganizationName`; its legal
/// representative passes `NameRules.normalizedPersonName`; its status is exactly `active`,
/// `revoked` or `cancelled`; and no earlier imported row had the same organization code. Otherwise
/// it is rejected with the first reason, in that order (after `malformed_csv` and `column_count`):
/// the identity-rule code in `organization_code` or `credit_code`, `organization_code_mismatch`
/// (`credit_code`), `name_invalid` (`name` or `legal_representative`), `unknown_status` (`status`),
/// `duplicate_row` (`organization_code`).
///
/// Organization data is public, so records hold it as is: the name and legal representative are
/// stored as written, only trimmed of surrounding whitespace.
public struct OrganizationRowParser: Sendable {
    /// The one accepted header.
    public static let header = ["organization_code", "credit_code", "name", "legal_representative", "status"]

    /// The date and division table the codes are checked against.
    public let context: ValidationContext

    /// A parser checking codes under `context`.
    public init(context: ValidationContext) {
        self.context = context
    }

    /// Reads and checks the header now, then returns the rows, read lazily as they are iterated.
    ///
    /// - Parameters:
    ///   - schedule: when `onProgress` runs; `.standard` is every 100,000 rows or 0.2 s.
    ///   - onProgress: called on that schedule while the rows are iterated, and once at the end.
    /// - Throws: `RegistryImportError` when the header is missing, malformed or different, or the
    ///   input cannot be read: the import is refused.
    public func rows(from reader: CSVReader, progress schedule: ProgressSchedule = .standard,
                     onProgress: ((ImportProgress) -> Void)? = nil) throws(RegistryImportError) -> OrganizationRows {
        let (stream, _) = try RowStream.open(reader, layouts: [OrganizationRowParser.header], schedule: schedule, onProgress: onProgress)
        return OrganizationRows(stream: stream, context: context)
    }
}

/// The records of an organization extract, read one at a time as they are iterated (single pass).
///
/// Rejected rows are collected on the way; read `report` after iterating. If the input fails to
/// read midway, iteration ends early and `readError` says why: the caller must then not commit
/// what it received.
public final class OrganizationRows: Sequence, IteratorProtocol {
    private let context: ValidationContext
    private let streamBox: Box<RowStream>
    private var stream: UnsafeMutablePointer<RowStream> { streamBox.pointer }
    private let seen = NumberSet()

    init(stream: RowStream, context: ValidationContext) {
        streamBox = Box(stream)
        self.context = context
    }

    /// Imported and rejected rows so far; complete once iteration has ended.
    public var report: ImportReport { stream.pointee.report }
    /// Data rows read so far, imported or rejected.
    public var rowsRead: Int { stream.pointee.rowsRead }
    /// Whether the input has been read to its end (or to an I/O error).
    public var isFinished: Bool { stream.pointee.isFinished }
    /// The I/O error that ended iteration early, if one did.
    public var readError: RegistryIOError? { stream.pointee.readError }

    /// The next valid row's record, recording rejected rows on the way; `nil` at the end.
    public func next() -> OrganizationRecord? {
        while let item = stream.pointee.nextItem() {
            switch item {
            case .rejected(let rejected):
                stream.pointee.record(rejected)
            case .row(let row):
                switch evaluate(row) {
                case .accepted(let record):
                    stream.pointee.accept()
                    return record
                case .rejected(let reason, let column):
                    stream.pointee.record(RejectedRow(line: row.line, reason: reason, column: column))
                }
            }
        }
        return nil
    }

    private func evaluate(_ row: CSVRecord) -> RowVerdict<OrganizationRecord> {
        let codeBytes = row[0]
        if let violation = OrganizationCode.violation(in: codeBytes, context: context) {
            return .rejected(reason: violation.rawValue, column: "organization_code")
        }
        let creditBytes = row[1]
        if !creditBytes.isEmpty {
            if let violation = CreditCode.violation(in: creditBytes, context: context) {
                return .rejected(reason: violation.rawValue, column: "credit_code")
            }
            guard UnsafeBufferPointer(rebasing: creditBytes[8..<17]).elementsEqual(codeBytes) else {
                return .rejected(reason: RejectedRow.Reason.organizationCodeMismatch.rawValue, column: "credit_code")
            }
        }
        guard let name = RegistryNames.trimmedOrganizationName(row[2]) else {
            return .rejected(reason: RejectedRow.Reason.nameInvalid.rawValue, column: "name")
        }
        guard let representative = RegistryNames.trimmedPersonName(row[3]) else {
            return .rejected(reason: RejectedRow.Reason.nameInvalid.rawValue, column: "legal_representative")
        }
        guard let status = OrganizationRows.status(row[4]) else {
            return .rejected(reason: RejectedRow.Reason.unknownStatus.rawValue, column: "status")
        }
        guard seen.insert(OrganizationRows.key(codeBytes)) else {
            return .rejected(reason: RejectedRow.Reason.duplicateRow.rawValue, column: "organization_code")
        }
        return .accepted(OrganizationRecord(
            organizationCode: String(decoding: codeBytes, as: UTF8.self),
            creditCode: creditBytes.isEmpty ? nil : String(decoding: creditBytes, as: UTF8.self),
            name: name,
            legalRepresentative: representative,
            status: status))
    }

    static func status(_ bytes: UnsafeBufferPointer<UInt8>) -> OrganizationStatus? {
        if FieldMatch.equals(bytes, "active") { return .active }
        if FieldMatch.equals(bytes, "revoked") { return .revoked }
        if FieldMatch.equals(bytes, "cancelled") { return .cancelled }
        return nil
    }

    /// The 9 characters (digits and upper-case letters) read as a base-36 number.
    static func key(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var key: UInt64 = 0
        for byte in bytes {
            let value = byte &- UInt8(ascii: "0") < 10 ? byte &- UInt8(ascii: "0") : byte &- UInt8(ascii: "A") &+ 10
            key = key &* 36 &+ UInt64(value)
        }
        return key
    }
}
