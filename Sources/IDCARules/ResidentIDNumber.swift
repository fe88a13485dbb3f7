/// A citizen identity number under GB 11643-1999: address code, birth date, sequence, check character.
///
/// It is personal data: `description`, `debugDescription` and reflection show only the masked
/// form (`110105********002X`); the full number is reachable only through `canonical`.
public struct ResidentIDNumber: IdentityNumber, CustomDebugStringConvertible, CustomReflectable {
    /// Why a candidate is not a resident ID number, in the order the rules are applied.
    public enum Violation: String, IdentityViolation {
        case empty
        case whitespace
        case nonASCII = "non_ascii"
        case separator
        case legacy15 = "legacy_15"
        case length
        case format
        case lowercaseX = "lowercase_x"
        case checksum
        case birthDate = "birth_date"
        case birthDateFuture = "birth_date_future"
        case birthDateTooEarly = "birth_date_too_early"
        case regionUnknown = "region_unknown"

        public var message: String {
            switch self {
            case .empty: "The resident ID number is empty."
            case .whitespace: "The resident ID number contains a space or other blank character; remove it."
            case .nonASCII: "The resident ID number contains a character that is not a plain digit or letter (for example a full-width digit); type it with half-width characters."
            case .separator: "The resident ID number contains a hyphen; enter the 18 characters without separators."
            case .legacy15: "This is a 15-digit first-generation number; use the 18-digit number on your current identity card."
            case .length: "A resident ID number has exactly 18 characters."
            case .format: "A resident ID number is 17 digits followed by a digit or X."
            case .lowercaseX: "The final X must be an upper-case X."
            case .checksum: "The check character does not match; please re-check the number."
            case .birthDate: "The birth date in the number (characters 7–14) is not a real calendar date."
            case .birthDateFuture: "The birth date in the number is in the future."
            case .birthDateTooEarly: "The birth date in the number is before 1 January 1900."
            case .regionUnknown: "The address code (the first 6 digits) is not a known administrative division code."
            }
        }
    }

    /// Sex as encoded by the parity of the sequence code.
    public enum Sex: String, Sendable, Hashable {
        case male
        case female
    }

    public static var maximumLength: Int { 18 }

    /// The 18 characters, upper-case X.
    public let canonical: String
    /// The division the number was issued under (current or historical).
    public let region: Region
    /// The province-level division containing `region`, when the table has it.
    public let province: Region?
    public let birthDate: CivilDate
    /// The three-digit sequence code (characters 15–17).
    public let sequence: Int

    /// Odd sequence codes are issued to men, even ones to women.
    public var sex: Sex { sequence % 2 == 1 ? .male : .female }

    /// The form safe for logs and screens: address code, eight stars, last four characters.
    public var masked: String { ResidentIDNumber.mask(canonical) }

    public var description: String { masked }
    public var debugDescription: String { "ResidentIDNumber(\(masked))" }
    public var customMirror: Mirror { Mirror(self, children: ["masked": masked], displayStyle: .struct) }

    public static func == (lhs: ResidentIDNumber, rhs: ResidentIDNumber) -> Bool { lhs.canonical == rhs.canonical }
    public func hash(into hasher: inout Hasher) { hasher.combine(canonical) }

