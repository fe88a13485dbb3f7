/// A JSON value as the strict parser produced it.
///
/// Numbers keep their literal text: a token time must be an integer *as written*, and converting
/// through `Double` first would let `1.0`, `1e0` and `1` all pass as the same value.
enum JSONValue: Sendable, Equatable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, kept as its literal.
    case number(JSONNumber)
    /// A string with its escapes decoded.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object with unique member names.
    case object(JSONObject)
}

/// A JSON number literal, exactly as it appeared in the input.
struct JSONNumber: Sendable, Equatable {
    /// The literal, e.g. `-12`, `1.0`, `1e9`.
    let literal: String

    /// The value when the literal is a plain integer (no fraction, no exponent) that fits `Int64`.
    ///
    /// `-0` is refused too: it is the one integer with two spellings, and our issuer never writes it.
    var int64: Int64? {
        let bytes = Array(literal.utf8)
        var index = 0
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { index = 1 }
        guard index < bytes.count else { return nil }
        if bytes[index] == UInt8(ascii: "0") {
            return bytes.count == index + 1 && !negative ? 0 : nil
        }
        var value: Int64 = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let digit = Int64(byte - UInt8(ascii: "0"))
            // Accumulate negatively so that Int64.min, whose magnitude has no positive Int64, fits.
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.subtractingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            value = next
            index += 1
        }
        if negative { return value }
        let (positive, overflow) = Int64(0).subtractingReportingOverflow(value)
        return overflow ? nil : positive
    }
}

/// A JSON object's members in document order; names are unique (the parser guarantees it).
struct JSONObject: Sendable, Equatable {
    /// The members in document order.
    let members: [(name: String, value: JSONValue)]

    /// Same members, same order, names equal byte for byte.
    static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.elementsEqual(rhs.members) { $0.name.utf8.elementsEqual($1.name.utf8) && $0.value == $1.value }
    }

    /// The member whose name has exactly these UTF-8 bytes.
    ///
    /// Swift's `==` on `String` compares by canonical equivalence (U+212A KELVIN SIGN equals "K"),
    /// so lookups compare code units instead: a name matches only when it is spelled the same.
    subscript(name: String) -> JSONValue? {
        members.first { $0.name.utf8.elementsEqual(name.utf8) }?.value
    }
}

/// The reasons a JSON text is refused. Only used internally: every one of them surfaces as
/// `TokenRejection.malformed`, but tests name them to prove which rule fired.
enum JSONError: Error, Sendable, Equatable {
    /// The text ended inside a value.
    case unexpectedEnd
    /// A byte that no JSON grammar rule allows here.
    case unexpectedByte(offset: Int)
    /// A number outside RFC 8259's grammar (leading zero, `+`, bare `.`, `NaN` …).
    case invalidNumber(offset: Int)
    /// A backslash escape that RFC 8259 does not define.
    case invalidEscape(offset: Int)
    /// A `\u` escape of half a surrogate pair.
    case loneSurrogate(offset: Int)
    /// An unescaped character below U+0020 inside a string.
    case controlCharacterInString(offset: Int)
    /// Bytes that are not well-formed UTF-8.
    case invalidUTF8(offset: Int)
    /// A member name that appears twice in one object.
    case duplicateName(String)
    /// Nesting deeper than `StrictJSONParser.maximumDepth`.
    case tooDeep
    /// Anything but whitespace after the value.
    case trailingContent(offset: Int)
}

/// A small RFC 8259 parser that accepts every JSON text exactly as the RFC spells it, and nothing else.
///
/// General-purpose decoders are lenient in ways that matter for signed data (RFC 8725 §3.12): they
/// keep the last of two duplicate names, accept `NaN` or a byte-order mark, or replace bad UTF-8.
/// Two parsers that disagree about what a signed header says are a classic JOSE attack, so here
/// duplicate names (at any depth), invalid escapes, lone surrogates, leading zeros, non-JSON literals
/// and trailing content are all refused.
struct StrictJSONParser {
    /// Nesting limit: tokens are small, and a bounded depth keeps recursion far from the end of a
    /// (possibly 512 KiB) concurrency-pool thread stack.
    static let maximumDepth = 32

