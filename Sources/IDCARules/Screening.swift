/// The four rules every kind of identity number shares, checked before any kind-specific rule.
///
/// The contract reports the first failing rule in the order `empty`, `whitespace`, `non_ascii`,
/// `separator`. Nothing is normalized: a form may tidy input before sending, the rules never guess.
public enum CommonViolation: Sendable, Hashable {
    case empty
    case whitespace
    case nonASCII
    case separator
}

/// What a scan of raw bytes found; merged with `|=` so that a line can be scanned in pieces.
public struct ScreenFlags: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// A Unicode White_Space scalar, ASCII or not.
    public static let whitespace = ScreenFlags(rawValue: 1)
    /// A byte ≥ 0x80: anything outside ASCII, including invalid UTF-8.
    public static let nonASCII = ScreenFlags(rawValue: 2)
    /// A hyphen-minus, the separator people type in `XXXXXXXX-X` organization codes.
    public static let separator = ScreenFlags(rawValue: 4)

    /// Scans the scalars that *start* at `start..<stop`, looking ahead up to `end` for the rest of
    /// a multi-byte sequence.
    ///
    /// Splitting start and end lets a streaming reader scan a long line in chunks: it scans
    /// `0..<count-2`, carries the last two bytes into the next chunk, and so sees every sequence
    /// exactly once.
    ///
    /// Non-ASCII whitespace is found by its UTF-8 byte patterns rather than by decoding. That is
    /// exact even in invalid UTF-8: the patterns begin with lead bytes (C2, E1, E2, E3), which are
    /// never continuation bytes, so every decoder resynchronizes on them and decodes them the same way.
    @inlinable
    public static func scan(_ bytes: UnsafeBufferPointer<UInt8>, start: Int = 0, stop: Int, end: Int) -> ScreenFlags {
        var high: UInt8 = 0
        var asciiSpace = false
        var dash = false
        var index = start
        while index < stop {
            let byte = bytes[index]
            high |= byte
            // U+0009…U+000D and U+0020.
            asciiSpace = asciiSpace || byte == 0x20 || (byte &- 0x09) < 5
            dash = dash || byte == UInt8(ascii: "-")
            index += 1
        }
        var flags: ScreenFlags = []
        if asciiSpace { flags.insert(.whitespace) }
        if dash { flags.insert(.separator) }
        if high & 0x80 != 0 {
            flags.insert(.nonASCII)
            if containsNonASCIIWhitespace(bytes, start: start, stop: stop, end: end) { flags.insert(.whitespace) }
        }
        return flags
    }

    /// The non-ASCII White_Space scalars of Unicode: U+0085, U+00A0, U+1680, U+2000–U+200A,
    /// U+2028, U+2029, U+202F, U+205F, U+3000 (the property has not changed since Unicode 6.3).
    @usableFromInline
    static func containsNonASCIIWhitespace(_ bytes: UnsafeBufferPointer<UInt8>, start: Int, stop: Int, end: Int) -> Bool {
        var index = start
        while index < stop {
            let lead = bytes[index]
            let second: UInt8 = index + 1 < end ? bytes[index + 1] : 0
            let third: UInt8 = index + 2 < end ? bytes[index + 2] : 0
            switch lead {
            case 0xC2:
                if second == 0x85 || second == 0xA0 { return true }
            case 0xE1:
                if second == 0x9A && third == 0x80 { return true }
            case 0xE2:
                if second == 0x80 && ((0x80...0x8A).contains(third) || third == 0xA8 || third == 0xA9 || third == 0xAF) {
                    return true
                }
                if second == 0x81 && third == 0x9F { return true }
            case 0xE3:
                if second == 0x80 && third == 0x80 { return true }
            default:
                break
            }
            index += 1
        }
        return false
    }

    /// The first common rule these flags break, in contract order.
    @inlinable
    public var firstViolation: CommonViolation? {
        if contains(.whitespace) { return .whitespace }
        if contains(.nonASCII) { return .nonASCII }
        if contains(.separator) { return .separator }
        return nil
    }
}

/// Applies the common rules to a whole candidate.
@inlinable
public func commonViolation(in bytes: UnsafeBufferPointer<UInt8>) -> CommonViolation? {
    if bytes.isEmpty { return .empty }
    return ScreenFlags.scan(bytes, stop: bytes.count, end: bytes.count).firstViolation
}

/// Runs `body` on the UTF-8 bytes of `text`, without copying when the string is stored contiguously.
@inlinable
func withUTF8Bytes<R>(of text: some StringProtocol, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
    return Array(text.utf8).withUnsafeBufferPointer(body)
}

@inlinable
func isASCIIDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

@inlinable
func isASCIILowercase(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "a") < 26 }
