import GRDB
import IDCACore

/// Revocations, and the sites' view of them (migration 0004).
public struct SQLiteCertificationRegister: CertificationRegister {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func revoke(_ requests: [RevocationRequest], audit: @escaping @Sendable (Revocation) -> AuditEvent) async throws -> [Revocation] {
        guard !requests.isEmpty else { return [] }
        return try await database.write { db in
            var recorded: [Revocation] = []
            for request in requests {
                // Something to withdraw: an approval since the subject's newest revocation.
                let certified = try Bool.fetchOne(db.cachedStatement(sql: """
                    SELECT EXISTS (SELECT 1 FROM applications
                                   WHERE subject_ref = ? AND status = 'approved'
                                     AND decided_at > COALESCE((SELECT max(revoked_at) FROM revocations WHERE subject_ref = ?), -1))
                    """), arguments: [request.subjectReference, request.subjectReference]) ?? false
                guard certified else { continue }
                let sequence = try Int64.fetchOne(db.cachedStatement(sql: """
                    INSERT INTO revocations (subject_ref, subject_type, reason, revoked_at, actor) VALUES (?, ?, ?, ?, ?) RETURNING seq
                    """), arguments: [request.subjectReference, request.subjectType.rawValue, request.reason.rawValue, request.revokedAt,
                                      request.actor.description])!
                let revocation = Revocation(sequence: sequence, request: request)
                try SQLiteAuditLog.append([audit(revocation)], in: db)
                recorded.append(revocation)
            }
            return recorded
        }
    }

    public func revocations(site: SiteID, after: Int64, limit: Int) async throws -> [Revocation] {
        try await database.read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT r.* FROM revocations r
                JOIN site_accounts a ON a.site_id = ? AND a.subject_ref = r.subject_ref
                WHERE r.seq > ? AND a.certified_at <= r.revoked_at
                ORDER BY r.seq LIMIT ?
                """), arguments: [site.rawValue, after, limit]).map(Self.revocation(from:))
        }
    }

    public func subject(site: SiteID, pseudonym: String) async throws -> SiteSubject? {
        try await database.read { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT subject_ref, subject_type, accounts, certified_at FROM site_accounts WHERE site_id = ? AND pseudonym = ?
                """), arguments: [site.rawValue, pseudonym]) else { return nil }
            let reference: String = row["subject_ref"]
            let certifiedAt: Int64 = row["certified_at"]
            let revocation = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT * FROM revocations WHERE subject_ref = ? AND revoked_at >= ? ORDER BY seq DESC LIMIT 1
                """), arguments: [reference, certifiedAt]).map(Self.revocation(from:))
            return SiteSubject(pseudonym: pseudonym, subjectReference: reference,
                               subjectType: SubjectType(rawValue: row["subject_type"]) ?? .individual, accounts: row["accounts"],
                               certifiedAt: certifiedAt, revocation: revocation)
        }
    }

    static func revocation(from row: Row) -> Revocation {
        let actor: String = row["actor"]
        return Revocation(sequence: row["seq"], request: RevocationRequest(
            subjectReference: row["subject_ref"], subjectType: SubjectType(rawValue: row["subject_type"]) ?? .individual,
            reason: RevocationReason(rawValue: row["reason"]) ?? .issuedInError, revokedAt: row["revoked_at"],
            actor: AuditActor(parsing: actor)))
    }
}
