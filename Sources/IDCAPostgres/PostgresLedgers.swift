import IDCACore
import PostgresNIO

/// Decisions and the tokens they issued.
public struct PostgresDecisionLedger: DecisionLedger {
    let database: PostgresBackend

    public init(database: PostgresBackend) {
        self.database = database
    }

    public func record(_ decision: DecisionRecord, audit: [AuditEvent]) async throws {
        try await database.write { connection, batch in
            let rejection = decision.rejection
            try await connection.query("""
                INSERT INTO applications (id, subject_type, status, reason, internal_reason, field, message, site_id,
                                          region_code, subject_ref, decided_at)
                VALUES (\(decision.applicationID.rawValue), \(decision.subjectType.rawValue), \(decision.isApproved ? "approved" : "rejected"),
                        \(rejection?.reason), \(rejection?.internalReason), \(rejection?.field?.rawValue), \(rejection?.message),
                        \(decision.site?.rawValue), \(decision.regionCode.map(Int64.init)), \(decision.subjectReference), \(decision.decidedAt))
                """, logger: database.logger)
            // Counted and audited at the end of the batch's transaction: with this row or not at all.
            batch.count(decision)
            batch.append(audit)
        }
    }

    public func recordIssued(_ token: IssuedToken, for application: ApplicationID, audit: [AuditEvent]) async throws {
        try await database.write { connection, batch in
            // The token is stored only for an approved application that has none yet.
            let rows = try await connection.query("""
                WITH claimed AS (
                    UPDATE applications SET token_id = \(token.tokenID)
                    WHERE id = \(application.rawValue) AND status = 'approved' AND token_id IS NULL RETURNING id
                )
                INSERT INTO tokens (id, digest, application_id, subject_type, subject_ref, audience, assurance, organization_name,
                                    issued_at, expires_at)
                SELECT \(token.tokenID), \(token.digest), id, \(token.subjectType.rawValue), \(token.subjectReference),
                       \(token.audience?.rawValue), \(token.assurance), \(token.organizationName), \(token.issuedAt), \(token.expiresAt)
                FROM claimed RETURNING id
                """, logger: database.logger)
            guard try await rows.collect().count == 1 else {
                throw IDCAError(.internalFailure, code: "internal_error", message: "The token could not be recorded.",
                                detail: "recordIssued for an application that is not approved or already has a token")
            }
            batch.append(audit)
        }
    }

    public func decision(_ id: ApplicationID) async throws -> DecisionRecord? {
        try await database.read { client in
            let rows = try await client.query("""
                SELECT a.subject_type, a.decided_at, a.site_id, a.reason, a.internal_reason, a.field, a.message, a.region_code, a.subject_ref,
                       t.id, t.digest, t.issued_at, t.expires_at, t.audience, t.assurance, t.subject_type, t.subject_ref, t.organization_name
                FROM applications a LEFT JOIN tokens t ON t.id = a.token_id WHERE a.id = \(id.rawValue)
                """, logger: database.logger)
            for try await row in rows {
                let cells = row.makeRandomAccess()
                func text(_ index: Int) throws -> String? { try cells[index].decode(String?.self) }
                func integer(_ index: Int) throws -> Int64? { try cells[index].decode(Int64?.self) }
                let rejection: Rejection? = try text(3).map { reason in
                    Rejection(reason: reason, internalReason: try text(4), field: try text(5).flatMap(ApplicationField.init(rawValue:)),
                              message: try text(6) ?? "")
                }
                var token: IssuedToken?
                if let tokenID = try text(9) {
                    token = IssuedToken(
                        tokenID: tokenID, digest: try text(10) ?? "", issuedAt: try integer(11) ?? 0, expiresAt: try integer(12) ?? 0,
                        audience: try text(13).flatMap(SiteID.init(rawValue:)), assurance: try text(14) ?? "",
                        subjectType: SubjectType(rawValue: try text(15) ?? "") ?? .individual, subjectReference: try text(16) ?? "",
                        organizationName: try text(17))
                }
                return DecisionRecord(
                    applicationID: id, subjectType: SubjectType(rawValue: try text(0) ?? "") ?? .individual, decidedAt: try integer(1) ?? 0,
                    site: try text(2).flatMap(SiteID.init(rawValue:)), rejection: rejection, regionCode: try integer(7).map(Int.init),
                    subjectReference: try text(8), token: token)
            }
            return nil
        }
    }
}

