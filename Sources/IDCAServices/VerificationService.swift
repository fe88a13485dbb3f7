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
    }

    let verifier: TokenVerifier
    let ledger: any TokenLedger
    let pseudonyms: PseudonymGenerator
    let clock: any IDCACore.Clock

    public init(verifier: TokenVerifier, ledger: any TokenLedger, pseudonyms: PseudonymGenerator, clock: any IDCACore.Clock) {
        self.verifier = verifier
        self.ledger = ledger
        self.pseudonyms = pseudonyms
        self.clock = clock
    }

    /// Nothing is consumed until the token is fully verified; then one atomic update decides.
    public func verify(_ token: String, for site: Site) async throws -> VerificationResult {
        let now = clock.now()
        let claims: CertificationClaims
        switch verifier.verify(token, now: now, siteID: site.id.rawValue) {
        case .success(let verified): claims = verified
        case .failure(let rejection): return .inactive(reason: rejection.rawValue)
        }
        let outcome = try await ledger.redeem(Redemption(
            tokenID: claims.tokenID, digest: tokenDigest(token), site: site.id, maxAccounts: site.maxAccounts, redeemedAt: now))
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
        case .unknownToken:
            // Signed by a published key yet never issued here (a restored database, or a leaked key):
            // refuse it as a bad signature rather than reveal anything more.
            return .inactive(reason: TokenRejection.invalidSignature.rawValue)
        }
    }
}
