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
///
/// Rows are checked a batch of 32 valid ones ahead of the record handed out, so that the
/// duplicate check can look all 32 IDs up at once: IDs are random, so each lookup misses the cache,
/// and misses issued together overlap. `makeRecord` still runs one row at a time, as records are
/// taken, and rejects are reported in line order.
public final class ResidentRows: Sequence, IteratorProtocol {
    /// A row read ahead: rejected, or valid so far and waiting for the duplicate check. Kept
    /// small (the ID as its 18 bytes, not yet a `ResidentIDNumber`), since rows move through
    /// an array.
    private enum Pending {
        case rejected(RejectedRow)
        case candidate(IDBytes, name: String, status: ResidentStatus, phone: String?)
    }

    /// The 18 bytes of a valid resident ID, inline.
    struct IDBytes {
        private var storage: (UInt64, UInt64, UInt16) = (0, 0, 0)

        init(_ bytes: UnsafeBufferPointer<UInt8>) {
            precondition(bytes.count == 18)
            withUnsafeMutableBytes(of: &storage) { raw in raw.copyMemory(from: UnsafeRawBufferPointer(bytes)) }
        }

        func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
            withUnsafeBytes(of: storage) { raw in body(UnsafeBufferPointer(rebasing: raw.bindMemory(to: UInt8.self)[0..<18])) }
        }
    }

    private struct State {
        var stream: RowStream
        var pending: [Pending] = []
        var lines: [Int] = []
        var keys: [UInt64] = []
        var head = 0
        var sink: UInt64 = 0
    }

    /// How many valid rows are read ahead.
    static let batchSize = 32

    /// Whether the extract has the `phone` column.
    public let hasPhoneColumn: Bool
    private let context: ValidationContext
    private let makeRecord: ResidentRowParser.MakeRecord
    private let stateBox: Box<State>
    private var state: UnsafeMutablePointer<State> { stateBox.pointer }
    private let seen: NumberSet

    init(stream: RowStream, hasPhone: Bool, context: ValidationContext, makeRecord: @escaping ResidentRowParser.MakeRecord) {
        // A resident row takes 40–50 bytes; sizing the set for the file up front spares it the
        // rehashing of growing through every power of two.
        seen = NumberSet(minimumCapacity: Swift.min((stream.reader.totalBytes ?? 0) / 48, 1 << 24))
        stateBox = Box(State(stream: stream))
        self.hasPhoneColumn = hasPhone
        self.context = context
        self.makeRecord = makeRecord
        state.pointee.pending.reserveCapacity(4 * ResidentRows.batchSize)
    }

    /// Imported and rejected rows so far; complete once iteration has ended.
    public var report: ImportReport { state.pointee.stream.report }
    /// Data rows read so far (possibly a batch ahead of the records taken), imported or rejected.
    public var rowsRead: Int { state.pointee.stream.rowsRead }
    /// Whether the input has been read to its end (or to an I/O error).
    public var isFinished: Bool { state.pointee.stream.isFinished && state.pointee.head == state.pointee.pending.count }
    /// The I/O error that ended iteration early, if one did.
    public var readError: RegistryIOError? { state.pointee.stream.readError }

    /// The next valid row's record, recording rejected rows on the way; `nil` at the end.
    public func next() -> ResidentRecord? {
        while true {
            while state.pointee.head < state.pointee.pending.count {
                let index = state.pointee.head
                state.pointee.head += 1
                switch state.pointee.pending[index] {
                case .rejected(let rejected):
                    state.pointee.stream.record(rejected)
                case .candidate(let idBytes, let name, let status, let phone):
                    state.pointee.stream.accept()
                    let residentID = idBytes.withBytes { ResidentIDNumber(uncheckedValidBytes: $0, context: context) }
                    return makeRecord(residentID, name, status, phone)
                }
            }
            guard readBatch() else { return nil }
        }
    }

    /// Reads up to a batch of valid rows (and the rejects among them), then settles duplicates.
    /// Returns false when the input has nothing more.
    private func readBatch() -> Bool {
        state.pointee.pending.removeAll(keepingCapacity: true)
        state.pointee.lines.removeAll(keepingCapacity: true)
        state.pointee.keys.removeAll(keepingCapacity: true)
        state.pointee.head = 0
        while state.pointee.keys.count < ResidentRows.batchSize, let item = state.pointee.stream.nextItem() {
            switch item {
            case .rejected(let rejected):
                state.pointee.pending.append(.rejected(rejected))
            case .row(let row):
                state.pointee.pending.append(evaluate(row))
            }
        }
        if state.pointee.pending.isEmpty { return false }

        // All the lookups first, so their misses overlap; then the inserts, in row order, which
        // now find their slots in the cache. The first valid row with an ID wins.
        let sink = state.pointee.keys.withUnsafeBufferPointer { keys in
            keys.isEmpty ? 0 : seen.touch(keys.baseAddress!, count: keys.count)
        }
        state.pointee.sink |= sink
        var candidate = 0
        for index in state.pointee.pending.indices {
            guard case .candidate = state.pointee.pending[index] else { continue }
            if !seen.insert(state.pointee.keys[candidate]) {
                let line = state.pointee.lines[candidate]
                state.pointee.pending[index] = .rejected(RejectedRow(line: line, reason: .duplicateRow, column: "resident_id"))
            }
            candidate += 1
        }
        return true
    }

    /// Every check but the duplicate one; a valid row's key and line go to `keys` and `lines`.
    private func evaluate(_ row: CSVRecord) -> Pending {
        func reject(_ reason: RejectedRow.Reason, _ column: String) -> Pending {
            .rejected(RejectedRow(line: row.line, reason: reason, column: column))
        }
        let idBytes = row[0]
        if let violation = ResidentIDNumber.violation(in: idBytes, context: context) {
            return .rejected(RejectedRow(line: row.line, reason: violation.rawValue, column: "resident_id"))
        }
        guard let name = RegistryNames.personName(row[1]) else { return reject(.nameInvalid, "name") }
        guard let status = ResidentRows.status(row[2]) else { return reject(.unknownStatus, "status") }
        var phone: String?
        if hasPhoneColumn {
            let phoneBytes = row[3]
            if !phoneBytes.isEmpty {
                guard ResidentRows.isPhone(phoneBytes) else { return reject(.phoneInvalid, "phone") }
                phone = String(decoding: phoneBytes, as: UTF8.self)
            }
        }
        state.pointee.keys.append(ResidentRows.key(idBytes))
        state.pointee.lines.append(row.line)
        return .candidate(IDBytes(idBytes), name: name, status: status, phone: phone)
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
