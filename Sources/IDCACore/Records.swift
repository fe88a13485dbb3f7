/// A token as issued: what the ledger must know to redeem it later, and nothing that names the
/// subject in plaintext.
public struct IssuedToken: Sendable, Hashable {
    /// The `jti` claim.
    public var tokenID: String
    /// SHA-256 of the exact compact token: only that spelling can be redeemed.
    public var digest: String
    public var issuedAt: Int64
    public var expiresAt: Int64
    public var audience: SiteID?
    /// The `acr` claim: the assurance reached (`registry`).
    public var assurance: String
    public var subjectType: SubjectType
    /// The registry identity pseudonyms are derived from (keyed hash of the resident ID, or the
    /// organization code).
    public var subjectReference: String
    /// Public, shown by sites on verified organization accounts.
    public var organizationName: String?

    public init(tokenID: String, digest: String, issuedAt: Int64, expiresAt: Int64, audience: SiteID?, assurance: String,
                subjectType: SubjectType, subjectReference: String, organizationName: String?) {
        self.tokenID = tokenID
        self.digest = digest
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.audience = audience
        self.assurance = assurance
        self.subjectType = subjectType
        self.subjectReference = subjectReference
        self.organizationName = organizationName
    }
}

/// Everything a decided application leaves behind, written in one transaction.
public struct DecisionRecord: Sendable, Hashable {
    public var applicationID: ApplicationID
    public var subjectType: SubjectType
    public var decidedAt: Int64
    public var site: SiteID?
    /// `nil` when approved.
    public var rejection: Rejection?
    /// The division code from the resident ID or credit code, when the rules got that far; for
    /// statistics by province.
    public var regionCode: Int?
    /// Keyed-hash reference of the subject, when the rules got that far; never plaintext.
    public var subjectReference: String?
    /// Present when approved.
    public var token: IssuedToken?
    /// Keyed hash of the operator's resident ID, for organization applications that got that far
    /// (the impersonation report counts the operators who tried one organization).
    public var operatorReference: String?
    /// Keyed hash of the client's network address (the impersonation report counts failures by source).
    public var sourceReference: String?

    public var isApproved: Bool { rejection == nil }

    public init(applicationID: ApplicationID, subjectType: SubjectType, decidedAt: Int64, site: SiteID?, rejection: Rejection?,
                regionCode: Int?, subjectReference: String?, token: IssuedToken?, operatorReference: String? = nil,
                sourceReference: String? = nil) {
        self.applicationID = applicationID
        self.subjectType = subjectType
        self.decidedAt = decidedAt
        self.site = site
        self.rejection = rejection
        self.regionCode = regionCode
        self.subjectReference = subjectReference
        self.token = token
        self.operatorReference = operatorReference
        self.sourceReference = sourceReference
    }
}

/// A licensed microblog site allowed to verify tokens.
public struct Site: Sendable, Hashable {
    public var id: SiteID
    public var name: String
    /// Telecom operating licence or non-commercial filing number (京ICP证000000号, 京ICP备00000000号).
    public var licence: String
    /// How many accounts one subject may open at this site.
    public var maxAccounts: Int
    public var isSuspended: Bool
    public var createdAt: Int64

    public init(id: SiteID, name: String, licence: String, maxAccounts: Int, isSuspended: Bool, createdAt: Int64) {
        self.id = id
        self.name = name
        self.licence = licence
        self.maxAccounts = maxAccounts
        self.isSuspended = isSuspended
        self.createdAt = createdAt
    }

    /// The default `maxAccounts`.
    public static let defaultMaxAccounts = 3
}

/// A site's request to redeem a token it has verified.
public struct Redemption: Sendable, Hashable {
    public var tokenID: String
    public var digest: String
    public var site: SiteID
    public var maxAccounts: Int
    public var redeemedAt: Int64

    public init(tokenID: String, digest: String, site: SiteID, maxAccounts: Int, redeemedAt: Int64) {
        self.tokenID = tokenID
        self.digest = digest
        self.site = site
        self.maxAccounts = maxAccounts
        self.redeemedAt = redeemedAt
    }
}

/// What the ledger decided about a redemption, atomically.
public enum RedemptionOutcome: Sendable, Hashable {
    /// Consumed now; `accountsForSubject` counts this one.
    case redeemed(IssuedToken, accountsForSubject: Int)
    case alreadyUsed
    /// Not consumed: the site already has `maxAccounts` redemptions for this subject.
    case accountLimitReached
    /// Not consumed: the subject's certification was revoked at or after the token was issued.
    case certificationRevoked
    /// No issued token has this id and digest (a forged or unknown token that still verified).
    case unknownToken
}

/// A key as the database records it (`KeyRegister`).
public struct RecordedKey: Sendable, Hashable {
    /// The secret keys every instance on one database must share, one each.
    public static let secretPurposes: Set<String> = ["index", "pseudonym", "data"]

    /// `token-signing`, `audit-signing`, or one of `secretPurposes`.
    public var purpose: String
    /// The public key's `kid`, or a secret key's fingerprint.
    public var keyID: String
    /// The public key in PEM; nil for secret keys, which never leave the key directory.
    public var publicKey: String?
    public var createdAt: Int64
    /// Set by an operator in the database (`state = 'revoked'`): no longer published or trusted.
    public var isRevoked: Bool

    public init(purpose: String, keyID: String, publicKey: String?, createdAt: Int64, isRevoked: Bool = false) {
        self.purpose = purpose
        self.keyID = keyID
        self.publicKey = publicKey
        self.createdAt = createdAt
        self.isRevoked = isRevoked
    }
}
