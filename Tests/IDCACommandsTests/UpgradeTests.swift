import Foundation
import Testing
@testable import IDCACommands
import IDCARules
import IDCASynthetic

/// `idca validate resident-id --upgrade`: 15-digit numbers are converted, then validated like any
/// 18-digit number; every valid number is printed as `VALID <number>`.
@Suite("--upgrade")
struct UpgradeTests {
    /// (candidate, expected line with --upgrade, expected line without it).
    static let table: [(String, String, String)] = [
        ("110105491231002", "VALID 11010519491231002X", "INVALID:legacy_15"),
        ("11010519491231002X", "VALID 11010519491231002X", "VALID"),               // 18 digits pass through
        ("110105202611290018", "VALID 110105202611290018", "VALID"),
        ("110105491331002", "INVALID:birth_date", "INVALID:legacy_15"),            // 1949-13-31
        ("110105000229003", "INVALID:birth_date", "INVALID:legacy_15"),            // 1900-02-29
        ("110105960229003", "VALID 110105199602290038", "INVALID:legacy_15"),      // 1996-02-29
        ("110105000101003", "VALID 110105190001010036", "INVALID:legacy_15"),      // 1900-01-01
        ("999999491231002", "INVALID:region_unknown", "INVALID:legacy_15"),
        ("11010319800101011X", "VALID 11010319800101011X", "VALID"),
        ("11010549123100X", "INVALID:length", "INVALID:length"),                   // 15 characters, not digits
        ("1101054912310021", "INVALID:length", "INVALID:length"),                  // 16 digits
        ("11010549123100", "INVALID:length", "INVALID:length"),                    // 14 digits
        (" 110105491231002", "INVALID:whitespace", "INVALID:whitespace"),
        ("１10105491231002", "INVALID:non_ascii", "INVALID:non_ascii"),
        ("110105-491231002", "INVALID:separator", "INVALID:separator"),
        ("110105194912310021", "INVALID:checksum", "INVALID:checksum"),
        ("11010519491231002x", "INVALID:lowercase_x", "INVALID:lowercase_x"),
        ("", "INVALID:empty", "INVALID:empty"),
    ]

    @Test("with --upgrade, argument mode")
    func upgradeArguments() throws {
        let run = try Idca.validate("resident-id", ["--"] + Self.table.map(\.0), flags: ["--upgrade"])
        #expect(run.lines == Self.table.map(\.1), "\(run)")
        #expect(run.status == 1)
    }

    @Test("with --upgrade, standard input mode (CRLF too), and in process")
    func upgradeStandardInput() throws {
        let run = try Idca.validate("resident-id", flags: ["--upgrade"], stdin: lfInput(Self.table.map(\.0)))
        #expect(run.output == lfText(Self.table.map(\.1)), "\(run)")
        #expect(run.status == 1)

        let crlf = Array(Self.table.map { $0.0 + "\r\n" }.joined().utf8)
        let crlfRun = try Idca.validate("resident-id", flags: ["--upgrade"], stdin: crlf)
        #expect(crlfRun.output == run.output)

        for capacity in [64, 1 << 20] {
            let result = try reportStream(ResidentIDNumber.self, crlf, capacity: capacity, upgrade: true)
            #expect(result.output == run.output, "capacity \(capacity)")
        }
    }

    @Test("without --upgrade a 15-digit number is legacy_15")
    func withoutUpgrade() throws {
        let run = try Idca.validate("resident-id", ["--"] + Self.table.map(\.0))
        #expect(run.lines == Self.table.map(\.2), "\(run)")
    }

    @Test("exit status 0 when every upgraded number is valid, 1 otherwise")
    func upgradeExitStatus() throws {
        let valid = try Idca.validate("resident-id", ["110105491231002", "11010519491231002X"], flags: ["--upgrade"])
        #expect(valid.output == "VALID 11010519491231002X\nVALID 11010519491231002X\n" && valid.status == 0, "\(valid)")
        let invalid = try Idca.validate("resident-id", ["110105491231002", "110105491331002"], flags: ["--upgrade"])
        #expect(invalid.output == "VALID 11010519491231002X\nINVALID:birth_date\n" && invalid.status == 1, "\(invalid)")
    }

