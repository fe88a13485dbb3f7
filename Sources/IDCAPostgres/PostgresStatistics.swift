import IDCACore
import Logging
import PostgresNIO

/// The statistics counters on PostgreSQL: the same tables and plans as SQLite (`StatisticsTables`).
public struct PostgresStatistics: StatisticsReader {
    let database: PostgresBackend

    public init(database: PostgresBackend) {
        self.database = database
    }

    /// Counts `decisions` in the caller's transaction, which holds the chain lock, so that batches of
    /// different instances add to the same counter rows one after another. Every counter table is
    /// written by one prepared statement (`SQL.CountDecisions`, one round trip). `known` are label
    /// ids already committed; the labels this transaction had to look up or create are returned, to
    /// be remembered once it commits.
    static func count(_ decisions: [DecisionRecord], on connection: PostgresConnection, known: [String: Int64],
                      logger: Logger) async throws -> [String: Int64] {
        guard !decisions.isEmpty else { return [:] }
        var needed: Set<[String]> = []
        for decision in decisions {
            let key = StatisticsKey(decision)
            for (kind, value) in [("reason", key.reason), ("site", key.site)] where !value.isEmpty && known[kind + ":" + value] == nil {
                needed.insert([kind, value])
            }
        }
        var learned: [String: Int64] = [:]
        for label in needed.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let rows = try await connection.query("""
                WITH created AS (
                    INSERT INTO statistics_labels (kind, value) VALUES (\(label[0]), \(label[1])) ON CONFLICT (kind, value) DO NOTHING RETURNING id
                )
                SELECT id FROM created UNION ALL SELECT id FROM statistics_labels WHERE kind = \(label[0]) AND value = \(label[1])
                """, logger: logger)
            for try await id in rows.decode(Int64.self) {
                learned[label[0] + ":" + label[1]] = id
                break
            }
        }
        let increments = StatisticsTables.increments(decisions) { kind, value in
            known[kind + ":" + value] ?? learned[kind + ":" + value]!
        }
        _ = try await connection.run(SQL.CountDecisions.self, logger: logger) { bindings in
            for (index, table) in StatisticsTables.tables.enumerated() {
                let rows = increments.filter { $0.key.table == index }.sorted { $0.key < $1.key }
                var arrays = Array(repeating: [Int64](), count: table.keyColumns.count + 3)
                for (row, counts) in rows {
                    for (column, value) in (row.keys + [counts.applications, counts.approved, counts.rejected]).enumerated() {
                        arrays[column].append(value)
                    }
                }
                for array in arrays { bindings.append(array) }
            }
        }
        return learned
    }

    public func applicationCounts(_ query: StatisticsQuery) async throws -> [StatisticsCell] {
        try await database.read { client in
            let logger = database.logger
            // One connection, one snapshot for the three reads: counters committed between them
            // cannot make the labels and the sums disagree.
            return try await client.withConnection { connection in
                try await connection.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger) { connection in
                    var dataDays: (first: Int64, last: Int64)?
                    for try await (first, last) in try await connection.query(PostgresQuery(unsafeSQL: StatisticsTables.dataDaysSQL),
                                                                              logger: logger).decode((Int64?, Int64?).self) {
                        if let first, let last { dataDays = (first, last) }
                    }
                    var labels: [Int64: String] = [:]
                    for try await (id, value) in try await connection.query("SELECT id, value FROM statistics_labels", logger: logger)
                        .decode((Int64, String).self) {
                        labels[id] = value
                    }
                    let plan = StatisticsTables.plan(for: query, dataDays: dataDays)
                    var bindings = PostgresBindings()
                    for argument in plan.arguments { bindings.append(argument) }
                    var summer = StatisticsTables.Summer(query: query)
                    let width = query.groupBy.count
                    let rows = try await connection.query(PostgresQuery(unsafeSQL: numbered(plan.sql), binds: bindings), logger: logger)
                    for try await row in rows {
                        let cells = row.makeRandomAccess()
                        let values = try (0..<(width + 3)).map { try cells[$0].decode(Int64.self) }
                        summer.add(keys: { values[$0] }, applications: values[width], approved: values[width + 1], rejected: values[width + 2])
                    }
                    return summer.cells(labels: labels)
                }
            }
        }
    }
}

/// `?` placeholders (the dialect of the SQL both backends share) as PostgreSQL's `$1`, `$2`, …
func numbered(_ sql: String) -> String {
    var result = ""
    var index = 0
    for character in sql {
        if character == "?" {
            index += 1
            result += "$\(index)"
        } else {
            result.append(character)
        }
    }
    return result
}
