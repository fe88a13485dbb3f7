/// Why an import was refused before any row was read.
public enum RegistryImportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The input has no header line (it is empty or only blank lines).
    case emptyFile
    /// The header line is not well-formed CSV.
    case malformedHeader(CSVReader.Malformation)
    /// The header's columns are not one of the accepted layouts. `found` shows only column names
    /// that look like names (a file without a header starts with somebody's data); the others
    /// are replaced by `?`.
    case unexpectedHeader(found: [String], expected: [[String]])
    /// The input could not be read.
    case unreadable(RegistryIOError)

    public var description: String {
        switch self {
        case .emptyFile:
            return "the file is empty: it needs a header line"
        case .malformedHeader(let malformation):
            return "the header line is not valid CSV (\(malformation.problem.rawValue))"
        case .unexpectedHeader(let found, let expected):
            let layouts = expected.map { $0.joined(separator: ",") }.joined(separator: "` or `")
            return "the header must be exactly `\(layouts)`; found `\(found.joined(separator: ","))`"
        case .unreadable(let error):
            return error.description
        }
    }

    /// The header as shown in `unexpectedHeader`: names that look like column names, `?` for the rest.
    static func shownHeader(_ fields: [String]) -> [String] {
        fields.map { field in
            let looksLikeName = !field.isEmpty && field.utf8.count <= 40
                && field.utf8.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || $0 == UInt8(ascii: "_") }
            return looksLikeName ? field : "?"
        }
    }
}

/// The outcome of checking one row's fields.
enum RowVerdict<Record> {
    case accepted(Record)
    case rejected(reason: String, column: String?)
}

/// What `RowStream` hands on: a row with the header's number of columns, or one already rejected.
enum RowItem {
    case row(CSVRecord)
    case rejected(RejectedRow)
}

/// What both row sequences share: reading records, refusing the ones that are not CSV or have the
/// wrong number of columns, counting, progress, and the report.
struct RowStream {
    let reader: CSVReader
    let columnCount: Int
    private(set) var rowsRead = 0
    private(set) var imported = 0
    private(set) var rejected: [RejectedRow] = []
    private(set) var readError: RegistryIOError?
    private(set) var isFinished = false
    private var meter: ProgressMeter?

    /// Reads the header line and checks it is one of `layouts`; returns the stream and the layout.
    static func open(_ reader: CSVReader, layouts: [[String]], schedule: ProgressSchedule,
                     onProgress: ((ImportProgress) -> Void)?) throws(RegistryImportError) -> (RowStream, Int) {
        let item: CSVReader.Item?
        do {
            item = try reader.next()
        } catch {
            throw .unreadable(error)
        }
        switch item {
        case nil:
            throw .emptyFile
        case .malformed(let malformation)?:
            throw .malformedHeader(malformation)
        case .record(let header)?:
            let names = header.strings
            guard let layout = layouts.firstIndex(of: names) else {
                throw .unexpectedHeader(found: RegistryImportError.shownHeader(names), expected: layouts)
            }
            var stream = RowStream(reader: reader, columnCount: names.count)
            stream.meter = onProgress.map { ProgressMeter(schedule: schedule, report: $0) }
            return (stream, layout)
        }
    }

    private init(reader: CSVReader, columnCount: Int) {
        self.reader = reader
        self.columnCount = columnCount
    }

    /// The next row with the right number of columns, or a rejected one (not CSV, another number
    /// of columns): the caller records rejects with `record(_:)` in the order it reports rows.
    /// `nil` at the end of input or after an I/O error.
    mutating func nextItem() -> RowItem? {
        guard !isFinished else { return nil }
        let item: CSVReader.Item?
        do {
            item = try reader.next()
        } catch {
            readError = error
            finish()
            return nil
        }
        guard let item else {
            finish()
            return nil
        }
        rowsRead += 1
        meter?.rowRead(rows: rowsRead, reader: reader)
        switch item {
        case .malformed(let malformation):
            return .rejected(RejectedRow(line: malformation.line, reason: .malformedCSV, column: nil))
        case .record(let row):
            guard row.count == columnCount else { return .rejected(RejectedRow(line: row.line, reason: .columnCount, column: nil)) }
            return .row(row)
        }
    }

    mutating func record(_ rejected: RejectedRow) {
        self.rejected.append(rejected)
    }

    mutating func accept() {
        imported += 1
    }

    private mutating func finish() {
        isFinished = true
        meter?.finished(rows: rowsRead, reader: reader)
    }

    var report: ImportReport { ImportReport(imported: imported, rejected: rejected) }
}

/// Storage for a row sequence's mutable state, owned by the sequence.
///
/// Like `CSVReader.Cursor`: state in a class's stored `var`s pays a dynamic exclusivity check on
/// every access, several per row; behind a pointer the sequence never hands out, it pays none.
final class Box<Value> {
    let pointer: UnsafeMutablePointer<Value>

    init(_ value: Value) {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: value)
    }

    deinit {
        pointer.deinitialize(count: 1)
        pointer.deallocate()
    }
}

/// Byte comparisons for the fixed vocabularies (status values), without making a `String`.
enum FieldMatch {
    static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        let expected = literal.utf8Start
        for index in 0..<bytes.count where bytes[index] != expected[index] { return false }
        return true
    }
}

/// The rejects file for an import of `input`: `residents.csv` → `residents.rejects.csv`; a name
/// without a `.csv` extension gets `.rejects.csv` appended.
public func rejectsPath(forInput input: String) -> String {
    if input.utf8.count > 4 && input.lowercased().hasSuffix(".csv") {
        return String(input.dropLast(4)) + ".rejects.csv"
    }
    return input + ".rejects.csv"
}

/// Writes rejected rows as RFC 4180 CSV with the header `line,reason,column` (an empty `column`
/// when the reason is about the whole row), replacing `path` in one step.
///
/// The file holds only line numbers and reason codes, never the rows' contents, so it carries no
/// personal data and can be shared with whoever prepared the extract.
public func writeRejects(_ rows: [RejectedRow], to path: String) throws(RegistryIOError) {
    var writer = CSVWriter()
    writer.append(record: ["line", "reason", "column"])
    for row in rows {
        writer.append(record: [String(row.line), row.reason, row.column ?? ""])
    }
    try writer.write(to: path)
}
