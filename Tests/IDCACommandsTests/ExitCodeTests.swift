import Testing
import IDCARules
import IDCASynthetic

/// Exit status, stdin mode against argument mode, and help, all through the real binary.
@Suite("idca exit status and modes")
struct ExitCodeTests {
    // MARK: 0 when every input is valid, 1 when any is invalid

    struct Case: CustomTestStringConvertible, Sendable {
        let kind: Kind
        let values: [String]
        let status: Int32
        let output: String
        var testDescription: String { "\(kind.rawValue) \(values.map(\.debugDescription).joined(separator: " ")) → \(status)" }
    }

    static let verdictCases: [Case] = [
        Case(kind: .residentID, values: ["11010519491231002X"], status: 0, output: "VALID\n"),
        Case(kind: .residentID, values: ["11010519491231002X", "110105202611290018"], status: 0, output: "VALID\nVALID\n"),
        Case(kind: .residentID, values: ["11010519491231002x"], status: 1, output: "INVALID:lowercase_x\n"),
        Case(kind: .residentID, values: ["11010519491231002X", "11010519491231002x"], status: 1, output: "VALID\nINVALID:lowercase_x\n"),
        Case(kind: .residentID, values: ["11010519491231002x", "11010519491231002X"], status: 1, output: "INVALID:lowercase_x\nVALID\n"),
        Case(kind: .organizationCode, values: ["D2143569X", "000000000"], status: 0, output: "VALID\nVALID\n"),
        Case(kind: .organizationCode, values: ["D2143569X", "PDY00001X"], status: 1, output: "VALID\nINVALID:reserved_custom_range\n"),
        Case(kind: .creditCode, values: ["91350100M000100Y43"], status: 0, output: "VALID\n"),
        Case(kind: .creditCode, values: ["91350100M000100Y43", "91350100M000100Y56"], status: 1, output: "VALID\nINVALID:org_code_checksum\n"),
    ]

    @Test("argument mode", arguments: verdictCases)
    func argumentMode(_ test: Case) throws {
        let run = try Idca.validate(test.kind.rawValue, test.values)
        #expect(run.status == test.status, "\(run)")
        #expect(run.output == test.output, "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
    }

    @Test("standard input mode", arguments: verdictCases)
    func standardInputMode(_ test: Case) throws {
        let run = try Idca.validate(test.kind.rawValue, stdin: lfInput(test.values))
        #expect(run.status == test.status, "\(run)")
        #expect(run.output == test.output, "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
    }

    @Test("empty standard input: no output, exit 0", arguments: Kind.allCases)
    func emptyStandardInput(kind: Kind) throws {
        let run = try Idca.validate(kind.rawValue, stdin: [])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
    }

    @Test("a lone LF is one empty candidate: INVALID:empty, exit 1", arguments: Kind.allCases)
    func loneLineFeed(kind: Kind) throws {
        let run = try Idca.validate(kind.rawValue, stdin: [0x0A])
        #expect(run.status == 1, "\(run)")
        #expect(run.output == "INVALID:empty\n", "\(run)")
    }

    @Test("--today decides what is in the future: a birth on 2026-11-30 is valid from that day on")
    func todayOption() throws {
        let bornOn20261130 = "11010520261130001X"
        let before = try Idca.run(["validate", "resident-id", "--today", "2026-11-29", bornOn20261130])
        #expect(before.output == "INVALID:birth_date_future\n" && before.status == 1, "\(before)")
        let on = try Idca.run(["validate", "resident-id", "--today", "2026-11-30", bornOn20261130])
        #expect(on.output == "VALID\n" && on.status == 0, "\(on)")
        let leapDay = try Idca.run(["validate", "resident-id", "--today", "2028-02-29", bornOn20261130])
        #expect(leapDay.output == "VALID\n" && leapDay.status == 0, "\(leapDay)")
    }

    @Test("without --today the real date is used: a 1949 birth is valid, a 2999 birth is in the future")
    func defaultToday() throws {
        let numbers = SyntheticNumbers()
        let future = numbers.residentID(region: 110105, birth: CivilDate(year: 2999, month: 1, day: 1)!, sequence: 1)
        let run = try Idca.run(["validate", "resident-id", "11010519491231002X", future])
        #expect(run.output == "VALID\nINVALID:birth_date_future\n", "\(run)")
        #expect(run.status == 1)
    }

    // MARK: 2 on a usage error

    struct Usage: CustomTestStringConvertible, Sendable {
        let arguments: [String]
        var testDescription: String { "idca " + arguments.joined(separator: " ") }
    }

