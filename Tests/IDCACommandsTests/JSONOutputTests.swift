import Foundation
import Testing
@testable import IDCACommands
import IDCARules

/// `idca validate --json`: one JSON object per input line, with the details of valid numbers.
@Suite("--json output")
struct JSONOutputTests {
    /// Parses one output line as a JSON object, recording an issue if it is not one.
    static func object(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String: Any]? {
        let parsed = try? JSONSerialization.jsonObject(with: Data(line.utf8))
        let object = parsed as? [String: Any]
        #expect(object != nil, "not a JSON object: \(line)", sourceLocation: sourceLocation)
        return object
    }

    static func jsonRun(_ kind: String, _ values: [String], flags: [String] = []) throws -> (Idca.Run, [[String: Any]]) {
        let run = try Idca.validate(kind, ["--"] + values, flags: ["--json"] + flags)
        #expect(run.lines.count == values.count, "\(run)")
        return (run, run.lines.compactMap { object($0) })
    }

    // MARK: Resident ID

    @Test("a valid resident ID: canonical, masked, region, province, birth date, sex")
    func validResidentID() throws {
        let (run, objects) = try Self.jsonRun("resident-id", ["11010519491231002X"])
        #expect(run.status == 0)
        let object = try #require(objects.first)
        #expect(Set(object.keys) == ["valid", "canonical", "masked", "region_code", "region_name", "region_status", "province", "birth_date", "sex"])
        #expect(object["valid"] as? Bool == true)
        #expect(object["canonical"] as? String == "11010519491231002X")
        #expect(object["masked"] as? String == "110105********002X")
        #expect(object["region_code"] as? String == "110105")
        #expect(object["region_name"] as? String == "朝阳区")
        #expect(object["region_status"] as? String == "current")
        #expect(object["province"] as? String == "北京市")
        #expect(object["birth_date"] as? String == "1949-12-31")
        #expect(object["sex"] as? String == "female")
        // The literal line: one compact object, booleans as JSON true, not strings or numbers.
        #expect(run.output == """
            {"valid":true,"canonical":"11010519491231002X","masked":"110105********002X","region_code":"110105",\
            "region_name":"朝阳区","region_status":"current","province":"北京市","birth_date":"1949-12-31","sex":"female"}

            """)
    }

    @Test("a historical region and a male sequence number")
    func historicalRegionMale() throws {
        let (run, objects) = try Self.jsonRun("resident-id", ["11010319800101011X"])
        #expect(run.status == 0)
        let object = try #require(objects.first)
        #expect(object["canonical"] as? String == "11010319800101011X")
        #expect(object["masked"] as? String == "110103********011X")
        #expect(object["region_code"] as? String == "110103")
        #expect(object["region_name"] as? String == "崇文区")
        #expect(object["region_status"] as? String == "historical")
        #expect(object["province"] as? String == "北京市")
        #expect(object["birth_date"] as? String == "1980-01-01")
        #expect(object["sex"] as? String == "male")
    }

    @Test("the details agree with the IDCARules API for other regions")
    func detailsAgreeWithAPI() throws {
        let values = ["110105202611290018", "110105190001010036", "110105200002290048"]
        let (_, objects) = try Self.jsonRun("resident-id", values)
        for (value, object) in zip(values, objects) {
            let number = try ResidentIDNumber(validating: value, context: testContext)
            #expect(object["canonical"] as? String == number.canonical)
            #expect(object["masked"] as? String == number.masked)
            #expect(object["region_code"] as? String == number.region.codeString)
            #expect(object["region_name"] as? String == number.region.name)
            #expect(object["birth_date"] as? String == number.birthDate.description)
            #expect(object["sex"] as? String == number.sex.rawValue)
        }
        #expect(objects.map { $0["birth_date"] as? String } == ["2026-11-29", "1900-01-01", "2000-02-29"])
        #expect(objects.map { $0["sex"] as? String } == ["male", "male", "female"])
    }

    @Test("an invalid resident ID: valid false, the reason code and its message, nothing else")
    func invalidResidentID() throws {
        let (run, objects) = try Self.jsonRun("resident-id", ["110105194912310021"])
        #expect(run.status == 1)
        let object = try #require(objects.first)
        #expect(Set(object.keys) == ["valid", "reason", "message"])
        #expect(object["valid"] as? Bool == false)
        #expect(object["reason"] as? String == "checksum")
        #expect(object["message"] as? String == "The check character does not match; please re-check the number.")
        #expect(run.output.hasPrefix("{\"valid\":false,\"reason\":\"checksum\",\"message\":"))
        // No trace of the rejected number in the output.
        #expect(!run.output.contains("110105194912310021"))
    }

    // MARK: Every verdict of every kind, in JSON

    @Test("every row of the golden tables: JSON agrees with text mode, messages come from the API",
          arguments: GoldenOutputTests.tables)
    func everyReasonAsJSON(_ table: GoldenOutputTests.ReasonTable) throws {
        let values = table.rows.map(\.0)
        let (run, objects) = try Self.jsonRun(table.kind.rawValue, values)
        #expect(run.status == 1)
        #expect(objects.count == values.count)
        for ((value, expected), object) in zip(table.rows, objects) {
            if expected == "VALID" {
                #expect(object["valid"] as? Bool == true, "\(value.debugDescription)")
                #expect(object["canonical"] as? String == value)
                #expect(object["reason"] == nil)
            } else {
                let reason = String(expected.dropFirst("INVALID:".count))
                #expect(object["valid"] as? Bool == false, "\(value.debugDescription)")
                #expect(object["reason"] as? String == reason, "\(value.debugDescription)")
                #expect(object["message"] as? String == Self.message(table.kind, reason), "\(value.debugDescription)")
                #expect(Set(object.keys) == ["valid", "reason", "message"])
            }
        }
    }

    static func message(_ kind: Kind, _ reason: String) -> String? {
        switch kind {
        case .residentID: ResidentIDNumber.Violation(rawValue: reason)?.message
        case .organizationCode: OrganizationCode.Violation(rawValue: reason)?.message
        case .creditCode: CreditCode.Violation(rawValue: reason)?.message
        }
    }

    @Test("JSON from standard input equals JSON from arguments, one object per line", arguments: GoldenOutputTests.tables)
    func standardInputAsJSON(_ table: GoldenOutputTests.ReasonTable) throws {
        let values = table.rows.map(\.0)
        let fromStdin = try Idca.validate(table.kind.rawValue, flags: ["--json"], stdin: lfInput(values))
        let fromArguments = try Idca.validate(table.kind.rawValue, ["--"] + values, flags: ["--json"])
        #expect(fromStdin.stdout == fromArguments.stdout)
        #expect(fromStdin.lines.count == values.count)
        #expect(fromStdin.lines.allSatisfy { $0.hasPrefix("{") && $0.hasSuffix("}") })
        // The in-process report prints the same bytes.
        let inProcess = try table.kind.reportStream(lfInput(values), json: true)
        #expect(inProcess.output == fromStdin.output)
    }

    @Test("all valid in JSON mode exits 0; empty input prints nothing", arguments: Kind.allCases)
    func exitStatusInJSONMode(kind: Kind) throws {
        let valid = ["resident-id": "11010519491231002X", "organization-code": "D2143569X", "credit-code": "91350100M000100Y43"][kind.rawValue]!
        let run = try Idca.validate(kind.rawValue, [valid, valid], flags: ["--json"])
        #expect(run.status == 0, "\(run)")
        #expect(run.lines.count == 2)
        let empty = try Idca.validate(kind.rawValue, flags: ["--json"], stdin: [])
        #expect(empty.status == 0 && empty.stdout.isEmpty, "\(empty)")
    }

    // MARK: Organization code and credit code

    @Test("a valid organization code: canonical and display form")
    func validOrganizationCode() throws {
        let (run, objects) = try Self.jsonRun("organization-code", ["D2143569X", "000000000"])
        #expect(run.status == 0)
        #expect(run.output == """
            {"valid":true,"canonical":"D2143569X","display":"D2143569-X"}
            {"valid":true,"canonical":"000000000","display":"00000000-0"}

            """)
        #expect(objects.map { Set($0.keys) } == [["valid", "canonical", "display"], ["valid", "canonical", "display"]])
    }

    @Test("an invalid organization code")
    func invalidOrganizationCode() throws {
        let (run, objects) = try Self.jsonRun("organization-code", ["PDY00001X"])
        #expect(run.status == 1)
        let object = try #require(objects.first)
        #expect(object["valid"] as? Bool == false)
        #expect(object["reason"] as? String == "reserved_custom_range")
        #expect(object["message"] as? String == OrganizationCode.Violation.reservedCustomRange.message)
    }

    @Test("a valid credit code: authority, category, division, province, embedded organization code")
    func validCreditCode() throws {
        let (run, objects) = try Self.jsonRun("credit-code", ["91350100M000100Y43", "911101031234567886"])
        #expect(run.status == 0)
        let first = try #require(objects.first)
        #expect(Set(first.keys) == ["valid", "canonical", "registration_authority", "organization_category", "division_code",
                                    "division_name", "division_status", "province", "organization_code"])
        #expect(first["valid"] as? Bool == true)
        #expect(first["canonical"] as? String == "91350100M000100Y43")
        #expect(first["registration_authority"] as? String == "9")
        #expect(first["organization_category"] as? String == "1")
        #expect(first["division_code"] as? String == "350100")
        #expect(first["division_name"] as? String == "福州市")
        #expect(first["division_status"] as? String == "current")
        #expect(first["province"] as? String == "福建省")
        #expect(first["organization_code"] as? String == "M000100Y4")

        let historical = try #require(objects.last)
        #expect(historical["canonical"] as? String == "911101031234567886")
        #expect(historical["division_code"] as? String == "110103")
        #expect(historical["division_name"] as? String == "崇文区")
        #expect(historical["division_status"] as? String == "historical")
        #expect(historical["province"] as? String == "北京市")
        #expect(historical["organization_code"] as? String == "123456788")
    }

    @Test("an invalid credit code")
    func invalidCreditCode() throws {
        let (run, objects) = try Self.jsonRun("credit-code", ["91350100M000100Y56", "91999999123456788P"])
        #expect(run.status == 1)
        #expect(objects.map { $0["reason"] as? String } == ["org_code_checksum", "division_unknown"])
        #expect(objects.map { $0["valid"] as? Bool } == [false, false])
        #expect(objects.map { $0["message"] as? String } == [
            CreditCode.Violation.orgCodeChecksum.message, CreditCode.Violation.divisionUnknown.message,
        ])
    }

    // MARK: Escaping

    @Test("JSON string escaping (OutputBuffer) round-trips through JSONSerialization")
    func stringEscaping() throws {
        let values = ["plain", "quote\"", "back\\slash", "line\nfeed", "cr\rtab\t", "\u{0}\u{1}\u{1F}", "朝阳区 – \u{2028}", ""]
        let file = try TemporaryFile.writing()
        var output = OutputBuffer(descriptor: file.descriptor)
        for value in values {
            output.append("{\"v\":")
            output.appendJSONString(value)
            output.appendJSONField("n", nil)
            output.append("}\n")
        }
        try output.flush()
        let lines = splitLines(String(decoding: try file.contents(), as: UTF8.self))
        #expect(lines.count == values.count)
        for (value, line) in zip(values, lines) {
            let object = Self.object(line)
            #expect(object?["v"] as? String == value, "\(line)")
            #expect(object?["n"] is NSNull, "\(line)")
        }
    }
}
