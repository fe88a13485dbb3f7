import IDCAAudit
import IDCACore

/// The audit log as auditors and operators see it: paging, checkpoints, and the full check.
public struct AuditService: Sendable {
    let log: any AuditLog
    let clock: any IDCACore.Clock

    public init(log: any AuditLog, clock: any IDCACore.Clock) {
        self.log = log
        self.clock = clock
    }

    /// At most this many entries per page.
    public static let maximumPage = 1000

    /// Entries after `sequence`, oldest first.
    public func entries(after sequence: Int64, limit: Int) async throws -> [AuditEntry] {
        try await log.entries(after: max(0, sequence), limit: min(max(1, limit), Self.maximumPage))
    }

    public func latestCheckpoint() async throws -> AuditCheckpoint? {
        try await log.latestCheckpoint()
    }

    public func head() async throws -> AuditHead {
        try await log.head()
    }

    /// Signs the current head and stores the checkpoint. Returns `nil` when there is nothing new
    /// to sign (an empty log, or a head the newest checkpoint already covers).
    @discardableResult
    public func checkpoint(with key: AuditSigningKey) async throws -> AuditCheckpoint? {
        let head = try await log.head()
        guard head.sequence > 0 else { return nil }
        if let latest = try await log.latestCheckpoint(), latest.sequence >= head.sequence, latest.keyID == key.keyID {
            return nil
        }
        let checkpoint = key.checkpoint(head, time: clock.now())
        try await log.addCheckpoint(checkpoint)
        return checkpoint
    }

    /// Walks the whole chain, checking every hash, every stored checkpoint, and the checkpoints an
    /// auditor brought (`extra`), all against `key`.
    public func verify(key: AuditVerificationKey, extra: [AuditCheckpoint] = []) async throws -> AuditChainVerifier.Report {
        var verifier = AuditChainVerifier(checkpoints: try await log.checkpoints() + extra, key: key)
        // From the very bottom: a row slipped in below sequence 1 is a break too, not invisible.
        var after = Int64.min
        while true {
            let page = try await log.entries(after: after, limit: Self.maximumPage)
            guard let last = page.last else { break }
            for entry in page where !verifier.check(entry) { return verifier.finish() }
            after = last.sequence
        }
        return verifier.finish()
    }
}

/// Auditors: who may read the log and the statistics.
public struct AuditorService: Sendable {
    let directory: any AuditorDirectory
    let identityHasher: IdentityHasher
    let clock: any IDCACore.Clock
    let random: any RandomSource

    public init(directory: any AuditorDirectory, identityHasher: IdentityHasher, clock: any IDCACore.Clock, random: any RandomSource) {
        self.directory = directory
        self.identityHasher = identityHasher
        self.clock = clock
        self.random = random
    }

    static let keyPrefix = "idca_ak_"

    /// A new auditor and their API key, returned once; only its keyed hash is stored.
    public func add(name: String, by actor: AuditActor) async throws -> (auditor: Auditor, apiKey: String) {
        let trimmed = name.trimmingWhitespace()
        guard !trimmed.isEmpty, trimmed.count <= 128, !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw IDCAError(.badRequest, code: "auditor_name_invalid",
                            message: "An auditor needs a name of 1 to 128 characters, without control characters (tabs, line breaks).", field: "name")
        }
        let auditor = Auditor(id: AuditorID.generate(using: random), name: trimmed, createdAt: clock.now())
        let apiKey = Self.keyPrefix + Base32.encode(random.bytes(32))
        // The name stays out of the log: auditors are people, and the log is for acts, not names.
        try await directory.add(auditor, apiKeyHash: identityHasher.apiKeyHash(apiKey), audit: AuditEvent(
            .auditorAdded, time: auditor.createdAt, actor: actor, outcome: "added", object: auditor.id.rawValue))
        return (auditor, apiKey)
    }

    /// The auditor holding this key, or `nil`; keys of the wrong shape are refused without a lookup.
    public func authenticate(apiKey: String) async throws -> Auditor? {
        guard apiKey.hasPrefix(Self.keyPrefix), Base32.isEncoding(String(apiKey.dropFirst(Self.keyPrefix.count)), ofByteCount: 32) else {
            return nil
        }
        return try await directory.auditor(apiKeyHash: identityHasher.apiKeyHash(apiKey))
    }

    public func auditors() async throws -> [Auditor] {
        try await directory.auditors()
    }

    /// Revokes an auditor's key at once (the next request with it gets 401); false when there is no
    /// such active auditor.
    public func revoke(_ id: AuditorID, by actor: AuditActor) async throws -> Bool {
        let now = clock.now()
        return try await directory.revoke(id, at: now, audit: AuditEvent(
            .auditorRevoked, time: now, actor: actor, outcome: "revoked", object: id.rawValue))
    }
}
