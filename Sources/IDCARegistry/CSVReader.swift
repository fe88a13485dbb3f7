#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A streaming RFC 4180 reader: UTF-8, comma-separated fields, records ended by CRLF or LF, fields
/// optionally quoted with `"` (a quote inside is written `""`; commas and line breaks may appear
/// inside quotes).
///
/// Memory is constant: the reader reads in blocks into one buffer of `capacity` bytes (1 MiB by
/// default) and hands out each record as views into it, so no field becomes a `String` unless the
/// caller asks. A record longer than the buffer is reported as `record_too_long`.
///
/// One bad record never stops the reader. Malformed quoting (a quote inside an unquoted field, text
/// after a closing quote, a quote still open at end of input), invalid UTF-8 and over-long records
/// come out as `Item.malformed` with the line where the record began; reading goes on with the next
/// physical line after that one, so a stray quote cannot swallow the rows after it.
///
/// Other details: a UTF-8 byte-order mark at the very start is skipped; blank lines are skipped (a
/// registry row always has several columns); input that ends without a line break still ends its
/// last record; a CR is part of the line break only right before LF, or as the input's last byte.
///
/// The reader is a single-pass iterator over a file descriptor and is not `Sendable`: use it from
/// one task at a time.
public final class CSVReader {
    /// The default buffer size, and so the longest record: 1 MiB.
    public static let defaultCapacity = 1 << 20
    /// The smallest buffer the reader accepts (small ones are for tests of block boundaries).
    public static let minimumCapacity = 16

    /// What the reader found next.
    public enum Item {
        /// A well-formed record. Its views are valid only until the next call to `next()`.
        case record(CSVRecord)
        /// A record that could not be read; reading continues with the next line.
        case malformed(Malformation)
    }

    /// Why a record could not be read.
    public enum Problem: String, Sendable, Hashable, CaseIterable {
        /// `ab"c`: a quote in a field that did not start with one.
        case quoteInUnquotedField = "quote_in_unquoted_field"
        /// `"abc"d`: something other than a comma or line break after a closing quote.
        case textAfterClosingQuote = "text_after_closing_quote"
        /// The input ended inside a quoted field.
        case unterminatedQuote = "unterminated_quote"
        /// The record's bytes are not valid UTF-8.
        case invalidUTF8 = "invalid_utf8"
        /// The record does not fit in the reader's buffer.
        case recordTooLong = "record_too_long"
    }

    /// A record that could not be read, and the physical line where it began.
    public struct Malformation: Error, Sendable, Hashable, CustomStringConvertible {
        public let line: Int
        public let problem: Problem

        public init(line: Int, problem: Problem) {
            self.line = line
            self.problem = problem
        }

        public var description: String { "line \(line): \(problem.rawValue)" }
    }

    /// The buffer size: the longest record this reader can return.
    public let capacity: Int
    /// The size of the input when it is a regular file or an array, for progress; `nil` for pipes.
    public let totalBytes: Int?
    /// Bytes taken from the input so far (a block ahead of the parse, at most).
    public var bytesRead: Int { cursor.pointee.bytesRead }
    /// Bytes parsed so far: the end of the last record handed out.
    public var bytesConsumed: Int { bytesRead - (filled - position) }

    private enum Source {
        case descriptor(Int32, owned: Bool, path: String?)
        case memory([UInt8])
    }

    private enum State {
        case fieldStart, unquoted, quoted, quoteSeen, afterQuote, afterQuoteCR
    }

    private enum Step {
        case item(Item)
        case skip
        case end
    }

    /// Everything that changes as the reader reads.
    ///
    /// It lives behind a pointer the reader owns rather than in stored properties: every access
    /// to a class's stored `var` pays a dynamic exclusivity check, a few of which per record
    /// cost more than parsing the record. The reader is not `Sendable` and never hands the
    /// pointer out, so the checks have nothing to catch.
    private struct Cursor {
        var filled = 0
        var position = 0
        var line = 1
        var reachedEnd = false
        var started = false
        var bytesRead = 0
        var memoryOffset = 0
        var spans: UnsafeMutablePointer<CSVRecord.Span>
        var spanCapacity: Int
        /// Unescaped contents of fields that held `""`; allocated the first time one is seen.
        var scratch: UnsafeMutablePointer<UInt8>?
    }

    private let source: Source
    /// The most one read returns; tests lower it to make every byte a block boundary.
    private let readLimit: Int
    private let buffer: UnsafeMutablePointer<UInt8>
    private let cursor: UnsafeMutablePointer<Cursor>