    /// Masks an 18-character number as `110105********002X`; other text becomes all stars, since
    /// something that failed validation may still be mostly somebody's number.
    public static func mask(_ text: some StringProtocol) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count == 18, bytes.allSatisfy({ $0 < 0x80 }) else {
            return String(repeating: "*", count: text.count)
        }
        return String(decoding: bytes[0..<6] + Array("********".utf8) + bytes[14..<18], as: UTF8.self)
    }

    public static func violation(in bytes: UnsafeBufferPointer<UInt8>, context: ValidationContext) -> Violation? {
        if let common = commonViolation(in: bytes) { return Violation(common) }
        if bytes.count == 15 && bytes.allSatisfy(isASCIIDigit) { return .legacy15 }
        guard bytes.count == 18 else { return .length }

        // Horner's rule over the 17 digits gives Σ dᵢ·2^(16−i); the standard's weights are
        // 2^(17−i) mod 11, so twice the Horner value is congruent to the weighted sum mod 11,
        // which is all the check needs. Without a mod in the loop the value stays below 2^18·9.
        var horner = 0
        for index in 0..<17 {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return .format }
            horner = horner &* 2 &+ Int(digit)
        }
        let last = bytes[17]
        guard isASCIIDigit(last) || last == UInt8(ascii: "X") || last == UInt8(ascii: "x") else { return .format }
        if last == UInt8(ascii: "x") { return .lowercaseX }
        guard last == checkCharacter(weightedSum: horner &* 2) else { return .checksum }

        let year = number(bytes, 6, 4)
        let month = number(bytes, 10, 2)
        let day = number(bytes, 12, 2)
        guard CivilDate.isValid(year: year, month: month, day: day) else { return .birthDate }
        let birth = year * 10_000 + month * 100 + day
        if birth > context.today.ordinal { return .birthDateFuture }
        if birth < CivilDate.earliestBirthDate.ordinal { return .birthDateTooEarly }

        guard context.regions.contains(code: number(bytes, 0, 6)) else { return .regionUnknown }
        return nil
    }

    public init(uncheckedValidBytes bytes: UnsafeBufferPointer<UInt8>, context: ValidationContext) {
        canonical = String(decoding: bytes, as: UTF8.self)
        // Force-unwrap is safe: `violation(in:context:)` checked the code is in this table.
        region = context.regions.region(code: ResidentIDNumber.number(bytes, 0, 6))!
        province = context.regions.province(containing: region.code)
        birthDate = CivilDate(
            uncheckedYear: ResidentIDNumber.number(bytes, 6, 4),
            month: ResidentIDNumber.number(bytes, 10, 2),
            day: ResidentIDNumber.number(bytes, 12, 2)
        )
        sequence = ResidentIDNumber.number(bytes, 14, 3)
    }

    /// The check character (ISO 7064 MOD 11-2) for the first 17 digits, or `nil` if they are not
    /// 17 ASCII digits.
    public static func checkCharacter(forFirst17 digits: some StringProtocol) -> Character? {
        let bytes = Array(digits.utf8)
        guard bytes.count == 17, bytes.allSatisfy(isASCIIDigit) else { return nil }
        let horner = bytes.reduce(0) { $0 * 2 + Int($1 - UInt8(ascii: "0")) }
        return Character(Unicode.Scalar(checkCharacter(weightedSum: horner * 2)))
    }

    /// Converts a 15-digit first-generation number to its 18-digit form: "19" goes in front of the
    /// two-digit birth year and the check character is appended. Returns `nil` unless the input is
    /// exactly 15 ASCII digits. The result still has to pass the rules like any other number.
    public static func upgrading(legacy text: some StringProtocol) -> String? {
        let bytes = Array(text.utf8)
        guard bytes.count == 15, bytes.allSatisfy(isASCIIDigit) else { return nil }
        let first17 = String(decoding: bytes[0..<6] + Array("19".utf8) + bytes[6..<15], as: UTF8.self)
        guard let check = checkCharacter(forFirst17: first17) else { return nil }
        return first17 + String(check)
    }

    @inlinable
    static func checkCharacter(weightedSum: Int) -> UInt8 {
        // S mod 11 = 0…10 maps to 1 0 X 9 8 7 6 5 4 3 2.
        switch weightedSum % 11 {
        case 0: UInt8(ascii: "1")
        case 1: UInt8(ascii: "0")
        case 2: UInt8(ascii: "X")
        case let remainder: UInt8(ascii: "0") + UInt8(12 - remainder)
        }
    }

    /// The decimal value of `count` ASCII digits starting at `offset` (already known to be digits).
    @inlinable
    static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ offset: Int, _ count: Int) -> Int {
        var value = 0
        for index in offset..<(offset + count) {
            value = value &* 10 &+ Int(bytes[index] &- UInt8(ascii: "0"))
        }
        return value
    }
}
