import IDCACore
import IDCARules

/// The impersonation report for auditors (Docs/LIFECYCLE.md): organizations tried by several
/// operators, resident IDs used with wrong names or failed possession checks, and addresses with
/// many refusals — counts and time windows, keyed references only. `GET /v1/reports/impersonation`
/// and `idca reports impersonation` both come here and print the same document.
public struct ImpersonationReportService: Sendable {
    let history: any ApplicationHistory
    let clock: any IDCACore.Clock

    public init(history: any ApplicationHistory, clock: any IDCACore.Clock) {
        self.history = history
        self.clock = clock
    }

    /// Checks the window (Asia/Shanghai days, both ends included; default the 30 days up to today,
    /// at most 366) and the threshold (default 2), then reads the patterns.
    public func report(from: String?, to: String?, minimumCount: String?) async throws -> ImpersonationReport {
        let today = CivilDate(shanghaiDayOf: clock.now())
        func date(_ text: String?, _ name: String, default value: CivilDate) throws -> CivilDate {
            guard let text else { return value }
            guard let date = CivilDate(iso8601: text) else {
                throw IDCAError(.badRequest, code: "invalid_parameter", message: "\(name) must be a date like 2026-11-29.", field: name)
            }
            return date
        }
        let last = try date(to, "to", default: today)
        let first = try date(from, "from", default: CivilDate(daysSinceUnixEpoch: last.daysSinceUnixEpoch - 29))
        guard first <= last, last.daysSinceUnixEpoch - first.daysSinceUnixEpoch < 366 else {
            throw IDCAError(.badRequest, code: "invalid_parameter", message: "from must not be after to, and a report covers at most 366 days.",
                            field: "from")
        }
        var minimum = 2
        if let text = minimumCount {
            guard let value = Int(text), (1...1_000_000).contains(value) else {
                throw IDCAError(.badRequest, code: "invalid_parameter", message: "min_count must be a whole number from 1 to 1000000.",
                                field: "min_count")
            }
            minimum = value
        }
        // Shanghai is UTC+8 all year: a day starts at 16:00 UTC the day before.
        let start = first.daysSinceUnixEpoch * 86_400 - 8 * 3600
        let end = last.next.daysSinceUnixEpoch * 86_400 - 8 * 3600 - 1
        let patterns = try await history.impersonationPatterns(from: start, to: end, minimum: minimum)
        return ImpersonationReport(from: first.description, to: last.description, minimumCount: minimum, patterns: patterns)
    }
}

/// The report as auditors receive it (JSON; Docs/LIFECYCLE.md gives every member).
public struct ImpersonationReport: Encodable, Sendable {
    struct Organization: Encodable {
        var reference: String
        var operators: Int
        var applications: Int
        var rejected: Int
        var first: String
        var last: String
    }

    struct Resident: Encodable {
        var reference: String
        var nameMismatches: Int
        var possessionFailures: Int
        var first: String
        var last: String

        enum CodingKeys: String, CodingKey {
            case reference, first, last
            case nameMismatches = "name_mismatches"
            case possessionFailures = "possession_failures"
        }
    }

    struct Source: Encodable {
        var reference: String
        var applications: Int
        var rejected: Int
        var subjects: Int
        var first: String
        var last: String
    }

    public var from: String
    public var to: String
    public var minimumCount: Int
    public let patterns: ImpersonationPatterns

    enum CodingKeys: String, CodingKey {
        case from, to, organizations, residents, sources
        case minimumCount = "min_count"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(from, forKey: .from)
        try container.encode(to, forKey: .to)
        try container.encode(minimumCount, forKey: .minimumCount)
        let time = RFC3339.string(fromUnixSeconds:)
        try container.encode(patterns.organizations.map {
            Organization(reference: $0.reference, operators: $0.operators, applications: $0.applications, rejected: $0.rejected,
                         first: time($0.first), last: time($0.last))
        }, forKey: .organizations)
        try container.encode(patterns.residents.map {
            Resident(reference: $0.reference, nameMismatches: $0.nameMismatches, possessionFailures: $0.possessionFailures,
                     first: time($0.first), last: time($0.last))
        }, forKey: .residents)
        try container.encode(patterns.sources.map {
            Source(reference: $0.reference, applications: $0.applications, rejected: $0.rejected, subjects: $0.subjects,
                   first: time($0.first), last: time($0.last))
        }, forKey: .sources)
    }
}
