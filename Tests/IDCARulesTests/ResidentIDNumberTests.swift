import IDCARules
import Testing

@Suite("GB 11643 resident ID numbers")
struct ResidentIDNumberTests {
    /// Each row breaks the named rule and no earlier one; many break later rules too, which pins the order.
    static let firstFailingRule: [(String, ResidentIDNumber.Violation)] = [
        ("", .empty),
        (" ", .whitespace),
        ("11010519491231002X ", .whitespace),
        ("\t11010519491231002X", .whitespace),
        ("1101051949\u{3000}1231002X", .whitespace),
        ("11010519491231002X\u{00A0}", .whitespace),
        ("11010519491231\u{2028}002X", .whitespace),
        ("１ 2", .whitespace),  // whitespace is reported before non_ascii
        ("１１０１０５１９４９１２３１００２Ｘ", .nonASCII),
        ("11010519491231002Ｘ", .nonASCII),
        ("110105-1949１", .nonASCII),  // non_ascii before separator
        ("\u{FEFF}11010519491231002X", .nonASCII),  // a byte-order mark is not whitespace
        ("110105-19491231-002X", .separator),
        ("110105-49123100", .separator),  // separator before legacy_15 and length
        ("110105491231002", .legacy15),
        ("11010549123100X", .length),  // 15 characters but not 15 digits
        ("1101051949123100", .length),
        ("11010519491231002X1", .length),
        ("1", .length),
        ("1101051949123100AX", .format),
        ("11010519491231002Y", .format),
        ("A1010519491231002x", .format),  // format before lowercase_x
        ("11010519491231002x", .lowercaseX),
        ("11010519491231003x", .lowercaseX),  // lowercase_x before checksum
        ("110105194912310021", .checksum),
        ("11010519490229002" + String(wrongCheck(ResidentIDNumber.checkCharacter(forFirst17: "11010519490229002")!)), .checksum),  // checksum before birth_date
        (residentID("11010519490229002"), .birthDate),  // 1949 is not a leap year
        (residentID("11010519490001002"), .birthDate),
        (residentID("11010519491300002"), .birthDate),
        (residentID("11010519490100002"), .birthDate),
        (residentID("11010519490132002"), .birthDate),
        (residentID("11010519490431002"), .birthDate),
        (residentID("11010519000229002"), .birthDate),  // 1900: century not divisible by 400
        (residentID("11010520261130002"), .birthDateFuture),
        (residentID("00000020261130002"), .birthDateFuture),  // future before region_unknown
        (residentID("11010599991231002"), .birthDateFuture),
        (residentID("11010518991231002"), .birthDateTooEarly),
        (residentID("11010500000229002"), .birthDateTooEarly),  // year 0 is a leap year
        (residentID("00000019491231002"), .regionUnknown),
        (residentID("99999919491231002"), .regionUnknown),
        (residentID("11019919491231002"), .regionUnknown),
    ]

    @Test(arguments: firstFailingRule)
    func reportsTheFirstFailingRule(input: String, expected: ResidentIDNumber.Violation) {
        #expect(ResidentIDNumber.violation(in: input, context: context) == expected)
        #expect(throws: expected) { try ResidentIDNumber(validating: input, context: context) }
    }

    static let valid: [String] = [
        "11010519491231002X",  // the example of GB 11643
        residentID("11010520261129002"),  // born today
        residentID("11010519000101002"),  // the earliest accepted day
        residentID("11010520000229002"),  // 2000 is a leap year
        residentID("11010520240229002"),
        residentID("11010319800101001"),  // 崇文区, historical
        residentID("33011320210101001"),  // 临平区, created 2021
        residentID("83000019900101001"),  // Taiwan residents' residence permits
    ]

    @Test(arguments: valid)
    func acceptsValidNumbers(input: String) throws {
        #expect(ResidentIDNumber.violation(in: input, context: context) == nil)
        let number = try ResidentIDNumber(validating: input, context: context)
        #expect(number.canonical == input)
    }

    @Test func exposesTheFieldsOfAValidNumber() throws {
        let number = try ResidentIDNumber(validating: "11010519491231002X", context: context)
        #expect(number.canonical == "11010519491231002X")
        #expect(number.region.code == 110105)
        #expect(number.region.codeString == "110105")
        #expect(number.region.name == "朝阳区")
        #expect(number.region.status == .current)
        #expect(RegionTable.standard.province(containing: number.region.code)?.name == "北京市")
        #expect(number.birthDate == CivilDate(year: 1949, month: 12, day: 31))
        #expect(number.sequence == 2)
        #expect(number.sex == .female)
        let male = try ResidentIDNumber(validating: residentID("11010319800101001"), context: context)
        #expect(male.sex == .male)
        #expect(male.region.status == .historical)
        #expect(male.region.name == "崇文区")
    }

    @Test func neverPrintsTheFullNumber() throws {
        let number = try ResidentIDNumber(validating: "11010519491231002X", context: context)
        #expect(number.description == "110105********002X")
        #expect(number.masked == "110105********002X")
        #expect("\(number)" == "110105********002X")
        #expect(!String(reflecting: number).contains("19491231"))
        var dumped = ""
        dump(number, to: &dumped)
        #expect(!dumped.contains("19491231"))
        #expect(ResidentIDNumber.mask("12345") == "*****")
    }

    @Test func birthDateBoundariesFollowTheInjectedToday() {
        let number = residentID("11010520261129002")
        #expect(ResidentIDNumber.violation(in: number, context: context) == nil)
        let yesterday = ValidationContext(today: referenceToday.previous)
        #expect(ResidentIDNumber.violation(in: number, context: yesterday) == .birthDateFuture)
        let tomorrow = residentID("11010520261130002")
        #expect(ResidentIDNumber.violation(in: tomorrow, context: context) == .birthDateFuture)
        #expect(ResidentIDNumber.violation(in: tomorrow, context: ValidationContext(today: referenceToday.next)) == nil)
    }

    @Test func checkCharacterMapping() {
        // S mod 11 = 0…10 maps to 1 0 X 9 8 7 6 5 4 3 2; find a body for each remainder.
        let expected: [Character] = ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"]
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        for sequence in 0..<11 {
            let first17 = "110105194912310" + (sequence < 10 ? "0\(sequence)" : "10")
            let sum = zip(first17, weights).reduce(0) { $0 + $1.0.wholeNumberValue! * $1.1 }
            #expect(ResidentIDNumber.checkCharacter(forFirst17: first17) == expected[sum % 11])
        }
        #expect(ResidentIDNumber.checkCharacter(forFirst17: "1101051949123100") == nil)
        #expect(ResidentIDNumber.checkCharacter(forFirst17: "1101051949123100A") == nil)
    }

    @Test func upgradesLegacyNumbers() {
        #expect(ResidentIDNumber.upgrading(legacy: "110105491231002") == "11010519491231002X")
        #expect(ResidentIDNumber.upgrading(legacy: "11010549123100") == nil)
        #expect(ResidentIDNumber.upgrading(legacy: "11010549123100A") == nil)
        #expect(ResidentIDNumber.upgrading(legacy: "11010519491231002X") == nil)
        // The conversion only inserts and appends; the result is judged like any number.
        let impossible = ResidentIDNumber.upgrading(legacy: "110105491331002")!
        #expect(ResidentIDNumber.violation(in: impossible, context: context) == .birthDate)
    }
}
