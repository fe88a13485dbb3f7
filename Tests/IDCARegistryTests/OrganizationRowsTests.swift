import IDCACore
@testable import IDCARegistry
import IDCARules
import Testing

@Suite("Organization extracts")
struct OrganizationRowsTests {
    static let header = "organization_code,credit_code,name,legal_representative,status\n"
    static let code = Fixtures.organizationCode("59876543")
    static let otherCode = Fixtures.organizationCode("12345678")
    static let credit = Fixtures.creditCode(embedding: code)

    static func row(code: String = code, credit: String = credit, name: String = "北京某某科技有限公司",
                    representative: String = "李四", status: String = "active") -> String {
        "\(code),\(credit),\(name),\(representative),\(status)"
    }

    // MARK: Headers

    @Test(arguments: [header, "\u{FEFF}" + header, header.replacingOccurrences(of: "\n", with: "\r\n")])
    func acceptsTheHeader(header: String) throws {
        let (records, report) = try Fixtures.organizations(header + Self.row() + "\n")
        #expect(records.count == 1)
        #expect(report.rejected.isEmpty)
    }

    @Test(arguments: [
        ("", RegistryImportError.emptyFile),
        ("organization_code,credit_code,name,status\n",
         .unexpectedHeader(found: ["organization_code", "credit_code", "name", "status"], expected: [OrganizationRowParser.header])),
        ("credit_code,organization_code,name,legal_representative,status\n",
         .unexpectedHeader(found: ["credit_code", "organization_code", "name", "legal_representative", "status"], expected: [OrganizationRowParser.header])),
        ("resident_id,name,status\n", .unexpectedHeader(found: ["resident_id", "name", "status"], expected: [OrganizationRowParser.header])),
        ("organization_code,credit_code,name,legal_representative,status,\n",
         .unexpectedHeader(found: ["organization_code", "credit_code", "name", "legal_representative", "status", "?"], expected: [OrganizationRowParser.header])),
    ])
    func refusesAnyOtherHeader(text: String, error: RegistryImportError) {
        #expect(throws: error) { try Fixtures.organizations(text) }
    }

    // MARK: Rows that are imported

