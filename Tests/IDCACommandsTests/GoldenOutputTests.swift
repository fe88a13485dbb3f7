import Testing
@testable import IDCACommands
import IDCARules

/// Golden output: literal inputs, literal expected output, `--today 2026-11-29`.
///
/// The expected lines were checked against the independent Python implementation in
/// Tests/Reference (identity_rules.py), written from the issue text alone.
@Suite("Golden output")
struct GoldenOutputTests {
    // MARK: One mixed file, all three kinds

    /// Numbers of all three kinds and typical mistakes in one file. Line 5 ends in CRLF (the CR is
    /// dropped), line 31 in CR CR LF (one CR is left: whitespace), and the last line has no LF.
    static let mixedFile = """
        11010519491231002X
        D2143569X
        91350100M000100Y43
        110105491231002
        11010319800101011X\r
        PDY00001X
        91110105PDY00001XG

         11010519491231002X
        110105-19491231002X
        D2143569-X
        11010519491231002x
        d2143569X
        91350100m000100Y43
        １1010519491231002X
        \u{3000}
        11010520261130001X
        110105189912310031
        110105194902300020
        999999198001010118
        110105194912310021
        D21435691
        D2143569A
        D21435.9X
        91350100M000100Y44
        91350100M000100Y56
        91999999123456788P
        B1350100M000100Y43
        91A50100M000100Y43
        91350100M000100YI3
        11010519491231002X\r\r
        110105202611290018
        """

    static let mixedAsResidentIDs = """
        VALID
        INVALID:length
        INVALID:format
        INVALID:legacy_15
        VALID
        INVALID:length
        INVALID:format
        INVALID:empty
        INVALID:whitespace
        INVALID:separator
        INVALID:separator
        INVALID:lowercase_x
        INVALID:length
        INVALID:format
        INVALID:non_ascii
        INVALID:whitespace
        INVALID:birth_date_future
        INVALID:birth_date_too_early
        INVALID:birth_date
        INVALID:region_unknown
        INVALID:checksum
        INVALID:length
        INVALID:length
        INVALID:length
        INVALID:format
        INVALID:format
        INVALID:format
        INVALID:format
        INVALID:format
        INVALID:format
        INVALID:whitespace
        VALID

        """

    static let mixedAsOrganizationCodes = """
        INVALID:length
        VALID
        INVALID:length
        INVALID:length
        INVALID:length
        INVALID:reserved_custom_range
        INVALID:length
        INVALID:empty
        INVALID:whitespace
        INVALID:separator
        INVALID:separator
        INVALID:length
        INVALID:lowercase
        INVALID:length
        INVALID:non_ascii
        INVALID:whitespace
        INVALID:length
        INVALID:length
        INVALID:length
        INVALID:length
        INVALID:length
        INVALID:checksum
        INVALID:check_char_format
        INVALID:format
        INVALID:length
        INVALID:length
        INVALID:length
        INVALID:length
        INVALID:length
        INVALID:length
        INVALID:whitespace
        INVALID:length

        """

    static let mixedAsCreditCodes = """
        INVALID:checksum
        INVALID:length
        VALID
        INVALID:length
        INVALID:checksum
        INVALID:length
        VALID
        INVALID:empty
        INVALID:whitespace
        INVALID:separator
        INVALID:separator
        INVALID:lowercase
        INVALID:length
        INVALID:lowercase
        INVALID:non_ascii
        INVALID:whitespace
        INVALID:checksum
        INVALID:checksum
        INVALID:checksum
        INVALID:checksum
        INVALID:checksum
        INVALID:length
        INVALID:length
        INVALID:length
        INVALID:checksum
        INVALID:org_code_checksum
        INVALID:division_unknown
        INVALID:registration_authority
        INVALID:division_format
        INVALID:format
        INVALID:whitespace
        INVALID:org_code_checksum

        """

    /// One kind's expected output, named by the kind in test reports.
    struct Expectation: CustomTestStringConvertible, Sendable {
        let kind: Kind
        let output: String
        var testDescription: String { kind.rawValue }
    }

    static let mixedExpectations: [Expectation] = [
        Expectation(kind: .residentID, output: mixedAsResidentIDs),
        Expectation(kind: .organizationCode, output: mixedAsOrganizationCodes),
        Expectation(kind: .creditCode, output: mixedAsCreditCodes),
    ]

    @Test("mixed file through the idca binary", arguments: mixedExpectations)
    func mixedFileThroughBinary(_ expectation: Expectation) throws {
        let (kind, expected) = (expectation.kind, expectation.output)
        let run = try Idca.validate(kind.rawValue, stdin: Array(Self.mixedFile.utf8))
        #expect(run.output == expected, "\(run)")
        #expect(run.status == 1, "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
    }