    private var filled: Int {
        get { cursor.pointee.filled }
        set { cursor.pointee.filled = newValue }
    }
    private var position: Int {
        get { cursor.pointee.position }
        set { cursor.pointee.position = newValue }
    }
    private var line: Int {
        get { cursor.pointee.line }
        set { cursor.pointee.line = newValue }
    }
    private var reachedEnd: Bool {
        get { cursor.pointee.reachedEnd }
        set { cursor.pointee.reachedEnd = newValue }
    }
    private var scratch: UnsafeMutablePointer<UInt8>? {
        get { cursor.pointee.scratch }
        set { cursor.pointee.scratch = newValue }
    }

    /// Opens `path` for reading; the reader closes it when it is released.
    public convenience init(path: String, capacity: Int = CSVReader.defaultCapacity) throws(RegistryIOError) {
        let descriptor = try FileIO.openForReading(path)
        self.init(source: .descriptor(descriptor, owned: true, path: path), capacity: capacity, readLimit: .max,
                  totalBytes: FileIO.regularFileSize(descriptor))
    }

    /// Reads from an open descriptor, which stays open (the caller owns it).
    public convenience init(descriptor: Int32, capacity: Int = CSVReader.defaultCapacity) {
        self.init(source: .descriptor(descriptor, owned: false, path: nil), capacity: capacity, readLimit: .max,
                  totalBytes: FileIO.regularFileSize(descriptor))
    }

    /// Reads from bytes in memory (small inputs and tests).
    public convenience init(bytes: [UInt8], capacity: Int = CSVReader.defaultCapacity) {
        self.init(bytes: bytes, capacity: capacity, readLimit: .max)
    }

    /// Reads from bytes in memory, at most `readLimit` bytes per block, to test block boundaries.
    convenience init(bytes: [UInt8], capacity: Int, readLimit: Int) {
        self.init(source: .memory(bytes), capacity: capacity, readLimit: readLimit, totalBytes: bytes.count)
    }

    private init(source: Source, capacity: Int, readLimit: Int, totalBytes: Int?) {
        precondition(capacity >= CSVReader.minimumCapacity && capacity <= Int(Int32.max), "CSVReader capacity out of range")
        precondition(readLimit > 0)
        self.source = source
        self.capacity = capacity
        self.readLimit = readLimit
        self.totalBytes = totalBytes
        buffer = .allocate(capacity: capacity)
        cursor = .allocate(capacity: 1)
        cursor.initialize(to: Cursor(spans: .allocate(capacity: 64), spanCapacity: 64))
    }

    deinit {
        buffer.deallocate()
        cursor.pointee.spans.deallocate()
        cursor.pointee.scratch?.deallocate()
        cursor.deinitialize(count: 1)
        cursor.deallocate()
        if case .descriptor(let descriptor, owned: true, _) = source { close(descriptor) }
    }

    /// The next record or malformed record, or `nil` at the end of the input. Throws only when the
    /// input cannot be read at all (an I/O error), after which the reader should be dropped.
    public func next() throws(RegistryIOError) -> Item? {
        if !cursor.pointee.started { try start() }
        while true {
            switch try parseRecord() {
            case .item(let item): return item
            case .skip: continue
            case .end: return nil
            }
        }
    }

    // MARK: - Parsing

    private static let comma = UInt8(ascii: ",")
    private static let quote = UInt8(ascii: "\"")
    private static let lineFeed = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    /// Fills the first block and skips a byte-order mark.
    private func start() throws(RegistryIOError) {
        cursor.pointee.started = true
        while filled < 3 && !reachedEnd { try readMore() }
        if filled >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { position = 3 }
    }

    /// The fields of the record being parsed, as spans relative to its start.
    ///
    /// A local struct with mutating methods rather than nested functions over local variables:
    /// captured variables get dynamic exclusivity checks, a struct's fields only static ones.
    private struct RecordBuilder {
        let buffer: UnsafeMutablePointer<UInt8>
        let capacity: Int
        var recordStart: Int
        var fieldStart: Int
        /// In a field being unescaped: where the bytes not yet copied to `scratch` begin.
        var segmentStart = 0
        var inScratch = false
        var scratchStart = 0
        var scratchUsed = 0
        var fieldCount = 0
        var spans: UnsafeMutablePointer<CSVRecord.Span>
        var spanCapacity: Int
        var scratch: UnsafeMutablePointer<UInt8>?

