import GRDB
import IDCACore

/// Decisions and the tokens they issued.
public struct SQLiteDecisionLedger: DecisionLedger {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func record(_ decision: DecisionRecord, audit: [AuditEvent]) async throws {
        try await database.write { db, batch in try Self.record(decision, audit: audit, in: db, batch: batch) }
    }

    /// The application row, its counters and `audit`, in the caller's transaction.
    static func record(_ decision: DecisionRecord, audit: [AuditEvent], in db: Database, batch: WriteBatcher.Batch) throws {
        try db.cachedStatement(sql: """
            INSERT INTO applications (id, subject_type, status, reason, internal_reason, field, message, site_id,
                                      region_code, subject_ref, decided_at, operator_ref, source_ref)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                decision.applicationID.rawValue, decision.subjectType.rawValue, decision.isApproved ? "approved" : "rejected",
                decision.rejection?.reason, decision.rejection?.internalReason, decision.rejection?.field?.rawValue,
                decision.rejection?.message, decision.site?.rawValue, decision.regionCode, decision.subjectReference,
                decision.decidedAt, decision.operatorReference, decision.sourceReference,
            ])
        // Counted at the end of the batch's transaction: committed with this row or not at all.
        batch.count(decision)
        try SQLiteAuditLog.append(audit, in: db)
    }

    public func recordIssued(_ token: IssuedToken, for application: ApplicationID, audit: [AuditEvent]) async throws {
        try await database.write { db in
            try db.cachedStatement(sql: """
                INSERT INTO tokens (id, digest, application_id, subject_type, subject_ref, audience, assurance,
                                    organization_name, issued_at, expires_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [
                    token.tokenID, token.digest, application.rawValue, token.subjectType.rawValue,
                    token.subjectReference, token.audience?.rawValue, token.assurance, token.organizationName,
                    token.issuedAt, token.expiresAt,
                ])
            try db.cachedStatement(sql: "UPDATE applications SET token_id = ? WHERE id = ? AND status = 'approved' AND token_id IS NULL")
                .execute(arguments: [token.tokenID, application.rawValue])
            guard db.changesCount == 1 else {
                // A token for an application that was not approved, or already has one: refuse to store it.
                throw IDCAError(.internalFailure, code: "internal_error", message: "The token could not be recorded.",
                                detail: "recordIssued for an application that is not approved or already has a token")
            }
            try SQLiteAuditLog.append(audit, in: db)
        }
    }

    public func decision(_ id: ApplicationID) async throws -> DecisionRecord? {
        try await database.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM applications WHERE id = ?", arguments: [id.rawValue]) else {
                return nil
            }
            var token: IssuedToken?
            if let tokenID: String = row["token_id"],
               let tokenRow = try Row.fetchOne(db, sql: "SELECT * FROM tokens WHERE id = ?", arguments: [tokenID]) {
                token = SQLiteTokenLedger.issuedToken(from: tokenRow)
            }
            let rejection: Rejection? = (row["reason"] as String?).map { reason in
                Rejection(reason: reason, internalReason: row["internal_reason"],
                          field: (row["field"] as String?).flatMap(ApplicationField.init(rawValue:)),
                          message: row["message"] ?? "")
            }
            return DecisionRecord(
                applicationID: id,
                subjectType: SubjectType(rawValue: row["subject_type"]) ?? .individual,
                decidedAt: row["decided_at"],
                site: (row["site_id"] as String?).flatMap(SiteID.init(rawValue:)),
                rejection: rejection,
                regionCode: row["region_code"],
                subjectReference: row["subject_ref"],
                token: token,
                operatorReference: row["operator_ref"],
                sourceReference: row["source_ref"])
        }
    }
}

/// Single use, decided by one conditional UPDATE whose row count is the answer.
public struct SQLiteTokenLedger: TokenLedger {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func redeem(_ redemption: Redemption, pseudonym: @escaping @Sendable (String) -> String,
                       audit: @escaping @Sendable (RedemptionOutcome) -> AuditEvent) async throws -> RedemptionOutcome {
        try await database.write { db in
            let outcome = try SQLiteTokenLedger.redeem(redemption, pseudonym: pseudonym, in: db)
            try SQLiteAuditLog.append([audit(outcome)], in: db)
            return outcome
        }
    }