    @Test("mixed file in process, with the default and the smallest line buffer", arguments: mixedExpectations)
    func mixedFileInProcess(_ expectation: Expectation) throws {
        let (kind, expected) = (expectation.kind, expectation.output)
        for capacity in [1 << 20, LineReader.minimumCapacity] {
            let result = try kind.reportStream(Array(Self.mixedFile.utf8), capacity: capacity)
            #expect(result.output == expected, "capacity \(capacity)")
            #expect(result.invalidCount == splitLines(expected).filter { $0 != "VALID" }.count)
        }
    }

    @Test("the mixed file's input really has the line endings the comments claim")
    func mixedFileShape() {
        let bytes = Array(Self.mixedFile.utf8)
        #expect(bytes.last == UInt8(ascii: "8"), "the last line must have no LF")
        #expect(bytes.filter { $0 == 0x0A }.count == 31)
        #expect(bytes.filter { $0 == 0x0D }.count == 3)
        #expect(splitLines(Self.mixedAsResidentIDs).count == 32)
    }

    // MARK: Every reason code of every kind, as the first failing rule

    /// (candidate, expected line) for resident IDs; every reason code appears at least once.
    static let residentIDTable: [(String, String)] = [
        ("11010519491231002X", "VALID"),
        ("110105202611290018", "VALID"),                     // born today
        ("110105190001010036", "VALID"),                     // born 1900-01-01
        ("110105200002290048", "VALID"),                     // 29 Feb of a leap century
        ("11010319800101011X", "VALID"),                     // historical code 110103 崇文区
        ("", "INVALID:empty"),
        (" 11010519491231002X", "INVALID:whitespace"),
        ("11010519491231002X\t", "INVALID:whitespace"),
        ("11010519491231002X\u{3000}", "INVALID:whitespace"),
        ("11010519491231002X\u{A0}", "INVALID:whitespace"),
        ("1101051949\u{2028}1231002X", "INVALID:whitespace"),
        (" -", "INVALID:whitespace"),                        // whitespace before separator
        ("１1010519491231002X", "INVALID:non_ascii"),
        ("\u{2014}-", "INVALID:non_ascii"),                  // non_ascii before separator
        ("110105-19491231002X", "INVALID:separator"),
        ("-", "INVALID:separator"),
        ("110105491231002", "INVALID:legacy_15"),
        ("11010549123100X", "INVALID:length"),               // 15 characters, not all digits
        ("11010519491231002", "INVALID:length"),
        ("1101051949123100200", "INVALID:length"),
        ("1101051949123100AX", "INVALID:format"),
        ("11010519491231002A", "INVALID:format"),
        ("abcdefghijklmnopqr", "INVALID:format"),
        ("11010519491231002x", "INVALID:lowercase_x"),
        ("110105194912310021", "INVALID:checksum"),
        ("110105194902300020", "INVALID:birth_date"),        // 30 February
        ("110105190002290041", "INVALID:birth_date"),        // 29 Feb 1900, not a leap year
        ("11010519801301011X", "INVALID:birth_date"),        // month 13
        ("110105198001000117", "INVALID:birth_date"),        // day 00
        ("11010520261130001X", "INVALID:birth_date_future"), // tomorrow
        ("110105189912310031", "INVALID:birth_date_too_early"),
        ("999999198001010118", "INVALID:region_unknown"),
    ]

    static let organizationCodeTable: [(String, String)] = [
        ("D2143569X", "VALID"),
        ("123456788", "VALID"),
        ("ABCDEFGH5", "VALID"),
        ("000000000", "VALID"),                              // 11 is written 0
        ("PDY000001", "VALID"),                              // PDY00000 is outside the reserved range
        ("PDYA00019", "VALID"),
        ("", "INVALID:empty"),
        (" D2143569X", "INVALID:whitespace"),
        ("D2143569X\u{2028}", "INVALID:whitespace"),
        ("Ｄ2143569X", "INVALID:non_ascii"),
        ("D2143569-X", "INVALID:separator"),
        ("d2143569-", "INVALID:separator"),                  // separator before lowercase
        ("D2143569", "INVALID:length"),
        ("D2143569X0", "INVALID:length"),
        ("d2143569X", "INVALID:lowercase"),
        ("D2143569x", "INVALID:lowercase"),                  // lowercase before check_char_format
        ("D21435.9X", "INVALID:format"),
        ("D2143569A", "INVALID:check_char_format"),
        ("D21435691", "INVALID:checksum"),
        ("PDY00001X", "INVALID:reserved_custom_range"),
        ("PDY999994", "INVALID:reserved_custom_range"),
    ]

