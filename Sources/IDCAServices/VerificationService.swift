import IDCACore
import IDCATokens

/// The answer to a site's verify call, shaped after RFC 7662 introspection.
public enum VerificationResult: Sendable, Hashable {
    case active(Certification)
    case inactive(reason: String)

    /// What a site learns about a certified subject: a pairwise pseudonym, never an identity.
    public struct Certification: Sendable, Hashable {
        public var subject: String
        public var subjectType: SubjectType
        public var assurance: String
        public var certifiedAt: Int64
        public var accountsForSubject: Int
        public var organizationName: String?
    }
}

/// Verifies a token for a site and redeems it. It holds public keys only: redemption never sees
/// a private key or the registry.
public struct VerificationService: Sendable {
    /// The reasons beyond `TokenRejection`'s, decided by the ledger.
    public enum LedgerReason: String, CaseIterable, Sendable {
        case tokenAlreadyUsed = "token_already_used"
        case accountLimitReached = "account_limit_reached"
        case certificationRevoked = "certification_revoked"
    }

    let verifier: TokenVerifier
    let ledger: any TokenLedger
    let auditLog: any AuditLog
    let pseudonyms: PseudonymGenerator
    let clock: any IDCACore.Clock

    public init(verifier: TokenVerifier, ledger: any TokenLedger, auditLog: any AuditLog, pseudonyms: PseudonymGenerator,
                clock: any IDCACore.Clock) {
        self.verifier = verifier
        self.ledger = ledger
        self.auditLog = auditLog
        self.pseudonyms = pseudonyms
        self.clock = clock
    }

    /// Nothing is consumed until the token is fully verified; then one atomic update decides. Every
    /// call is audited, refusals included, before the site hears the answer.
    public func verify(_ token: String, for site: Site) async throws -> VerificationResult {
        let now = clock.now()
        let digest = tokenDigest(token)
        let claims: CertificationClaims
        switch verifier.verify(token, now: now, siteID: site.id.rawValue) {
        case .success(let verified): claims = verified
        case .failure(let rejection):
            // No claim of an unverified token can be trusted, so the entry names the token by digest.
            try await auditLog.append([.verified(site: site.id, time: now, active: false, reason: rejection.rawValue,
                                                 tokenID: "", details: [("token_sha256", digest)])])
            return .inactive(reason: rejection.rawValue)
        }
        let siteID = site.id
        let tokenID = claims.tokenID
        let pseudonyms = self.pseudonyms
        let outcome = try await ledger.redeem(Redemption(
            tokenID: tokenID, digest: digest, site: siteID, maxAccounts: site.maxAccounts, redeemedAt: now),
            pseudonym: { pseudonyms.index(ofPseudonym: pseudonyms.pseudonym(subjectReference: $0, siteID: siteID.rawValue)) }
        ) { outcome in
            switch outcome {
            case .redeemed(let issued, let accounts):
                .verified(site: siteID, time: now, subject: issued.subjectReference, active: true, tokenID: tokenID,
                          details: [("accounts", String(accounts))])
            case .alreadyUsed:
                .verified(site: siteID, time: now, active: false, reason: LedgerReason.tokenAlreadyUsed.rawValue, tokenID: tokenID)
            case .accountLimitReached:
                .verified(site: siteID, time: now, active: false, reason: LedgerReason.accountLimitReached.rawValue, tokenID: tokenID)
            case .certificationRevoked:
                .verified(site: siteID, time: now, active: false, reason: LedgerReason.certificationRevoked.rawValue, tokenID: tokenID)
            case .unknownToken:
                .verified(site: siteID, time: now, active: false, reason: "unknown_token", tokenID: tokenID,
                          details: [("token_sha256", digest)])
            }
        }
        switch outcome {
        case .redeemed(let issued, let accounts):
            return .active(.init(
                subject: pseudonyms.pseudonym(subjectReference: issued.subjectReference, siteID: site.id.rawValue),
                subjectType: issued.subjectType, assurance: issued.assurance, certifiedAt: issued.issuedAt,
                accountsForSubject: accounts, organizationName: issued.organizationName))
        case .alreadyUsed:
            return .inactive(reason: LedgerReason.tokenAlreadyUsed.rawValue)
        case .accountLimitReached:
            return .inactive(reason: LedgerReason.accountLimitReached.rawValue)
        case .certificationRevoked:
            return .inactive(reason: LedgerReason.certificationRevoked.rawValue)
        case .unknownToken:
            // Signed by a published key yet never issued here (a restored database, or a leaked key):
            // refuse it as a bad signature rather than reveal anything more.
            return .inactive(reason: TokenRejection.invalidSignature.rawValue)
        }
    }
}
