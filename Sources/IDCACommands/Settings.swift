import ArgumentParser
import Foundation
import IDCACore
import IDCAPostgres

/// Reads a setting from the process environment: every flag has an `IDCA_…` twin, and a flag
/// given on the command line wins over the environment.
enum Environment {
    static func value(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// Where data and keys live; shared by every command that touches either.
struct StorageOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("SQLite database file, or a postgres://user@host:port/database URL (env IDCA_DATABASE; default var/idca.sqlite).", valueName: "path-or-url"))
    var database: String?

    @Option(name: .long, help: ArgumentHelp("Key directory (env IDCA_KEYS; default keys).", valueName: "dir"))
    var keys: String?

    var databasePath: String { database ?? Environment.value("IDCA_DATABASE") ?? "var/idca.sqlite" }
    var keysDirectory: String { keys ?? Environment.value("IDCA_KEYS") ?? "keys" }

    /// Fails closed on a URL this build cannot serve, rather than creating a file named like a URL.
    func validate() throws {
        let path = databasePath
        if PostgresBackend.isURL(path) {
            do { _ = try PostgresLocation(url: path) } catch { throw ValidationError("--database: \(error)") }
        } else if path.contains("://") {
            throw ValidationError("--database must be a SQLite file path or a postgres:// URL, not '\(path)'.")
        }
    }
}

/// Prints exactly one JSON object, for `--json` output that scripts parse.
func printJSON(_ object: [String: Any]) {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    print(String(decoding: data, as: UTF8.self))
}

/// Turns the one cross-module error type into a message for the operator.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Production time: the wall clock, read here and nowhere else in the server path.
struct SystemTime: IDCACore.Clock {
    func now() -> Int64 { SystemClock.unixSeconds() }
}

/// A whole-number setting: the flag, else the environment variable, else the default; refused
/// (fail closed, naming the value) when outside `range`.
struct NumericSetting {
    var name: String
    var flag: Int?
    var environment: String
    var `default`: Int64
    var range: ClosedRange<Int64>

    func value() throws -> Int64 {
        let text = flag.map(String.init) ?? Environment.value(environment) ?? String(self.default)
        guard let value = Int64(text), range.contains(value) else {
            throw ValidationError("The \(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'.")
        }
        return value
    }
}
