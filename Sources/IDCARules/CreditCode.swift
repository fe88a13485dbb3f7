/// A unified social credit code under GB 32100-2015: registration authority, organization
/// category, division code, an embedded GB 11714 organization code, and a check character.
public struct CreditCode: IdentityNumber {
    /// Why a candidate is not a unified social credit code, in the order the rules are applied.
    public enum Violation: String, IdentityViolation {
        case empty
        case whitespace
        case nonASCII = "non_ascii"
        case separator
        case length
        case lowercase
        case format
        case registrationAuthority = "registration_authority"
        case divisionFormat = "division_format"
        case checksum
        case orgCodeChecksum = "org_code_checksum"
        case divisionUnknown = "division_unknown"

        public var message: String {
            switch self {
            case .empty: "The unified social credit code is empty."
            case .whitespace: "The credit code contains a space or other blank character; remove it."
            case .nonASCII: "The credit code contains a character that is not a plain digit or letter (for example a full-width character); type it with half-width characters."
            case .separator: "The credit code contains a hyphen; enter the 18 characters without separators."
            case .length: "A unified social credit code has exactly 18 characters."
            case .lowercase: "Letters in a credit code must be upper-case."
            case .format: "A credit code uses only digits and the upper-case letters A–Y except I, O, S, V and Z."
            case .registrationAuthority: "The first character (the registration authority) must be 1–9, A, N or Y."
            case .divisionFormat: "Characters 3–8 (the administrative division code) must be digits."
            case .checksum: "The check character does not match; please re-check the code."
            case .orgCodeChecksum: "Characters 9–17 are not a valid organization code: their check character does not match."
            case .divisionUnknown: "Characters 3–8 are not a known administrative division code."
            }
        }
    }

    public static var maximumLength: Int { 18 }

    /// The 31 characters of GB 32100, in value order; I, O, Z, S and V are left out as too easy to misread.
    public static let alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

    /// The 18 characters.
    public let canonical: String
    /// The division code in characters 3–8.
    public let division: Region
    /// The province-level division containing `division`, when the table has it.
    public let province: Region?

    /// Character 1, the registration authority: 1–9 for the registering departments (1 institutional
    /// establishment, 5 civil affairs, 9 industry and commerce, …), A for the Central Military
    /// Commission's establishment office, N for agriculture, Y for others.
    public var registrationAuthority: Character { canonical.first! }
    /// Character 2: the organization category within its registration authority.
    public var organizationCategory: Character { canonical[canonical.index(after: canonical.startIndex)] }
    /// Characters 9–17: the organization's GB 11714 code.
    public var organizationCode: OrganizationCode {
        OrganizationCode(validatedCanonical: String(canonical.dropFirst(8).prefix(9)))
    }

    public var description: String { canonical }

    public static func violation(in bytes: UnsafeBufferPointer<UInt8>, context: ValidationContext) -> Violation? {
        if let common = commonViolation(in: bytes) { return Violation(common) }
        guard bytes.count == 18 else { return .length }
        if bytes.contains(where: isASCIILowercase) { return .lowercase }

        // One pass over the alphabet lookup gives both the format verdict and the weighted sum.
        // Weights are 3^(i−1) mod 31, so Horner's rule from the right computes Σ vᵢ·wᵢ; the
        // sum stays below 30·3^17 and needs no mod inside the loop.
        let weighed: (sum: Int, checkValue: Int)? = alphabetValues.withUnsafeBufferPointer { values in
            // Reading the table through one local pointer keeps the loop free of per-character
            // global-access and bounds-check overhead (Docs/PERFORMANCE.md).
            func value(_ byte: UInt8) -> Int? {
                guard byte < 128 else { return nil }
                let value = values[Int(byte)]
                return value == 0xFF ? nil : Int(value)
            }
            var sum = 0
            var index = 16
            while index >= 0 {
                guard let value = value(bytes[index]) else { return nil }
                sum = sum &* 3 &+ value
                index -= 1
            }
            guard let checkValue = value(bytes[17]) else { return nil }
            return (sum, checkValue)
        }
        guard let (sum, checkValue) = weighed else { return .format }

        switch bytes[0] {
        case UInt8(ascii: "1")...UInt8(ascii: "9"), UInt8(ascii: "A"), UInt8(ascii: "N"), UInt8(ascii: "Y"): break
        default: return .registrationAuthority
        }
        for position in 2..<8 where !isASCIIDigit(bytes[position]) { return .divisionFormat }
        // C18 = 31 − (Σ mod 31), with 31 written 0.
        guard checkValue == (31 - sum % 31) % 31 else { return .checksum }
        guard OrganizationCode.hasValidCheckCharacter(bytes, offset: 8) else { return .orgCodeChecksum }
        guard context.regions.contains(code: ResidentIDNumber.number(bytes, 2, 6)) else { return .divisionUnknown }
        return nil
    }

    public init(uncheckedValidBytes bytes: UnsafeBufferPointer<UInt8>, context: ValidationContext) {
        canonical = String(decoding: bytes, as: UTF8.self)
        // Force-unwrap is safe: `violation(in:context:)` checked the code is in this table.
        division = context.regions.region(code: ResidentIDNumber.number(bytes, 2, 6))!
        province = context.regions.province(containing: division.code)
    }

    /// The check character for the first 17 characters, or `nil` if they are not 17 characters of the alphabet.
    public static func checkCharacter(forFirst17 text: some StringProtocol) -> Character? {
        let bytes = Array(text.utf8)
        guard bytes.count == 17 else { return nil }
        var sum = 0
        for byte in bytes.reversed() {
            guard let value = value(of: byte) else { return nil }
            sum = sum * 3 + Int(value)
        }
        let check = (31 - sum % 31) % 31
        return alphabet[alphabet.index(alphabet.startIndex, offsetBy: check)]
    }

    /// The value of a character: its index in `alphabet`, or `nil` outside it.
    @inlinable
    static func value(of byte: UInt8) -> UInt8? {
        guard byte < 128 else { return nil }
        let value = alphabetValues[Int(byte)]
        return value == 0xFF ? nil : value
    }

    @usableFromInline
    static let alphabetValues: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 128)
        for (value, byte) in alphabet.utf8.enumerated() { table[Int(byte)] = UInt8(value) }
        return table
    }()
}

extension OrganizationCode {
    /// Wraps a code already known to be valid, such as characters 9–17 of a valid credit code.
    init(validatedCanonical: String) {
        self.canonical = validatedCanonical
    }
}
