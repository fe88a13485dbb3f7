import IDCACore
import PostgresNIO

/// Lawful disclosure requests (migration 0004). Approval is one conditional UPDATE, so two
/// instances can never both approve, and an auditor can never approve their own request.
public struct PostgresDisclosureLedger: DisclosureLedger {
    let database: PostgresBackend

    public init(database: PostgresBackend) {
        self.database = database
    }

    public func create(_ request: DisclosureRequest, audit: [AuditEvent]) async throws {
        try await database.write { connection, batch in
            try await connection.query("""
                INSERT INTO disclosure_requests (id, site_id, pseudonym, subject_ref, subject_type, case_ref, requested_by, requested_at, expires_at)
                VALUES (\(request.id.rawValue), \(request.site.rawValue), \(request.pseudonym), \(request.subjectReference),
                        \(request.subjectType.rawValue), \(request.caseReference), \(request.requestedBy.rawValue), \(request.requestedAt),
                        \(request.expiresAt))
                """, logger: database.logger)
            batch.append(audit)
        }
    }

    public func request(_ id: DisclosureID) async throws -> DisclosureRequest? {
        try await database.read { client in
            let rows = try await client.query("""
                SELECT site_id, pseudonym, subject_ref, subject_type, case_ref, requested_by, requested_at, expires_at, approved_by, approved_at
                FROM disclosure_requests WHERE id = \(id.rawValue)
                """, logger: database.logger)
            guard let row = try await rows.collect().first else { return nil }
            let (site, pseudonym, reference, type, caseReference, requestedBy, requestedAt, expiresAt, approvedBy, approvedAt) =
                try row.decode((String, String, String, String, String, String, Int64, Int64, String?, Int64?).self)
            return DisclosureRequest(
                id: id, site: SiteID(uncheckedRawValue: site), pseudonym: pseudonym, subjectReference: reference,
                subjectType: SubjectType(rawValue: type) ?? .individual, caseReference: caseReference,
                requestedBy: AuditorID(uncheckedRawValue: requestedBy), requestedAt: requestedAt, expiresAt: expiresAt,
                approvedBy: approvedBy.map(AuditorID.init(uncheckedRawValue:)), approvedAt: approvedAt)
        }
    }

    public func approve(_ id: DisclosureID, by approver: AuditorID, at time: Int64, audit: [AuditEvent]) async throws -> Bool {
        try await database.write { connection, batch in
            let rows = try await connection.query("""
                UPDATE disclosure_requests SET approved_by = \(approver.rawValue), approved_at = \(time)
                WHERE id = \(id.rawValue) AND approved_by IS NULL AND requested_by <> \(approver.rawValue) AND expires_at > \(time)
                RETURNING id
                """, logger: database.logger)
            guard try await rows.collect().count == 1 else { return false }
            batch.append(audit)
            return true
        }
    }

    public func newestOperator(ofOrganization reference: String, redeemedBy site: SiteID) async throws
        -> (operatorReference: String, organizationName: String?)? {
        try await database.read { client in
            let rows = try await client.query("""
                SELECT a.operator_ref, t.organization_name FROM applications a JOIN tokens t ON t.id = a.token_id
                WHERE a.subject_ref = \(reference) AND a.subject_type = 'organization' AND a.operator_ref IS NOT NULL
                  AND t.redeemed_by = \(site.rawValue)
                ORDER BY t.redeemed_at DESC LIMIT 1
                """, logger: database.logger)
            guard let row = try await rows.collect().first else { return nil }
            return try row.decode((String, String?).self)
        }
    }
}
