import IDCACore
import IDCAReports
import IDCARules

/// Statistics for auditors: the counters, summed and rendered. The server and `idca stats export`
/// both come here, so they give the same numbers in the same bytes.
public struct StatisticsService: Sendable {
    let reader: any StatisticsReader
    let sites: any SiteDirectory
    let clock: any IDCACore.Clock

    public init(reader: any StatisticsReader, sites: any SiteDirectory, clock: any IDCACore.Clock) {
        self.reader = reader
        self.sites = sites
        self.clock = clock
    }

    /// A report request as it arrives (query string or command line), before checking.
    public struct Request: Sendable {
        public var from: String?
        public var to: String?
        public var groupBy: String?
        public var period: String?
        public var format: String?
        public var minimumCount: String?

        public init(from: String? = nil, to: String? = nil, groupBy: String? = nil, period: String? = nil, format: String? = nil,
                    minimumCount: String? = nil) {
            self.from = from
            self.to = to
            self.groupBy = groupBy
            self.period = period
            self.format = format
            self.minimumCount = minimumCount
        }
    }

    /// A checked request.
    public struct Parsed: Sendable {
        public var query: StatisticsQuery
        public var format: StatisticsFormat
        public var minimumCount: Int
    }

    /// Checks a request, filling defaults: the last 30 days up to today (Asia/Shanghai), grouped by
    /// nothing, by day, as JSON, nothing suppressed. Every refusal names its parameter.
    public func parse(_ request: Request, formats: [StatisticsFormat] = StatisticsFormat.allCases) throws -> Parsed {
        try Self.parse(request, now: clock.now(), formats: formats)
    }

    /// `parse` before any service exists: the command line checks its options before it opens anything.
    public static func parse(_ request: Request, now: Int64, formats: [StatisticsFormat] = StatisticsFormat.allCases) throws -> Parsed {
        let (from, to) = try ReportWindow.days(from: request.from, to: request.to, today: CivilDate(shanghaiDayOf: now),
                                               maximumDays: StatisticsQuery.maximumDays)
        var groupBy: [StatisticsDimension] = []
        let names = (request.groupBy ?? "").isEmpty ? [] : request.groupBy!.split(separator: ",", omittingEmptySubsequences: false)
        for name in names.map({ String($0).trimmingWhitespace() }) {
            guard let dimension = StatisticsDimension(rawValue: name) else {
                throw IDCAError(.badRequest, code: "invalid_parameter",
                                message: "group_by takes a comma list of " + StatisticsDimension.allCases.map(\.rawValue).joined(separator: ", ") + ".",
                                field: "group_by")
            }
            guard !groupBy.contains(dimension) else {
                throw IDCAError(.badRequest, code: "invalid_parameter", message: "group_by names \(name) twice.", field: "group_by")
            }
            groupBy.append(dimension)
        }
        let periodText = request.period ?? "day"
        guard let period = StatisticsPeriod(rawValue: periodText) else {
            throw IDCAError(.badRequest, code: "invalid_parameter", message: "period must be day, week or month.", field: "period")
        }
        let formatText = request.format ?? "json"
        guard let format = StatisticsFormat(rawValue: formatText), formats.contains(format) else {
            throw IDCAError(.badRequest, code: "invalid_parameter",
                            message: "format must be " + formats.map(\.rawValue).joined(separator: " or ") + ".", field: "format")
        }
        let minimumText = request.minimumCount ?? "0"
        guard let minimum = Int(minimumText), (0...1_000_000).contains(minimum) else {
            throw IDCAError(.badRequest, code: "invalid_parameter", message: "min_count must be a whole number from 0 to 1000000.", field: "min_count")
        }
        return Parsed(query: StatisticsQuery(from: from, to: to, groupBy: groupBy, period: period), format: format, minimumCount: minimum)
    }

    public func report(_ query: StatisticsQuery, minimumCount: Int) async throws -> StatisticsReport {
        let cells = try await reader.applicationCounts(query)
        let names = query.groupBy.contains(.site) ? try await siteNames() : [:]
        return StatisticsReport(query: query, cells: cells, minimumCount: minimumCount, siteNames: names)
    }

    public func overview(_ query: StatisticsQuery, minimumCount: Int) async throws -> StatisticsOverview {
        let parts = StatisticsOverview.queries(for: query)
        return StatisticsOverview(
            overTime: try await report(parts.overTime, minimumCount: minimumCount),
            bySubjectType: try await report(parts.bySubjectType, minimumCount: minimumCount),
            byProvince: try await report(parts.byProvince, minimumCount: minimumCount),
            byReason: try await report(parts.byReason, minimumCount: minimumCount),
            requested: try await report(query, minimumCount: minimumCount),
            generatedAt: clock.now())
    }

    /// The export's bytes in the requested format.
    public func export(_ parsed: Parsed, excel: Bool = false) async throws -> [UInt8] {
        switch parsed.format {
        case .json: try await report(parsed.query, minimumCount: parsed.minimumCount).json()
        case .csv: try await report(parsed.query, minimumCount: parsed.minimumCount).csv(excel: excel)
        case .html: Array(try await overview(parsed.query, minimumCount: parsed.minimumCount).html().utf8)
        }
    }

    private func siteNames() async throws -> [String: String] {
        Dictionary(try await sites.sites().map { ($0.id.rawValue, $0.name) }, uniquingKeysWith: { first, _ in first })
    }
}