    static let usageErrors: [Usage] = [
        Usage(arguments: ["validate", "passport", "E12345678"]),
        Usage(arguments: ["validate", "Resident-ID", "11010519491231002X"]),
        Usage(arguments: ["validate"]),
        Usage(arguments: ["validate", "organization-code", "--upgrade", "D2143569X"]),
        Usage(arguments: ["validate", "credit-code", "--upgrade", "91350100M000100Y43"]),
        Usage(arguments: ["validate", "organization-code", "--upgrade"]),
        Usage(arguments: ["validate", "resident-id", "--today", "2026-02-30", "11010519491231002X"]),
        Usage(arguments: ["validate", "resident-id", "--today", "2025-02-29", "11010519491231002X"]),
        Usage(arguments: ["validate", "resident-id", "--today", "2026-13-01", "11010519491231002X"]),
        Usage(arguments: ["validate", "resident-id", "--today", "2026-11-00", "11010519491231002X"]),
        Usage(arguments: ["validate", "resident-id", "--today", "2026-1-29", "11010519491231002X"]),
        Usage(arguments: ["validate", "resident-id", "--today", "20261129", "11010519491231002X"]),
        Usage(arguments: ["validate", "resident-id", "--today", "2026/11/29", "11010519491231002X"]),
        Usage(arguments: ["validate", "resident-id", "--today", "２０２６-11-29", "11010519491231002X"]),
        Usage(arguments: ["validate", "resident-id", "--today", "", "11010519491231002X"]),
        Usage(arguments: ["validate", "resident-id", "--today"]),
        Usage(arguments: ["validate", "resident-id", "--frobnicate", "11010519491231002X"]),
        Usage(arguments: ["validate", "resident-id", "-x"]),
        Usage(arguments: ["frobnicate"]),
        Usage(arguments: ["--frobnicate"]),
        // The connection limits of serve (Docs/RELIABILITY.md) are checked before anything starts;
        // Tests/Reliability/exhaustion_test.py serves with accepted values.
        Usage(arguments: ["serve", "--max-connections", "15"]),
        Usage(arguments: ["serve", "--idle-timeout", "0"]),
        Usage(arguments: ["serve", "--request-timeout", "301"]),
        Usage(arguments: ["serve", "--request-timeout", "ten"]),
    ]

    @Test("usage errors exit 2, print nothing on stdout and explain on stderr", arguments: usageErrors)
    func usageError(_ usage: Usage) throws {
        // Valid input on stdin, so that reading it could not explain an exit status of 1.
        let run = try Idca.run(usage.arguments, stdin: lfInput(["11010519491231002X"]))
        #expect(run.status == 2, "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
        #expect(!run.stderr.isEmpty, "\(run)")
    }

    /// The accepted twins of the usage errors above: the same shape, one thing corrected.
    static let accepted: [Usage] = [
        Usage(arguments: ["validate", "resident-id", "11010519491231002X"]),
        Usage(arguments: ["validate", "organization-code", "D2143569X"]),
        Usage(arguments: ["validate", "credit-code", "91350100M000100Y43"]),
        Usage(arguments: ["validate", "resident-id", "--upgrade", "11010519491231002X"]),
        Usage(arguments: ["validate", "resident-id", "--today", "2024-02-29", "11010519491231002X"]),
        Usage(arguments: ["validate", "resident-id", "--today", "2000-02-29", "11010519491231002X"]),
        Usage(arguments: ["validate", "resident-id", "--today", "2026-12-31", "11010519491231002X"]),
        Usage(arguments: ["validate", "resident-id", "--today=2026-11-29", "11010519491231002X"]),
        Usage(arguments: ["validate", "resident-id", "--json", "11010519491231002X"]),
        Usage(arguments: ["validate", "resident-id", "11010519491231002X", "--json", "--today", "2026-11-29"]),
        Usage(arguments: ["validate", "organization-code", "--today", "2026-11-29", "D2143569X"]),
    ]

    @Test("well-formed invocations of all-valid input exit 0", arguments: accepted)
    func acceptedInvocation(_ usage: Usage) throws {
        let run = try Idca.run(usage.arguments)
        #expect(run.status == 0, "\(run)")
        #expect(!run.stdout.isEmpty && run.stderr.isEmpty, "\(run)")
    }

    @Test("a candidate that starts with '-' is an option unless it follows --")
    func dashDashEndsOptions() throws {
        let asOption = try Idca.run(["validate", "organization-code", "-D2143569X"])
        #expect(asOption.status == 2 && asOption.stdout.isEmpty, "\(asOption)")
        let asValue = try Idca.run(["validate", "organization-code", "--", "-D2143569X"])
        #expect(asValue.status == 1 && asValue.output == "INVALID:separator\n", "\(asValue)")
    }

