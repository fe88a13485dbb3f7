import IDCACore
@testable import IDCARegistry
import IDCARules
import Testing

@Suite("Resident extracts")
struct ResidentRowsTests {
    static let header = "resident_id,name,status\n"
    static let headerWithPhone = "resident_id,name,status,phone\n"

    // MARK: Headers

    @Test(arguments: [
        "resident_id,name,status\n", "resident_id,name,status,phone\n", "\u{FEFF}resident_id,name,status\r\n",
        "\"resident_id\",\"name\",status\n", "\nresident_id,name,status\n",
    ])
    func acceptsTheTwoHeaders(header: String) throws {
        let phone = header.hasSuffix("phone\n") ? "," : ""
        let (records, report) = try Fixtures.residents(header + "\(Fixtures.residentID),张三,active\(phone)\n")
        #expect(records.count == 1)
        #expect(report.rejected.isEmpty)
    }

    @Test(arguments: [
        ("", RegistryImportError.emptyFile),
        ("\n\r\n", .emptyFile),
        ("resident_id,name\n", .unexpectedHeader(found: ["resident_id", "name"], expected: [ResidentRowParser.header, ResidentRowParser.headerWithPhone])),
        ("resident_id,name,status,phone,email\n",
         .unexpectedHeader(found: ["resident_id", "name", "status", "phone", "email"], expected: [ResidentRowParser.header, ResidentRowParser.headerWithPhone])),
        ("name,resident_id,status\n", .unexpectedHeader(found: ["name", "resident_id", "status"], expected: [ResidentRowParser.header, ResidentRowParser.headerWithPhone])),
        ("resident_id, name,status\n", .unexpectedHeader(found: ["resident_id", "?", "status"], expected: [ResidentRowParser.header, ResidentRowParser.headerWithPhone])),
        ("Resident_ID,name,status\n", .unexpectedHeader(found: ["?", "name", "status"], expected: [ResidentRowParser.header, ResidentRowParser.headerWithPhone])),
        // A file without a header: the first row's personal data is not repeated in the error.
        ("11010519491231002X,张三,active\n11010519491231002X,张三,active\n", .unexpectedHeader(found: ["?", "?", "active"], expected: [ResidentRowParser.header, ResidentRowParser.headerWithPhone])),
        ("organization_code,credit_code,name,legal_representative,status\n",
         .unexpectedHeader(found: OrganizationRowParser.header, expected: [ResidentRowParser.header, ResidentRowParser.headerWithPhone])),
        ("\"resident_id,name,status\n", .malformedHeader(CSVReader.Malformation(line: 1, problem: .unterminatedQuote))),
        ("resident_id,na\"me,status\n", .malformedHeader(CSVReader.Malformation(line: 1, problem: .quoteInUnquotedField))),
    ])
    func refusesAnyOtherHeader(text: String, error: RegistryImportError) {
        #expect(throws: error) { try Fixtures.residents(text) }
    }

    @Test func headerErrorsExplainTheExpectedLayout() {
        let error = RegistryImportError.unexpectedHeader(found: ["id", "?"], expected: [ResidentRowParser.header, ResidentRowParser.headerWithPhone])
        #expect(error.description == "the header must be exactly `resident_id,name,status` or `resident_id,name,status,phone`; found `id,?`")
    }

    // MARK: Rows that are imported

    @Test(arguments: [
        // ID, name field, status, phone field → stored name, stored phone.
        ("active", "张三", "", "张三", nil as String?),
        ("deceased", "张三", "13800138000", "张三", "13800138000"),
        ("cancelled", "张三", "19912345678", "张三", "19912345678"),
        // Names are normalized: trimmed, middle dots unified (艾力•买买提 → 艾力·买买提), NFC.
        ("active", "\" 张三 \"", "", "张三", nil),
        ("active", "艾力•买买提", "", "艾力·买买提", nil),
        ("active", "艾力・买买提", "", "艾力·买买提", nil),
        ("active", "Zhang San", "", "Zhang San", nil),
        ("active", "Jose\u{0301}", "", "Jos\u{00E9}", nil),
        ("active", "\u{3000}李四\u{3000}", "", "李四", nil),
        ("active", String(repeating: "张", count: 64), "", String(repeating: "张", count: 64), nil),
    ])
    func importsValidRows(status: String, nameField: String, phoneField: String, storedName: String, storedPhone: String?) throws {
        let (records, report) = try Fixtures.residents(Self.headerWithPhone + "\(Fixtures.residentID),\(nameField),\(status),\(phoneField)\n")
        #expect(report == ImportReport(imported: 1, rejected: []))
        let record = try #require(records.first)
        #expect(record.residentIDHash == Fixtures.residentID)
        #expect(record.nameHash == storedName)
        #expect(record.status.rawValue == status)
        #expect(record.regionCode == 110105)
        #expect(record.sealedPhone == storedPhone.map { Array($0.utf8) })
    }

