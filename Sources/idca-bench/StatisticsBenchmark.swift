import GRDB
import Foundation
import IDCACore
import IDCAReports
import IDCARules
import IDCASQLite
import IDCASynthetic

/// Statistics exports over a large history: `applications` decisions spread over `days` days, with
/// a realistic spread over subject types, reasons, provinces and sites, then every kind of export
/// timed (median of several runs, query plus rendering).
///
/// The counters are what `SQLiteStatistics.count` leaves behind after that many decisions; they
/// are summed in memory first and inserted in one transaction, because ten million single upserts
/// would time the loading, not the exports.
func benchmarkStatistics(applications: Int, days: Int) async throws {
    let directory = NSTemporaryDirectory() + "idca-bench-stats-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let database = try SQLiteDatabase(path: directory + "/stats.sqlite")

    struct Key: Hashable { var day: Int64; var type: Int; var reason: Int; var province: Int; var site: Int }
    let individualReasons = ["checksum", "registry_name_mismatch", "registry_not_found", "identity_inactive", "whitespace", "length",
                             "birth_date_invalid", "division_unknown", "lowercase_x", "name_invalid", "non_ascii"]
    let organizationReasons = ["checksum", "organization_name_mismatch", "legal_representative_mismatch", "organization_inactive",
                               "organization_not_found", "registry_name_mismatch", "division_format", "organization_code_mismatch", "length"]
    let provinces = RegionTable.standard.regions.filter { $0.code % 10_000 == 0 && $0.status == .current }.map(\.code)
    let sites = (0..<8).map { "site_bench\($0)" + String(repeating: "a", count: 17) }
    let lastDay = CivilDate(year: 2026, month: 11, day: 29)!.daysSinceUnixEpoch
    var random = SeededGenerator(seed: 10)
    var counts: [Key: (applications: Int, approved: Int)] = [:]
    let started = ContinuousClock.now
    for _ in 0..<applications {
        let day = lastDay - Int64.random(in: 0..<Int64(days), using: &random)
        let isOrganization = Int.random(in: 0..<10, using: &random) < 2
        let rejected = Int.random(in: 0..<100, using: &random) < (isOrganization ? 38 : 11)
        let reasons = isOrganization ? organizationReasons : individualReasons
        // Skewed: the first reasons are the common ones.
        let reason = rejected ? 1 + min(reasons.count - 1, Int(Double(reasons.count) * pow(Double.random(in: 0..<1, using: &random), 2.5))) : 0
        let province = reason == 1 && !isOrganization ? -1 : provinces[Int(Double(provinces.count) * pow(Double.random(in: 0..<1, using: &random), 1.6))]
        let site = Int.random(in: 0..<10, using: &random) < 7 ? Int.random(in: 0..<sites.count, using: &random) : -1
        let key = Key(day: day, type: isOrganization ? 1 : 0, reason: reason, province: province, site: site)
        counts[key, default: (0, 0)].applications += 1
        if !rejected { counts[key, default: (0, 0)].approved += 1 }
    }
    // Every table as `SQLiteStatistics.count` would have left it: the same sums at each grain.
    struct Grain: Hashable { var period: Int64; var type: Int; var reason: Int; var province: Int; var site: Int }
    var grains: [String: [Grain: (applications: Int, approved: Int)]] = [:]
    for (key, value) in counts {
        let date = CivilDate(daysSinceUnixEpoch: key.day)
        let month = Int64(date.year * 100 + date.month)
        for (table, grain) in [
            ("application_stats", Grain(period: key.day, type: key.type, reason: key.reason, province: key.province, site: key.site)),
            ("application_stats_month", Grain(period: month, type: key.type, reason: key.reason, province: key.province, site: key.site)),
            ("application_stats_reason", Grain(period: key.day, type: key.type, reason: key.reason, province: 0, site: 0)),
            ("application_stats_province", Grain(period: key.day, type: key.type, reason: 0, province: key.province, site: 0)),
            ("application_stats_site", Grain(period: key.day, type: key.type, reason: 0, province: 0, site: key.site)),
        ] {
            grains[table, default: [:]][grain, default: (0, 0)].applications += value.applications
            grains[table, default: [:]][grain, default: (0, 0)].approved += value.approved
        }
    }
    let tables = grains
    try await database.pool.write { db in
        // Label ids as `SQLiteStatistics.label` would assign them.
        var labels: [String: Int64] = [:]
        for (kind, values) in [("reason", individualReasons + organizationReasons), ("site", sites)] {
            for value in values where labels[kind + ":" + value] == nil {
                try db.execute(sql: "INSERT INTO statistics_labels (kind, value) VALUES (?, ?)", arguments: [kind, value])
                labels[kind + ":" + value] = db.lastInsertedRowID
            }
        }
        for (table, cells) in tables {
            let columns: [String] = switch table {
            case "application_stats": ["day", "month", "subject_type", "reason", "province", "site"]
            case "application_stats_month": ["month", "subject_type", "reason", "province", "site"]
            case "application_stats_reason": ["day", "month", "subject_type", "reason"]
            case "application_stats_province": ["day", "month", "subject_type", "province"]
            default: ["day", "month", "subject_type", "site"]
            }
            let statement = try db.makeStatement(sql: "INSERT INTO \(table) (" + (columns + ["applications", "approved", "rejected"]).joined(separator: ", ")
                                                     + ") VALUES (" + Array(repeating: "?", count: columns.count + 3).joined(separator: ", ") + ")")
            for (grain, value) in cells {
                let reasons = grain.type == 1 ? organizationReasons : individualReasons
                var arguments: [DatabaseValueConvertible] = []
                for column in columns {
                    switch column {
                    case "day": arguments.append(grain.period)
                    case "month":
                        if table == "application_stats_month" {
                            arguments.append(grain.period)
                        } else {
                            let date = CivilDate(daysSinceUnixEpoch: grain.period)
                            arguments.append(date.year * 100 + date.month)
                        }
                    case "subject_type": arguments.append(grain.type == 1 ? 2 : 1)
                    case "reason": arguments.append(grain.reason == 0 ? 0 : labels["reason:" + reasons[grain.reason - 1]]!)
                    case "province": arguments.append(max(0, grain.province))
                    default: arguments.append(grain.site < 0 ? 0 : labels["site:" + sites[grain.site]]!)
                    }
                }
                try statement.execute(arguments: StatementArguments(arguments + [value.applications, value.approved,
                                                                                 value.applications - value.approved]))
            }
        }
    }
    let rowCounts = tables.map { "\($0.key)=\($0.value.count)" }.sorted().joined(separator: " ")
    print("statistics: \(applications) applications over \(days) days -> counter rows \(rowCounts) (loaded in \(ContinuousClock.now - started))")

    let statistics = SQLiteStatistics(database: database)
    let to = CivilDate(daysSinceUnixEpoch: lastDay)
    let from = CivilDate(daysSinceUnixEpoch: lastDay - Int64(days) + 1)
    let lastMonth = CivilDate(daysSinceUnixEpoch: lastDay - 29)
    let quarter = CivilDate(daysSinceUnixEpoch: lastDay - 90)
    let cases: [(String, StatisticsQuery, StatisticsFormat)] = [
        ("totals, all days, json", StatisticsQuery(from: from, to: to, groupBy: []), .json),
        ("reason, last 30 days, json", StatisticsQuery(from: lastMonth, to: to, groupBy: [.reason]), .json),
        ("site, last 90 days, csv", StatisticsQuery(from: quarter, to: to, groupBy: [.site]), .csv),
        ("period=day,reason, all days, csv", StatisticsQuery(from: from, to: to, groupBy: [.period, .reason]), .csv),
        ("province,reason, all days, csv", StatisticsQuery(from: from, to: to, groupBy: [.province, .reason]), .csv),
        ("subject_type,reason,site, last 90 days, json", StatisticsQuery(from: quarter, to: to, groupBy: [.subjectType, .reason, .site]), .json),
        ("subject_type, all days, csv", StatisticsQuery(from: from, to: to, groupBy: [.subjectType]), .csv),
        ("subject_type,reason, all days, csv", StatisticsQuery(from: from, to: to, groupBy: [.subjectType, .reason]), .csv),
        ("province, all days, json", StatisticsQuery(from: from, to: to, groupBy: [.province]), .json),
        ("period=month,reason, all days, csv", StatisticsQuery(from: from, to: to, groupBy: [.period, .reason], period: .month), .csv),
        ("period=week,subject_type, all days, json", StatisticsQuery(from: from, to: to, groupBy: [.period, .subjectType], period: .week), .json),
        ("period=day, all days, csv", StatisticsQuery(from: from, to: to, groupBy: [.period]), .csv),
        ("every dimension, last 30 days, csv",
         StatisticsQuery(from: lastMonth, to: to, groupBy: [.period, .subjectType, .reason, .province, .site]), .csv),
        ("every dimension, all days, csv",
         StatisticsQuery(from: from, to: to, groupBy: [.period, .subjectType, .reason, .province, .site], period: .month), .csv),
    ]
    for (label, query, format) in cases {
        var timings: [Duration] = []
        var queryTimings: [Duration] = []
        var rows = 0
        for _ in 0..<7 {
            let start = ContinuousClock.now
            let cells = try await statistics.applicationCounts(query)
            queryTimings.append(ContinuousClock.now - start)
            let report = StatisticsReport(query: query, cells: cells)
            let bytes = format == .csv ? report.csv() : report.json()
            timings.append(ContinuousClock.now - start)
            rows = report.rows.count
            precondition(report.totals.applications == applications || query.from != from, "the counters lost applications")
            _ = bytes.count
        }
        func median(_ durations: [Duration]) -> String {
            let middle = durations.sorted()[durations.count / 2]
            return String(format: "%.1f", Double(middle.components.attoseconds) / 1e15 + Double(middle.components.seconds) * 1000)
        }
        print("statistics export \(label.padding(48)) \(String(rows).leftPadding(8)) rows  median \(median(timings).leftPadding(7)) ms"
              + "  (query \(median(queryTimings)) ms)")
    }
    try database.pool.close()
}
