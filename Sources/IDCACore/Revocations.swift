/// Withdrawing certifications (Docs/LIFECYCLE.md). A revocation withdraws every certification of a
/// subject issued at or before its time: unredeemed tokens stop verifying, and the sites that know
/// the subject are told. A certification issued later (the registry still vouches for the subject)
/// is a new one.

/// Why a subject's certifications were withdrawn: a frozen public contract, since sites see it.
public enum RevocationReason: String, Sendable, Hashable, CaseIterable {
    /// Someone was certified with an identity that was not theirs (冒用).
    case impersonation
    /// The registry now marks the resident deceased or cancelled, or the organization revoked or
    /// cancelled (set by registry imports).
    case registryInactive = "registry_inactive"
    /// The subject asked for it.
    case subjectRequest = "subject_request"
    /// The certification should not have been issued (an operator's or a registry's mistake).
    case issuedInError = "issued_in_error"
    /// A competent authority ordered it.
    case lawfulOrder = "lawful_order"
}

/// A revocation to record.
public struct RevocationRequest: Sendable, Hashable {
    public var subjectReference: String
    public var subjectType: SubjectType
    public var reason: RevocationReason
    public var revokedAt: Int64
    public var actor: AuditActor

    public init(subjectReference: String, subjectType: SubjectType, reason: RevocationReason, revokedAt: Int64, actor: AuditActor) {
        self.subjectReference = subjectReference
        self.subjectType = subjectType
        self.reason = reason
        self.revokedAt = revokedAt
        self.actor = actor
    }
}

/// A recorded revocation; `sequence` orders them across the whole CA (sites page by it).
public struct Revocation: Sendable, Hashable {
    public var sequence: Int64
    public var request: RevocationRequest

    public init(sequence: Int64, request: RevocationRequest) {
        self.sequence = sequence
        self.request = request
    }
}

/// A subject as one site knows it: by the pseudonym it was given at redemption.
public struct SiteSubject: Sendable, Hashable {
    public var pseudonym: String
    public var subjectReference: String
    public var subjectType: SubjectType
    public var accounts: Int
    /// When the newest certification the site redeemed for the subject was issued.
    public var certifiedAt: Int64
    /// The newest revocation at or after `certifiedAt`: the site's certification is withdrawn.
    public var revocation: Revocation?

    public init(pseudonym: String, subjectReference: String, subjectType: SubjectType, accounts: Int, certifiedAt: Int64,
                revocation: Revocation?) {
        self.pseudonym = pseudonym
        self.subjectReference = subjectReference
        self.subjectType = subjectType
        self.accounts = accounts
        self.certifiedAt = certifiedAt
        self.revocation = revocation
    }
}

/// Revocations and what sites may learn of them.
public protocol CertificationRegister: Sendable {
    /// Records each request whose subject holds a certification not yet revoked (an approved
    /// application after its newest revocation), with `audit` of each, in one synced transaction;
    /// returns those recorded, in order. A subject with nothing to revoke is skipped.
    func revoke(_ requests: [RevocationRequest], audit: @escaping @Sendable (Revocation) -> AuditEvent) async throws -> [Revocation]
    /// The revocations that withdrew the certification `site` redeemed last for a subject, with
    /// sequence above `after`, oldest first, at most `limit`.
    func revocations(site: SiteID, after: Int64, limit: Int) async throws -> [Revocation]
    /// The subject `site` knows by the pseudonym whose keyed index is `pseudonym`, if it redeemed
    /// one of theirs (the returned `pseudonym` is that index).
    func subject(site: SiteID, pseudonym: String) async throws -> SiteSubject?
}
