import IDCARules

/// The statistics counters as every backend stores them (Docs/STATISTICS.md): which rows a batch of
/// decisions increments, which tables a report reads, and how summed rows become cells. Backends
/// differ only in how they run the SQL, so that both give the same answer to the same query.
///
/// A report's cost is the number of counter rows it reads, so each decision is counted five times,
/// in tables of different grain:
///
/// | table | one row per | read when the report groups by |
/// | --- | --- | --- |
/// | `application_stats_reason` | day, subject type, reason | at most `reason` of the three detail keys |
/// | `application_stats_province` | day, subject type, province | `province` |
/// | `application_stats_site` | day, subject type, site | `site` |
/// | `application_stats` | day and every key | two or more detail keys, by day or week |
/// | `application_stats_month` | month and every key | two or more detail keys, by month or not by period: whole months |
///
/// Keys are integers: the subject type (1 individual, 2 organization), the province's division
/// code (0 unknown), and reason and site as ids of labels (0 for none).
public enum StatisticsTables {
    /// Subject types as stored.
    public static func code(_ type: SubjectType) -> Int64 { type == .individual ? 1 : 2 }
    public static func subjectType(_ code: Int64) -> SubjectType? { code == 1 ? .individual : code == 2 ? .organization : nil }

    /// One counter row. `table` indexes `tables`; `period` is the day, or `yyyymm` in the monthly table.
    public struct Row: Hashable, Sendable, Comparable {
        public var table: Int
        public var period: Int64, month: Int64, type: Int64, reason: Int64, province: Int64, site: Int64

        /// The values of the row's key columns, in the order of `keyColumns(table)`.
        public var keys: [Int64] {
            switch table {
            case 0: [period, month, type, reason, province, site]
            case 1: [period, type, reason, province, site]
            case 2: [period, month, type, reason]
            case 3: [period, month, type, province]
            default: [period, month, type, site]
            }
        }

        public static func < (lhs: Row, rhs: Row) -> Bool {
            (lhs.table, lhs.period, lhs.type, lhs.reason, lhs.province, lhs.site)
                < (rhs.table, rhs.period, rhs.type, rhs.reason, rhs.province, rhs.site)
        }
    }

    public struct Counts: Hashable, Sendable {
        public var applications: Int64 = 0, approved: Int64 = 0, rejected: Int64 = 0
    }

    /// The tables in `Row.table` order, each with its key columns and its primary key.
    public static let tables: [(name: String, keyColumns: [String], primaryKey: [String])] = [
        ("application_stats", ["day", "month", "subject_type", "reason", "province", "site"],
         ["day", "subject_type", "reason", "province", "site"]),
        ("application_stats_month", ["month", "subject_type", "reason", "province", "site"],
         ["month", "subject_type", "reason", "province", "site"]),
        ("application_stats_reason", ["day", "month", "subject_type", "reason"], ["day", "subject_type", "reason"]),
        ("application_stats_province", ["day", "month", "subject_type", "province"], ["day", "subject_type", "province"]),
        ("application_stats_site", ["day", "month", "subject_type", "site"], ["day", "subject_type", "site"]),
    ]

    /// The increments `decisions` make, added up per counter row (a group-commit batch is mostly one
    /// day's few rows). `label` gives the id of a reason code or site id ("reason" or "site"), making
    /// one if needed; it is asked once per distinct value.
    public static func increments(_ decisions: [DecisionRecord],
                                  label: (_ kind: String, _ value: String) throws -> Int64) rethrows -> [Row: Counts] {
        var labels: [String: Int64] = [:]
        func cachedLabel(_ kind: String, _ value: String) throws -> Int64 {
            if value.isEmpty { return 0 }
            if let known = labels[kind + ":" + value] { return known }
            let id = try label(kind, value)
            labels[kind + ":" + value] = id
            return id
        }
        var increments: [Row: Counts] = [:]
        for decision in decisions {
            let key = StatisticsKey(decision)
            let date = CivilDate(daysSinceUnixEpoch: key.day)
            let month = Int64(date.year * 100 + date.month)
            let type = code(key.subjectType)
            let reason = try cachedLabel("reason", key.reason)
            let site = try cachedLabel("site", key.site)
            let province = Int64(key.province)
            let approved: Int64 = decision.isApproved ? 1 : 0
            for row in [
                Row(table: 0, period: key.day, month: month, type: type, reason: reason, province: province, site: site),
                Row(table: 1, period: month, month: month, type: type, reason: reason, province: province, site: site),
                Row(table: 2, period: key.day, month: month, type: type, reason: reason, province: 0, site: 0),
                Row(table: 3, period: key.day, month: month, type: type, reason: 0, province: province, site: 0),
                Row(table: 4, period: key.day, month: month, type: type, reason: 0, province: 0, site: site),
            ] {
                increments[row, default: Counts()].applications += 1
                increments[row, default: Counts()].approved += approved
                increments[row, default: Counts()].rejected += 1 - approved
            }
        }
        return increments
    }

