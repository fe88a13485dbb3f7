import ArgumentParser
import Foundation
import IDCARegistry

extension RegistryImporter.Kind: ExpressibleByArgument {}

/// `idca registry …`: the authoritative registry idca checks applications against.
struct RegistryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry", abstract: "Load the authoritative registry.", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a registry extract (CSV) in one transaction; re-importing the same file changes nothing.",
            discussion: """
                residents: header resident_id,name,status[,phone]; status active, deceased or cancelled.

                organizations: header organization_code,credit_code,name,legal_representative,status; status active, revoked or cancelled; credit_code may be empty.

                Rows that fail the identity rules or carry an unknown status are not imported; each is listed with its line and reason in FILE.rejects.csv beside the input.
                """)

        @OptionGroup var storage: StorageOptions
        @Argument(help: "residents or organizations") var kind: RegistryImporter.Kind
        @Argument(help: "The CSV file (UTF-8, RFC 4180).") var file: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            let wiring = try await Wiring.open(storage: storage)
            let started = ContinuousClock.now
            let (report, revoked) = try await RegistryImporter(wiring: wiring, showsProgress: !json && standardErrorIsTerminal())
                .run(kind, path: file)
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            printReport(report, revoked: revoked, kind: kind, file: file, seconds: seconds, json: json)
            if !report.rejected.isEmpty && !json { throw ExitCode(1) }
        }
    }
}

func printReport(_ report: ImportReport, revoked: Int, kind: RegistryImporter.Kind, file: String, seconds: Double, json: Bool) {
    if json {
        printJSON([
            "kind": kind.rawValue, "imported": report.imported, "rejected": report.rejected.count, "revoked": revoked,
            "rejects_file": report.rejected.isEmpty ? NSNull() : rejectsPath(forInput: file) as Any,
            "rejects_by_reason": report.rejectCounts, "seconds": (seconds * 1000).rounded() / 1000,
        ])
        return
    }
    print("Imported \(report.imported) \(kind.rawValue) from \(file) in \(String(format: "%.2f", seconds)) s.")
    if revoked > 0 { print("Revoked the certifications of \(revoked) \(kind.rawValue) the registry now marks inactive.") }
    guard !report.rejected.isEmpty else { return }
    print("Rejected \(report.rejected.count) rows (listed in \(rejectsPath(forInput: file))):")
    for row in report.rejected.prefix(10) {
        print("  line \(row.line): \(row.reason)\(row.column.map { " (\($0))" } ?? "")")
    }
    if report.rejected.count > 10 { print("  …") }
}