        mutating func append(_ span: CSVRecord.Span) {
            if fieldCount == spanCapacity {
                let larger = UnsafeMutablePointer<CSVRecord.Span>.allocate(capacity: spanCapacity * 2)
                larger.moveInitialize(from: spans, count: fieldCount)
                spans.deallocate()
                spans = larger
                spanCapacity *= 2
            }
            spans[fieldCount] = span
            fieldCount += 1
        }

        mutating func appendEmpty(at index: Int) {
            append(CSVRecord.Span(offset: index - recordStart, count: 0))
        }

        /// Copies the quoted field so far, up to and including the first quote of the `""` at
        /// `quote`, to the scratch buffer; the field continues there.
        mutating func unescape(quoteAt quote: Int) {
            if !inScratch {
                inScratch = true
                scratchStart = scratchUsed
                segmentStart = fieldStart
            }
            copyToScratch(from: segmentStart, count: quote + 1 - segmentStart)
            segmentStart = quote + 2
        }

        private mutating func copyToScratch(from start: Int, count: Int) {
            if scratch == nil { scratch = .allocate(capacity: capacity) }
            (scratch! + scratchUsed).update(from: buffer + start, count: count)
            scratchUsed += count
        }

        /// Ends the quoted field whose closing quote is at `closing`.
        mutating func closeQuotedField(at closing: Int) {
            if inScratch {
                copyToScratch(from: segmentStart, count: closing - segmentStart)
                append(CSVRecord.Span(scratchOffset: scratchStart, count: scratchUsed - scratchStart))
                inScratch = false
            } else {
                append(CSVRecord.Span(offset: fieldStart - recordStart, count: closing - fieldStart))
            }
        }

        /// Ends the unquoted field running to `fieldEnd`. A CR right before a line break is part of
        /// the break, not data. Returns false for a blank line, which is not a record.
        mutating func closeUnquotedField(at fieldEnd: Int, atLineBreak: Bool) -> Bool {
            var contentEnd = fieldEnd
            if atLineBreak {
                if contentEnd > fieldStart && buffer[contentEnd - 1] == CSVReader.carriageReturn { contentEnd -= 1 }
                if fieldCount == 0 && contentEnd == fieldStart { return false }
            }
            append(CSVRecord.Span(offset: fieldStart - recordStart, count: contentEnd - fieldStart))
            return true
        }

        /// Follows the buffer after its contents moved `shift` bytes towards the front.
        mutating func shift(by shift: Int) {
            recordStart -= shift
            fieldStart -= shift
            segmentStart -= shift
        }
    }

    /// Parses one record starting at `position`.
    private func parseRecord() throws(RegistryIOError) -> Step {
        if let step = parseSimpleLine() { return step }
        return try parseAnyRecord()
    }

    /// The common case, fast: a record that is one whole line in the buffer without a quote.
    /// Finds the line's end with `memchr` and its commas eight bytes at a time; returns `nil`
    /// (having changed nothing) for anything else, which `parseAnyRecord` then handles.
    private func parseSimpleLine() -> Step? {
        let buf = buffer
        let start = position
        let end = filled
        guard start < end, let found = memchr(buf + start, Int32(CSVReader.lineFeed), end - start) else { return nil }
        let lineFeed = buf.distance(to: found.assumingMemoryBound(to: UInt8.self))
        var spans = cursor.pointee.spans
        var spanCapacity = cursor.pointee.spanCapacity
        var fieldCount = 0
        var fieldStart = start
        var high: UInt64 = 0
        var index = start

        @inline(__always) func appendField(_ fieldEnd: Int) {
            if fieldCount == spanCapacity {
                let larger = UnsafeMutablePointer<CSVRecord.Span>.allocate(capacity: spanCapacity * 2)
                larger.moveInitialize(from: spans, count: fieldCount)
                spans.deallocate()
                spans = larger
                spanCapacity *= 2
            }
            spans[fieldCount] = CSVRecord.Span(offset: fieldStart - start, count: fieldEnd - fieldStart)
            fieldCount += 1
            fieldStart = fieldEnd + 1
        }
        defer {
            cursor.pointee.spans = spans
            cursor.pointee.spanCapacity = spanCapacity
        }

        let raw = UnsafeRawPointer(buf)
        while index + 8 <= lineFeed {
            let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            high |= word
            if SWAR.zeroBytes(word ^ SWAR.quotes) != 0 { return nil }
            var commas = SWAR.zeroBytes(word ^ SWAR.commas)
            while commas != 0 {
                appendField(index + commas.trailingZeroBitCount / 8)
                commas &= commas &- 1
            }
            index += 8
        }
        while index < lineFeed {
            let byte = buf[index]
            high |= UInt64(byte)
            if byte == CSVReader.quote { return nil }
            if byte == CSVReader.comma { appendField(index) }
            index += 1
        }
        var contentEnd = lineFeed
        if contentEnd > fieldStart && buf[contentEnd - 1] == CSVReader.carriageReturn { contentEnd -= 1 }
        position = lineFeed + 1
        if fieldCount == 0 && contentEnd == fieldStart {
            // A blank line: not a record.
            line += 1
            return .skip
        }
        appendField(contentEnd)
        let recordLine = line
        line = recordLine + 1
        if high & SWAR.highBits != 0 && !UTF8Validation.isValid(buf + start, count: lineFeed + 1 - start) {
            return .item(.malformed(Malformation(line: recordLine, problem: .invalidUTF8)))
        }
        return .item(.record(CSVRecord(line: recordLine, base: buf + start, scratch: cursor.pointee.scratch, spans: spans, count: fieldCount)))
    }

