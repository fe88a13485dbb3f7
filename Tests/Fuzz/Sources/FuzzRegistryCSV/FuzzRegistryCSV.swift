// Fuzz target: the registry extract reader (IDCARegistry): the RFC 4180 `CSVReader` and the
// resident and organization row parsers on top of it.
//
// The first input byte holds the options, the rest is the file:
//   bits 0–1  0 the bare reader, 1 resident rows, 2 resident rows with a phone column,
//             3 organization rows
//   bit 2     1: put the parser's header line in front of the file (so that mutations reach the
//             rows); 0: the file brings its own header. For the bare reader: 1 also reads the file
//             through a descriptor that delivers one byte per read(2), so that every byte is a
//             block boundary (a SOCK_SEQPACKET socket fed 1-byte messages by a thread)
//   bits 3–7  the reader's buffer: 0 the default (1 MiB), n > 0 a buffer of 12 + 4n bytes (16–136),
//             so that records cross block boundaries and some are too long
//
// Besides not crashing: the reader hands out exactly what the plain re-implementation in
// FuzzSupport/ReferenceCSV.swift predicts for that buffer size (records, line numbers, problems);
// a record never has more fields than its separators + 1; the counters add up; and each row
// parser's records and rejects equal a row-by-row re-derivation from the documented rules (which
// also checks the parsers' fast path for common names against NameRules itself).

#if canImport(Glibc)
import Glibc
#endif
import Foundation
import FuzzSupport
import IDCACore
import IDCARegistry
import IDCARules

private let context = ValidationContext(today: CivilDate(year: 2026, month: 11, day: 29)!)

/// What a reader handed out, copied out of its buffer.
private func drain(_ reader: CSVReader, input: [UInt8]) -> [ReferenceCSV.Item] {
    var items: [ReferenceCSV.Item] = []
    var lastLine = 0
    var consumed = 0
    while true {
        let item: CSVReader.Item?
        do {
            item = try reader.next()
        } catch {
            check(false, "an in-memory reader threw \(error)")
            return items
        }
        guard let item else { break }
        check(items.count <= input.count, "the reader hands out more items than the input has bytes")
        check(reader.bytesConsumed <= reader.bytesRead && reader.bytesRead <= input.count, "byte counters out of order")
        check(reader.bytesConsumed > consumed, "an item that consumed no input")
        // The bytes since the previous item: this record, after any blank lines before it.
        let separators = input[consumed..<reader.bytesConsumed].filter { $0 == UInt8(ascii: ",") }.count
        consumed = reader.bytesConsumed
        switch item {
        case .record(let record):
            check(record.count <= separators + 1, "a record of \(record.count) fields from bytes with \(separators) separators")
            check(record.line > lastLine, "record line \(record.line) after line \(lastLine)")
            lastLine = record.line
            var fields: [[UInt8]] = []
            for index in record.indices { fields.append(Array(record[index])) }
            check(record.strings.map { Array($0.utf8) } == fields, "strings differ from the field bytes")
            items.append(.record(line: record.line, fields: fields))
        case .malformed(let malformation):
            check(malformation.line > lastLine, "malformation line \(malformation.line) after line \(lastLine)")
            lastLine = malformation.line
            items.append(.malformed(line: malformation.line, problem: malformation.problem.rawValue))
        }
    }
    check((try? reader.next()) == nil, "the reader goes on after its end")
    check(reader.bytesConsumed == input.count && reader.bytesRead == input.count, "the reader ended before the end of its input")
    return items
}

private func fuzzReader(_ input: [UInt8], capacity: Int, byteByByte: Bool) {
    for size in Set([CSVReader.defaultCapacity, capacity]) {
        let items = drain(CSVReader(bytes: input, capacity: size), input: input)
        let expected = ReferenceCSV.read(input, capacity: size)
        check(items == expected, """
            reader (buffer \(size)) on "\(escaped(input))":
              got      \(items)
              expected \(expected)
            """)
    }
    if byteByByte {
        let items = readByteByByte(input, capacity: capacity)
        let expected = ReferenceCSV.read(input, capacity: capacity)
        check(items == expected, """
            reader (buffer \(capacity), one byte per read) on "\(escaped(input))":
              got      \(items)
              expected \(expected)
            """)
    }
}

