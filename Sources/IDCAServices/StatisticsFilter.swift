import IDCACore
import IDCAReports
import IDCARules

/// Narrowing a statistics report to one subject type and/or one site, for the auditor dashboard.
/// The counters are asked for with the filtered dimensions added to the grouping, the other groups
/// dropped, and the rest summed back to the requested grouping: the same sums a CSV export grouped
/// by those dimensions shows in its matching rows.
extension StatisticsService {
    public struct Filter: Sendable, Hashable {
        public var subjectType: SubjectType?
        /// A site id; `Filter.noSite` keeps the applications that named no site.
        public var site: String?

        /// The `site` value for applications that came without a site.
        public static let noSite = "none"

        public init(subjectType: SubjectType? = nil, site: String? = nil) {
            self.subjectType = subjectType
            self.site = site
        }

        public var isEmpty: Bool { subjectType == nil && site == nil }

        func keeps(_ cell: StatisticsCell) -> Bool {
            if let subjectType, cell.subjectType != subjectType { return false }
            if let site, cell.site != (site == Self.noSite ? nil : site) { return false }
            return true
        }
    }

    /// `report(_:minimumCount:)` over the applications `filter` keeps.
    public func report(_ query: StatisticsQuery, minimumCount: Int, filter: Filter) async throws -> StatisticsReport {
        guard !filter.isEmpty else { return try await report(query, minimumCount: minimumCount) }
        var wider = query
        for dimension in [StatisticsDimension.subjectType, .site] where !wider.groupBy.contains(dimension) {
            wider.groupBy.append(dimension)
        }
        struct Group: Hashable {
            var subjectType: SubjectType?, reason: String?, periodStart: CivilDate?, province: Int?, site: String?
        }
        var sums: [Group: StatisticsCell] = [:]
        var order: [Group] = []
        for cell in try await reader.applicationCounts(wider) where filter.keeps(cell) {
            let group = Group(
                subjectType: query.groupBy.contains(.subjectType) ? cell.subjectType : nil,
                reason: query.groupBy.contains(.reason) ? cell.reason : nil,
                periodStart: query.groupBy.contains(.period) ? cell.periodStart : nil,
                province: query.groupBy.contains(.province) ? cell.province : nil,
                site: query.groupBy.contains(.site) ? cell.site : nil)
            if sums[group] == nil {
                order.append(group)
                sums[group] = StatisticsCell(subjectType: group.subjectType, reason: group.reason, periodStart: group.periodStart,
                                             province: group.province, site: group.site, applications: 0, approved: 0, rejected: 0)
            }
            sums[group]!.applications += cell.applications
            sums[group]!.approved += cell.approved
            sums[group]!.rejected += cell.rejected
        }
        let names = query.groupBy.contains(.site) ? try await siteNamesForFilter() : [:]
        return StatisticsReport(query: query, cells: order.map { sums[$0]! }, minimumCount: minimumCount, siteNames: names)
    }

    /// `overview(_:minimumCount:)` over the applications `filter` keeps.
    public func overview(_ query: StatisticsQuery, minimumCount: Int, filter: Filter) async throws -> StatisticsOverview {
        let parts = StatisticsOverview.queries(for: query)
        return StatisticsOverview(
            overTime: try await report(parts.overTime, minimumCount: minimumCount, filter: filter),
            bySubjectType: try await report(parts.bySubjectType, minimumCount: minimumCount, filter: filter),
            byProvince: try await report(parts.byProvince, minimumCount: minimumCount, filter: filter),
            byReason: try await report(parts.byReason, minimumCount: minimumCount, filter: filter),
            requested: try await report(query, minimumCount: minimumCount, filter: filter),
            generatedAt: clock.now())
    }

    /// `export(_:)` over the applications `filter` keeps; with an empty filter, the same bytes.
    public func export(_ parsed: Parsed, filter: Filter) async throws -> [UInt8] {
        guard !filter.isEmpty else { return try await export(parsed) }
        switch parsed.format {
        case .json: return try await report(parsed.query, minimumCount: parsed.minimumCount, filter: filter).json()
        case .csv: return try await report(parsed.query, minimumCount: parsed.minimumCount, filter: filter).csv(excel: false)
        case .html: return Array(try await overview(parsed.query, minimumCount: parsed.minimumCount, filter: filter).html().utf8)
        }
    }

    /// Every site's id and name, for the dashboard's site filter.
    public func siteChoices() async throws -> [(id: String, name: String)] {
        try await sites.sites().map { ($0.id.rawValue, $0.name) }
    }

    private func siteNamesForFilter() async throws -> [String: String] {
        Dictionary(try await siteChoices().map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
    }
}
