import IDCACore
import Logging
import PostgresNIO
import Synchronization

/// Decisions and the tokens they issued.
public struct PostgresDecisionLedger: DecisionLedger {
    let database: PostgresBackend

    public init(database: PostgresBackend) {
        self.database = database
    }

    public func record(_ decision: DecisionRecord, audit: [AuditEvent]) async throws {
        // Inserted, counted and audited with the rest of its batch (`PostgresWriteBatcher.flush`).
        try await database.write { _, batch in batch.record(decision, audit: audit) }
    }

    public func recordIssued(_ token: IssuedToken, for application: ApplicationID, audit: [AuditEvent]) async throws {
        try await database.write { _, batch in batch.recordIssued(token, for: application, audit: audit) }
    }

    /// The application rows of a batch's decisions, in one statement.
    static func insert(_ decisions: [DecisionRecord], on connection: PostgresConnection, logger: Logger) async throws {
        func column(_ value: (DecisionRecord) -> String?) -> [String] { decisions.map { value($0) ?? "" } }
        _ = try await connection.run(SQL.InsertApplications.self, logger: logger) { bindings in
            bindings.append(column { $0.applicationID.rawValue })
            bindings.append(column { $0.subjectType.rawValue })
            bindings.append(column { $0.isApproved ? "approved" : "rejected" })
            bindings.append(column { $0.rejection?.reason })
            bindings.append(column { $0.rejection?.internalReason })
            bindings.append(column { $0.rejection?.field?.rawValue })
            bindings.append(column { $0.rejection?.message })
            bindings.append(column { $0.site?.rawValue })
            bindings.append(decisions.map { Int64($0.regionCode ?? -1) })
            bindings.append(column { $0.subjectReference })
            bindings.append(decisions.map(\.decidedAt))
            bindings.append(column { $0.operatorReference })
            bindings.append(column { $0.sourceReference })
        }
    }

    /// The token rows of a batch, in one statement: each is stored only for an approved application
    /// that has no token yet, and the statement fails unless every one was.
    static func insert(_ issued: [(token: IssuedToken, application: ApplicationID)], on connection: PostgresConnection,
                       logger: Logger) async throws {
        func column(_ value: (IssuedToken) -> String?) -> [String] { issued.map { value($0.token) ?? "" } }
        let rows = try await connection.run(SQL.InsertTokens.self, logger: logger) { bindings in
            bindings.append(column(\.tokenID))
            bindings.append(column(\.digest))
            bindings.append(issued.map(\.application.rawValue))
            bindings.append(column(\.subjectType.rawValue))
            bindings.append(column(\.subjectReference))
            bindings.append(column { $0.audience?.rawValue })
            bindings.append(column(\.assurance))
            bindings.append(column(\.organizationName))
            bindings.append(issued.map(\.token.issuedAt))
            bindings.append(issued.map(\.token.expiresAt))
        }
        guard rows.count == issued.count else {
            throw IDCAError(.internalFailure, code: "internal_error", message: "The token could not be recorded.",
                            detail: "recordIssued for an application that is not approved or already has a token")
        }
    }