/// Reads `input` through `CSVReader(descriptor:)` from a socket that returns one byte per read.
private func readByteByByte(_ input: [UInt8], capacity: Int) -> [ReferenceCSV.Item] {
    var sockets: [Int32] = [0, 0]
    guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue), 0, &sockets) == 0 else {
        check(false, "socketpair failed: errno \(errno)")
        return []
    }
    let writer = sockets[1]
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        for byte in input {
            var value = byte
            while write(writer, &value, 1) < 0 && errno == EINTR {}
        }
        close(writer)
        done.signal()
    }
    thread.start()
    let items = drain(CSVReader(descriptor: sockets[0], capacity: capacity), input: input)
    done.wait()
    close(sockets[0])
    return items
}

// MARK: - Row parsers

private struct Expectation<Record> {
    var headerError: RegistryImportError?
    var records: [Record] = []
    var rejects: [RejectedRow] = []
    var rows = 0
}

/// The header check `rows(from:)` does, re-derived: one of `layouts`, else the documented error.
private func expectHeader(_ items: inout ArraySlice<ReferenceCSV.Item>, layouts: [[String]]) -> Result<Int, RegistryImportError> {
    guard let first = items.popFirst() else { return .failure(.emptyFile) }
    switch first {
    case .malformed(let line, let problem):
        return .failure(.malformedHeader(CSVReader.Malformation(line: line, problem: CSVReader.Problem(rawValue: problem)!)))
    case .record(_, let fields):
        let names = fields.map { String(decoding: $0, as: UTF8.self) }
        if let layout = layouts.firstIndex(of: names) { return .success(layout) }
        let shown = names.map { name in
            !name.isEmpty && name.utf8.count <= 40 && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F } ? name : "?"
        }
        return .failure(.unexpectedHeader(found: shown, expected: layouts))
    }
}

private func isStatus(_ bytes: [UInt8], _ words: [String]) -> String? {
    words.first { Array($0.utf8) == bytes }
}

private struct ResidentRow: Equatable {
    var id: String
    var name: [UInt8]
    var status: ResidentStatus
    var phone: [UInt8]?
}

private func expectResidents(_ items: [ReferenceCSV.Item]) -> Expectation<ResidentRow> {
    var rest = items[...]
    var expectation = Expectation<ResidentRow>()
    let layout: Int
    switch expectHeader(&rest, layouts: [ResidentRowParser.header, ResidentRowParser.headerWithPhone]) {
    case .failure(let error):
        expectation.headerError = error
        return expectation
    case .success(let found): layout = found
    }
    let columns = layout == 0 ? 3 : 4
    var seen: Set<String> = []
    for item in rest {
        expectation.rows += 1
        guard case .record(let line, let fields) = item else {
            if case .malformed(let line, _) = item { expectation.rejects.append(RejectedRow(line: line, reason: .malformedCSV, column: nil)) }
            continue
        }
        func reject(_ reason: String, _ column: String?) { expectation.rejects.append(RejectedRow(line: line, reason: reason, column: column)) }
        guard fields.count == columns else { reject("column_count", nil); continue }
        if let violation = ResidentIDNumber.violation(in: String(decoding: fields[0], as: UTF8.self), context: context) {
            reject(violation.rawValue, "resident_id"); continue
        }
        guard let name = try? NameRules.normalizedPersonName(String(decoding: fields[1], as: UTF8.self)) else {
            reject("name_invalid", "name"); continue
        }
        guard let status = isStatus(fields[2], ["active", "deceased", "cancelled"]).flatMap(ResidentStatus.init(rawValue:)) else {
            reject("unknown_status", "status"); continue
        }
        var phone: [UInt8]?
        if columns == 4 && !fields[3].isEmpty {
            let digits = fields[3].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
            guard fields[3].count == 11 && fields[3][0] == UInt8(ascii: "1") && digits else { reject("phone_invalid", "phone"); continue }
            phone = fields[3]
        }
        let id = String(decoding: fields[0], as: UTF8.self)
        guard seen.insert(id).inserted else { reject("duplicate_row", "resident_id"); continue }
        expectation.records.append(ResidentRow(id: id, name: Array(name.utf8), status: status, phone: phone))
    }
    return expectation
}