    @Test(arguments: [
        // credit field, name field, representative field, status → stored credit, name, representative
        (credit, "北京某某科技有限公司", "李四", "active", credit as String?, "北京某某科技有限公司", "李四"),
        ("", "北京某某科技有限公司", "李四", "revoked", nil, "北京某某科技有限公司", "李四"),
        (credit, "北京某某科技有限公司", "李四", "cancelled", credit, "北京某某科技有限公司", "李四"),
        // Names are stored as written, only trimmed: full-width parentheses and inner spaces stay.
        (credit, "\" 北京某某（科技）有限公司 \"", "\" 李四 \"", "active", credit, "北京某某（科技）有限公司", "李四"),
        (credit, "北京 某某 科技", "艾力•买买提", "active", credit, "北京 某某 科技", "艾力•买买提"),
        (credit, "\u{3000}Acme (Beijing) Ltd.\u{3000}", "John Smith", "active", credit, "Acme (Beijing) Ltd.", "John Smith"),
        // 64 characters once whitespace is removed, as the organization rules count them.
        (credit, String(repeating: "某 ", count: 64), "李四", "active", credit, String(repeating: "某 ", count: 63) + "某", "李四"),
    ] as [(String, String, String, String, String?, String, String)])
    func importsValidRows(credit: String, name: String, representative: String, status: String,
                          storedCredit: String?, storedName: String, storedRepresentative: String) throws {
        let (records, report) = try Fixtures.organizations(
            Self.header + Self.row(credit: credit, name: name, representative: representative, status: status) + "\n")
        #expect(report == ImportReport(imported: 1, rejected: []))
        #expect(records == [OrganizationRecord(organizationCode: Self.code, creditCode: storedCredit, name: storedName,
                                               legalRepresentative: storedRepresentative, status: OrganizationStatus(rawValue: status)!)])
    }

    // MARK: Rows that are rejected

    static let organizationCodeCases: [(String, OrganizationCode.Violation)] = [
        ("", .empty),
        ("\" \(code)\"", .whitespace),
        ("５9876543\(code.suffix(1))", .nonASCII),
        ("59876543-\(code.suffix(1))", .separator),
        ("5987654", .length),
        ("5987654a3", .lowercase),
        ("5987654_3", .format),
        ("59876543A", .checkCharFormat),
        (String(code.prefix(8)) + (code.hasSuffix("0") ? "1" : "0"), .checksum),
        (Fixtures.organizationCode("PDY00001"), .reservedCustomRange),
    ]

    @Test func organizationCodeCasesCoverEveryRule() {
        #expect(Set(Self.organizationCodeCases.map(\.1)) == Set(OrganizationCode.Violation.allCases))
    }

    @Test(arguments: organizationCodeCases)
    func rejectsOrganizationCodesThatBreakARule(field: String, violation: OrganizationCode.Violation) throws {
        let (records, report) = try Fixtures.organizations(Self.header + Self.row() + "\n" + Self.row(code: field, credit: "") + "\n")
        #expect(records.count == 1)
        #expect(report.rejected == [RejectedRow(line: 3, reason: violation.rawValue, column: "organization_code")])
    }

    /// Every credit code rule but `empty`: an empty credit code is allowed (organizations registered before 2015).
    static let creditCodeCases: [(String, CreditCode.Violation)] = {
        let first17 = String(credit.prefix(17))
        let wrongCheck = CreditCode.alphabet.first { String($0) != String(credit.suffix(1)) }!
        func completed(_ first17: String) -> String { first17 + String(CreditCode.checkCharacter(forFirst17: first17)!) }
        return [
            ("\" \(credit)\"", .whitespace),
            ("９" + credit.dropFirst(), .nonASCII),
            ("91110105-" + credit.dropFirst(9), .separator),
            (String(credit.dropLast()), .length),
            (String(credit.dropLast()) + "x", .lowercase),
            ("9111010I" + credit.dropFirst(8), .format),
            ("B" + credit.dropFirst(), .registrationAuthority),
            ("911A0105" + credit.dropFirst(8), .divisionFormat),
            (first17 + String(wrongCheck), .checksum),
            (completed("91110105" + String(code.dropLast()) + (code.hasSuffix("0") ? "1" : "0")), .orgCodeChecksum),
            (completed("91000000" + code), .divisionUnknown),
        ]
    }()

    @Test func creditCodeCasesCoverEveryRuleButEmpty() {
        #expect(Set(Self.creditCodeCases.map(\.1)) == Set(CreditCode.Violation.allCases).subtracting([.empty]))
    }

    @Test(arguments: creditCodeCases)
    func rejectsCreditCodesThatBreakARule(field: String, violation: CreditCode.Violation) throws {
        let (records, report) = try Fixtures.organizations(Self.header + Self.row(code: Self.otherCode, credit: "") + "\n" + Self.row(credit: field) + "\n")
        #expect(records.count == 1)
        #expect(report.rejected == [RejectedRow(line: 3, reason: violation.rawValue, column: "credit_code")])
    }

    @Test(arguments: [
        (row(credit: Fixtures.creditCode(embedding: otherCode)), "organization_code_mismatch", "credit_code"),
        (row(name: ""), "name_invalid", "name"),
        (row(name: "\"  \""), "name_invalid", "name"),
        (row(name: String(repeating: "某", count: 65)), "name_invalid", "name"),
        (row(name: "某某\u{0007}公司"), "name_invalid", "name"),
        (row(representative: ""), "name_invalid", "legal_representative"),
        (row(representative: String(repeating: "李", count: 65)), "name_invalid", "legal_representative"),
        (row(representative: "李\u{200B}四"), "name_invalid", "legal_representative"),
        (row(status: "deceased"), "unknown_status", "status"),
        (row(status: "Active"), "unknown_status", "status"),
        (row(status: ""), "unknown_status", "status"),
        (row() + ",", "column_count", nil),
        ("\(code),\(credit),name,李四", "column_count", nil),
        ("\(code),\(credit),\"name,李四,active", "malformed_csv", nil),
    ] as [(String, String, String?)])
    func rejectsRowsWithAReasonAndColumn(row: String, reason: String, column: String?) throws {
        let (records, report) = try Fixtures.organizations(Self.header + Self.row(code: Self.otherCode, credit: "") + "\n" + row + "\n")
        #expect(records.count == 1)
        #expect(report.rejected == [RejectedRow(line: 3, reason: reason, column: column)])
    }

    @Test func rejectsLaterDuplicatesOfAnImportedCode() throws {
        let text = Self.header + [
            Self.row(), Self.row(code: Self.otherCode, credit: ""), Self.row(credit: "", status: "revoked"), Self.row(code: Self.otherCode, credit: ""),
        ].joined(separator: "\n") + "\n"
        let (records, report) = try Fixtures.organizations(text)
        #expect(records.map(\.organizationCode) == [Self.code, Self.otherCode])
        #expect(records.first?.status == .active)
        #expect(report.rejected == [4, 5].map { RejectedRow(line: $0, reason: "duplicate_row", column: "organization_code") })
    }
}
