import IDCARules

/// Generators of valid identity numbers over real division codes.
///
/// The numbers are well-formed but invented: they are for tests, benchmarks and the demo
/// registry, and say nothing about real people or organizations.
public struct SyntheticNumbers: Sendable {
    public let regions: RegionTable
    /// County-level codes (current and historical), the level resident IDs are issued at.
    public let countyCodes: [Int]
    /// Current county-level codes, the level new credit codes are issued at.
    public let currentCountyCodes: [Int]

    public init(regions: RegionTable = .standard) {
        self.regions = regions
        countyCodes = regions.regions.filter { $0.code % 100 != 0 }.map(\.code)
        currentCountyCodes = regions.regions.filter { $0.code % 100 != 0 && $0.status == .current }.map(\.code)
    }

    /// A valid 18-character resident ID born in `births` (inclusive).
    public func residentID(
        bornIn births: ClosedRange<CivilDate>,
        using random: inout some RandomNumberGenerator
    ) -> String {
        let region = countyCodes.randomElement(using: &random)!
        let day = Int64.random(in: births.lowerBound.daysSinceUnixEpoch...births.upperBound.daysSinceUnixEpoch, using: &random)
        return residentID(region: region, birth: CivilDate(daysSinceUnixEpoch: day), sequence: Int.random(in: 0...999, using: &random))
    }

    /// The valid resident ID with these fields.
    public func residentID(region: Int, birth: CivilDate, sequence: Int) -> String {
        let first17 = digits(region, 6) + digits(birth.year, 4) + digits(birth.month, 2) + digits(birth.day, 2) + digits(sequence, 3)
        return first17 + String(ResidentIDNumber.checkCharacter(forFirst17: first17)!)
    }

    /// A valid organization code outside the reserved PDY range; mostly digits, as issued.
    public func organizationCode(using random: inout some RandomNumberGenerator) -> String {
        organizationCode(letters: Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"), using: &random)
    }

    private func organizationCode(letters: [Character], using random: inout some RandomNumberGenerator) -> String {
        while true {
            var body = ""
            // About one code in five carries letters in its body, as codes issued by some regions do.
            let alphabet = Int.random(in: 0..<5, using: &random) == 0 ? letters : Array(letters[0..<10])
            for _ in 0..<8 { body.append(alphabet.randomElement(using: &random)!) }
            if body.hasPrefix("PDY") { continue }
            return body + String(OrganizationCode.checkCharacter(forBody: body)!)
        }
    }

    /// A valid credit code embedding `organizationCode` (a fresh one when `nil`), which must then
    /// use only characters of the credit code alphabet.
    public func creditCode(organizationCode: String? = nil, using random: inout some RandomNumberGenerator) -> String {
        let authorities = Array("123456789ANY")
        let categories = Array("123459")
        // Codes issued since 2015 avoid I, O, S, V and Z so that they fit the credit code alphabet.
        let orgCode = organizationCode ?? self.organizationCode(letters: Array(CreditCode.alphabet), using: &random)
        let division = currentCountyCodes.randomElement(using: &random)!
        let first17 = String(authorities.randomElement(using: &random)!) + String(categories.randomElement(using: &random)!)
            + digits(division, 6) + orgCode
        return first17 + String(CreditCode.checkCharacter(forFirst17: first17)!)
    }

    private func digits(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
