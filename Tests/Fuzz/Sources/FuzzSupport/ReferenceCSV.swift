/// A second RFC 4180 reader, written from the contract documented on `CSVReader`, as a plain
/// byte-at-a-time state machine over the whole input (no buffer, no fast path), that predicts what
/// `CSVReader` with a given buffer capacity hands out.
///
/// The capacity matters only for `record_too_long`: the reader keeps a record in its buffer from
/// its first byte on, so a record is too long as soon as parsing it needs to look at the byte (or
/// the end of input) `capacity` bytes after its start.
public enum ReferenceCSV {
    public enum Item: Equatable, CustomStringConvertible {
        case record(line: Int, fields: [[UInt8]])
        case malformed(line: Int, problem: String)

        public var description: String {
            switch self {
            case .record(let line, let fields): "\(line): " + fields.map { "«" + escaped($0) + "»" }.joined(separator: " ")
            case .malformed(let line, let problem): "\(line): \(problem)"
            }
        }
    }

    private enum State { case fieldStart, unquoted, quoted, quoteSeen, afterQuote, afterQuoteCR }

    private enum Look { case byte(UInt8), end, tooLong }

    public static func read(_ input: [UInt8], capacity: Int) -> [Item] {
        let lineFeed = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
        let comma = UInt8(ascii: ","), quote = UInt8(ascii: "\"")
        var items: [Item] = []
        var position = 0
        var line = 1
        if input.count >= 3 && input[0] == 0xEF && input[1] == 0xBB && input[2] == 0xBF { position = 3 }

        /// The position after the first LF at or after `start`, or the end.
        func afterLineFeed(from start: Int) -> Int {
            var index = start
            while index < input.count && input[index] != lineFeed { index += 1 }
            return index < input.count ? index + 1 : input.count
        }

        records: while true {
            let start = position
            let recordLine = line
            var state = State.fieldStart
            var fields: [[UInt8]] = []
            var field: [UInt8] = []
            var newlines = 0
            var offset = 0

            func look(_ offset: Int) -> Look {
                if offset >= capacity { return .tooLong }
                if start + offset >= input.count { return .end }
                return .byte(input[start + offset])
            }
            func malformed(_ problem: String) {
                items.append(.malformed(line: recordLine, problem: problem))
                position = afterLineFeed(from: start)
                line = recordLine + 1
            }
            /// Strips one CR before a line break; false for a blank line (no field yet, nothing left).
            func closeAtLineBreak() -> Bool {
                if field.last == carriageReturn { field.removeLast() }
                if fields.isEmpty && field.isEmpty { return false }
                fields.append(field)
                return true
            }

            parsing: while true {
                let next = look(offset)
                if case .tooLong = next {
                    malformed("record_too_long")
                    continue records
                }
                switch state {
                case .fieldStart:
                    guard case .byte(let byte) = next else {
                        if fields.isEmpty { return items }  // nothing left
                        fields.append([])
                        break parsing
                    }
                    if byte == quote {
                        state = .quoted
                        field = []
                        offset += 1
                    } else if byte == comma {
                        fields.append([])
                        offset += 1
                    } else if byte == lineFeed {
                        if fields.isEmpty {
                            position = start + offset + 1
                            line = recordLine + 1
                            continue records
                        }
                        fields.append([])
                        offset += 1
                        newlines += 1
                        break parsing
                    } else {
                        state = .unquoted
                        field = []
                    }
                case .unquoted:
                    guard case .byte(let byte) = next else {
                        if !closeAtLineBreak() { return items }
                        break parsing
                    }
                    if byte == comma {
                        fields.append(field)
                        state = .fieldStart
                        offset += 1
                    } else if byte == lineFeed {
                        offset += 1
                        if !closeAtLineBreak() {
                            position = start + offset
                            line = recordLine + 1
                            continue records
                        }
                        newlines += 1
                        break parsing
                    } else if byte == quote {
                        malformed("quote_in_unquoted_field")
                        continue records
                    } else {
                        field.append(byte)
                        offset += 1
                    }
                case .quoted:
                    guard case .byte(let byte) = next else {
                        malformed("unterminated_quote")
                        continue records
                    }
                    offset += 1
                    if byte == quote {
                        state = .quoteSeen
                    } else {
                        field.append(byte)
                        if byte == lineFeed { newlines += 1 }
                    }
                case .quoteSeen:
                    guard case .byte(let byte) = next else {
                        fields.append(field)
                        break parsing
                    }
                    if byte == quote {
                        field.append(quote)
                        state = .quoted
                        offset += 1
                    } else {
                        fields.append(field)
                        state = .afterQuote
                    }
                case .afterQuote:
                    guard case .byte(let byte) = next else { break parsing }
                    if byte == comma {
                        state = .fieldStart
                        offset += 1
                    } else if byte == lineFeed {
                        offset += 1
                        newlines += 1
                        break parsing
                    } else if byte == carriageReturn {
                        state = .afterQuoteCR
                        offset += 1
                    } else {
                        malformed("text_after_closing_quote")
                        continue records
                    }
                case .afterQuoteCR:
                    guard case .byte(let byte) = next else { break parsing }
                    if byte == lineFeed {
                        offset += 1
                        newlines += 1
                        break parsing
                    }
                    malformed("text_after_closing_quote")
                    continue records
                }
            }
            position = start + offset
            line = recordLine + newlines
            if String(validating: input[start..<position], as: UTF8.self) == nil {
                items.append(.malformed(line: recordLine, problem: "invalid_utf8"))
            } else {
                items.append(.record(line: recordLine, fields: fields))
            }
        }
    }
}
