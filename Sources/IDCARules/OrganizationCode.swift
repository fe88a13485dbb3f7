/// An organization code under GB 11714-1997, in machine form: 8 body characters and a check character.
///
/// Organization codes identify legal entities and are public information, so unlike a resident
/// ID the full code appears in `description`.
public struct OrganizationCode: IdentityNumber {
    /// Why a candidate is not an organization code, in the order the rules are applied.
    public enum Violation: String, IdentityViolation {
        case empty
        case whitespace
        case nonASCII = "non_ascii"
        case separator
        case length
        case lowercase
        case format
        case checkCharFormat = "check_char_format"
        case checksum
        case reservedCustomRange = "reserved_custom_range"

        public var message: String {
            switch self {
            case .empty: "The organization code is empty."
            case .whitespace: "The organization code contains a space or other blank character; remove it."
            case .nonASCII: "The organization code contains a character that is not a plain digit or letter (for example a full-width character); type it with half-width characters."
            case .separator: "The organization code contains a hyphen; enter the 9 characters without it (XXXXXXXXX, not XXXXXXXX-X)."
            case .length: "An organization code has exactly 9 characters (without the hyphen)."
            case .lowercase: "Letters in an organization code must be upper-case."
            case .format: "The first 8 characters of an organization code must be digits or upper-case letters."
            case .checkCharFormat: "The last character of an organization code must be a digit or X."
            case .checksum: "The check character does not match; please re-check the code."
            case .reservedCustomRange: "Codes PDY00001 to PDY99999 are reserved for internal use and do not identify an organization."
            }
        }
    }

    public static var maximumLength: Int { 9 }

    /// The 9 characters, no hyphen.
    public let canonical: String

    /// The printed form, `XXXXXXXX-X`.
    public var display: String { "\(canonical.prefix(8))-\(canonical.suffix(1))" }

    public var description: String { canonical }

    public static func violation(in bytes: UnsafeBufferPointer<UInt8>, context: ValidationContext) -> Violation? {
        if let common = commonViolation(in: bytes) { return Violation(common) }
        guard bytes.count == 9 else { return .length }
        if bytes.contains(where: isASCIILowercase) { return .lowercase }
        guard bytes[0..<8].allSatisfy({ value(of: $0) != nil }) else { return .format }
        let check = bytes[8]
        guard isASCIIDigit(check) || check == UInt8(ascii: "X") else { return .checkCharFormat }
        guard check == checkCharacter(body: bytes, offset: 0) else { return .checksum }
        if isReserved(bytes) { return .reservedCustomRange }
        return nil
    }

    public init(uncheckedValidBytes bytes: UnsafeBufferPointer<UInt8>, context: ValidationContext) {
        canonical = String(decoding: bytes, as: UTF8.self)
    }

    /// Whether the 9 bytes at `offset` are a well-formed code whose check character matches — the
    /// test GB 32100 applies to characters 9–17 of a credit code (no reserved-range rule there).
    @inlinable
    static func hasValidCheckCharacter(_ bytes: UnsafeBufferPointer<UInt8>, offset: Int) -> Bool {
        for index in offset..<(offset + 8) where value(of: bytes[index]) == nil { return false }
        return bytes[offset + 8] == checkCharacter(body: bytes, offset: offset)
    }

    /// The check character for an 8-character body of `0-9A-Z`, or `nil` for any other body.
    public static func checkCharacter(forBody body: some StringProtocol) -> Character? {
        let bytes = Array(body.utf8)
        guard bytes.count == 8, bytes.allSatisfy({ value(of: $0) != nil }) else { return nil }
        return bytes.withUnsafeBufferPointer { Character(Unicode.Scalar(checkCharacter(body: $0, offset: 0))) }
    }

    /// C9 = 11 − (Σ vᵢ·wᵢ mod 11) with weights 3 7 9 10 5 8 4 2; 10 is written X and 11 is written 0.
    @inlinable
    static func checkCharacter(body bytes: UnsafeBufferPointer<UInt8>, offset: Int) -> UInt8 {
        let weights: (Int, Int, Int, Int, Int, Int, Int, Int) = (3, 7, 9, 10, 5, 8, 4, 2)
        var sum = 0
        withUnsafeBytes(of: weights) { raw in
            let weight = raw.bindMemory(to: Int.self)
            for index in 0..<8 {
                sum &+= Int(value(of: bytes[offset + index]) ?? 0) &* weight[index]
            }
        }
        switch 11 - sum % 11 {
        case 10: return UInt8(ascii: "X")
        case 11: return UInt8(ascii: "0")
        case let digit: return UInt8(ascii: "0") + UInt8(digit)
        }
    }

    /// 0–9 for digits, A = 10 … Z = 35; `nil` for anything else (lower case included).
    @inlinable
    static func value(of byte: UInt8) -> UInt8? {
        if isASCIIDigit(byte) { return byte &- UInt8(ascii: "0") }
        let letter = byte &- UInt8(ascii: "A")
        return letter < 26 ? letter + 10 : nil
    }

    /// Bodies PDY00001–PDY99999 are set aside for internal use by the code-issuing authorities.
    static func isReserved(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes[0] == UInt8(ascii: "P"), bytes[1] == UInt8(ascii: "D"), bytes[2] == UInt8(ascii: "Y") else { return false }
        guard bytes[3..<8].allSatisfy(isASCIIDigit) else { return false }
        return bytes[3..<8].contains { $0 != UInt8(ascii: "0") }
    }
}
