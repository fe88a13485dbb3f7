import GRDB
import IDCACore
import IDCARules

/// The statistics counters: incremented with each decision, summed for reports. The tables and the
/// choice of table per report are shared with every backend (`StatisticsTables`); SQLite reads a
/// counter row in about 250 ns, and choosing the table is what keeps exports within milliseconds
/// over ten million decisions (Docs/PERFORMANCE.md).
public struct SQLiteStatistics: StatisticsReader {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    /// The id of a reason code or site id in `statistics_labels`, created on first use inside the
    /// caller's transaction (so a rolled-back decision takes a new label with it).
    static func label(_ kind: String, _ value: String, in db: Database) throws -> Int64 {
        if let id = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM statistics_labels WHERE kind = ? AND value = ?"),
                                       arguments: [kind, value]) {
            return id
        }
        try db.cachedStatement(sql: "INSERT INTO statistics_labels (kind, value) VALUES (?, ?)").execute(arguments: [kind, value])
        return db.lastInsertedRowID
    }

    /// Counts `decisions` inside the caller's transaction, so that the counters can never disagree
    /// with the decisions they summarize; each counter row is written once.
    public static func count(_ decisions: [DecisionRecord], in db: Database) throws {
        guard !decisions.isEmpty else { return }
        let increments = try StatisticsTables.increments(decisions) { kind, value in try label(kind, value, in: db) }
        let statements = try StatisticsTables.tables.map { table in
            let columns = table.keyColumns + ["applications", "approved", "rejected"]
            return try db.cachedStatement(sql: """
                INSERT INTO \(table.name) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))
                ON CONFLICT (\(table.primaryKey.joined(separator: ", "))) DO UPDATE SET applications = applications + excluded.applications,
                    approved = approved + excluded.approved, rejected = rejected + excluded.rejected
                """)
        }
        for (row, counts) in increments {
            try statements[row.table].execute(arguments: StatementArguments(row.keys + [counts.applications, counts.approved, counts.rejected]))
        }
    }

    public func applicationCounts(_ query: StatisticsQuery) async throws -> [StatisticsCell] {
        try await database.read { db in
            // The first and last days with any decision: a range that starts before the first or
            // ends after the last can read its edge months whole.
            let bounds = try Row.fetchOne(db.cachedStatement(sql: StatisticsTables.dataDaysSQL))
            let plan = StatisticsTables.plan(for: query, dataDays: (bounds?[0] as Int64?).flatMap { first in
                (bounds?[1] as Int64?).map { (first, $0) }
            })
            var labels: [Int64: String] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT id, value FROM statistics_labels")) {
                labels[row[0]] = row[1]
            }
            var summer = StatisticsTables.Summer(query: query)
            let width = query.groupBy.count
            let rows = try Row.fetchCursor(db.cachedStatement(sql: plan.sql), arguments: StatementArguments(plan.arguments))
            while let row = try rows.next() {
                summer.add(keys: { row[$0] }, applications: row[width], approved: row[width + 1], rejected: row[width + 2])
            }
            return summer.cells(labels: labels)
        }
    }
}
