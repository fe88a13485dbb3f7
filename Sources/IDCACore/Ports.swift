/// The ports the certification services need. Each caller gets the narrowest one: redemption
/// never sees the registry, applications never see site credentials.

/// Read access to the authoritative registry.
public protocol RegistryReader: Sendable {
    func resident(residentIDHash: String) async throws -> ResidentRecord?
    func organization(_ key: OrganizationKey) async throws -> OrganizationRecord?
}

/// Bulk writes to the registry (operator imports). All-or-nothing: `produce` hands each record to
/// `write`; if `produce` throws (a reader error, an interruption) or the process dies before the
/// import returns, the registry is exactly as before.
public protocol RegistryWriter: Sendable {
    /// Upserts every record produced, keyed by the resident ID hash; returns how many were written.
    func importResidents(_ produce: (_ write: (ResidentRecord) throws -> Void) throws -> Void) throws -> Int
    /// Upserts every record produced, keyed by organization code; returns how many were written.
    func importOrganizations(_ produce: (_ write: (OrganizationRecord) throws -> Void) throws -> Void) throws -> Int
    func residentCount() async throws -> Int
    func organizationCount() async throws -> Int
}

/// Where decisions are recorded durably before anyone is told about them.
public protocol DecisionLedger: Sendable {
    /// Commits the decision (and the issued token, if any) in one transaction, synced to disk.
    func record(_ decision: DecisionRecord) async throws
    func decision(_ id: ApplicationID) async throws -> DecisionRecord?
}

/// Single use of tokens, decided by the database.
public protocol TokenLedger: Sendable {
    /// Consumes the token for `redemption.site` if it was issued with this digest, is unused, and
    /// the site is under its account limit for the subject — one atomic conditional update.
    func redeem(_ redemption: Redemption) async throws -> RedemptionOutcome
}

/// Licensed sites and their credentials (stored only as keyed hashes).
public protocol SiteDirectory: Sendable {
    func add(_ site: Site, apiKeyHash: String) async throws
    func site(apiKeyHash: String) async throws -> Site?
    func site(id: SiteID) async throws -> Site?
    func sites() async throws -> [Site]
    /// Returns false when no such site exists.
    func setSuspended(_ id: SiteID, _ suspended: Bool) async throws -> Bool
}

extension RegistryWriter {
    /// Imports a finite list of records.
    public func importResidents(_ records: [ResidentRecord]) throws -> Int {
        try importResidents { write in for record in records { try write(record) } }
    }

    /// Imports a finite list of records.
    public func importOrganizations(_ records: [OrganizationRecord]) throws -> Int {
        try importOrganizations { write in for record in records { try write(record) } }
    }
}
