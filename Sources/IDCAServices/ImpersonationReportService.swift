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

    /// A checked request: the days it covers and the threshold.
    public struct Query: Sendable {
        public var first: CivilDate
        public var last: CivilDate
        public var minimumCount: Int
    }

    /// Checks the window (Asia/Shanghai days, both ends included; default the 30 days up to today,
    /// at most 366) and the threshold (default 2). Static, so that the command line checks its
    /// options before it opens anything.
    public static func parse(from: String?, to: String?, minimumCount: String?, now: Int64) throws -> Query {
        let (first, last) = try ReportWindow.days(from: from, to: to, today: CivilDate(shanghaiDayOf: now), maximumDays: 366)
        var minimum = 2
        if let text = minimumCount {
            guard let value = Int(text), (1...1_000_000).contains(value) else {
                throw IDCAError(.badRequest, code: "invalid_parameter", message: "min_count must be a whole number from 1 to 1000000.",
                                field: "min_count")
            }
            minimum = value
        }
        return Query(first: first, last: last, minimumCount: minimum)
    }

    /// `parse` at the service's clock, then the report.
    public func report(from: String?, to: String?, minimumCount: String?) async throws -> ImpersonationReport {
        let query = try Self.parse(from: from, to: to, minimumCount: minimumCount, now: clock.now())
        // Shanghai is UTC+8 all year: a day starts at 16:00 UTC the day before.
        let start = query.first.daysSinceUnixEpoch * 86_400 - 8 * 3600
        let end = query.last.next.daysSinceUnixEpoch * 86_400 - 8 * 3600 - 1
        let patterns = try await history.impersonationPatterns(from: start, to: end, minimum: query.minimumCount)
        return ImpersonationReport(from: query.first.description, to: query.last.description, minimumCount: query.minimumCount,
                                   patterns: patterns)
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