    // MARK: I/O failure

    @Test("unreadable standard input (a directory) exits 3, neither 'valid' nor 'invalid'")
    func unreadableStandardInput() throws {
        let run = try Idca.run(["validate", "resident-id", "--today", fixedToday], stdinPath: "/")
        #expect(run.status == 3, "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
        #expect(run.stderr.contains("read"), "\(run)")

        // The readable twin: the same invocation on a regular file.
        let file = try TemporaryFile.reading(lfInput(["11010519491231002X"]))
        let readable = try Idca.run(["validate", "resident-id", "--today", fixedToday], stdinPath: file.url.path)
        #expect(readable.status == 0 && readable.output == "VALID\n", "\(readable)")
    }

    // MARK: Help

    static let helpInvocations: [Usage] = [
        Usage(arguments: ["--help"]),
        Usage(arguments: ["-h"]),
        Usage(arguments: ["validate", "--help"]),
        Usage(arguments: ["validate", "-h"]),
        Usage(arguments: ["help", "validate"]),
        Usage(arguments: ["validate", "resident-id", "--help"]),
    ]

    @Test("help exits 0 and prints the usage on stdout", arguments: helpInvocations)
    func help(_ usage: Usage) throws {
        let run = try Idca.run(usage.arguments)
        #expect(run.status == 0, "\(run)")
        #expect(run.output.contains("USAGE:"), "\(run)")
        #expect(run.output.contains("validate"), "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
    }

    @Test("validate help names the kinds, the options and the exit statuses")
    func validateHelpContent() throws {
        let run = try Idca.run(["validate", "--help"])
        for word in ["resident-id", "organization-code", "credit-code", "--json", "--upgrade", "--today", "INVALID:<reason>"] {
            #expect(run.output.contains(word), "help lacks \(word)")
        }
    }

    // MARK: Standard input and arguments agree

    @Test("stdin mode and argument mode give the same verdicts on generated and corrupted numbers", arguments: Kind.allCases)
    func standardInputAgreesWithArguments(kind: Kind) throws {
        var random = SeededGenerator(seed: 0x1DCA_0002)
        let numbers = SyntheticNumbers()
        var candidates: [String] = []
        for _ in 0..<40 {
            let valid: String
            switch kind {
            case .residentID:
                valid = numbers.residentID(bornIn: CivilDate(year: 1900, month: 1, day: 1)!...CivilDate(year: 2026, month: 11, day: 29)!, using: &random)
            case .organizationCode: valid = numbers.organizationCode(using: &random)
            case .creditCode: valid = numbers.creditCode(using: &random)
            }
            candidates.append(valid)
            var characters = Array(valid)
            let index = Int.random(in: 0..<characters.count, using: &random)
            characters[index] = Array("0123456789XxA -１")[Int.random(in: 0..<16, using: &random)]
            candidates.append(String(characters))
            candidates.append(String(valid.dropLast()))
        }
        candidates += ["", " ", "\t", "-", "x", "\u{3000}"]

        let fromStdin = try Idca.validate(kind.rawValue, stdin: lfInput(candidates))
        let fromArguments = try Idca.validate(kind.rawValue, ["--"] + candidates)
        let expected = candidates.map { kind.verdict(Array($0.utf8)) }
        let inputs = candidates.map { Array($0.utf8) }
        expectSameLines(fromStdin.lines, expected, inputs: inputs, "standard input")
        expectSameLines(fromArguments.lines, expected, inputs: inputs, "arguments")
        #expect(fromStdin.stdout == fromArguments.stdout)
        #expect(fromStdin.status == 1 && fromArguments.status == 1)
        #expect(expected.filter { $0 == "VALID" }.count >= 40)

        let validOnly = candidates.filter { kind.verdict(Array($0.utf8)) == "VALID" }
        let validFromStdin = try Idca.validate(kind.rawValue, stdin: lfInput(validOnly))
        let validFromArguments = try Idca.validate(kind.rawValue, validOnly)
        #expect(validFromStdin.output == lfText(validOnly.map { _ in "VALID" }) && validFromStdin.status == 0)
        #expect(validFromArguments.output == validFromStdin.output && validFromArguments.status == 0)
    }

    @Test("values given as arguments mean standard input is not read")
    func argumentsIgnoreStandardInput() throws {
        let run = try Idca.run(["validate", "resident-id", "--today", fixedToday, "11010519491231002X"], stdin: lfInput(["bad", "worse"]))
        #expect(run.output == "VALID\n" && run.status == 0, "\(run)")
    }
}