private struct OrganizationRow: Equatable {
    var code: [UInt8], credit: [UInt8]?, name: [UInt8], representative: [UInt8], status: OrganizationStatus

    init(_ record: OrganizationRecord) {
        code = Array(record.organizationCode.utf8)
        credit = record.creditCode.map { Array($0.utf8) }
        name = Array(record.name.utf8)
        representative = Array(record.legalRepresentative.utf8)
        status = record.status
    }

    init(code: [UInt8], credit: [UInt8]?, name: [UInt8], representative: [UInt8], status: OrganizationStatus) {
        (self.code, self.credit, self.name, self.representative, self.status) = (code, credit, name, representative, status)
    }
}

private func expectOrganizations(_ items: [ReferenceCSV.Item]) -> Expectation<OrganizationRow> {
    var rest = items[...]
    var expectation = Expectation<OrganizationRow>()
    if case .failure(let error) = expectHeader(&rest, layouts: [OrganizationRowParser.header]) {
        expectation.headerError = error
        return expectation
    }
    var seen: Set<[UInt8]> = []
    for item in rest {
        expectation.rows += 1
        guard case .record(let line, let fields) = item else {
            if case .malformed(let line, _) = item { expectation.rejects.append(RejectedRow(line: line, reason: .malformedCSV, column: nil)) }
            continue
        }
        func reject(_ reason: String, _ column: String?) { expectation.rejects.append(RejectedRow(line: line, reason: reason, column: column)) }
        guard fields.count == 5 else { reject("column_count", nil); continue }
        let code = fields[0], credit = fields[1]
        if let violation = OrganizationCode.violation(in: String(decoding: code, as: UTF8.self), context: context) {
            reject(violation.rawValue, "organization_code"); continue
        }
        if !credit.isEmpty {
            if let violation = CreditCode.violation(in: String(decoding: credit, as: UTF8.self), context: context) {
                reject(violation.rawValue, "credit_code"); continue
            }
            guard Array(credit[8..<17]) == code else { reject("organization_code_mismatch", "credit_code"); continue }
        }
        let nameText = String(decoding: fields[2], as: UTF8.self)
        guard (try? NameRules.normalizedOrganizationName(nameText)) != nil else { reject("name_invalid", "name"); continue }
        let representativeText = String(decoding: fields[3], as: UTF8.self)
        guard (try? NameRules.normalizedPersonName(representativeText)) != nil else { reject("name_invalid", "legal_representative"); continue }
        guard let status = isStatus(fields[4], ["active", "revoked", "cancelled"]).flatMap(OrganizationStatus.init(rawValue:)) else {
            reject("unknown_status", "status"); continue
        }
        guard seen.insert(code).inserted else { reject("duplicate_row", "organization_code"); continue }
        expectation.records.append(OrganizationRow(
            code: code, credit: credit.isEmpty ? nil : credit,
            name: Array(nameText.trimmingCharacters(in: .whitespacesAndNewlines).utf8),
            representative: Array(representativeText.trimmingCharacters(in: .whitespacesAndNewlines).utf8), status: status))
    }
    return expectation
}

/// Collects progress reports and checks their order.
private final class ProgressLog {
    var reports: [ImportProgress] = []

    func add(_ progress: ImportProgress) {
        if let last = reports.last {
            check(!last.isFinished, "a progress report after the final one")
            check(progress.rows >= last.rows && progress.bytesRead >= last.bytesRead, "progress went backwards: \(last) then \(progress)")
        }
        reports.append(progress)
    }

    func checkFinished(rows: Int, total: Int) {
        guard let last = reports.last else { check(false, "no progress report at the end"); return }
        check(last.isFinished && last.rows == rows, "final progress \(last), expected \(rows) rows, finished")
        check(last.bytesRead == total && last.totalBytes == total, "final progress \(last) does not cover the \(total) bytes")
    }
}

/// A schedule that reports after every row (the clock never moves, so only rows count).
private let everyRow = ProgressSchedule(rowInterval: 1, timeInterval: .seconds(3600), now: { .zero })

private func checkHeaderError(_ error: RegistryImportError, _ expected: RegistryImportError?, _ input: [UInt8]) {
    check(expected == error, "header of \"\(escaped(input))\": got \(error), expected \(expected.map { "\($0)" } ?? "a valid header")")
}

