import ArgumentParser
import Foundation
import IDCACore
import IDCAServices

/// `idca stats export`: the auditor statistics straight from the database, without the server.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Export application statistics.", subcommands: [Export.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export application and rejection counts as CSV, JSON or a self-contained HTML report.",
            discussion: """
                The same numbers, in the same bytes for CSV and JSON, as GET /v1/statistics/applications. Dates are \
                Asia/Shanghai calendar days, both ends included; the default is the 30 days up to today. See Docs/STATISTICS.md.
                """)

        @OptionGroup var storage: StorageOptions
        @Option(help: ArgumentHelp("First day, YYYY-MM-DD (default: 29 days before --to).", valueName: "date")) var from: String?
        @Option(help: ArgumentHelp("Last day, YYYY-MM-DD (default: today).", valueName: "date")) var to: String?
        @Option(help: ArgumentHelp("Comma list of subject_type, reason, period, province, site.", valueName: "keys")) var groupBy: String?
        @Option(help: ArgumentHelp("day, week (ISO, Monday first) or month (default day).", valueName: "period")) var period: String?
        @Option(help: ArgumentHelp("csv, json or html.", valueName: "format")) var format: String = "csv"
        @Option(parsing: .unconditional, help: ArgumentHelp("Suppress groups with fewer applications than this (default 0: none).", valueName: "k"))
        var minCount: String?
        @Flag(help: "CSV only: start with a byte order mark so that Excel shows Chinese correctly.") var excel = false
        @Option(help: ArgumentHelp("Write here instead of standard output (- is standard output).", valueName: "file")) var output: String?

        func validate() throws {
            _ = try parsedOptions()
        }

        /// The options checked as the API checks its parameters; a bad one is a usage error (exit 2) named by its flag.
        func parsedOptions() throws -> StatisticsService.Parsed {
            do {
                return try StatisticsService.parse(
                    .init(from: from, to: to, groupBy: groupBy, period: period, format: format, minimumCount: minCount), now: SystemTime().now())
            } catch let error as IDCAError {
                throw usageError(error)
            }
        }

        func run() async throws {
            let parsed = try parsedOptions()
            // Counters and site names only: an auditor's copy of the database needs no keys to be read.
            let database = try await Storage.open(storage.databasePath, access: .readOnly)
            let service = StatisticsService(reader: database.statistics, sites: database.sites, clock: SystemTime())
            let bytes = try await service.export(parsed, excel: excel)
            if let output, output != "-" {
                do {
                    try Data(bytes).write(to: URL(fileURLWithPath: output))
                } catch {
                    throw CommandFailure("cannot write \(output): \((error as NSError).localizedFailureReason ?? "\(error)")")
                }
            } else {
                FileHandle.standardOutput.write(Data(bytes))
                if parsed.format == .json { print() }
            }
            await database.close()
        }
    }
}

/// A refused API parameter as the usage error (exit 2) of the flag that gave it: the API's parameter
/// names become the flags they are here (group_by → --group-by).
func usageError(_ error: IDCAError) -> ValidationError {
    var message = error.message
    if let field = error.field, message.hasPrefix(field + " ") {
        message = "--" + field.replacingOccurrences(of: "_", with: "-") + message.dropFirst(field.count)
    }
    return ValidationError(message)
}