    private let bytes: [UInt8]
    private var index = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Parses one complete JSON text: optional whitespace, one value, optional whitespace, end.
    static func parse(_ bytes: [UInt8]) throws(JSONError) -> JSONValue {
        var parser = StrictJSONParser(bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw .trailingContent(offset: parser.index) }
        return value
    }

    /// Parses a JSON text that must be an object.
    static func parseObject(_ bytes: [UInt8]) throws(JSONError) -> JSONObject {
        guard case .object(let object) = try parse(bytes) else { throw .unexpectedByte(offset: 0) }
        return object
    }

    private mutating func skipWhitespace() {
        // RFC 8259 §2: exactly these four; a BOM or a non-breaking space is not whitespace.
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func peek() throws(JSONError) -> UInt8 {
        guard index < bytes.count else { throw .unexpectedEnd }
        return bytes[index]
    }

    private mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
        switch try peek() {
        case UInt8(ascii: "{"): return .object(try parseObject(depth: depth + 1))
        case UInt8(ascii: "["): return .array(try parseArray(depth: depth + 1))
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw .unexpectedByte(offset: index)
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let start = index
        for expected in UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount) {
            guard index < bytes.count else { throw .unexpectedEnd }
            guard bytes[index] == expected else { throw .unexpectedByte(offset: start) }
            index += 1
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONError) -> JSONObject {
        guard depth <= Self.maximumDepth else { throw .tooDeep }
        index += 1  // "{"
        var members: [(name: String, value: JSONValue)] = []
        // A Set<String> uses canonical equivalence, which is coarser than byte equality: names that
        // are byte-identical after unescaping, and names that only differ by canonically equivalent
        // spellings, are both refused as duplicates, so no consumer can read a different member.
        var seen: Set<String> = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "}") {
            index += 1
            return JSONObject(members: members)
        }
        while true {
            skipWhitespace()
            guard try peek() == UInt8(ascii: "\"") else { throw .unexpectedByte(offset: index) }
            let name = try parseString()
            guard seen.insert(name).inserted else { throw .duplicateName(name) }
            skipWhitespace()
            guard try peek() == UInt8(ascii: ":") else { throw .unexpectedByte(offset: index) }
            index += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            members.append((name, value))
            skipWhitespace()
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return JSONObject(members: members)
            default: throw .unexpectedByte(offset: index)
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONError) -> [JSONValue] {
        guard depth <= Self.maximumDepth else { throw .tooDeep }
        index += 1  // "["
        var elements: [JSONValue] = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "]") {
            index += 1
            return elements
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return elements
            default: throw .unexpectedByte(offset: index)
            }
        }
    }

    /// `-? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?` — nothing else (no `+1`, `01`, `.5`, `1.`, `NaN`).
    private mutating func parseNumber() throws(JSONError) -> JSONNumber {
        let start = index
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        func digits(_ parser: inout StrictJSONParser) -> Int {
            let first = parser.index
            while parser.index < parser.bytes.count, isDigit(parser.bytes[parser.index]) { parser.index += 1 }
            return parser.index - first
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw .invalidNumber(offset: start) }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) { throw .invalidNumber(offset: start) }
        } else {
            _ = digits(&self)
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits(&self) > 0 else { throw .invalidNumber(offset: start) }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw .invalidNumber(offset: start) }
        }
        return JSONNumber(literal: String(decoding: bytes[start..<index], as: UTF8.self))
    }

    private mutating func parseString() throws(JSONError) -> String {
        index += 1  // opening quote
        var decoded: [UInt8] = []
        while true {
            guard index < bytes.count else { throw .unexpectedEnd }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                // Every byte appended below is part of a complete, validated scalar.
                return String(decoding: decoded, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &decoded)
            case 0x00..<0x20:
                throw .controlCharacterInString(offset: index)
            case 0x20..<0x80:
                decoded.append(byte)
                index += 1
            default:
                try copyUTF8Scalar(into: &decoded)
            }
        }
    }

    private mutating func parseEscape(into decoded: inout [UInt8]) throws(JSONError) {
        let start = index
        index += 1  // backslash
        guard index < bytes.count else { throw .unexpectedEnd }
        let escape = bytes[index]
        index += 1
        switch escape {
        case UInt8(ascii: "\""): decoded.append(0x22)
        case UInt8(ascii: "\\"): decoded.append(0x5C)
        case UInt8(ascii: "/"): decoded.append(0x2F)
        case UInt8(ascii: "b"): decoded.append(0x08)
        case UInt8(ascii: "f"): decoded.append(0x0C)
        case UInt8(ascii: "n"): decoded.append(0x0A)
        case UInt8(ascii: "r"): decoded.append(0x0D)
        case UInt8(ascii: "t"): decoded.append(0x09)
        case UInt8(ascii: "u"):
            let first = try parseHex4(escapeStart: start)
            let scalarValue: UInt32
            switch first {
            case 0xD800...0xDBFF:
                // A high surrogate must be followed at once by an escaped low surrogate.
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                else { throw .loneSurrogate(offset: start) }
                index += 2
                let second = try parseHex4(escapeStart: start)
                guard (0xDC00...0xDFFF).contains(second) else { throw .loneSurrogate(offset: start) }
                scalarValue = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            case 0xDC00...0xDFFF:
                throw .loneSurrogate(offset: start)
            default:
                scalarValue = first
            }
            // Never nil: surrogates were handled above and the value is at most 0x10FFFF.
            guard let scalar = Unicode.Scalar(scalarValue) else { throw .loneSurrogate(offset: start) }
            decoded.append(contentsOf: scalar.utf8)
        default:
            throw .invalidEscape(offset: start)
        }
    }

    private mutating func parseHex4(escapeStart: Int) throws(JSONError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw .invalidEscape(offset: escapeStart) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw .invalidEscape(offset: escapeStart)
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// Copies one multi-byte UTF-8 sequence after checking it is well formed (RFC 3629): right
    /// number of continuation bytes, shortest form, no surrogates, nothing above U+10FFFF.
    private mutating func copyUTF8Scalar(into decoded: inout [UInt8]) throws(JSONError) {
        let start = index
        let lead = bytes[index]
        let length: Int
        var lowerBound: UInt8 = 0x80  // allowed range of the second byte
        var upperBound: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lowerBound = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upperBound = 0x9F  // excludes UTF-16 surrogates
        case 0xF0: length = 4; lowerBound = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upperBound = 0x8F  // nothing above U+10FFFF
        default: throw .invalidUTF8(offset: start)  // continuation byte, C0/C1 overlong, F5…FF
        }
        guard start + length <= bytes.count else { throw .invalidUTF8(offset: start) }
        let second = bytes[start + 1]
        guard second >= lowerBound, second <= upperBound else { throw .invalidUTF8(offset: start) }
        for offset in 2..<max(length, 2) where !(0x80...0xBF).contains(bytes[start + offset]) {
            throw .invalidUTF8(offset: start)
        }
        decoded.append(contentsOf: bytes[start..<start + length])
        index = start + length
    }
}

