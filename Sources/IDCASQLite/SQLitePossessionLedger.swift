import GRDB
import IDCACore

/// Pending possession challenges (migration 0004).
public struct SQLitePossessionLedger: PossessionLedger {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func open(_ challenge: PossessionChallenge, audit: [AuditEvent]) async throws {
        try await database.write { db in
            try db.execute(sql: """
                INSERT INTO possession_challenges (application_id, subject_type, subject_ref, region_code, site_id, organization_name,
                                                   operator_ref, source_ref, code_hash, destination, created_at, expires_at, attempts_left,
                                                   recipient_ref)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                    challenge.applicationID.rawValue, challenge.subjectType.rawValue, challenge.subjectReference, challenge.regionCode,
                    challenge.site?.rawValue, challenge.organizationName, challenge.operatorReference, challenge.sourceReference, challenge.codeHash, challenge.destination, challenge.createdAt,
                    challenge.expiresAt, challenge.attemptsLeft, challenge.recipientReference,
                ])
            try SQLiteAuditLog.append(audit, in: db)
        }
    }

    public func challenge(_ id: ApplicationID) async throws -> PossessionChallenge? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM possession_challenges WHERE application_id = ?", arguments: [id.rawValue])
                .map(Self.challenge(from:))
        }
    }

    public func spendAttempt(_ id: ApplicationID, at time: Int64) async throws -> PossessionChallenge? {
        try await database.write { db in
            try Row.fetchOne(db, sql: """
                UPDATE possession_challenges SET attempts_left = attempts_left - 1
                WHERE application_id = ? AND state = 'pending' AND attempts_left > 0 AND expires_at > ?
                RETURNING *
                """, arguments: [id.rawValue, time]).map(Self.challenge(from:))
        }
    }

    public func codesSent(to recipientReference: String, since: Int64, limit: Int) async throws -> [Int64] {
        try await database.read { db in
            try Int64.fetchAll(db, sql: """
                SELECT created_at FROM possession_challenges WHERE recipient_ref = ? AND created_at >= ? ORDER BY created_at DESC LIMIT ?
                """, arguments: [recipientReference, since, limit])
        }
    }

    public func close(_ id: ApplicationID, decision: DecisionRecord, audit: [AuditEvent]) async throws -> Bool {
        try await database.write { db, batch in
            try db.execute(sql: "UPDATE possession_challenges SET state = 'decided' WHERE application_id = ? AND state = 'pending'",
                           arguments: [id.rawValue])
            guard db.changesCount == 1 else { return false }
            try SQLiteDecisionLedger.record(decision, audit: audit, in: db, batch: batch)
            return true
        }
    }

    static func challenge(from row: Row) -> PossessionChallenge {
        PossessionChallenge(
            applicationID: ApplicationID(uncheckedRawValue: row["application_id"]),
            subjectType: SubjectType(rawValue: row["subject_type"]) ?? .individual, subjectReference: row["subject_ref"],
            regionCode: row["region_code"], site: (row["site_id"] as String?).flatMap(SiteID.init(rawValue:)),
            organizationName: row["organization_name"], operatorReference: row["operator_ref"], sourceReference: row["source_ref"],
            codeHash: row["code_hash"], recipientReference: row["recipient_ref"], destination: row["destination"],
            createdAt: row["created_at"], expiresAt: row["expires_at"], attemptsLeft: row["attempts_left"],
            isPending: (row["state"] as String) == "pending")
    }
}