    static let creditCodeTable: [(String, String)] = [
        ("91350100M000100Y43", "VALID"),
        ("911101051234567883", "VALID"),
        ("91110105PDY00001XG", "VALID"),                     // no reserved-range rule for the embedded code
        ("Y1110105PDY00001XT", "VALID"),
        ("A11101051234567882", "VALID"),
        ("N2440300D2143569XN", "VALID"),
        ("", "INVALID:empty"),
        (" 91350100M000100Y43", "INVALID:whitespace"),
        ("91350100M000100Y43\u{85}", "INVALID:whitespace"),
        ("91350100M000100Y4３", "INVALID:non_ascii"),
        ("91350100-M000100Y43", "INVALID:separator"),
        ("91350100M000100Y4", "INVALID:length"),
        ("91350100M000100Y430", "INVALID:length"),
        ("91350100m000100Y43", "INVALID:lowercase"),
        ("91350100m000100YI3", "INVALID:lowercase"),         // lowercase before format
        ("91350100M000100YI3", "INVALID:format"),
        ("I1350100M000100Y43", "INVALID:format"),            // format before registration_authority
        ("B1350100M000100Y43", "INVALID:registration_authority"),
        ("B1A50100M000100Y43", "INVALID:registration_authority"), // before division_format
        ("91A50100M000100Y43", "INVALID:division_format"),
        ("91350100M000100Y44", "INVALID:checksum"),
        ("91350100M000100Y56", "INVALID:org_code_checksum"),
        ("N2440300D21435690W", "INVALID:org_code_checksum"),
        ("91999999123456788P", "INVALID:division_unknown"),
    ]

    /// One kind's (candidate, expected line) rows, named by the kind in test reports.
    struct ReasonTable: CustomTestStringConvertible, Sendable {
        let kind: Kind
        let rows: [(String, String)]
        var testDescription: String { kind.rawValue }
    }

    static let tables: [ReasonTable] = [
        ReasonTable(kind: .residentID, rows: residentIDTable),
        ReasonTable(kind: .organizationCode, rows: organizationCodeTable),
        ReasonTable(kind: .creditCode, rows: creditCodeTable),
    ]

    static func allReasons(of kind: Kind) -> Set<String> {
        switch kind {
        case .residentID: Set(ResidentIDNumber.Violation.allCases.map(\.rawValue))
        case .organizationCode: Set(OrganizationCode.Violation.allCases.map(\.rawValue))
        case .creditCode: Set(CreditCode.Violation.allCases.map(\.rawValue))
        }
    }

    @Test("each table covers every reason code of its kind, and has valid cases", arguments: tables)
    func tableCoversEveryReason(_ reasonTable: ReasonTable) {
        let (kind, table) = (reasonTable.kind, reasonTable.rows)
        let reasons = Set(table.map(\.1).filter { $0 != "VALID" }.map { String($0.dropFirst("INVALID:".count)) })
        #expect(reasons == Self.allReasons(of: kind))
        #expect(table.contains { $0.1 == "VALID" })
    }

    @Test("reason table through the binary, standard input", arguments: tables)
    func tableThroughStandardInput(_ reasonTable: ReasonTable) throws {
        let (kind, table) = (reasonTable.kind, reasonTable.rows)
        let run = try Idca.validate(kind.rawValue, stdin: lfInput(table.map(\.0)))
        #expect(run.lines == table.map(\.1), "\(run)")
        #expect(run.output == lfText(table.map(\.1)))
        #expect(run.status == 1)
    }

    @Test("reason table through the binary, arguments (after --)", arguments: tables)
    func tableThroughArguments(_ reasonTable: ReasonTable) throws {
        let (kind, table) = (reasonTable.kind, reasonTable.rows)
        let run = try Idca.validate(kind.rawValue, ["--"] + table.map(\.0))
        #expect(run.lines == table.map(\.1), "\(run)")
        #expect(run.status == 1)
    }

    @Test("reason table in process agrees with the table and with the IDCARules API", arguments: tables)
    func tableInProcess(_ reasonTable: ReasonTable) throws {
        let (kind, table) = (reasonTable.kind, reasonTable.rows)
        let result = try kind.reportStream(lfInput(table.map(\.0)))
        #expect(result.output == lfText(table.map(\.1)))
        for (candidate, expected) in table {
            #expect(kind.verdict(Array(candidate.utf8)) == expected, "\(candidate.debugDescription)")
        }
    }

    @Test("each valid candidate alone exits 0; each invalid one alone exits 1", arguments: tables)
    func eachCandidateAlone(_ reasonTable: ReasonTable) throws {
        let (kind, table) = (reasonTable.kind, reasonTable.rows)
        // One process per row is slow-ish: the first valid row and every third distinct reason keep this quick.
        var seen: Set<String> = []
        var sample: [(String, String)] = []
        for row in table where seen.insert(row.1).inserted { sample.append(row) }
        sample = sample.enumerated().filter { $0.element.1 == "VALID" || $0.offset % 3 == 1 }.map(\.element)
        #expect(sample.count >= 4)
        for (candidate, expected) in sample {
            let run = try Idca.validate(kind.rawValue, ["--", candidate])
            #expect(run.output == expected + "\n", "\(candidate.debugDescription): \(run)")
            #expect(run.status == (expected == "VALID" ? 0 : 1), "\(candidate.debugDescription): \(run)")
        }
    }
}
