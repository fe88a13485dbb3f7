import IDCARules
import Testing

@Suite("GB 32100 unified social credit codes")
struct CreditCodeTests {
    /// A valid code: registration authority 9, category 1, 朝阳区, organization code 123456788.
    static let example = creditCode("91110105123456788")

    static let firstFailingRule: [(String, CreditCode.Violation)] = [
        ("", .empty),
        (" 911101051234567883", .whitespace),
        ("９11101051234567883", .nonASCII),
        ("91110105-123456788", .separator),
        ("9111010512345678", .length),
        ("9111010512345678831", .length),
        ("91110105123456788a", .lowercase),
        ("9111010512345678!a", .lowercase),  // lowercase before format
        ("91110105123456788I", .format),
        ("91110105123456788O", .format),
        ("9111010512345678Z3", .format),
        ("9111010512345678S3", .format),
        ("V11101051234567883", .format),  // format before registration_authority
        ("911101051234567!83", .format),
        (creditCode("01110105123456788"), .registrationAuthority),
        (creditCode("B1110105123456788"), .registrationAuthority),
        (creditCode("M1110105123456788"), .registrationAuthority),
        ("B1A10105123456788X", .registrationAuthority),  // before division_format and checksum
        (creditCode("91A10105123456788"), .divisionFormat),
        ("91A101051234567880", .divisionFormat),  // division_format before checksum
        ("91110105123456788" + String(wrongCheck(CreditCode.checkCharacter(forFirst17: "91110105123456788")!)), .checksum),
        (creditCode("91110105123456789"), .orgCodeChecksum),  // 123456789 is not a valid organization code
        (creditCode("9111010512345678A"), .orgCodeChecksum),  // org check character must be 0-9 or X
        (creditCode("91000000123456789"), .orgCodeChecksum),  // org_code_checksum before division_unknown
        (creditCode("91000000123456788"), .divisionUnknown),
        (creditCode("91999999123456788"), .divisionUnknown),
    ]

    @Test(arguments: firstFailingRule)
    func reportsTheFirstFailingRule(input: String, expected: CreditCode.Violation) {
        #expect(CreditCode.violation(in: input, context: context) == expected)
        #expect(throws: expected) { try CreditCode(validating: input, context: context) }
    }

    static let valid: [String] = [
        example,
        creditCode("11110105123456788"),
        creditCode("A1110105123456788"),
        creditCode("N2110105123456788"),
        creditCode("Y1110105123456788"),
        creditCode("91110103123456788"),  // historical division (崇文区)
        creditCode("9133011300000000" + "0"),  // the all-zero organization code is valid
        creditCode("91110105MA01KK9Q" + String(OrganizationCode.checkCharacter(forBody: "MA01KK9Q")!)),
    ]

    @Test(arguments: valid)
    func acceptsValidCodes(input: String) throws {
        let code = try CreditCode(validating: input, context: context)
        #expect(code.canonical == input)
    }

    @Test func exposesItsParts() throws {
        let code = try CreditCode(validating: Self.example, context: context)
        #expect(code.registrationAuthority == "9")
        #expect(code.organizationCategory == "1")
        #expect(code.division.code == 110105)
        #expect(code.division.name == "朝阳区")
        #expect(code.organizationCode.canonical == "123456788")
        #expect(code.description == Self.example)
    }

    @Test func checkCharacterWritesThirtyOneAsZero() {
        // All-zero body: Σ = 0 → 31 − 0 = 31 → "0".
        #expect(CreditCode.checkCharacter(forFirst17: "00000000000000000") == "0")
        // "1" first weighs 1: Σ = 1 → 30 → "Y", the last letter of the alphabet.
        #expect(CreditCode.checkCharacter(forFirst17: "10000000000000000") == "Y")
        // Position 2 weighs 3: Σ = 3 → 28 → "W" (value 28: the alphabet skips I, O, S, V).
        #expect(CreditCode.checkCharacter(forFirst17: "01000000000000000") == "W")
        #expect(CreditCode.checkCharacter(forFirst17: "I0000000000000000") == nil)
    }

    @Test func alphabetLeavesOutMisreadableLetters() {
        #expect(CreditCode.alphabet.count == 31)
        for letter in "IOZSV" { #expect(!CreditCode.alphabet.contains(letter)) }
    }
}
