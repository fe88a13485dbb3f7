import IDCARules
import Testing

@Suite("GB 11714 organization codes")
struct OrganizationCodeTests {
    static let firstFailingRule: [(String, OrganizationCode.Violation)] = [
        ("", .empty),
        ("12345678 8", .whitespace),
        ("12345678\u{3000}", .whitespace),
        ("１23456788", .nonASCII),
        ("１2345678-8", .nonASCII),
        ("12345678-8", .separator),
        ("1234-5678", .separator),
        ("12345678", .length),
        ("1234567888", .length),
        ("a23456788", .lowercase),
        ("12345678x", .lowercase),  // lowercase before check_char_format
        ("a234567!8", .lowercase),  // lowercase before format
        ("1234567!8", .format),
        ("1234567!A", .format),  // format before check_char_format
        ("12345678A", .checkCharFormat),
        ("12345678Y", .checkCharFormat),
        ("123456789", .checksum),
        ("12345678X", .checksum),
        (organizationCode("PDY00001"), .reservedCustomRange),
        (organizationCode("PDY99999"), .reservedCustomRange),
        (organizationCode("PDY12345"), .reservedCustomRange),
    ]

    @Test(arguments: firstFailingRule)
    func reportsTheFirstFailingRule(input: String, expected: OrganizationCode.Violation) {
        #expect(OrganizationCode.violation(in: input, context: context) == expected)
        #expect(throws: expected) { try OrganizationCode(validating: input, context: context) }
    }

    static let valid: [String] = [
        "123456788",
        organizationCode("PDY00000"),  // just outside the reserved range
        organizationCode("PDY0000A"),
        organizationCode("PDZ00001"),
        organizationCode("MA01ZZ9Q"),
        organizationCode("00000000"),
    ]

    @Test(arguments: valid)
    func acceptsValidCodes(input: String) throws {
        let code = try OrganizationCode(validating: input, context: context)
        #expect(code.canonical == input)
        #expect(code.display == "\(input.prefix(8))-\(input.suffix(1))")
    }

    @Test func checkCharacterWritesTenAsXAndElevenAsZero() {
        // Σ = 3·1 + 7·0 … : body "10000000" gives Σ = 3, C9 = 8.
        #expect(OrganizationCode.checkCharacter(forBody: "10000000") == "8")
        // Σ = 0 → 11 → "0".
        #expect(OrganizationCode.checkCharacter(forBody: "00000000") == "0")
        // Σ = 1 → 10 → "X": 3·4 + 7·… — body "40000000" gives Σ = 12 ≡ 1.
        #expect(OrganizationCode.checkCharacter(forBody: "40000000") == "X")
        // Letters count 10…35: A in the last place weighs 2·10 = 20 ≡ 9 → C9 = 2.
        #expect(OrganizationCode.checkCharacter(forBody: "0000000A") == "2")
        #expect(OrganizationCode.checkCharacter(forBody: "0000000a") == nil)
        #expect(OrganizationCode.checkCharacter(forBody: "0000000") == nil)
    }
}
