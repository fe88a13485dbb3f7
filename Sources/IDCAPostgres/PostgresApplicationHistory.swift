import IDCACore
import PostgresNIO

/// Past decisions, read for the budgets and the impersonation report (migration 0004's indexes).
public struct PostgresApplicationHistory: ApplicationHistory {
    let database: PostgresBackend

    public init(database: PostgresBackend) {
        self.database = database
    }

    public func failureTimes(subjectReference: String, reasons: [String], since: Int64, limit: Int) async throws -> [Int64] {
        try await database.read { client in
            let rows = try await client.query("""
                SELECT decided_at FROM applications
                WHERE subject_ref = \(subjectReference) AND decided_at >= \(since) AND status = 'rejected'
                  AND internal_reason = ANY(\(reasons))
                UNION ALL
                SELECT decided_at FROM applications
                WHERE operator_ref = \(subjectReference) AND decided_at >= \(since) AND status = 'rejected'
                  AND internal_reason = ANY(\(reasons))
                ORDER BY decided_at DESC LIMIT \(Int64(limit))
                """, logger: database.logger)
            var times: [Int64] = []
            for try await time in rows.decode(Int64.self) { times.append(time) }
            return times
        }
    }

    public func impersonationPatterns(from: Int64, to: Int64, minimum: Int) async throws -> ImpersonationPatterns {
        try await database.read { client in
            func rows(_ sql: String) async throws -> [PostgresRandomAccessRow] {
                var binds = PostgresBindings()
                binds.append(from)
                binds.append(to)
                binds.append(Int64(minimum))
                return try await client.query(PostgresQuery(unsafeSQL: numbered(sql), binds: binds), logger: database.logger)
                    .collect().map { $0.makeRandomAccess() }
            }
            func integer(_ cell: PostgresCell) throws -> Int { Int(try cell.decode(Int64.self)) }
            let organizations = try await rows(ImpersonationPatterns.organizationsSQL).map { row in
                ImpersonationPatterns.Organization(
                    reference: try row[0].decode(String.self), operators: try integer(row[1]), applications: try integer(row[2]),
                    rejected: try integer(row[3]), first: try row[4].decode(Int64.self), last: try row[5].decode(Int64.self))
            }
            let residents = try await rows(ImpersonationPatterns.residentsSQL).map { row in
                ImpersonationPatterns.Resident(
                    reference: try row[0].decode(String.self), nameMismatches: try integer(row[1]), possessionFailures: try integer(row[2]),
                    first: try row[3].decode(Int64.self), last: try row[4].decode(Int64.self))
            }
            let sources = try await rows(ImpersonationPatterns.sourcesSQL).map { row in
                ImpersonationPatterns.Source(
                    reference: try row[0].decode(String.self), applications: try integer(row[1]), rejected: try integer(row[2]),
                    subjects: try integer(row[3]), first: try row[4].decode(Int64.self), last: try row[5].decode(Int64.self))
            }
            return ImpersonationPatterns(organizations: organizations, residents: residents, sources: sources)
        }
    }
}
