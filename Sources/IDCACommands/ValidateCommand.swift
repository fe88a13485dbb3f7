import ArgumentParser
import IDCARules

/// The kinds of number `idca validate` knows, named as on the command line.
enum IdentityKind: String, CaseIterable, ExpressibleByArgument {
    case residentID = "resident-id"
    case organizationCode = "organization-code"
    case creditCode = "credit-code"
}

/// `idca validate KIND [VALUE ...]`: checks numbers against the identity rules.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check resident ID numbers, organization codes or credit codes against the identity rules.",
        discussion: """
            Prints one line per input, in order: VALID or INVALID:<reason> (reason codes: Docs/REASON-CODES.md).

            With no VALUE arguments, reads standard input, one candidate per line: a line is everything up to LF, a CR right before the LF is dropped, and nothing else is trimmed.

            Exit status: 0 when every input is valid, 1 when any is invalid, 2 on a usage error, 3 when reading input or writing output failed (the verdicts printed so far stand).
            """
    )

    @Argument(help: "What to check: resident-id, organization-code or credit-code.")
    var kind: IdentityKind

    @Argument(help: "Candidates to check; standard input is read when none are given.")
    var values: [String] = []

    @Flag(help: "Print one JSON object per input, with the details of valid numbers.")
    var json = false

    @Flag(help: "resident-id only: convert 15-digit first-generation numbers to 18 digits first, and print each valid number (VALID <number>).")
    var upgrade = false

    @Option(help: ArgumentHelp("Judge birth dates against this day (YYYY-MM-DD) instead of today in Asia/Shanghai, for reproducible batch checks.", valueName: "date"))
    var today: String?

    /// The exit status when input cannot be read or output cannot be written.
    static let ioFailureStatus: Int32 = 3

    func validate() throws {
        if upgrade && kind != .residentID {
            throw ValidationError("--upgrade applies to resident-id only.")
        }
        if let today, CivilDate(iso8601: today) == nil {
            throw ValidationError("--today must be a real date written YYYY-MM-DD, not '\(today)'.")
        }
    }

    func run() throws {
        let date = today.flatMap(CivilDate.init(iso8601:)) ?? SystemClock.todayInShanghai()
        let context = ValidationContext(today: date)
        let invalid: Int
        do {
            switch kind {
            case .residentID: invalid = try check(ResidentIDNumber.self, context: context)
            case .organizationCode: invalid = try check(OrganizationCode.self, context: context)
            case .creditCode: invalid = try check(CreditCode.self, context: context)
            }
        } catch let error as IOError {
            // Neither "all valid" nor "some invalid": the verdicts are incomplete.
            printToStandardError("idca validate: \(error)")
            throw ExitCode(ValidateCommand.ioFailureStatus)
        }
        if invalid > 0 { throw ExitCode(1) }
    }

    /// Runs the report over the arguments or standard input and returns how many inputs were invalid.
    private func check<Number: ValidationReportable>(_: Number.Type, context: ValidationContext) throws -> Int {
        var report = ValidationReport<Number>(
            context: context, output: OutputBuffer(descriptor: 1), json: json, upgradesLegacyNumbers: upgrade)
        if values.isEmpty {
            do {
                try LineReader(descriptor: 0).forEachLine({ line in try report.report(line) }, whenIdle: { try report.output.flush() })
            } catch {
                // Hand over the verdicts reached before the failure, then report it.
                try? report.output.flush()
                throw error
            }
        } else {
            for value in values {
                var value = value
                value.withUTF8 { report.report($0) }
            }
        }
        try report.output.flush()
        return report.invalidCount
    }
}