    @Test func importsRowsWithoutAPhoneColumn() throws {
        let rows = try Fixtures.residentParser.rows(from: CSVReader(bytes: Array((Self.header + "\(Fixtures.residentID),张三,active\n").utf8)))
        #expect(!rows.hasPhoneColumn)
        let records = Array(rows)
        #expect(records.count == 1)
        #expect(records.first?.sealedPhone == nil)
    }

    // MARK: Rows that are rejected

    /// Every identity rule, each broken by an otherwise valid row.
    static let identityCases: [(String, ResidentIDNumber.Violation)] = [
        ("", .empty),
        ("\" 11010519491231002X\"", .whitespace),
        ("１1010519491231002X", .nonASCII),
        ("110105-19491231002X", .separator),
        ("110105491231002", .legacy15),
        ("1101051949123100", .length),
        ("11010519491231002A", .format),
        ("11010519491231002x", .lowercaseX),
        ("110105194912310021", .checksum),
        (Fixtures.residentID("11010519491331002"), .birthDate),
        (Fixtures.residentID("11010520991231002"), .birthDateFuture),
        (Fixtures.residentID("11010518991231002"), .birthDateTooEarly),
        (Fixtures.residentID("00000019491231002"), .regionUnknown),
    ]

    @Test func identityCasesCoverEveryRule() {
        #expect(Set(Self.identityCases.map(\.1)) == Set(ResidentIDNumber.Violation.allCases))
    }

    @Test(arguments: identityCases)
    func rejectsIDsThatBreakAnIdentityRule(id: String, violation: ResidentIDNumber.Violation) throws {
        let (records, report) = try Fixtures.residents(Self.header + "\(Fixtures.residentID),张三,active\n\(id),李四,active\n")
        #expect(records.count == 1)
        #expect(report.rejected == [RejectedRow(line: 3, reason: violation.rawValue, column: "resident_id")])
    }

    @Test(arguments: [
        // name field → reason, column
        ("\(Fixtures.residentID),,active,", "name_invalid", "name"),
        ("\(Fixtures.residentID),\"   \",active,", "name_invalid", "name"),
        ("\(Fixtures.residentID),\(String(repeating: "张", count: 65)),active,", "name_invalid", "name"),
        ("\(Fixtures.residentID),张\u{0007}三,active,", "name_invalid", "name"),
        ("\(Fixtures.residentID),张\u{200B}三,active,", "name_invalid", "name"),
        ("\(Fixtures.residentID),\"张\n三\",active,", "name_invalid", "name"),
        ("\(Fixtures.residentID),张三,Active,", "unknown_status", "status"),
        ("\(Fixtures.residentID),张三,active ,", "unknown_status", "status"),
        ("\(Fixtures.residentID),张三,,", "unknown_status", "status"),
        ("\(Fixtures.residentID),张三,revoked,", "unknown_status", "status"),
        ("\(Fixtures.residentID),张三,active,1380013800", "phone_invalid", "phone"),
        ("\(Fixtures.residentID),张三,active,138001380000", "phone_invalid", "phone"),
        ("\(Fixtures.residentID),张三,active,23800138000", "phone_invalid", "phone"),
        ("\(Fixtures.residentID),张三,active,1380013800a", "phone_invalid", "phone"),
        ("\(Fixtures.residentID),张三,active,+8613800138000", "phone_invalid", "phone"),
        ("\(Fixtures.residentID),张三,active, 13800138000", "phone_invalid", "phone"),
        ("\(Fixtures.residentID),张三,active,１３８００１３８０００", "phone_invalid", "phone"),
        ("\(Fixtures.residentID),张三,active", "column_count", nil),
        ("\(Fixtures.residentID),张三,active,13800138000,extra", "column_count", nil),
        ("\(Fixtures.residentID)", "column_count", nil),
        ("\(Fixtures.residentID),张\"三,active,", "malformed_csv", nil),
    ] as [(String, String, String?)])
    func rejectsRowsWithAReasonAndColumn(row: String, reason: String, column: String?) throws {
        let valid = "\(Fixtures.residentID),张三,active,"
        let (records, report) = try Fixtures.residents(Self.headerWithPhone + "\(valid)\n\(row)\n")
        // The valid row is line 2; the rejected one (a different ID would be needed to import it too) line 3.
        #expect(records.count == 1)
        #expect(report.rejected == [RejectedRow(line: 3, reason: reason, column: column)])
    }

