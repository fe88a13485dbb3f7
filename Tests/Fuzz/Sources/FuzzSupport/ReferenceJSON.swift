/// A second JSON reader, written from RFC 8259 and the rules Sources/IDCATokens/StrictJSON.swift
/// documents (no duplicate names — compared as Swift strings, i.e. by canonical equivalence — at
/// any depth, at most 32 nested containers, well-formed UTF-8, no lone surrogates), in a
/// different style: a grammar-shaped recursive descent that collects raw string bytes and checks
/// them with the standard library's UTF-8 validation.
public indirect enum ReferenceJSON: Equatable {
    case null
    case bool(Bool)
    /// The number's literal, as written.
    case number(String)
    case string(String)
    case array([ReferenceJSON])
    case object([Member])

    public struct Member: Equatable {
        public var name: String
        public var value: ReferenceJSON

        /// Byte-for-byte equality (Swift's `==` on strings is canonical equivalence).
        public static func == (lhs: Member, rhs: Member) -> Bool {
            lhs.name.utf8.elementsEqual(rhs.name.utf8) && lhs.value == rhs.value
        }
    }

    public static let maximumDepth = 32

    /// The value of one complete JSON text, or nil if the text is not one.
    public static func parse(_ bytes: [UInt8]) -> ReferenceJSON? {
        var reader = Reader(bytes: bytes)
        reader.whitespace()
        guard let value = reader.value(depth: 0) else { return nil }
        reader.whitespace()
        return reader.index == bytes.count ? value : nil
    }

    /// The member with exactly these name bytes.
    public subscript(name: String) -> ReferenceJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.name.utf8.elementsEqual(name.utf8) }?.value
    }

    /// The literal as an Int64 when it is a plain integer without fraction, exponent, leading zero
    /// or minus zero, in range.
    public static func integer(_ literal: String) -> Int64? {
        if literal == "0" { return 0 }
        if literal.hasPrefix("-0") || literal.hasPrefix("0") { return nil }
        guard literal.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || ($0 >= 48 && $0 <= 57) }) else { return nil }
        return Int64(literal)
    }

    struct Reader {
        let bytes: [UInt8]
        var index = 0

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func whitespace() {
            while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard current == byte else { return false }
            index += 1
            return true
        }

        mutating func value(depth: Int) -> ReferenceJSON? {
            guard let byte = current else { return nil }
            switch byte {
            case UInt8(ascii: "{"):
                guard depth + 1 <= ReferenceJSON.maximumDepth else { return nil }
                return object(depth: depth + 1)
            case UInt8(ascii: "["):
                guard depth + 1 <= ReferenceJSON.maximumDepth else { return nil }
                return array(depth: depth + 1)
            case UInt8(ascii: "\""):
                return string().map { .string($0) }
            case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
            case UInt8(ascii: "n"): return literal("null") ? .null : nil
            default: return number().map { .number($0) }
            }
        }

        mutating func literal(_ word: String) -> Bool {
            let expected = Array(word.utf8)
            guard index + expected.count <= bytes.count, Array(bytes[index..<index + expected.count]) == expected else { return false }
            index += expected.count
            return true
        }

        mutating func object(depth: Int) -> ReferenceJSON? {
            index += 1
            var members: [Member] = []
            whitespace()
            if take(UInt8(ascii: "}")) { return .object(members) }
            while true {
                whitespace()
                guard current == UInt8(ascii: "\""), let name = string() else { return nil }
                // Duplicate names, by Swift string equality (canonical equivalence), as documented.
                if members.contains(where: { $0.name == name }) { return nil }
                whitespace()
                guard take(UInt8(ascii: ":")) else { return nil }
                whitespace()
                guard let member = value(depth: depth) else { return nil }
                members.append(Member(name: name, value: member))
                whitespace()
                if take(UInt8(ascii: ",")) { continue }
                if take(UInt8(ascii: "}")) { return .object(members) }
                return nil
            }
        }

        mutating func array(depth: Int) -> ReferenceJSON? {
            index += 1
            var elements: [ReferenceJSON] = []
            whitespace()
            if take(UInt8(ascii: "]")) { return .array(elements) }
            while true {
                whitespace()
                guard let element = value(depth: depth) else { return nil }
                elements.append(element)
                whitespace()
                if take(UInt8(ascii: ",")) { continue }
                if take(UInt8(ascii: "]")) { return .array(elements) }
                return nil
            }
        }

        mutating func digits() -> Int {
            let start = index
            while let byte = current, byte >= 48 && byte <= 57 { index += 1 }
            return index - start
        }

        mutating func number() -> String? {
            let start = index
            _ = take(UInt8(ascii: "-"))
            guard let first = current, first >= 48 && first <= 57 else { return nil }
            if first == UInt8(ascii: "0") {
                index += 1
            } else {
                _ = digits()
            }
            if take(UInt8(ascii: ".")) {
                guard digits() > 0 else { return nil }
            }
            if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
                if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
                guard digits() > 0 else { return nil }
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func hex4() -> UInt32? {
            guard index + 4 <= bytes.count else { return nil }
            let text = String(decoding: bytes[index..<index + 4], as: UTF8.self)
            guard text.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 70) || ($0 >= 97 && $0 <= 102) }),
                  let value = UInt32(text, radix: 16) else { return nil }
            index += 4
            return value
        }

        /// A string: raw runs are checked as UTF-8 by the standard library, escapes decoded.
        mutating func string() -> String? {
            index += 1
            var text = ""
            var run: [UInt8] = []
            func flush(_ run: inout [UInt8], into text: inout String) -> Bool {
                defer { run.removeAll() }
                guard let valid = String(validating: run, as: UTF8.self) else { return false }
                text += valid
                return true
            }
            while true {
                guard let byte = current else { return nil }
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    guard flush(&run, into: &text) else { return nil }
                    return text
                }
                if byte < 0x20 { return nil }
                if byte != UInt8(ascii: "\\") {
                    run.append(byte)
                    index += 1
                    continue
                }
                guard flush(&run, into: &text) else { return nil }
                index += 1
                guard let escape = current else { return nil }
                index += 1
                switch escape {
                case UInt8(ascii: "\""): text += "\""
                case UInt8(ascii: "\\"): text += "\\"
                case UInt8(ascii: "/"): text += "/"
                case UInt8(ascii: "b"): text += "\u{08}"
                case UInt8(ascii: "f"): text += "\u{0C}"
                case UInt8(ascii: "n"): text += "\n"
                case UInt8(ascii: "r"): text += "\r"
                case UInt8(ascii: "t"): text += "\t"
                case UInt8(ascii: "u"):
                    guard let unit = hex4() else { return nil }
                    if (0xDC00...0xDFFF).contains(unit) { return nil }
                    if (0xD800...0xDBFF).contains(unit) {
                        guard take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")), let low = hex4(),
                              (0xDC00...0xDFFF).contains(low) else { return nil }
                        let scalar = Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))!
                        text.unicodeScalars.append(scalar)
                    } else {
                        text.unicodeScalars.append(Unicode.Scalar(unit)!)
                    }
                default:
                    return nil
                }
            }
        }
    }
}

/// Writes a reference value back as JSON text (compact, escapes only where required).
public func writeJSON(_ value: ReferenceJSON) -> String {
    func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20:
                let hex = Array("0123456789abcdef")
                out += "\\u00" + String(hex[Int(scalar.value >> 4)]) + String(hex[Int(scalar.value & 0xF)])
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
    switch value {
    case .null: return "null"
    case .bool(let flag): return flag ? "true" : "false"
    case .number(let literal): return literal
    case .string(let text): return quoted(text)
    case .array(let elements): return "[" + elements.map(writeJSON).joined(separator: ",") + "]"
    case .object(let members): return "{" + members.map { quoted($0.name) + ":" + writeJSON($0.value) }.joined(separator: ",") + "}"
    }
}
