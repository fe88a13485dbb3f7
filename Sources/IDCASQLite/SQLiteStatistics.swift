import GRDB
import IDCACore
import IDCARules

/// The statistics counters: incremented with each decision, summed for reports.
///
/// A report's cost is the number of counter rows it reads, so each decision is counted five times,
/// in tables of different grain (Docs/STATISTICS.md):
///
/// | table | one row per | read when the report groups by |
/// | --- | --- | --- |
/// | `application_stats_reason` | day, subject type, reason | at most `reason` of the three detail keys |
/// | `application_stats_province` | day, subject type, province | `province` |
/// | `application_stats_site` | day, subject type, site | `site` |
/// | `application_stats` | day and every key | two or more detail keys, by day or week |
/// | `application_stats_month` | month and every key | two or more detail keys, by month or not by period: whole months |
///
/// Ten million decisions over a year leave about a million rows in `application_stats`, and a
/// SQLite scan costs about 250 ns a row: reading the narrow or monthly tables instead is what keeps
/// exports within milliseconds (Docs/PERFORMANCE.md).
public struct SQLiteStatistics: StatisticsReader {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    /// Counts `decision` inside the caller's transaction: the counters can never disagree with the
    /// decisions they summarize.
    public static func count(_ decision: DecisionRecord, in db: Database) throws {
        let key = StatisticsKey(decision)
        let date = CivilDate(daysSinceUnixEpoch: key.day)
        let month = date.year * 100 + date.month
        let approved = decision.isApproved ? 1 : 0
        let rejected = 1 - approved
        let type = key.subjectType.rawValue
        let increment = "applications = applications + 1, approved = approved + excluded.approved, rejected = rejected + excluded.rejected"
        try db.cachedStatement(sql: """
            INSERT INTO application_stats (day, month, subject_type, reason, province, site, applications, approved, rejected)
            VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)
            ON CONFLICT (day, subject_type, reason, province, site) DO UPDATE SET \(increment)
            """).execute(arguments: [key.day, month, type, key.reason, key.province, key.site, approved, rejected])
        try db.cachedStatement(sql: """
            INSERT INTO application_stats_month (month, subject_type, reason, province, site, applications, approved, rejected)
            VALUES (?, ?, ?, ?, ?, 1, ?, ?)
            ON CONFLICT (month, subject_type, reason, province, site) DO UPDATE SET \(increment)
            """).execute(arguments: [month, type, key.reason, key.province, key.site, approved, rejected])
        for (table, column, value) in [("reason", "reason", key.reason as DatabaseValueConvertible),
                                       ("province", "province", key.province), ("site", "site", key.site)] {
            try db.cachedStatement(sql: """
                INSERT INTO application_stats_\(table) (day, month, subject_type, \(column), applications, approved, rejected)
                VALUES (?, ?, ?, ?, 1, ?, ?)
                ON CONFLICT (day, subject_type, \(column)) DO UPDATE SET \(increment)
                """).execute(arguments: [key.day, month, type, value, approved, rejected])
        }
    }

    public func applicationCounts(_ query: StatisticsQuery) async throws -> [StatisticsCell] {
        let plan = SQLiteStatistics.plan(for: query)
        return try await database.read { db in
            let statement = try db.cachedStatement(sql: plan.sql)
            var cells: [StatisticsCell] = []
            let rows = try Row.fetchCursor(statement, arguments: StatementArguments(plan.arguments))
            let columns = query.groupBy
            while let row = try rows.next() {
                var cell = StatisticsCell(applications: row[columns.count], approved: row[columns.count + 1], rejected: row[columns.count + 2])
                for (index, dimension) in columns.enumerated() {
                    switch dimension {
                    case .subjectType: cell.subjectType = SubjectType(rawValue: row[index])
                    case .reason: cell.reason = (row[index] as String).isEmpty ? nil : row[index]
                    case .province: cell.province = (row[index] as Int) == 0 ? nil : row[index]
                    case .site: cell.site = (row[index] as String).isEmpty ? nil : row[index]
                    case .period:
                        if query.period == .month {
                            let month: Int = row[index]
                            cell.periodStart = CivilDate(year: month / 100, month: month % 100, day: 1)
                        } else {
                            cell.periodStart = CivilDate(daysSinceUnixEpoch: row[index])
                        }
                    }
                }
                // Without GROUP BY, an empty range still yields one row of zeros.
                if cell.applications > 0 { cells.append(cell) }
            }
            return cells
        }
    }

