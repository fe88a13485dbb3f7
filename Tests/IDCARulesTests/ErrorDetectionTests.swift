import IDCARules
import IDCASynthetic
import Testing

/// The check characters exist to catch the two commonest copying errors. MOD 11-2 (resident IDs)
/// and MOD 31 (credit codes) catch every single substitution and every adjacent transposition;
/// these tests prove it exhaustively on generated samples.
@Suite("Check characters catch copying errors")
struct ErrorDetectionTests {
    static let synthetic = SyntheticNumbers()
    static let everyASCIIPrintable = String((0x21...0x7E).map { Character(Unicode.Scalar(UInt8($0))) })

    @Test func residentIDCatchesEverySubstitutionAndTransposition() {
        var random = SeededGenerator(seed: 11643)
        let births = CivilDate(year: 1900, month: 1, day: 1)!...referenceToday
        var variantsChecked = 0
        for _ in 0..<300 {
            let number = Self.synthetic.residentID(bornIn: births, using: &random)
            #expect(ResidentIDNumber.violation(in: number, context: context) == nil)
            for corruption in Corruption.allCases {
                for variant in corruption.allVariants(of: number, alphabet: Self.everyASCIIPrintable) {
                    variantsChecked += 1
                    if ResidentIDNumber.violation(in: variant, context: context) == nil {
                        Issue.record("\(corruption) of a valid number was accepted: \(variant)")
                    }
                }
            }
        }
        #expect(variantsChecked > 300 * 18 * 90)
    }

    @Test func creditCodeCatchesEverySubstitutionAndTransposition() {
        var random = SeededGenerator(seed: 32100)
        for _ in 0..<300 {
            let code = Self.synthetic.creditCode(using: &random)
            #expect(CreditCode.violation(in: code, context: context) == nil)
            for corruption in Corruption.allCases {
                for variant in corruption.allVariants(of: code, alphabet: Self.everyASCIIPrintable) {
                    if CreditCode.violation(in: variant, context: context) == nil {
                        Issue.record("\(corruption) of a valid code was accepted: \(variant)")
                    }
                }
            }
        }
    }

    /// GB 11714's MOD 11 runs over values up to 35, so two characters whose values differ by 11
    /// or 22 (1/C, 2/D, A/L, …) weigh the same: the standard itself cannot catch those
    /// substitutions. Digit-for-digit substitutions and transpositions of digits are all caught.
    @Test func organizationCodeCatchesDigitErrors() {
        var random = SeededGenerator(seed: 11714)
        for _ in 0..<500 {
            let code = Self.synthetic.organizationCode(using: &random)
            for corruption in Corruption.allCases {
                for variant in corruption.allVariants(of: code, alphabet: "0123456789") {
                    let changed = zip(variant, code).filter { $0 != $1 }.flatMap { [$0, $1] }
                    guard changed.allSatisfy(\.isNumber) else { continue }
                    if OrganizationCode.violation(in: variant, context: context) == nil {
                        Issue.record("\(corruption) of \(code) was accepted: \(variant)")
                    }
                }
            }
        }
    }

    @Test func organizationCodeLimitIsTheStandardsNotOurs() {
        // 1 and C (value 12) differ by 11: the substitution keeps the weighted sum mod 11.
        let code = organizationCode("10000000")
        let variant = "C" + code.dropFirst()
        #expect(OrganizationCode.violation(in: code, context: context) == nil)
        #expect(OrganizationCode.violation(in: variant, context: context) == nil)
    }
}