private func fuzzResidents(_ input: [UInt8], capacity: Int) {
    let expected = expectResidents(ReferenceCSV.read(input, capacity: capacity))
    let parser = ResidentRowParser(context: context) { id, name, status, phone in
        ResidentRecord(residentIDHash: id.canonical, nameHash: name, status: status, regionCode: id.region.code,
                       sealedPhone: phone.map { Array($0.utf8) })
    }
    let log = ProgressLog()
    let rows: ResidentRows
    do {
        rows = try parser.rows(from: CSVReader(bytes: input, capacity: capacity), progress: everyRow, onProgress: log.add)
    } catch {
        checkHeaderError(error, expected.headerError, input)
        return
    }
    check(expected.headerError == nil, "header accepted, expected \(expected.headerError!)")
    var records: [ResidentRow] = []
    while let record = rows.next() {
        check(ResidentIDNumber.violation(in: record.residentIDHash, context: context) == nil, "an invalid resident ID was imported")
        records.append(ResidentRow(id: record.residentIDHash, name: Array(record.nameHash.utf8), status: record.status, phone: record.sealedPhone))
    }
    check(rows.next() == nil, "rows go on after their end")
    check(records == expected.records, "resident records of \"\(escaped(input))\":\n  got      \(records)\n  expected \(expected.records)")
    check(rows.report.rejected == expected.rejects, "resident rejects of \"\(escaped(input))\":\n  got      \(rows.report.rejected)\n  expected \(expected.rejects)")
    check(rows.report.imported == records.count && rows.rowsRead == expected.rows && rows.isFinished && rows.readError == nil,
          "resident counters: imported \(rows.report.imported), rows \(rows.rowsRead), expected \(records.count) and \(expected.rows)")
    check(rows.report.imported + rows.report.rejected.count == rows.rowsRead, "imported + rejected ≠ rows read")
    log.checkFinished(rows: expected.rows, total: input.count)
}

private func fuzzOrganizations(_ input: [UInt8], capacity: Int) {
    let expected = expectOrganizations(ReferenceCSV.read(input, capacity: capacity))
    let log = ProgressLog()
    let rows: OrganizationRows
    do {
        rows = try OrganizationRowParser(context: context).rows(from: CSVReader(bytes: input, capacity: capacity), progress: everyRow, onProgress: log.add)
    } catch {
        checkHeaderError(error, expected.headerError, input)
        return
    }
    check(expected.headerError == nil, "header accepted, expected \(expected.headerError!)")
    let records = Array(rows).map(OrganizationRow.init)
    check(rows.next() == nil, "rows go on after their end")
    check(records == expected.records, "organization records of \"\(escaped(input))\":\n  got      \(records)\n  expected \(expected.records)")
    check(rows.report.rejected == expected.rejects, "organization rejects of \"\(escaped(input))\":\n  got      \(rows.report.rejected)\n  expected \(expected.rejects)")
    check(rows.report.imported == records.count && rows.rowsRead == expected.rows && rows.isFinished && rows.readError == nil,
          "organization counters: imported \(rows.report.imported), rows \(rows.rowsRead), expected \(records.count) and \(expected.rows)")
    log.checkFinished(rows: expected.rows, total: input.count)
}

// MARK: - Entry points

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRegistryCSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = inputBytes(data, size)
    guard let options = input.first else { return 0 }
    var file = Array(input.dropFirst())
    let sizeCode = Int(options >> 3)
    let capacity = sizeCode == 0 ? CSVReader.defaultCapacity : 12 + 4 * sizeCode
    let headers = [ResidentRowParser.header, ResidentRowParser.header, ResidentRowParser.headerWithPhone, OrganizationRowParser.header]
    let parser = Int(options & 3)
    if parser != 0 && options & 4 != 0 {
        file = Array((headers[parser].joined(separator: ",") + "\n").utf8) + file
    }
    switch parser {
    case 0: fuzzReader(file, capacity: capacity, byteByByte: options & 4 != 0)
    case 1, 2: fuzzResidents(file, capacity: capacity)
    default: fuzzOrganizations(file, capacity: capacity)
    }
    return 0
}

@_cdecl("FuzzRegistryCSV_main")
public func fuzzRegistryCSVMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzRegistryCSV)
}
