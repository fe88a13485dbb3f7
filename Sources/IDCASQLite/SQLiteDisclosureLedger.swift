import GRDB
import IDCACore

/// Lawful disclosure requests (migration 0004).
public struct SQLiteDisclosureLedger: DisclosureLedger {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func create(_ request: DisclosureRequest, audit: [AuditEvent]) async throws {
        try await database.write { db in
            try db.execute(sql: """
                INSERT INTO disclosure_requests (id, site_id, pseudonym, subject_ref, subject_type, case_ref, requested_by, requested_at, expires_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [request.id.rawValue, request.site.rawValue, request.pseudonym, request.subjectReference,
                                 request.subjectType.rawValue, request.caseReference, request.requestedBy.rawValue, request.requestedAt,
                                 request.expiresAt])
            try SQLiteAuditLog.append(audit, in: db)
        }
    }

    public func request(_ id: DisclosureID) async throws -> DisclosureRequest? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM disclosure_requests WHERE id = ?", arguments: [id.rawValue]).map { row in
                DisclosureRequest(
                    id: id, site: SiteID(uncheckedRawValue: row["site_id"]), pseudonym: row["pseudonym"], subjectReference: row["subject_ref"],
                    subjectType: SubjectType(rawValue: row["subject_type"]) ?? .individual, caseReference: row["case_ref"],
                    requestedBy: AuditorID(uncheckedRawValue: row["requested_by"]), requestedAt: row["requested_at"],
                    expiresAt: row["expires_at"], approvedBy: (row["approved_by"] as String?).map(AuditorID.init(uncheckedRawValue:)),
                    approvedAt: row["approved_at"])
            }
        }
    }

    public func approve(_ id: DisclosureID, by approver: AuditorID, at time: Int64, audit: [AuditEvent]) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: """
                UPDATE disclosure_requests SET approved_by = ?, approved_at = ?
                WHERE id = ? AND approved_by IS NULL AND requested_by <> ? AND expires_at > ?
                """, arguments: [approver.rawValue, time, id.rawValue, approver.rawValue, time])
            guard db.changesCount == 1 else { return false }
            try SQLiteAuditLog.append(audit, in: db)
            return true
        }
    }

    public func newestOperator(ofOrganization reference: String, redeemedBy site: SiteID) async throws
        -> (operatorReference: String, organizationName: String?)? {
        try await database.read { db in
            try Row.fetchOne(db, sql: """
                SELECT a.operator_ref, t.organization_name FROM applications a JOIN tokens t ON t.id = a.token_id
                WHERE a.subject_ref = ? AND a.subject_type = 'organization' AND a.operator_ref IS NOT NULL AND t.redeemed_by = ?
                ORDER BY t.redeemed_at DESC LIMIT 1
                """, arguments: [reference, site.rawValue]).map { ($0[0], $0[1]) }
        }
    }
}