/// Writes JSON strings for the few documents this module produces (JWS header and payload, JWK).
enum JSONWriter {
    /// A JSON string literal for `value`: quotes, backslashes and control characters escaped,
    /// everything else as UTF-8, so the strict parser reads back exactly `value`.
    static func quoted(_ value: String) -> String {
        var output: [UInt8] = [0x22]
        output.reserveCapacity(value.utf8.count + 2)
        let hex = Array("0123456789abcdef".utf8)
        for byte in value.utf8 {
            switch byte {
            case 0x22: output.append(contentsOf: [0x5C, 0x22])
            case 0x5C: output.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: output.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x00..<0x20:
                output.append(contentsOf: Array("\\u00".utf8))
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0F)])
            default: output.append(byte)
            }
        }
        output.append(0x22)
        return String(decoding: output, as: UTF8.self)
    }
}

/// Whether `bytes` are exactly one RFC 8259 JSON text with no duplicate member name at any depth.
///
/// Request bodies are checked with it too: when a member appears twice, parsers disagree on which
/// one counts (first, last, error), so a proxy or audit tool could see a different resident ID from
/// the one idca judged. Refusing such a body removes the ambiguity.
public func isStrictJSON(_ bytes: [UInt8]) -> Bool {
    (try? StrictJSONParser.parse(bytes)) != nil
}
