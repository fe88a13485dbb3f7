import GRDB
import IDCACore

/// Past decisions, read for the budgets and the impersonation report (migration 0004's indexes).
public struct SQLiteApplicationHistory: ApplicationHistory {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func failureTimes(subjectReference: String, reasons: [String], since: Int64, limit: Int) async throws -> [Int64] {
        try await database.read { db in
            let marks = Array(repeating: "?", count: reasons.count).joined(separator: ", ")
            var arguments: [any DatabaseValueConvertible] = [subjectReference, since]
            arguments += reasons
            arguments += [subjectReference, since]
            arguments += reasons
            arguments.append(limit)
            // Two indexed halves (by subject, by operator) rather than one OR that neither index serves.
            return try Int64.fetchAll(db, sql: """
                SELECT decided_at FROM applications
                WHERE subject_ref = ? AND decided_at >= ? AND status = 'rejected' AND internal_reason IN (\(marks))
                UNION ALL
                SELECT decided_at FROM applications
                WHERE operator_ref = ? AND decided_at >= ? AND status = 'rejected' AND internal_reason IN (\(marks))
                ORDER BY decided_at DESC LIMIT ?
                """, arguments: StatementArguments(arguments))
        }
    }

    public func impersonationPatterns(from: Int64, to: Int64, minimum: Int) async throws -> ImpersonationPatterns {
        try await database.read { db in
            let arguments: StatementArguments = [from, to, minimum]
            let organizations = try Row.fetchAll(db, sql: ImpersonationPatterns.organizationsSQL, arguments: arguments).map { row in
                ImpersonationPatterns.Organization(reference: row[0], operators: row[1], applications: row[2], rejected: row[3],
                                                   first: row[4], last: row[5])
            }
            let residents = try Row.fetchAll(db, sql: ImpersonationPatterns.residentsSQL, arguments: arguments).map { row in
                ImpersonationPatterns.Resident(reference: row[0], nameMismatches: row[1], possessionFailures: row[2], first: row[3], last: row[4])
            }
            let sources = try Row.fetchAll(db, sql: ImpersonationPatterns.sourcesSQL, arguments: arguments).map { row in
                ImpersonationPatterns.Source(reference: row[0], applications: row[1], rejected: row[2], subjects: row[3], first: row[4], last: row[5])
            }
            return ImpersonationPatterns(organizations: organizations, residents: residents, sources: sources)
        }
    }
}