/// Single use across every instance: `idca_redeem` (migration 0001) makes the one conditional
/// update that decides, after locking the subject's account counter at the site.
public struct PostgresTokenLedger: TokenLedger {
    let database: PostgresBackend

    public init(database: PostgresBackend) {
        self.database = database
    }

    public func redeem(_ redemption: Redemption, audit: @escaping @Sendable (RedemptionOutcome) -> AuditEvent) async throws -> RedemptionOutcome {
        try await database.write { connection, batch in
            let rows = try await connection.query("""
                SELECT * FROM idca_redeem(\(redemption.tokenID), \(redemption.digest), \(redemption.site.rawValue),
                                          \(Int64(redemption.maxAccounts)), \(redemption.redeemedAt))
                """, logger: database.logger)
            var outcome = RedemptionOutcome.unknownToken
            for try await row in rows {
                let cells = row.makeRandomAccess()
                let kind = try cells[0].decode(String.self)
                guard kind != "unknown_token" else { break }
                let token = IssuedToken(
                    tokenID: try cells[2].decode(String.self), digest: try cells[3].decode(String.self),
                    issuedAt: try cells[4].decode(Int64.self), expiresAt: try cells[5].decode(Int64.self),
                    audience: try cells[6].decode(String?.self).flatMap(SiteID.init(rawValue:)), assurance: try cells[7].decode(String.self),
                    subjectType: SubjectType(rawValue: try cells[8].decode(String.self)) ?? .individual,
                    subjectReference: try cells[9].decode(String.self), organizationName: try cells[10].decode(String?.self))
                switch kind {
                case "redeemed": outcome = .redeemed(token, accountsForSubject: Int(try cells[1].decode(Int64.self)))
                case "already_used": outcome = .alreadyUsed
                default: outcome = .accountLimitReached
                }
            }
            batch.append([audit(outcome)])
            return outcome
        }
    }
}

/// Sites and their API key hashes.
public struct PostgresSiteDirectory: SiteDirectory {
    let database: PostgresBackend

    public init(database: PostgresBackend) {
        self.database = database
    }

    public func add(_ site: Site, apiKeyHash: String, audit: AuditEvent) async throws {
        try await database.write { connection, batch in
            try await connection.query("""
                INSERT INTO sites (id, name, licence, max_accounts, suspended, created_at, api_key_hash)
                VALUES (\(site.id.rawValue), \(site.name), \(site.licence), \(Int64(site.maxAccounts)), \(site.isSuspended),
                        \(site.createdAt), \(apiKeyHash))
                """, logger: database.logger)
            batch.append([audit])
        }
    }

    static let columns = "id, name, licence, max_accounts, suspended, created_at"

    public func site(apiKeyHash: String) async throws -> Site? {
        try await sites(PostgresQuery("SELECT id, name, licence, max_accounts, suspended, created_at FROM sites WHERE api_key_hash = \(apiKeyHash)")).first
    }

    public func site(id: SiteID) async throws -> Site? {
        try await sites(PostgresQuery("SELECT id, name, licence, max_accounts, suspended, created_at FROM sites WHERE id = \(id.rawValue)")).first
    }

    public func sites() async throws -> [Site] {
        try await sites("SELECT id, name, licence, max_accounts, suspended, created_at FROM sites ORDER BY created_at, id")
    }

    private func sites(_ query: PostgresQuery) async throws -> [Site] {
        try await database.read { client in
            var sites: [Site] = []
            let rows = try await client.query(query, logger: database.logger)
            for try await (id, name, licence, maxAccounts, suspended, createdAt) in rows.decode((String, String, String, Int64, Bool, Int64).self) {
                sites.append(Site(id: SiteID(uncheckedRawValue: id), name: name, licence: licence, maxAccounts: Int(maxAccounts),
                                  isSuspended: suspended, createdAt: createdAt))
            }
            return sites
        }
    }

    public func setSuspended(_ id: SiteID, _ suspended: Bool, audit: AuditEvent) async throws -> Bool {
        try await database.write { connection, batch in
            let rows = try await connection.query("UPDATE sites SET suspended = \(suspended) WHERE id = \(id.rawValue) RETURNING id",
                                                  logger: database.logger)
            guard try await rows.collect().count == 1 else { return false }
            batch.append([audit])
            return true
        }
    }
}