    /// The SQL of a report: which tables it reads, and the date arguments. Placeholders are `?`.
    /// Each result row is the query's `groupBy` keys, then applications, approved, rejected.
    public struct Plan: Sendable {
        public var sql: String
        public var arguments: [Int64]
        /// The tables read, for tests and benchmarks.
        public var tables: [String]
    }

    /// The SQL to find the first and last days that have counters (an index lookup each).
    public static let dataDaysSQL = "SELECT min(day), max(day) FROM application_stats_reason"

    /// `dataDays`: the first and last day that have counters, if any.
    public static func plan(for query: StatisticsQuery, dataDays: (first: Int64, last: Int64)?) -> Plan {
        let from = query.from.daysSinceUnixEpoch
        let to = query.to.daysSinceUnixEpoch
        let details = query.groupBy.filter { $0 == .reason || $0 == .province || $0 == .site }
        let byDayOrWeek = query.groupBy.contains(.period) && query.period != .month

        func expression(_ dimension: StatisticsDimension) -> String {
            switch dimension {
            case .subjectType: "subject_type"
            case .reason: "reason"
            case .province: "province"
            case .site: "site"
            case .period:
                switch query.period {
                case .day: "day"
                // Monday on or before the day (1970-01-01 was a Thursday; days here are after 1970).
                case .week: "day - ((day + 3) % 7)"
                case .month: "month"
                }
            }
        }
        let columns = query.groupBy.map(expression) + ["applications", "approved", "rejected"]
        let select = "SELECT " + columns.joined(separator: ", ") + " FROM "

        if details.count <= 1 {
            // One detail key or none: the narrow table of that key (any of them has the totals).
            let table = "application_stats_" + (details.first == .province ? "province" : details.first == .site ? "site" : "reason")
            return Plan(sql: select + table + " WHERE day BETWEEN ? AND ?", arguments: [from, to], tables: [table])
        }
        // Whole months inside the range come from the monthly table, the days around them from the
        // daily one; by day or by week, every day from the daily one.
        let cover = MonthCover(from: query.from, to: query.to, dataDays: dataDays)
        guard !byDayOrWeek, let months = cover.months else {
            return Plan(sql: select + "application_stats WHERE day BETWEEN ? AND ?", arguments: [from, to], tables: ["application_stats"])
        }
        return Plan(sql: select + "application_stats_month WHERE month BETWEEN ? AND ? UNION ALL "
                        + select + "application_stats WHERE day BETWEEN ? AND ? OR day BETWEEN ? AND ?",
                    arguments: [months.first, months.last, cover.before.lower, cover.before.upper, cover.after.lower, cover.after.upper],
                    tables: ["application_stats_month", "application_stats"])
    }

    /// Sums a plan's result rows by key (a hash table beats SQL's GROUP BY, which sorts, on these
    /// sizes) and names the keys. `labels` maps label ids to reason codes and site ids.
    public struct Summer {
        private let query: StatisticsQuery
        private var sums: [GroupKey: Counts] = [:]

        public init(query: StatisticsQuery) { self.query = query }

        /// Adds one result row: the `groupBy` keys in order, then the three counts.
        public mutating func add(keys: (Int) -> Int64, applications: Int64, approved: Int64, rejected: Int64) {
            var key = GroupKey()
            for index in 0..<query.groupBy.count { key[index] = keys(index) }
            sums[key, default: Counts()].applications += applications
            sums[key, default: Counts()].approved += approved
            sums[key, default: Counts()].rejected += rejected
        }

