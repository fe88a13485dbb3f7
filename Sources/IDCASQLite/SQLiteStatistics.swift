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
/// Ten million decisions over a year leave about a million rows in `application_stats`, and SQLite
/// reads a row in about 250 ns: choosing the table is what keeps exports within milliseconds
/// (Docs/PERFORMANCE.md). Keys are stored as integers and summed here rather than by SQL's GROUP
/// BY, which sorts; both measured several times slower with text keys.
public struct SQLiteStatistics: StatisticsReader {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    /// Subject types as stored.
    static func code(_ type: SubjectType) -> Int64 { type == .individual ? 1 : 2 }
    static func subjectType(_ code: Int64) -> SubjectType? { code == 1 ? .individual : code == 2 ? .organization : nil }

    /// The id of a reason code or site id in `statistics_labels`, created on first use inside the
    /// caller's transaction (so a rolled-back decision takes a new label with it).
    static func label(_ kind: String, _ value: String, in db: Database) throws -> Int64 {
        if value.isEmpty { return 0 }
        if let id = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM statistics_labels WHERE kind = ? AND value = ?"),
                                       arguments: [kind, value]) {
            return id
        }
        try db.cachedStatement(sql: "INSERT INTO statistics_labels (kind, value) VALUES (?, ?)").execute(arguments: [kind, value])
        return db.lastInsertedRowID
    }

    /// Counts `decisions` inside the caller's transaction, so that the counters can never disagree
    /// with the decisions they summarize. Increments that fall on the same counter row are added up
    /// first, and each row is written once (a group-commit batch is mostly one day's few rows).
    public static func count(_ decisions: [DecisionRecord], in db: Database) throws {
        guard !decisions.isEmpty else { return }
        struct Row: Hashable {
            var table: Int
            var period: Int64, month: Int64, type: Int64, reason: Int64, province: Int64, site: Int64
        }
        var labels: [String: Int64] = [:]
        func cachedLabel(_ kind: String, _ value: String) throws -> Int64 {
            if let known = labels[kind + ":" + value] { return known }
            let id = try label(kind, value, in: db)
            labels[kind + ":" + value] = id
            return id
        }
        var increments: [Row: (applications: Int64, approved: Int64, rejected: Int64)] = [:]
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
                increments[row, default: (0, 0, 0)].applications += 1
                increments[row, default: (0, 0, 0)].approved += approved
                increments[row, default: (0, 0, 0)].rejected += 1 - approved
            }
        }
        let increment = """
            applications = applications + excluded.applications, approved = approved + excluded.approved, \
            rejected = rejected + excluded.rejected
            """
        let statements = try [
            db.cachedStatement(sql: """
                INSERT INTO application_stats (day, month, subject_type, reason, province, site, applications, approved, rejected)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (day, subject_type, reason, province, site) DO UPDATE SET \(increment)
                """),
            db.cachedStatement(sql: """
                INSERT INTO application_stats_month (month, subject_type, reason, province, site, applications, approved, rejected)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (month, subject_type, reason, province, site) DO UPDATE SET \(increment)
                """),
        ] + ["reason", "province", "site"].map { column in
            try db.cachedStatement(sql: """
                INSERT INTO application_stats_\(column) (day, month, subject_type, \(column), applications, approved, rejected)
                VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (day, subject_type, \(column)) DO UPDATE SET \(increment)
                """)
        }
        for (row, counts) in increments {
            let totals: [DatabaseValueConvertible] = [counts.applications, counts.approved, counts.rejected]
            let keys: [DatabaseValueConvertible] = switch row.table {
            case 0: [row.period, row.month, row.type, row.reason, row.province, row.site]
            case 1: [row.period, row.type, row.reason, row.province, row.site]
            case 2: [row.period, row.month, row.type, row.reason]
            case 3: [row.period, row.month, row.type, row.province]
            default: [row.period, row.month, row.type, row.site]
            }
            try statements[row.table].execute(arguments: StatementArguments(keys + totals))
        }
    }

    public func applicationCounts(_ query: StatisticsQuery) async throws -> [StatisticsCell] {
        try await database.read { db in
            // The first and last days with any decision (an index lookup each): a range that starts
            // before the first or ends after the last can read its edge months whole.
            let bounds = try Row.fetchOne(db.cachedStatement(sql: "SELECT min(day), max(day) FROM application_stats_reason"))
            let plan = SQLiteStatistics.plan(for: query, dataDays: (bounds?[0] as Int64?).flatMap { first in
                (bounds?[1] as Int64?).map { (first, $0) }
            })
            var labels: [Int64: String] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT id, value FROM statistics_labels")) {
                labels[row[0]] = row[1]
            }
            // Sum by key here: a hash table beats SQLite's sorter for GROUP BY on these sizes.
            var sums: [GroupKey: (applications: Int, approved: Int, rejected: Int)] = [:]
            let width = query.groupBy.count
            let rows = try Row.fetchCursor(db.cachedStatement(sql: plan.sql), arguments: StatementArguments(plan.arguments))
            while let row = try rows.next() {
                var key = GroupKey()
                for index in 0..<width { key[index] = row[index] }
                let applications: Int = row[width]
                let approved: Int = row[width + 1]
                let rejected: Int = row[width + 2]
                sums[key, default: (0, 0, 0)].applications += applications
                sums[key, default: (0, 0, 0)].approved += approved
                sums[key, default: (0, 0, 0)].rejected += rejected
            }
            var cells: [StatisticsCell] = []
            cells.reserveCapacity(sums.count)
            for (key, counts) in sums where counts.applications > 0 {
                var cell = StatisticsCell(applications: counts.applications, approved: counts.approved, rejected: counts.rejected)
                for (index, dimension) in query.groupBy.enumerated() {
                    let value = key[index]
                    switch dimension {
                    case .subjectType: cell.subjectType = SQLiteStatistics.subjectType(value)
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

    /// The SQL of a report: which tables it reads, and the date arguments.
    struct Plan {
        var sql: String
        var arguments: [Int64]
        /// The tables read, for tests and benchmarks.
        var tables: [String]
    }

    /// `dataDays`: the first and last day that have counters, if any.
    static func plan(for query: StatisticsQuery, dataDays: (first: Int64, last: Int64)?) -> Plan {
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
struct MonthCover {
    /// `yyyymm` of the first and last whole month, or `nil` when the range holds none.
    var months: (first: Int64, last: Int64)?
    /// Day numbers before the first whole month, inclusive; `lower > upper` when there are none,
    /// so that `BETWEEN` matches nothing.
    var before: (lower: Int64, upper: Int64)
    /// Day numbers after the last whole month, likewise.
    var after: (lower: Int64, upper: Int64)

    /// `dataDays` are the first and last days with any counters: a month whose days outside the
    /// range hold nothing can be read whole (a report "up to today" reads this month from the
    /// monthly table, not 29 days of daily rows).
    init(from: CivilDate, to: CivilDate, dataDays: (first: Int64, last: Int64)? = nil) {
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
