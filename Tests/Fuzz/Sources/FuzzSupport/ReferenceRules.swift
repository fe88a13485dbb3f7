import IDCARules

/// A second, deliberately plain implementation of the identity rules, written from
/// Docs/IDENTITY-RULES.md (decoded text, the standards' weight tables, `%` in every step) rather
/// than from the optimized code in IDCARules. The fuzz targets compare the two verdicts.
///
/// Only the region table is shared: it is data, not logic.
public enum ReferenceRules {
    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    static func isUpper(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") }
    static func isLower(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }

    /// The common rules: `empty`, `whitespace` (any Unicode White_Space scalar after decoding with
    /// U+FFFD replacement), `non_ascii`, `separator`.
    public static func common(_ bytes: [UInt8]) -> String? {
        if bytes.isEmpty { return "empty" }
        if String(decoding: bytes, as: UTF8.self).unicodeScalars.contains(where: { $0.properties.isWhitespace }) {
            return "whitespace"
        }
        if bytes.contains(where: { $0 >= 0x80 }) { return "non_ascii" }
        if bytes.contains(UInt8(ascii: "-")) { return "separator" }
        return nil
    }

    static func number(_ bytes: [UInt8], _ range: Range<Int>) -> Int {
        bytes[range].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    public static func isLeapYear(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    public static func isRealDate(year: Int, month: Int, day: Int) -> Bool {
        let lengths = [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard month >= 1 && month <= 12 else { return false }
        return day >= 1 && day <= lengths[month - 1]
    }

    /// GB 11643-1999, in the documented order.
    public static func residentID(_ bytes: [UInt8], today: (year: Int, month: Int, day: Int), regions: RegionTable) -> String? {
        if let violation = common(bytes) { return violation }
        if bytes.count == 15 && bytes.allSatisfy(isDigit) { return "legacy_15" }
        if bytes.count != 18 { return "length" }
        if !bytes[0..<17].allSatisfy(isDigit) { return "format" }
        let last = bytes[17]
        if !(isDigit(last) || last == UInt8(ascii: "X") || last == UInt8(ascii: "x")) { return "format" }
        if last == UInt8(ascii: "x") { return "lowercase_x" }
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        var sum = 0
        for index in 0..<17 { sum += Int(bytes[index] - UInt8(ascii: "0")) * weights[index] }
        let checks = Array("10X98765432".utf8)
        if last != checks[sum % 11] { return "checksum" }
        let year = number(bytes, 6..<10), month = number(bytes, 10..<12), day = number(bytes, 12..<14)
        if !isRealDate(year: year, month: month, day: day) { return "birth_date" }
        if (year, month, day) > today { return "birth_date_future" }
        if (year, month, day) < (1900, 1, 1) { return "birth_date_too_early" }
        if !regions.contains(code: number(bytes, 0..<6)) { return "region_unknown" }
        return nil
    }

    /// GB 11714 character values: 0–9, then A = 10 … Z = 35.
    static func organizationValue(_ byte: UInt8) -> Int? {
        if isDigit(byte) { return Int(byte - UInt8(ascii: "0")) }
        if isUpper(byte) { return Int(byte - UInt8(ascii: "A")) + 10 }
        return nil
    }

    /// The GB 11714 check character of an 8-character body, or nil for a body outside [0-9A-Z].
    public static func organizationCheck(_ body: ArraySlice<UInt8>) -> UInt8? {
        let weights = [3, 7, 9, 10, 5, 8, 4, 2]
        var sum = 0
        for (offset, byte) in body.enumerated() {
            guard let value = organizationValue(byte) else { return nil }
            sum += value * weights[offset]
        }
        let check = 11 - sum % 11
        if check == 10 { return UInt8(ascii: "X") }
        if check == 11 { return UInt8(ascii: "0") }
        return UInt8(ascii: "0") + UInt8(check)
    }

    /// GB 11714-1997, machine form, in the documented order.
    public static func organizationCode(_ bytes: [UInt8]) -> String? {
        if let violation = common(bytes) { return violation }
        if bytes.count != 9 { return "length" }
        if bytes.contains(where: isLower) { return "lowercase" }
        if !bytes[0..<8].allSatisfy({ organizationValue($0) != nil }) { return "format" }
        if !(isDigit(bytes[8]) || bytes[8] == UInt8(ascii: "X")) { return "check_char_format" }
        if bytes[8] != organizationCheck(bytes[0..<8]) { return "checksum" }
        if bytes[0..<3].elementsEqual("PDY".utf8) && bytes[3..<8].allSatisfy(isDigit)
            && !bytes[3..<8].allSatisfy({ $0 == UInt8(ascii: "0") }) {
            return "reserved_custom_range"
        }
        return nil
    }

    public static let creditAlphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY".utf8)

    /// GB 32100-2015, in the documented order.
    public static func creditCode(_ bytes: [UInt8], regions: RegionTable) -> String? {
        if let violation = common(bytes) { return violation }
        if bytes.count != 18 { return "length" }
        if bytes.contains(where: isLower) { return "lowercase" }
        if !bytes.allSatisfy({ creditAlphabet.contains($0) }) { return "format" }
        if !(isDigit(bytes[0]) && bytes[0] != UInt8(ascii: "0")) && !"ANY".utf8.contains(bytes[0]) {
            return "registration_authority"
        }
        if !bytes[2..<8].allSatisfy(isDigit) { return "division_format" }
        let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
        var sum = 0
        for index in 0..<17 { sum += creditAlphabet.firstIndex(of: bytes[index])! * weights[index] }
        let check = (31 - sum % 31) % 31
        if bytes[17] != creditAlphabet[check] { return "checksum" }
        if bytes[16] != organizationCheck(bytes[8..<16]) { return "org_code_checksum" }
        if !regions.contains(code: number(bytes, 2..<8)) { return "division_unknown" }
        return nil
    }
}