        public func cells(labels: [Int64: String]) -> [StatisticsCell] {
            var cells: [StatisticsCell] = []
            cells.reserveCapacity(sums.count)
            for (key, counts) in sums where counts.applications > 0 {
                var cell = StatisticsCell(applications: Int(counts.applications), approved: Int(counts.approved), rejected: Int(counts.rejected))
                for (index, dimension) in query.groupBy.enumerated() {
                    let value = key[index]
                    switch dimension {
                    case .subjectType: cell.subjectType = StatisticsTables.subjectType(value)
                    case .reason: cell.reason = value == 0 ? nil : labels[value] ?? "unknown"
                    case .province: cell.province = value == 0 ? nil : Int(value)
                    case .site: cell.site = value == 0 ? nil : labels[value] ?? "unknown"
                    case .period:
                        cell.periodStart = query.period == .month
                            ? CivilDate(year: Int(value / 100), month: Int(value % 100), day: 1)
                            : CivilDate(daysSinceUnixEpoch: value)
                    }
                }
                cells.append(cell)
            }
            return cells
        }
    }
}

/// The integer keys of one group, in `groupBy` order (at most the five dimensions).
struct GroupKey: Hashable {
    private var first: Int64 = 0, second: Int64 = 0, third: Int64 = 0, fourth: Int64 = 0, fifth: Int64 = 0

    subscript(index: Int) -> Int64 {
        get {
            switch index {
            case 0: first
            case 1: second
            case 2: third
            case 3: fourth
            default: fifth
            }
        }
        set {
            switch index {
            case 0: first = newValue
            case 1: second = newValue
            case 2: third = newValue
            case 3: fourth = newValue
            default: fifth = newValue
            }
        }
    }
}

/// A date range as whole months plus the days before and after them.
public struct MonthCover: Sendable {
    /// `yyyymm` of the first and last whole month, or `nil` when the range holds none.
    public var months: (first: Int64, last: Int64)?
    /// Day numbers before the first whole month, inclusive; `lower > upper` when there are none,
    /// so that `BETWEEN` matches nothing.
    public var before: (lower: Int64, upper: Int64)
    /// Day numbers after the last whole month, likewise.
    public var after: (lower: Int64, upper: Int64)

    /// `dataDays` are the first and last days with any counters: a month whose days outside the
    /// range hold nothing can be read whole (a report "up to today" reads this month from the
    /// monthly table, not 29 days of daily rows).
    public init(from: CivilDate, to: CivilDate, dataDays: (first: Int64, last: Int64)? = nil) {
        let monthOfFrom = CivilDate(year: from.year, month: from.month, day: 1)!
        let startsClean = from.day == 1 || (dataDays.map { $0.first >= from.daysSinceUnixEpoch } ?? false)
        let firstStart = startsClean ? monthOfFrom : Self.firstDay(after: from)
        let endsClean = to.next.day == 1 || (dataDays.map { $0.last <= to.daysSinceUnixEpoch } ?? false)
        let lastEnd = endsClean ? Self.firstDay(after: to).previous : CivilDate(year: to.year, month: to.month, day: 1)!.previous
        let empty: (lower: Int64, upper: Int64) = (1, 0)
        guard firstStart <= lastEnd else {
            months = nil
            before = (from.daysSinceUnixEpoch, to.daysSinceUnixEpoch)
            after = empty
            return
        }
        months = (Int64(firstStart.year * 100 + firstStart.month), Int64(lastEnd.year * 100 + lastEnd.month))
        before = firstStart <= from ? empty : (from.daysSinceUnixEpoch, firstStart.previous.daysSinceUnixEpoch)
        after = lastEnd >= to ? empty : (lastEnd.next.daysSinceUnixEpoch, to.daysSinceUnixEpoch)
    }

    private static func firstDay(after date: CivilDate) -> CivilDate {
        date.month == 12 ? CivilDate(year: date.year + 1, month: 1, day: 1)! : CivilDate(year: date.year, month: date.month + 1, day: 1)!
    }
}