    static func redeem(_ redemption: Redemption, pseudonym: (String) -> String, in db: Database) throws -> RedemptionOutcome {
        // The token is consumed only if it was issued with exactly this digest, is unused, its
        // certification was not revoked since, and the site is under its limit for the subject —
        // all in the statement that consumes it.
        try db.cachedStatement(sql: """
            UPDATE tokens SET redeemed_at = ?, redeemed_by = ?
            WHERE id = ? AND digest = ? AND redeemed_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM revocations
                              WHERE revocations.subject_ref = tokens.subject_ref AND revocations.revoked_at >= tokens.issued_at)
              AND COALESCE((SELECT accounts FROM site_accounts
                            WHERE site_accounts.site_id = ? AND site_accounts.subject_ref = tokens.subject_ref), 0) < ?
            """).execute(arguments: [
                redemption.redeemedAt, redemption.site.rawValue, redemption.tokenID, redemption.digest,
                redemption.site.rawValue, redemption.maxAccounts,
            ])
        let consumed = db.changesCount == 1
        // What follows only explains the outcome; the decision above is already made.
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM tokens WHERE id = ?"),
                                         arguments: [redemption.tokenID]),
              (row["digest"] as String) == redemption.digest
        else { return .unknownToken }
        let token = SQLiteTokenLedger.issuedToken(from: row)
        guard consumed else {
            if (row["redeemed_at"] as Int64?) != nil { return .alreadyUsed }
            let revoked = try Bool.fetchOne(db.cachedStatement(sql: """
                SELECT EXISTS (SELECT 1 FROM revocations WHERE subject_ref = ? AND revoked_at >= ?)
                """), arguments: [token.subjectReference, token.issuedAt]) ?? false
            return revoked ? .certificationRevoked : .accountLimitReached
        }
        let accounts = try Int.fetchOne(db.cachedStatement(sql: """
            INSERT INTO site_accounts (site_id, subject_ref, accounts, pseudonym, certified_at, subject_type) VALUES (?, ?, 1, ?, ?, ?)
            ON CONFLICT (site_id, subject_ref) DO UPDATE SET accounts = accounts + 1, pseudonym = excluded.pseudonym,
                certified_at = max(COALESCE(certified_at, 0), excluded.certified_at), subject_type = excluded.subject_type
            RETURNING accounts
            """), arguments: [redemption.site.rawValue, token.subjectReference,
                              pseudonym(token.subjectReference), token.issuedAt, token.subjectType.rawValue]) ?? 1
        return .redeemed(token, accountsForSubject: accounts)
    }

    static func issuedToken(from row: Row) -> IssuedToken {
        IssuedToken(
            tokenID: row["id"],
            digest: row["digest"],
            issuedAt: row["issued_at"],
            expiresAt: row["expires_at"],
            audience: (row["audience"] as String?).flatMap(SiteID.init(rawValue:)),
            assurance: row["assurance"],
            subjectType: SubjectType(rawValue: row["subject_type"]) ?? .individual,
            subjectReference: row["subject_ref"],
            organizationName: row["organization_name"])
    }
}

/// Sites and their API key hashes.
public struct SQLiteSiteDirectory: SiteDirectory {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func add(_ site: Site, apiKeyHash: String, audit: AuditEvent) async throws {
        try await database.write { db in
            try db.execute(sql: """
                INSERT INTO sites (id, name, licence, max_accounts, suspended, created_at, api_key_hash) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [site.id.rawValue, site.name, site.licence, site.maxAccounts, site.isSuspended, site.createdAt, apiKeyHash])
            try SQLiteAuditLog.append([audit], in: db)
        }
    }

    public func site(apiKeyHash: String) async throws -> Site? {
        try await database.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM sites WHERE api_key_hash = ?"), arguments: [apiKeyHash])
                .map(SQLiteSiteDirectory.site(from:))
        }
    }

    public func site(id: SiteID) async throws -> Site? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM sites WHERE id = ?", arguments: [id.rawValue]).map(SQLiteSiteDirectory.site(from:))
        }
    }

    public func sites() async throws -> [Site] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM sites ORDER BY created_at, id").map(SQLiteSiteDirectory.site(from:))
        }
    }

    public func setSuspended(_ id: SiteID, _ suspended: Bool, audit: AuditEvent) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: "UPDATE sites SET suspended = ? WHERE id = ?", arguments: [suspended, id.rawValue])
            guard db.changesCount == 1 else { return false }
            try SQLiteAuditLog.append([audit], in: db)
            return true
        }
    }

    static func site(from row: Row) -> Site {
        Site(id: SiteID(uncheckedRawValue: row["id"]), name: row["name"], licence: row["licence"],
             maxAccounts: row["max_accounts"], isSuspended: row["suspended"], createdAt: row["created_at"])
    }
}