    /// Parses any record starting at `position`: quotes, line breaks inside them, records split
    /// across reads. What the loop touches per byte lives in locals.
    private func parseAnyRecord() throws(RegistryIOError) -> Step {
        let comma = CSVReader.comma, quote = CSVReader.quote, lineFeed = CSVReader.lineFeed
        let buf = buffer
        var end = filled
        let recordLine = line
        var index = position
        var state = State.fieldStart
        var newlines = 0
        var high: UInt8 = 0
        var record = RecordBuilder(
            buffer: buf, capacity: capacity, recordStart: index, fieldStart: index,
            spans: cursor.pointee.spans, spanCapacity: cursor.pointee.spanCapacity, scratch: cursor.pointee.scratch)
        defer {
            cursor.pointee.spans = record.spans
            cursor.pointee.spanCapacity = record.spanCapacity
            cursor.pointee.scratch = record.scratch
        }

        parsing: while true {
            if index == end {
                if reachedEnd {
                    switch state {
                    case .fieldStart:
                        if record.fieldCount == 0 {
                            position = index
                            return .end
                        }
                        record.appendEmpty(at: index)
                    case .unquoted:
                        if !record.closeUnquotedField(at: index, atLineBreak: true) {
                            position = index
                            return .end
                        }
                    case .quoted:
                        return try resynchronize(.unterminatedQuote, recordStart: record.recordStart, recordLine: recordLine)
                    case .quoteSeen:
                        record.closeQuotedField(at: index - 1)
                    case .afterQuote, .afterQuoteCR:
                        break
                    }
                    break parsing
                }
                if record.recordStart == 0 && end == capacity {
                    return try resynchronize(.recordTooLong, recordStart: 0, recordLine: recordLine)
                }
                let shift = record.recordStart
                try refill(keepingFrom: shift)
                index -= shift
                record.shift(by: shift)
                end = filled
                continue
            }

            switch state {
            case .fieldStart:
                let byte = buf[index]
                if byte == quote {
                    index += 1
                    record.fieldStart = index
                    state = .quoted
                } else if byte == comma {
                    record.appendEmpty(at: index)
                    index += 1
                } else if byte == lineFeed {
                    if record.fieldCount == 0 {
                        // A blank line: not a record.
                        position = index + 1
                        line = recordLine + 1
                        return .skip
                    }
                    record.appendEmpty(at: index)
                    index += 1
                    newlines += 1
                    break parsing
                } else {
                    record.fieldStart = index
                    state = .unquoted
                }

            case .unquoted:
                var scan = index
                var seenHigh: UInt8 = 0
                while scan < end {
                    let byte = buf[scan]
                    seenHigh |= byte
                    if byte == comma || byte == lineFeed || byte == quote { break }
                    scan += 1
                }
                high |= seenHigh
                index = scan
                if index == end { continue }
                let byte = buf[index]
                if byte == comma {
                    _ = record.closeUnquotedField(at: index, atLineBreak: false)
                    index += 1
                    state = .fieldStart
                } else if byte == lineFeed {
                    let isRecord = record.closeUnquotedField(at: index, atLineBreak: true)
                    index += 1
                    if !isRecord {
                        position = index
                        line = recordLine + 1
                        return .skip
                    }
                    newlines += 1
                    break parsing
                } else {
                    return try resynchronize(.quoteInUnquotedField, recordStart: record.recordStart, recordLine: recordLine)
                }

            case .quoted:
                var scan = index
                var seenHigh: UInt8 = 0
                var seenLineFeeds = 0
                while scan < end {
                    let byte = buf[scan]
                    seenHigh |= byte
                    if byte == quote { break }
                    if byte == lineFeed { seenLineFeeds += 1 }
                    scan += 1
                }
                high |= seenHigh
                newlines += seenLineFeeds
                index = scan
                if index == end { continue }
                index += 1
                state = .quoteSeen

            case .quoteSeen:
                // The quote at `index - 1` either closes the field or, doubled, stands for one quote.
                if buf[index] == quote {
                    record.unescape(quoteAt: index - 1)
                    index += 1
                    state = .quoted
                } else {
                    record.closeQuotedField(at: index - 1)
                    state = .afterQuote
                }

            case .afterQuote:
                let byte = buf[index]
                if byte == comma {
                    index += 1
                    state = .fieldStart
                } else if byte == lineFeed {
                    index += 1
                    newlines += 1
                    break parsing
                } else if byte == CSVReader.carriageReturn {
                    index += 1
                    state = .afterQuoteCR
                } else {
                    return try resynchronize(.textAfterClosingQuote, recordStart: record.recordStart, recordLine: recordLine)
                }

            case .afterQuoteCR:
                guard buf[index] == lineFeed else {
                    return try resynchronize(.textAfterClosingQuote, recordStart: record.recordStart, recordLine: recordLine)
                }
                index += 1
                newlines += 1
                break parsing
            }
        }

        // A complete record runs from `record.recordStart` to `index`.
        position = index
        line = recordLine + newlines
        if high >= 0x80 && !UTF8Validation.isValid(buf + record.recordStart, count: index - record.recordStart) {
            return .item(.malformed(Malformation(line: recordLine, problem: .invalidUTF8)))
        }
        return .item(.record(CSVRecord(line: recordLine, base: buf + record.recordStart, scratch: record.scratch,
                                       spans: record.spans, count: record.fieldCount)))
    }

