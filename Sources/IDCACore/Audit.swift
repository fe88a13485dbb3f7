/// The audit log's vocabulary: what happened, who did it, to whom (by reference only), and how it
/// ended. Storage links each event into the hash chain in the same transaction as the state change
/// it records (Docs/AUDIT-LOG.md).

/// Who caused an audited event. Written `kind` or `kind:id` (`site:site_…`, `operator:root`).
public struct AuditActor: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Whoever sent an application (anonymous: the log never names applicants).
        case applicant
        /// A licensed site, by site id.
        case site
        /// An auditor, by auditor id.
        case auditor
        /// A person at the `idca` command line, by their login name.
        case `operator`
        /// idca itself (demo traffic, background work).
        case system
    }

    public var kind: Kind
    public var id: String

    public init(_ kind: Kind, id: String = "") {
        self.kind = kind
        self.id = id
    }

    public static let applicant = AuditActor(.applicant)
    public static let system = AuditActor(.system)
    public static func site(_ id: SiteID) -> AuditActor { AuditActor(.site, id: id.rawValue) }
    public static func auditor(_ id: AuditorID) -> AuditActor { AuditActor(.auditor, id: id.rawValue) }
    public static func `operator`(_ name: String) -> AuditActor { AuditActor(.operator, id: name) }

    /// `kind` alone, or `kind:id`.
    public var description: String { id.isEmpty ? kind.rawValue : kind.rawValue + ":" + id }

    /// The actor `description` wrote; an unknown kind reads as `system` with the whole text as id.
    public init(parsing text: String) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        if let kind = Kind(rawValue: String(parts[0])) {
            self.init(kind, id: parts.count > 1 ? String(parts[1]) : "")
        } else {
            self.init(.system, id: text)
        }
    }
}

/// One thing worth recording, before the log gives it a place in the chain.
public struct AuditEvent: Sendable, Hashable {
    /// Event types: a frozen contract like the reason codes (auditors filter and count by them).
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// An application was decided: outcome `approved` or `rejected` with the exact internal reason.
        case applicationDecided = "application.decided"
        /// The claims about to be signed, committed before the signature exists.
        case tokenPlanned = "token.planned"
        /// The token that was signed (its digest), committed before it is handed out.
        case tokenIssued = "token.issued"
        /// A site's verify call: outcome `active` or `inactive` with the reason.
        case tokenVerified = "token.verified"
        case registryImported = "registry.imported"
        case siteAdded = "site.added"
        case siteSuspended = "site.suspended"
        case siteResumed = "site.resumed"
        case keyGenerated = "key.generated"
        /// `idca keys revoke`: a token-signing key is no longer published or trusted.
        case keyRevoked = "key.revoked"
        case auditorAdded = "auditor.added"
        case auditorRevoked = "auditor.revoked"
        /// A subject's certifications withdrawn (`RevocationReason` as the reason).
        case certificationRevoked = "certification.revoked"
        /// A one-time code sent to the phone on file for an application.
        case possessionChallenged = "possession.challenged"
        /// A code entered for an application: outcome `confirmed`, `wrong`, `expired` or `exhausted`.
        case possessionAnswered = "possession.answered"
        /// An application refused before any registry lookup because a budget was spent.
        case budgetRefused = "budget.refused"
        /// A lawful disclosure requested, approved, or shown.
        case disclosureRequested = "disclosure.requested"
        case disclosureApproved = "disclosure.approved"
        case disclosureShown = "disclosure.shown"
    }

    public var kind: Kind
    /// Seconds since 1970-01-01T00:00:00Z.
    public var time: Int64
    public var actor: AuditActor
    /// The subject's keyed-hash reference (the one pseudonyms derive from, never a pseudonym, which
    /// would let one site's view be joined to the log); empty when there is none. Never plaintext.
    public var subject: String
    public var outcome: String
    /// The exact internal reason; empty when there is none.
    public var reason: String
    /// What the event is about: an application id, a token id, a site id, a key id.
    public var object: String
    /// Further facts as `key=value` pairs, in the order given (no personal data).
    public var details: [(String, String)]

    public init(_ kind: Kind, time: Int64, actor: AuditActor, subject: String = "", outcome: String, reason: String = "",
                object: String = "", details: [(String, String)] = []) {
        self.kind = kind
        self.time = time
        self.actor = actor
        self.subject = subject
        self.outcome = outcome
        self.reason = reason
        self.object = object
        self.details = details
    }

    /// `details` as stored and hashed: `key=value` pairs joined by single spaces.
    public var detail: String {
        details.map { $0.0 + "=" + $0.1 }.joined(separator: " ")
    }

    public static func == (lhs: AuditEvent, rhs: AuditEvent) -> Bool {
        lhs.kind == rhs.kind && lhs.time == rhs.time && lhs.actor == rhs.actor && lhs.subject == rhs.subject
            && lhs.outcome == rhs.outcome && lhs.reason == rhs.reason && lhs.object == rhs.object && lhs.detail == rhs.detail
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(time)
        hasher.combine(object)
        hasher.combine(detail)
    }
}