    /// The SQL of a report: which tables it reads, and the date arguments.
    struct Plan {
        var sql: String
        var arguments: [Int64]
        /// The tables read, for tests and benchmarks.
        var tables: [String]
    }

    static func plan(for query: StatisticsQuery) -> Plan {
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
        let sums = ["coalesce(sum(applications), 0)", "coalesce(sum(approved), 0)", "coalesce(sum(rejected), 0)"]

        if details.count <= 1 {
            // One detail key or none: the narrow table of that key (any of them has the totals).
            let table = "application_stats_" + (details.first == .province ? "province" : details.first == .site ? "site" : "reason")
            let keys = query.groupBy.map { expression($0) }
            var sql = "SELECT " + (keys + sums).joined(separator: ", ") + " FROM \(table) WHERE day BETWEEN ? AND ?"
            if !keys.isEmpty { sql += " GROUP BY " + keys.joined(separator: ", ") }
            return Plan(sql: sql, arguments: [from, to], tables: [table])
        }

        let keys = query.groupBy.enumerated().map { "k\($0.offset)" }
        let outer = { (inner: String) -> String in
            var sql = "SELECT " + (keys + sums).joined(separator: ", ") + " FROM (" + inner + ")"
            if !keys.isEmpty { sql += " GROUP BY " + keys.joined(separator: ", ") }
            return sql
        }
        func select(_ table: String) -> String {
            let columns = query.groupBy.enumerated().map { expression($0.element) + " AS k\($0.offset)" }
            return "SELECT " + (columns + ["applications", "approved", "rejected"]).joined(separator: ", ") + " FROM \(table)"
        }

        // Whole months inside the range come from the monthly table, the days around them from the
        // daily one; by day or by week, every day from the daily one.
        let cover = MonthCover(from: query.from, to: query.to)
        guard !byDayOrWeek, let months = cover.months else {
            return Plan(sql: outer(select("application_stats") + " WHERE day BETWEEN ? AND ?"), arguments: [from, to],
                        tables: ["application_stats"])
        }
        let inner = select("application_stats_month") + " WHERE month BETWEEN ? AND ?"
            + " UNION ALL " + select("application_stats") + " WHERE day BETWEEN ? AND ? OR day BETWEEN ? AND ?"
        return Plan(sql: outer(inner),
                    arguments: [months.first, months.last, cover.before.lower, cover.before.upper, cover.after.lower, cover.after.upper],
                    tables: ["application_stats_month", "application_stats"])
    }
}

/// A date range as whole months plus the days before and after them.
struct MonthCover {
    /// `yyyymm` of the first and last whole month, or `nil` when the range holds none.
    var months: (first: Int64, last: Int64)?
    /// Day numbers before the first whole month, inclusive; `lower > upper` when there are none,
    /// so that `BETWEEN` matches nothing.
    var before: (lower: Int64, upper: Int64)
    /// Day numbers after the last whole month, likewise.
    var after: (lower: Int64, upper: Int64)

    init(from: CivilDate, to: CivilDate) {
        let firstStart = from.day == 1 ? from : Self.firstDay(after: from)
        let lastEnd = to.next.day == 1 ? to : CivilDate(year: to.year, month: to.month, day: 1)!.previous
        let empty: (lower: Int64, upper: Int64) = (1, 0)
        guard firstStart <= lastEnd else {
            months = nil
            before = (from.daysSinceUnixEpoch, to.daysSinceUnixEpoch)
            after = empty
            return
        }
        months = (Int64(firstStart.year * 100 + firstStart.month), Int64(lastEnd.year * 100 + lastEnd.month))
        before = firstStart == from ? empty : (from.daysSinceUnixEpoch, firstStart.previous.daysSinceUnixEpoch)
        after = lastEnd == to ? empty : (lastEnd.next.daysSinceUnixEpoch, to.daysSinceUnixEpoch)
    }

    private static func firstDay(after date: CivilDate) -> CivilDate {
        date.month == 12 ? CivilDate(year: date.year + 1, month: 1, day: 1)! : CivilDate(year: date.year, month: date.month + 1, day: 1)!
    }
}
