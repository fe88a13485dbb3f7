import IDCACore
import PostgresNIO

/// Revocations, and the sites' view of them (migration 0004). A revocation is a write batch job, so
/// it holds the chain lock like every redemption: the two are always in one order.
public struct PostgresCertificationRegister: CertificationRegister {
    let database: PostgresBackend

    public init(database: PostgresBackend) {
        self.database = database
    }

    public func revoke(_ requests: [RevocationRequest], audit: @escaping @Sendable (Revocation) -> AuditEvent) async throws -> [Revocation] {
        guard !requests.isEmpty else { return [] }
        return try await database.write { connection, batch in
            var recorded: [Revocation] = []
            for request in requests {
                let rows = try await connection.query("""
                    INSERT INTO revocations (subject_ref, subject_type, reason, revoked_at, actor)
                    SELECT \(request.subjectReference), \(request.subjectType.rawValue), \(request.reason.rawValue), \(request.revokedAt),
                           \(request.actor.description)
                    WHERE EXISTS (SELECT 1 FROM applications
                                  WHERE subject_ref = \(request.subjectReference) AND status = 'approved'
                                    AND decided_at > COALESCE((SELECT max(revoked_at) FROM revocations
                                                               WHERE subject_ref = \(request.subjectReference)), -1))
                    RETURNING seq
                    """, logger: database.logger)
                for try await sequence in rows.decode(Int64.self) {
                    let revocation = Revocation(sequence: sequence, request: request)
                    batch.append([audit(revocation)])
                    recorded.append(revocation)
                }
            }
            return recorded
        }
    }

    public func revocations(site: SiteID, after: Int64, limit: Int) async throws -> [Revocation] {
        try await database.read { client in
            let rows = try await client.query("""
                SELECT r.seq, r.subject_ref, r.subject_type, r.reason, r.revoked_at, r.actor FROM revocations r
                JOIN site_accounts a ON a.site_id = \(site.rawValue) AND a.subject_ref = r.subject_ref
                WHERE r.seq > \(after) AND a.certified_at <= r.revoked_at
                ORDER BY r.seq LIMIT \(Int64(limit))
                """, logger: database.logger)
            var revocations: [Revocation] = []
            for try await row in rows { revocations.append(try Self.revocation(from: row)) }
            return revocations
        }
    }

    public func subject(site: SiteID, pseudonym: String) async throws -> SiteSubject? {
        try await database.read { client in
            let accounts = try await client.query("""
                SELECT subject_ref, subject_type, accounts, certified_at FROM site_accounts
                WHERE site_id = \(site.rawValue) AND pseudonym = \(pseudonym)
                """, logger: database.logger)
            guard let account = try await accounts.collect().first else { return nil }
            let (reference, type, count, certifiedAt) = try account.decode((String, String?, Int64, Int64?).self)
            let revoked = try await client.query("""
                SELECT seq, subject_ref, subject_type, reason, revoked_at, actor FROM revocations
                WHERE subject_ref = \(reference) AND revoked_at >= \(certifiedAt ?? 0) ORDER BY seq DESC LIMIT 1
                """, logger: database.logger)
            let revocation = try await revoked.collect().first.map(Self.revocation(from:))
            return SiteSubject(pseudonym: pseudonym, subjectReference: reference,
                               subjectType: type.flatMap(SubjectType.init(rawValue:)) ?? .individual, accounts: Int(count),
                               certifiedAt: certifiedAt ?? 0, revocation: revocation)
        }
    }

    static func revocation(from row: PostgresRow) throws -> Revocation {
        let (sequence, reference, type, reason, revokedAt, actor) = try row.decode((Int64, String, String, String, Int64, String).self)
        return Revocation(sequence: sequence, request: RevocationRequest(
            subjectReference: reference, subjectType: SubjectType(rawValue: type) ?? .individual,
            reason: RevocationReason(rawValue: reason) ?? .issuedInError, revokedAt: revokedAt, actor: AuditActor(parsing: actor)))
    }
}