/// An entry as stored: the event's fields as text, its place in the chain, and the hashes that
/// link it (lowercase hex SHA-256; `prevHash` of entry 1 is 64 zeros).
public struct AuditEntry: Sendable, Hashable {
    public var sequence: Int64
    public var time: Int64
    public var type: String
    public var actor: String
    public var subject: String
    public var outcome: String
    public var reason: String
    public var object: String
    public var detail: String
    public var prevHash: String
    public var hash: String

    public init(sequence: Int64, time: Int64, type: String, actor: String, subject: String, outcome: String, reason: String,
                object: String, detail: String, prevHash: String, hash: String) {
        self.sequence = sequence
        self.time = time
        self.type = type
        self.actor = actor
        self.subject = subject
        self.outcome = outcome
        self.reason = reason
        self.object = object
        self.detail = detail
        self.prevHash = prevHash
        self.hash = hash
    }

    /// The value of `key` in `detail`, if present.
    public func detailValue(_ key: String) -> String? {
        for pair in detail.split(separator: " ") {
            if let equals = pair.firstIndex(of: "="), pair[..<equals] == key { return String(pair[pair.index(after: equals)...]) }
        }
        return nil
    }
}

/// The newest entry: where the next one links.
public struct AuditHead: Sendable, Hashable {
    public var sequence: Int64
    public var hash: String

    public init(sequence: Int64, hash: String) {
        self.sequence = sequence
        self.hash = hash
    }

    /// Before the first entry: sequence 0 and 64 zeros, the `prev_hash` of entry 1.
    public static let genesis = AuditHead(sequence: 0, hash: String(repeating: "0", count: 64))
}

/// A signed statement "the log had `sequence` entries ending in `hash` at `time`", by the audit key.
///
/// Its JSON form (`{"sequence", "hash", "time", "key_id", "signature"}`) is what the API returns and
/// what auditors keep in a file for `idca audit verify --checkpoint`.
public struct AuditCheckpoint: Sendable, Hashable, Codable {
    enum CodingKeys: String, CodingKey {
        case sequence, hash, time, signature
        case keyID = "key_id"
    }

    public var sequence: Int64
    public var hash: String
    public var time: Int64
    /// The audit key's id (RFC 7638 thumbprint of its public key).
    public var keyID: String
    /// Ed25519 signature, base64url without padding, over `AuditCheckpoint.signedText`.
    public var signature: String

    public init(sequence: Int64, hash: String, time: Int64, keyID: String, signature: String) {
        self.sequence = sequence
        self.hash = hash
        self.time = time
        self.keyID = keyID
        self.signature = signature
    }

    /// The exact bytes the signature covers (Docs/AUDIT-LOG.md).
    public static func signedText(sequence: Int64, hash: String, time: Int64, keyID: String) -> String {
        "idca-audit-checkpoint-v1\n\(sequence)\n\(hash)\n\(time)\n\(keyID)\n"
    }

    public var signedText: String { Self.signedText(sequence: sequence, hash: hash, time: time, keyID: keyID) }
}

/// An auditor's id: `aud_` and 26 base32 characters.
public struct AuditorID: RandomIdentifier {
    public static let prefix = "aud_"
    public let rawValue: String
    public init(uncheckedRawValue: String) { rawValue = uncheckedRawValue }
}

/// Someone allowed to read the audit log and the statistics.
public struct Auditor: Sendable, Hashable {
    public var id: AuditorID
    public var name: String
    public var createdAt: Int64
    /// When the auditor's key stopped working; `nil` while it works.
    public var revokedAt: Int64?

    public init(id: AuditorID, name: String, createdAt: Int64, revokedAt: Int64? = nil) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}
