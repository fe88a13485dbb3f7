import IDCARules
import IDCASynthetic
import Testing

/// Generated valid numbers validate and report the fields they were built from; mutated ones don't.
@Suite("Generated numbers")
struct PropertyTests {
    static let synthetic = SyntheticNumbers()

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func generatedResidentIDsValidateWithTheirFields(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        for _ in 0..<2_000 {
            let region = Self.synthetic.countyCodes.randomElement(using: &random)!
            let day = Int64.random(in: CivilDate.earliestBirthDate.daysSinceUnixEpoch...referenceToday.daysSinceUnixEpoch, using: &random)
            let birth = CivilDate(daysSinceUnixEpoch: day)
            let sequence = Int.random(in: 0...999, using: &random)
            let text = Self.synthetic.residentID(region: region, birth: birth, sequence: sequence)
            let number = try ResidentIDNumber(validating: text, context: context)
            #expect(number.region.code == region)
            #expect(number.birthDate == birth)
            #expect(number.sequence == sequence)
            #expect(number.sex == (sequence % 2 == 1 ? .male : .female))
            #expect(number.masked.count == 18)
            #expect(!number.masked.contains(String(text.dropFirst(6).prefix(8))))
        }
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func mutatedNumbersAreRejected(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let births = CivilDate.earliestBirthDate...referenceToday
        for _ in 0..<2_000 {
            let resident = Self.synthetic.residentID(bornIn: births, using: &random)
            let credit = Self.synthetic.creditCode(using: &random)
            let organization = Self.synthetic.organizationCode(using: &random)
            #expect(ResidentIDNumber.violation(in: resident, context: context) == nil)
            #expect(CreditCode.violation(in: credit, context: context) == nil)
            #expect(OrganizationCode.violation(in: organization, context: context) == nil)

            // Each mutation below must be refused, with the reason its rule gives.
            #expect(ResidentIDNumber.violation(in: resident.lowercased().dropLast() + "x", context: context) == .lowercaseX)
            #expect(ResidentIDNumber.violation(in: " " + resident, context: context) == .whitespace)
            #expect(ResidentIDNumber.violation(in: resident.dropLast(), context: context) == .length)
            #expect(ResidentIDNumber.violation(in: String(resident.prefix(6)) + "-" + resident.dropFirst(6), context: context) == .separator)
            #expect(CreditCode.violation(in: credit.lowercased(), context: context) == (credit.contains(where: \.isLetter) ? .lowercase : nil))
            #expect(CreditCode.violation(in: credit + "0", context: context) == .length)
            #expect(OrganizationCode.violation(in: organization.prefix(8) + "-" + organization.suffix(1), context: context) == .separator)
            let fullWidth = String(organization.unicodeScalars.map { Character(Unicode.Scalar($0.value + 0xFEE0)!) })
            #expect(OrganizationCode.violation(in: fullWidth, context: context) == .nonASCII)
        }
    }
}
