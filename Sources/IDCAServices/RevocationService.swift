import IDCACore
import IDCARules
import IDCATokens

/// Withdrawing certifications, and what each site may learn of it: only about subjects it
/// redeemed a token for, only by the pseudonym it knows them by (Docs/LIFECYCLE.md).
public struct RevocationService: Sendable {
    /// The longest page of a site's revocation feed.
    public static let maximumPage = 1000

    let register: any CertificationRegister
    let identityHasher: IdentityHasher
    let pseudonyms: PseudonymGenerator
    let clock: any IDCACore.Clock

    public init(register: any CertificationRegister, identityHasher: IdentityHasher, pseudonyms: PseudonymGenerator,
                clock: any IDCACore.Clock) {
        self.register = register
        self.identityHasher = identityHasher
        self.pseudonyms = pseudonyms
        self.clock = clock
    }

    /// The subject an operator names by number; the number must pass its rules.
    public enum Subject: Sendable {
        case resident(String)
        /// An organization code (GB 11714) or a credit code (GB 32100), which embeds one.
        case organization(String)
    }

    /// Revokes every certification `subject` holds now; `nil` when it holds none (nothing recorded).
    public func revoke(_ subject: Subject, reason: RevocationReason, by actor: AuditActor) async throws -> Revocation? {
        let now = clock.now()
        let context = ValidationContext(today: CivilDate(shanghaiDayOf: now))
        let reference: String
        let type: SubjectType
        switch subject {
        case .resident(let text):
            guard let number = try? ResidentIDNumber(validating: text, context: context) else {
                throw IDCAError(.badRequest, code: "invalid_resident_id", message: "That is not a valid resident ID number.", field: "resident_id")
            }
            reference = identityHasher.residentReference(number)
            type = .individual
        case .organization(let text):
            if let code = try? OrganizationCode(validating: text, context: context) {
                reference = identityHasher.organizationReference(code.canonical)
            } else if let code = try? CreditCode(validating: text, context: context) {
                reference = identityHasher.organizationReference(code.organizationCode.canonical)
            } else {
                throw IDCAError(.badRequest, code: "invalid_organization_code",
                                message: "That is neither a valid organization code nor a valid credit code.", field: "organization_code")
            }
            type = .organization
        }
        return try await revoke([RevocationRequest(subjectReference: reference, subjectType: type, reason: reason, revokedAt: now,
                                                   actor: actor)]).first
    }

    /// Revokes what each subject holds now (registry imports use this for inactive entries).
    public func revoke(_ requests: [RevocationRequest]) async throws -> [Revocation] {
        try await register.revoke(requests) { revocation in
            AuditEvent(.certificationRevoked, time: revocation.request.revokedAt, actor: revocation.request.actor,
                       subject: revocation.request.subjectReference, outcome: "revoked", reason: revocation.request.reason.rawValue,
                       object: "revocation:\(revocation.sequence)", details: [("subject_type", revocation.request.subjectType.rawValue)])
        }
    }

    /// One page of `site`'s revocation feed after `cursor`, and the cursor to continue from.
    public func feed(for site: Site, after cursor: Int64, limit: Int) async throws -> (entries: [SiteRevocationEntry], next: Int64) {
        let revocations = try await register.revocations(site: site.id, after: cursor, limit: limit)
        let entries = revocations.map { revocation in
            SiteRevocationEntry(
                subject: pseudonyms.pseudonym(subjectReference: revocation.request.subjectReference, siteID: site.id.rawValue),
                subjectType: revocation.request.subjectType, reason: revocation.request.reason, revokedAt: revocation.request.revokedAt,
                cursor: revocation.sequence)
        }
        return (entries, revocations.last?.sequence ?? cursor)
    }

    /// The current status of the subject `site` knows by `pseudonym`; `nil` if the site never
    /// redeemed a token of theirs (which is all a site can be told about other pseudonyms).
    public func subject(_ pseudonym: String, for site: Site) async throws -> SiteSubject? {
        guard Base32.isEncoding(pseudonym, ofByteCount: 20) else { return nil }
        guard var subject = try await register.subject(site: site.id, pseudonym: pseudonyms.index(ofPseudonym: pseudonym)) else { return nil }
        subject.pseudonym = pseudonym
        return subject
    }
}

/// A revocation as one site sees it.
public struct SiteRevocationEntry: Sendable, Hashable {
    public var subject: String
    public var subjectType: SubjectType
    public var reason: RevocationReason
    public var revokedAt: Int64
    public var cursor: Int64
}
