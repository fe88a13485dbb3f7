/// The ports the certification services need. Each caller gets the narrowest one: redemption
/// never sees the registry, applications never see site credentials.

/// Read access to the authoritative registry.
public protocol RegistryReader: Sendable {
    func resident(residentIDHash: String) async throws -> ResidentRecord?
    func organization(_ key: OrganizationKey) async throws -> OrganizationRecord?
}

/// Bulk writes to the registry (operator imports). All-or-nothing: `produce` hands each record to
/// `write`; if `produce` throws (a reader error, an interruption) or the process dies before the
/// import returns, the registry is exactly as before. `audit` is asked, once every record is
/// written, for the event that records the import; it commits with the import.
public protocol RegistryWriter: Sendable {
    /// Upserts every record produced, keyed by the resident ID hash; returns how many were written.
    func importResidents(_ produce: (_ write: (ResidentRecord) throws -> Void) throws -> Void,
                         audit: (_ imported: Int) -> AuditEvent) async throws -> Int
    /// Upserts every record produced, keyed by organization code; returns how many were written.
    func importOrganizations(_ produce: (_ write: (OrganizationRecord) throws -> Void) throws -> Void,
                             audit: (_ imported: Int) -> AuditEvent) async throws -> Int
    func residentCount() async throws -> Int
    func organizationCount() async throws -> Int
}

/// Where decisions are recorded durably before anyone is told about them.
public protocol DecisionLedger: Sendable {
    /// Commits the decision (without its token), its statistics counters and `audit` in one
    /// transaction, synced to disk. `decision.token` is ignored: tokens are recorded once signed.
    func record(_ decision: DecisionRecord, audit: [AuditEvent]) async throws
    /// Commits a token signed for an approved application, with `audit`, in one synced transaction.
    func recordIssued(_ token: IssuedToken, for application: ApplicationID, audit: [AuditEvent]) async throws
    func decision(_ id: ApplicationID) async throws -> DecisionRecord?
}

/// Single use of tokens, decided by the database.
public protocol TokenLedger: Sendable {
    /// Consumes the token for `redemption.site` if it was issued with this digest, is unused, its
    /// certification is not revoked, and the site is under its account limit for the subject — one
    /// atomic conditional update. On success the site's account row records `pseudonym` of the
    /// subject reference (the keyed index of what the site knows the subject by). The event `audit` makes of the
    /// outcome commits in the same transaction.
    func redeem(_ redemption: Redemption, pseudonym: @escaping @Sendable (String) -> String,
                audit: @escaping @Sendable (RedemptionOutcome) -> AuditEvent) async throws -> RedemptionOutcome
}

/// Licensed sites and their credentials (stored only as keyed hashes).
public protocol SiteDirectory: Sendable {
    func add(_ site: Site, apiKeyHash: String, audit: AuditEvent) async throws
    func site(apiKeyHash: String) async throws -> Site?
    func site(id: SiteID) async throws -> Site?
    func sites() async throws -> [Site]
    /// Returns false when no such site exists (and records nothing).
    func setSuspended(_ id: SiteID, _ suspended: Bool, audit: AuditEvent) async throws -> Bool
}

/// What auditors may read of the audit log: nothing here can change it.
public protocol AuditReader: Sendable {
    /// The newest entry, or `AuditHead.genesis` for an empty log.
    func head() async throws -> AuditHead
    /// Up to `limit` entries with sequence numbers above `after`, in order.
    func entries(after: Int64, limit: Int) async throws -> [AuditEntry]
    func latestCheckpoint() async throws -> AuditCheckpoint?
    /// Every stored checkpoint, oldest first.
    func checkpoints() async throws -> [AuditCheckpoint]
}

/// The append-only audit log. Events that accompany a state change go through that change's port
/// (same transaction); `append` is for events that change nothing else, such as a refused verify.
public protocol AuditLog: AuditReader {
    /// Links `events` into the chain in one synced transaction.
    func append(_ events: [AuditEvent]) async throws
    func addCheckpoint(_ checkpoint: AuditCheckpoint) async throws
}

/// Auditors and their credentials (stored only as keyed hashes).
public protocol AuditorDirectory: Sendable {
    func add(_ auditor: Auditor, apiKeyHash: String, audit: AuditEvent) async throws
    /// The auditor holding this key, unless revoked.
    func auditor(apiKeyHash: String) async throws -> Auditor?
    /// Every auditor, revoked ones included.
    func auditors() async throws -> [Auditor]
    /// Stops the auditor's key from working; false when there is no such auditor or it was already
    /// revoked (and then nothing is recorded).
    func revoke(_ id: AuditorID, at time: Int64, audit: AuditEvent) async throws -> Bool
}

/// The statistics counters, read for reports.
public protocol StatisticsReader: Sendable {
    /// Sums of the counters in the query's date range, one cell per group; groups with no
    /// applications are absent.
    func applicationCounts(_ query: StatisticsQuery) async throws -> [StatisticsCell]
}

/// The CA's keys as its database records them, shared by every instance on that database: the
/// public keys to publish and trust, and the fingerprints of the secret keys (index, pseudonym,
/// data) that every instance must hold identically.
public protocol KeyRegister: Sendable {
    /// Records each of `keys` not recorded yet, except a secret key whose purpose already has a
    /// different one, or an audit key while another is active (at most one of each is), and
    /// returns every recorded key.
    func enroll(_ keys: [RecordedKey]) async throws -> [RecordedKey]
    /// Marks every active key of `purpose` but `keyID` revoked (a key deliberately replaced).
    func revoke(purpose: String, except keyID: String) async throws
    // Key rotation (Docs/KEY-ROTATION.md): token-signing keys carry a schedule.
    /// Every token-signing key with its schedule, in order of activation.
    func signingSchedule() async throws -> [ScheduledKey]
    /// Records `next` as the coming token-signing key and, in the same transaction, retires every
    /// key signing without a retirement date at `next.activatesAt` (leaving the JWKS at
    /// `retiredKeysDropAt`). Refuses, recording nothing, while another key is pending or next at `now`.
    func scheduleRotation(_ next: ScheduledKey, now: Int64, retiredKeysDropAt: Int64, audit: AuditEvent) async throws -> RotationOutcome
    /// Revokes the token-signing key `keyID` at `time`; false when no such unrevoked key exists.
    func revoke(keyID: String, at time: Int64, audit: AuditEvent) async throws -> Bool
}

extension RegistryWriter {
    /// Imports a finite list of records.
    public func importResidents(_ records: [ResidentRecord], audit: (_ imported: Int) -> AuditEvent) async throws -> Int {
        try await importResidents({ write in for record in records { try write(record) } }, audit: audit)
    }

    /// Imports a finite list of records.
    public func importOrganizations(_ records: [OrganizationRecord], audit: (_ imported: Int) -> AuditEvent) async throws -> Int {
        try await importOrganizations({ write in for record in records { try write(record) } }, audit: audit)
    }
}