    @Test("the CLI's conversion equals ResidentIDNumber.upgrading(legacy:)")
    func agreesWithAPI() throws {
        for (candidate, withUpgrade, _) in Self.table where candidate.utf8.count == 15 && candidate.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
            let upgraded = try #require(ResidentIDNumber.upgrading(legacy: candidate))
            let verdict = ResidentIDNumber.violation(in: upgraded, context: testContext).map { "INVALID:\($0.rawValue)" } ?? "VALID \(upgraded)"
            #expect(verdict == withUpgrade, "\(candidate)")
        }
        #expect(ResidentIDNumber.upgrading(legacy: "11010549123100X") == nil)
        #expect(ResidentIDNumber.upgrading(legacy: "11010519491231002X") == nil)
    }

    @Test("downgrading generated 20th-century numbers and upgrading them gives back the original")
    func roundTrip() throws {
        var random = SeededGenerator(seed: 0x0015_0018)
        let numbers = SyntheticNumbers()
        let births = CivilDate(year: 1900, month: 1, day: 1)!...CivilDate(year: 1999, month: 12, day: 31)!
        var originals: [String] = []
        var legacy: [String] = []
        for _ in 0..<300 {
            let number = Array(numbers.residentID(bornIn: births, using: &random))
            originals.append(String(number))
            legacy.append(String(number[0..<6] + number[8..<17]))
        }
        let run = try Idca.validate("resident-id", flags: ["--upgrade"], stdin: lfInput(legacy))
        expectSameLines(run.lines, originals.map { "VALID \($0)" }, inputs: legacy.map { Array($0.utf8) }, "upgrade")
        #expect(run.status == 0)

        // The reject twin: month 13 in every legacy number; the upgrade cannot make that valid.
        let badMonth = legacy.map { String(Array($0)[0..<8]) + "13" + String(Array($0)[10..<15]) }
        let badRun = try Idca.validate("resident-id", flags: ["--upgrade"], stdin: lfInput(badMonth))
        expectSameLines(badRun.lines, badMonth.map { _ in "INVALID:birth_date" }, inputs: badMonth.map { Array($0.utf8) }, "month 13")
        #expect(badRun.status == 1)
    }

    // MARK: --json --upgrade

    @Test("--json --upgrade: upgraded true for a converted number, false for an 18-digit one")
    func upgradedFlagInJSON() throws {
        let run = try Idca.validate("resident-id", ["110105491231002", "11010519491231002X"], flags: ["--json", "--upgrade"])
        #expect(run.status == 0, "\(run)")
        let objects = run.lines.compactMap { JSONOutputTests.object($0) }
        #expect(objects.count == 2)
        #expect(objects.map { $0["upgraded"] as? Bool } == [true, false])
        #expect(objects.map { $0["canonical"] as? String } == ["11010519491231002X", "11010519491231002X"])
        #expect(objects.map { $0["masked"] as? String } == ["110105********002X", "110105********002X"])
        #expect(objects.map { $0["birth_date"] as? String } == ["1949-12-31", "1949-12-31"])
        #expect(objects.allSatisfy { $0["valid"] as? Bool == true })
        #expect(run.lines.first?.hasSuffix(",\"upgraded\":true}") == true)
        #expect(run.lines.last?.hasSuffix(",\"upgraded\":false}") == true)
    }

    @Test("--json without --upgrade has no upgraded field; invalid upgraded numbers report their reason")
    func jsonWithoutUpgrade() throws {
        let plain = try Idca.validate("resident-id", ["11010519491231002X"], flags: ["--json"])
        let object = try #require(plain.lines.first.flatMap { JSONOutputTests.object($0) })
        #expect(object["upgraded"] == nil)

        let invalid = try Idca.validate("resident-id", ["110105491331002"], flags: ["--json", "--upgrade"])
        let rejected = try #require(invalid.lines.first.flatMap { JSONOutputTests.object($0) })
        #expect(rejected["valid"] as? Bool == false)
        #expect(rejected["reason"] as? String == "birth_date")
        #expect(rejected["upgraded"] as? Bool == true)
        #expect(invalid.status == 1)

        // An 18-character input that fails is judged as typed, not converted.
        let typed = try Idca.validate("resident-id", ["11010519491231002x"], flags: ["--json", "--upgrade"])
        let typedObject = try #require(typed.lines.first.flatMap { JSONOutputTests.object($0) })
        #expect(typedObject["reason"] as? String == "lowercase_x")
        #expect(typedObject["upgraded"] as? Bool == false)
    }
}
