import IDCACore
import IDCARules

/// A statistics report: the counter sums of a query, as labelled rows in a stable order, with
/// small cells suppressed. The CSV, JSON and HTML renderings all read this one value, so they
/// cannot disagree about a number (Docs/STATISTICS.md).
public struct StatisticsReport: Sendable, Hashable {
    /// Applications, approvals and rejections of one group.
    public struct Counts: Sendable, Hashable {
        public var applications: Int
        public var approved: Int
        public var rejected: Int

        public init(applications: Int, approved: Int, rejected: Int) {
            self.applications = applications
            self.approved = approved
            self.rejected = rejected
        }

        /// Rejected ÷ applications, rounded to four decimals; 0 when there were none.
        public var rejectionRate: Double {
            applications == 0 ? 0 : (Double(rejected) / Double(applications) * 10_000).rounded() / 10_000
        }
    }

    /// One group: its key values (in the query's `groupBy` order) and its counts.
    public struct Row: Sendable, Hashable {
        /// Machine values: `individual`, an internal reason code, `2026-11`, `110000`, a site id.
        /// `nil` where there is no value (no reason for approvals, no province or site known).
        public var keys: [String?]
        /// Display names where they help people: the province's name, the site's name.
        public var labels: [String?]
        /// `nil` when suppressed (`applications` below `minimumCount`).
        public var counts: Counts?
        /// The counts even when suppressed: for totals and charts drawn for privileged readers only.
        let exactCounts: Counts

        public var isSuppressed: Bool { counts == nil }
    }

    public var query: StatisticsQuery
    /// Groups with fewer applications than this have every count suppressed; 0 or 1 suppresses nothing.
    public var minimumCount: Int
    public var rows: [Row]
    /// Sums over every group, suppressed ones included.
    public var totals: Counts

    /// Builds the report from the storage's cells.
    ///
    /// - Parameters:
    ///   - siteNames: display names for site ids (a site not listed shows its id only).
    ///   - regions: where province names come from.
    public init(query: StatisticsQuery, cells: [StatisticsCell], minimumCount: Int = 0, siteNames: [String: String] = [:],
                regions: RegionTable = .standard) {
        self.query = query
        self.minimumCount = minimumCount
        var totals = Counts(applications: 0, approved: 0, rejected: 0)
        var rows: [Row] = []
        rows.reserveCapacity(cells.count)
        // Labels are made once per distinct value, not once per row: a full breakdown has tens of
        // thousands of rows but a few hundred days and a few dozen provinces.
        var provinceLabels: [Int: (code: String, name: String?)] = [:]
        var periodLabels: [CivilDate: String] = [:]
        for cell in cells {
            var keys: [String?] = []
            var labels: [String?] = []
            keys.reserveCapacity(query.groupBy.count)
            labels.reserveCapacity(query.groupBy.count)
            for dimension in query.groupBy {
                switch dimension {
                case .subjectType:
                    keys.append(cell.subjectType?.rawValue)
                    labels.append(nil)
                case .reason:
                    keys.append(cell.reason)
                    labels.append(nil)
                case .period:
                    keys.append(cell.periodStart.map { start in
                        if let known = periodLabels[start] { return known }
                        let label = query.period.label(startingAt: start)
                        periodLabels[start] = label
                        return label
                    })
                    labels.append(nil)
                case .province:
                    let province = cell.province.map { code in
                        if let known = provinceLabels[code] { return known }
                        let label = (code: zeroPaddedDigits(code, width: 6), name: regions.region(code: code)?.name)
                        provinceLabels[code] = label
                        return label
                    }
                    keys.append(province?.code)
                    labels.append(province?.name)
                case .site:
                    keys.append(cell.site)
                    labels.append(cell.site.flatMap { siteNames[$0] })
                }
            }
            let counts = Counts(applications: cell.applications, approved: cell.approved, rejected: cell.rejected)
            totals.applications += counts.applications
            totals.approved += counts.approved
            totals.rejected += counts.rejected
            rows.append(Row(keys: keys, labels: labels, counts: counts.applications < minimumCount ? nil : counts, exactCounts: counts))
        }
        // A stable order for people and for diffing exports: by the keys, missing values last. One
        // precomputed string per row ("0" + value, or "1" for a missing one, columns joined by NUL)
        // sorts the same way as comparing key by key, at one comparison per pair.
        let sortKeys = rows.map { row in row.keys.map { $0.map { "0" + $0 } ?? "1" }.joined(separator: "\u{0}") }
        self.rows = rows.indices.sorted { sortKeys[$0] < sortKeys[$1] }.map { rows[$0] }
        self.totals = totals
    }

    /// The column names of the group keys, in order.
    public var keyColumns: [String] { query.groupBy.map(\.rawValue) }
}