    /// Reports a malformed record and moves to the physical line after the one it began on.
    ///
    /// Resuming there, rather than after the point of failure, means a stray opening quote that
    /// ran over several lines costs only its own line: the lines it swallowed are read again.
    private func resynchronize(_ problem: Problem, recordStart: Int, recordLine: Int) throws(RegistryIOError) -> Step {
        try skipPastLineFeed(from: recordStart)
        line = recordLine + 1
        return .item(.malformed(Malformation(line: recordLine, problem: problem)))
    }

    /// Sets `position` just past the first LF at or after `start`, reading (and discarding) as
    /// much input as it takes; at the end of input, `position` is the end.
    private func skipPastLineFeed(from start: Int) throws(RegistryIOError) {
        var from = start
        while true {
            if from < filled, let found = memchr(buffer + from, Int32(CSVReader.lineFeed), filled - from) {
                position = buffer.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
                return
            }
            if reachedEnd {
                position = filled
                return
            }
            filled = 0
            position = 0
            from = 0
            try readMore()
        }
    }

    /// Moves the bytes from `keep` on to the front of the buffer and reads more after them.
    private func refill(keepingFrom keep: Int) throws(RegistryIOError) {
        if keep > 0 {
            buffer.update(from: buffer + keep, count: filled - keep)
            filled -= keep
            position = 0
        }
        try readMore()
    }

    /// Reads one block into the free end of the buffer; a read of 0 bytes marks the end of input.
    private func readMore() throws(RegistryIOError) {
        let room = min(capacity - filled, readLimit)
        precondition(room > 0)
        let count: Int
        switch source {
        case .descriptor(let descriptor, _, let path):
            count = try FileIO.read(descriptor, buffer + filled, room, path: path)
        case .memory(let bytes):
            let offset = cursor.pointee.memoryOffset
            count = min(room, bytes.count - offset)
            if count > 0 {
                bytes.withUnsafeBufferPointer { all in
                    (buffer + filled).update(from: all.baseAddress! + offset, count: count)
                }
            }
            cursor.pointee.memoryOffset += count
        }
        if count == 0 { reachedEnd = true }
        filled += count
        cursor.pointee.bytesRead += count
    }
}