    public func decision(_ id: ApplicationID) async throws -> DecisionRecord? {
        try await database.read { client in
            let rows = try await client.query("""
                SELECT a.subject_type, a.decided_at, a.site_id, a.reason, a.internal_reason, a.field, a.message, a.region_code, a.subject_ref,
                       t.id, t.digest, t.issued_at, t.expires_at, t.audience, t.assurance, t.subject_type, t.subject_ref, t.organization_name,
                       a.operator_ref, a.source_ref
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
                    subjectReference: try text(8), token: token, operatorReference: try text(18), sourceReference: try text(19))
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

    public func redeem(_ redemption: Redemption, pseudonym: @escaping @Sendable (String) -> String,
                       audit: @escaping @Sendable (RedemptionOutcome) -> AuditEvent) async throws -> RedemptionOutcome {
        let pending = try await database.write { _, batch in batch.redeem(redemption, pseudonym: pseudonym, audit: audit) }
        // Set by the batch before it committed; the write returns only after the commit.
        guard let outcome = pending.outcome else {
            throw IDCAError(.internalFailure, code: "internal_error", message: "The token could not be checked.",
                            detail: "a redemption's batch committed without deciding it")
        }
        return outcome
    }

    /// Decides a batch's redemptions in one statement, in order (`SQL.Redeem`).
    static func redeem(_ redemptions: [Redemption], on connection: PostgresConnection, logger: Logger) async throws -> [RedemptionOutcome] {
        let rows = try await connection.run(SQL.Redeem.self, logger: logger) { bindings in
            bindings.append(redemptions.map(\.tokenID))
            bindings.append(redemptions.map(\.digest))
            bindings.append(redemptions.map(\.site.rawValue))
            bindings.append(redemptions.map { Int64($0.maxAccounts) })
            bindings.append(redemptions.map(\.redeemedAt))
        }
        var outcomes: [RedemptionOutcome] = []
        outcomes.reserveCapacity(redemptions.count)
        for row in rows {
            let cells = row.makeRandomAccess()
            let kind = try cells[0].decode(String.self)
            guard kind != "unknown_token" else {
                outcomes.append(.unknownToken)
                continue
            }
            let token = IssuedToken(
                tokenID: try cells[2].decode(String.self), digest: try cells[3].decode(String.self),
                issuedAt: try cells[4].decode(Int64.self), expiresAt: try cells[5].decode(Int64.self),
                audience: try cells[6].decode(String?.self).flatMap(SiteID.init(rawValue:)), assurance: try cells[7].decode(String.self),
                subjectType: SubjectType(rawValue: try cells[8].decode(String.self)) ?? .individual,
                subjectReference: try cells[9].decode(String.self), organizationName: try cells[10].decode(String?.self))
            switch kind {
            case "redeemed": outcomes.append(.redeemed(token, accountsForSubject: Int(try cells[1].decode(Int64.self))))
            case "already_used": outcomes.append(.alreadyUsed)
            case "certification_revoked": outcomes.append(.certificationRevoked)
            default: outcomes.append(.accountLimitReached)
            }
        }
        guard outcomes.count == redemptions.count else {
            throw IDCAError(.internalFailure, code: "internal_error", message: "The token could not be checked.",
                            detail: "idca_redeem returned \(outcomes.count) rows for \(redemptions.count) redemptions")
        }
        return outcomes
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

    /// Every verify call authenticates its site; on PostgreSQL that lookup is a network round trip
    /// and a good part of the call's cost, so a found site is remembered for
    /// `SiteCredentialCache.lifetime` (2 s). A suspension made on this instance takes effect at once;
    /// one made on another instance within that time.
    public func site(apiKeyHash: String) async throws -> Site? {
        if let site = database.siteCredentials.site(apiKeyHash: apiKeyHash) { return site }
        let site = try await database.read { client in
            try await client.run(SQL.SiteByKeyHash.self, logger: database.logger) { $0.append(apiKeyHash) }.first.map(Self.site(from:))
        }
        if let site { database.siteCredentials.remember(site, apiKeyHash: apiKeyHash) }
        return site
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
            for try await row in try await client.query(query, logger: database.logger) { sites.append(try Self.site(from: row)) }
            return sites
        }
    }

    static func site(from row: PostgresRow) throws -> Site {
        let (id, name, licence, maxAccounts, suspended, createdAt) = try row.decode((String, String, String, Int64, Bool, Int64).self)
        return Site(id: SiteID(uncheckedRawValue: id), name: name, licence: licence, maxAccounts: Int(maxAccounts), isSuspended: suspended,
                    createdAt: createdAt)
    }

    public func setSuspended(_ id: SiteID, _ suspended: Bool, audit: AuditEvent) async throws -> Bool {
        try await database.write { connection, batch in
            let rows = try await connection.query("UPDATE sites SET suspended = \(suspended) WHERE id = \(id.rawValue) RETURNING id",
                                                  logger: database.logger)
            guard try await rows.collect().count == 1 else { return false }
            database.siteCredentials.forget(id)
            batch.append([audit])
            return true
        }
    }
}

/// Sites found by API key hash, for a short while (`PostgresSiteDirectory.site(apiKeyHash:)`).
/// Unknown keys are never remembered, so guessing cannot fill it.
final class SiteCredentialCache: Sendable {
    static let lifetime: Duration = .seconds(2)
    private static let capacity = 10_000
    private let entries = Mutex<[String: (site: Site, until: ContinuousClock.Instant)]>([:])

    func site(apiKeyHash: String) -> Site? {
        let now = ContinuousClock.now
        return entries.withLock { entries in
            guard let entry = entries[apiKeyHash] else { return nil }
            if entry.until > now { return entry.site }
            entries[apiKeyHash] = nil
            return nil
        }
    }

    func remember(_ site: Site, apiKeyHash: String) {
        let until = ContinuousClock.now + Self.lifetime
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll() }
            entries[apiKeyHash] = (site, until)
        }
    }

    func forget(_ id: SiteID) {
        entries.withLock { entries in entries = entries.filter { $0.value.site.id != id } }
    }
}