    @Test func rejectsInvalidUTF8Rows() throws {
        let bytes = Array((Self.header + "\(Fixtures.residentID),").utf8) + [0xE5, 0xBC] + Array(",active\n".utf8)
        let rows = try Fixtures.residentParser.rows(from: CSVReader(bytes: bytes))
        #expect(Array(rows).isEmpty)
        #expect(rows.report.rejected == [RejectedRow(line: 2, reason: "malformed_csv", column: nil)])
    }

    @Test func rejectsLaterDuplicatesOfAnImportedID() throws {
        let other = Fixtures.residentID("11010519800101001")
        let text = Self.header + """
            \(Fixtures.residentID),张三,active
            \(other),李四,active
            \(Fixtures.residentID),张三,deceased
            \(other),李四,active
            \(Fixtures.residentID),王五,cancelled

            """
        let (records, report) = try Fixtures.residents(text)
        #expect(records.map(\.residentIDHash) == [Fixtures.residentID, other])
        #expect(records.first?.status == .active)
        #expect(report.rejected == [3, 4, 5].map { RejectedRow(line: $0 + 1, reason: "duplicate_row", column: "resident_id") })
    }

    @Test func aRejectedRowDoesNotMakeALaterValidRowADuplicate() throws {
        // Line 2 is refused for its status, so line 3 is the first valid row with that ID.
        let text = Self.header + "\(Fixtures.residentID),张三,alive\n\(Fixtures.residentID),张三,active\n"
        let (records, report) = try Fixtures.residents(text)
        #expect(records.count == 1)
        #expect(report.rejected == [RejectedRow(line: 2, reason: "unknown_status", column: "status")])
    }

    @Test func reportsEachRejectWithTheLineItStartsOn() throws {
        let text = Self.headerWithPhone + """
            \(Fixtures.residentID),"张
            三",active,
            110105194912310021,李四,active,
            \(Fixtures.residentID("11010519800101001")),"王,五",active,123
            \(Fixtures.residentID("11010519800101002")),"赵
            六",active,
            \(Fixtures.residentID("11010519800101003")),"钱 七",active,
            bad"quote,x,y,z
            \(Fixtures.residentID("11010519800101004")),孙八,gone,

            """
        let (records, report) = try Fixtures.residents(text)
        #expect(records.map(\.nameHash) == ["钱 七"])
        #expect(report.imported == 1)
        #expect(report.rejected == [
            RejectedRow(line: 2, reason: "name_invalid", column: "name"),
            RejectedRow(line: 4, reason: "checksum", column: "resident_id"),
            RejectedRow(line: 5, reason: "phone_invalid", column: "phone"),
            RejectedRow(line: 6, reason: "name_invalid", column: "name"),
            RejectedRow(line: 9, reason: "malformed_csv", column: nil),
            RejectedRow(line: 10, reason: "unknown_status", column: "status"),
        ])
        #expect(report.rejectCounts == ["name_invalid": 2, "checksum": 1, "phone_invalid": 1, "malformed_csv": 1, "unknown_status": 1])
    }

    @Test func theImportsOwnReasonCodesAreFrozen() {
        #expect(RejectedRow.Reason.allCases.map(\.rawValue) == [
            "malformed_csv", "column_count", "name_invalid", "unknown_status", "phone_invalid", "duplicate_row",
            "organization_code_mismatch",
        ])
    }
}