/// One record's fields, as views into the reader's buffer: no copy, no `String`.
///
/// The views are valid only until the reader's next `next()` call; copy what must outlive that
/// (`string(at:)`, `strings`).
public struct CSVRecord: RandomAccessCollection {
    /// Where a field's bytes are: at `offset` from the record's start in the read buffer, or, for a
    /// field that held `""` escapes, in the scratch buffer (encoded as a negative offset).
    struct Span {
        var start: Int32
        var count: Int32

        init(offset: Int, count: Int) {
            start = Int32(truncatingIfNeeded: offset)
            self.count = Int32(truncatingIfNeeded: count)
        }

        init(scratchOffset: Int, count: Int) {
            start = ~Int32(truncatingIfNeeded: scratchOffset)
            self.count = Int32(truncatingIfNeeded: count)
        }
    }

    /// The physical line where the record begins (the first line of the input is 1).
    public let line: Int
    /// The number of fields.
    public let count: Int
    private let base: UnsafePointer<UInt8>
    private let scratch: UnsafePointer<UInt8>?
    private let spans: UnsafePointer<Span>

    init(line: Int, base: UnsafePointer<UInt8>, scratch: UnsafePointer<UInt8>?, spans: UnsafePointer<Span>, count: Int) {
        self.line = line
        self.base = base
        self.scratch = scratch
        self.spans = spans
        self.count = count
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    /// The field's bytes, unquoted and unescaped.
    public subscript(field: Int) -> UnsafeBufferPointer<UInt8> {
        precondition(field >= 0 && field < count, "CSVRecord field index out of range")
        let span = spans[field]
        if span.start >= 0 {
            return UnsafeBufferPointer(start: base + Int(span.start), count: Int(span.count))
        }
        return UnsafeBufferPointer(start: scratch! + Int(~span.start), count: Int(span.count))
    }

    /// The field as a string (the reader has checked the record is valid UTF-8).
    public func string(at field: Int) -> String {
        String(decoding: self[field], as: UTF8.self)
    }

    /// Every field as a string.
    public var strings: [String] {
        (0..<count).map(string(at:))
    }
}

/// Byte matching eight bytes at a time.
enum SWAR {
    static let commas: UInt64 = 0x2C2C_2C2C_2C2C_2C2C
    static let quotes: UInt64 = 0x2222_2222_2222_2222
    static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// The high bit of each byte of `word` that is zero, and no other bit. Exact: no carry crosses
    /// a byte, since (b & 0x7F) + 0x7F is at most 0xFE.
    @inline(__always)
    static func zeroBytes(_ word: UInt64) -> UInt64 {
        let low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        return ~(((word & low) &+ low) | word) & highBits
    }
}

/// UTF-8 well-formedness after Unicode Table 3-7: no overlong forms, surrogates or values above
/// U+10FFFF.
enum UTF8Validation {
    static func isValid(_ bytes: UnsafePointer<UInt8>, count: Int) -> Bool {
        var index = 0
        @inline(__always) func isContinuation(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }
        let raw = UnsafeRawPointer(bytes)
        while index < count {
            // Registry rows are mostly ASCII: skip it eight bytes at a time.
            while index + 8 <= count && raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                index += 8
            }
            guard index < count else { break }
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            if lead < 0xC2 { return false }
            if lead < 0xE0 {
                guard index + 1 < count, isContinuation(bytes[index + 1]) else { return false }
                index += 2
                continue
            }
            if lead < 0xF0 {
                guard index + 2 < count else { return false }
                let second = bytes[index + 1]
                switch lead {
                case 0xE0: guard (0xA0...0xBF).contains(second) else { return false }
                case 0xED: guard (0x80...0x9F).contains(second) else { return false }
                default: guard isContinuation(second) else { return false }
                }
                guard isContinuation(bytes[index + 2]) else { return false }
                index += 3
                continue
            }
            if lead < 0xF5 {
                guard index + 3 < count else { return false }
                let second = bytes[index + 1]
                switch lead {
                case 0xF0: guard (0x90...0xBF).contains(second) else { return false }
                case 0xF4: guard (0x80...0x8F).contains(second) else { return false }
                default: guard isContinuation(second) else { return false }
                }
                guard isContinuation(bytes[index + 2]), isContinuation(bytes[index + 3]) else { return false }
                index += 4
                continue
            }
            return false
        }
        return true
    }
}
