import IDCAAudit
import IDCACore
import IDCARules
import IDCATokens

/// What an applicant is told about an application.
public struct ApplicationResult: Sendable, Hashable {
    public enum Status: String, Sendable {
        case approved
        case rejected
    }

    public var applicationID: ApplicationID
    public var status: Status
    /// The compact JWS; present only in the answer to the application itself. It is never stored,
    /// so a later lookup cannot return it.
    public var token: String?
    public var expiresAt: Int64?
    public var rejection: Rejection?
}

/// Application → identity rules → registry → decision → durable record → signed token.
public struct CertificationService: Sendable {
    /// Everything the service needs, injected (Docs/ARCHITECTURE.md).
    public struct Dependencies: Sendable {
        public var registry: any RegistryReader
        public var ledger: any DecisionLedger
        public var sites: any SiteDirectory
        public var identityHasher: IdentityHasher
        public var issuer: TokenIssuer
        public var clock: any IDCACore.Clock
        public var random: any RandomSource
        public var regions: RegionTable

        public init(registry: any RegistryReader, ledger: any DecisionLedger, sites: any SiteDirectory, identityHasher: IdentityHasher,
                    issuer: TokenIssuer, clock: any IDCACore.Clock, random: any RandomSource, regions: RegionTable = .standard) {
            self.registry = registry
            self.ledger = ledger
            self.sites = sites
            self.identityHasher = identityHasher
            self.issuer = issuer
            self.clock = clock
            self.random = random
            self.regions = regions
        }
    }

    public struct Settings: Sendable {
        /// The `iss` claim: the CA's public URL.
        public var issuerURL: String
        /// Seconds from issue to `exp`.
        public var tokenLifetime: Int64
        /// The `acr` claim for a registry match.
        public var assurance: String

        public init(issuerURL: String, tokenLifetime: Int64 = 3600, assurance: String = "registry") {
            self.issuerURL = issuerURL
            self.tokenLifetime = tokenLifetime
            self.assurance = assurance
        }
    }

    let dependencies: Dependencies
    let settings: Settings

    public init(dependencies: Dependencies, settings: Settings) {
        self.dependencies = dependencies
        self.settings = settings
    }

    /// Decides an application, records the decision durably, and only then answers.
    /// Throws `IDCAError` for requests that are not applications at all (an unknown site).
    public func apply(_ request: ApplicationRequest) async throws -> ApplicationResult {
        if let site = request.site {
            guard let known = try await dependencies.sites.site(id: site), !known.isSuspended else {
                throw IDCAError(.badRequest, code: "unknown_site", message: "The site named in the application is not a licensed, active site.", field: "site")
            }
        }
        let now = dependencies.clock.now()
        let context = ValidationContext(today: CivilDate(shanghaiDayOf: now), regions: dependencies.regions)
        let applicationID = ApplicationID.generate(using: dependencies.random)
        let outcome = try await decide(request, context: context)

        let decision = DecisionRecord(
            applicationID: applicationID, subjectType: request.subjectType, decidedAt: now, site: request.site,
            rejection: outcome.rejection, regionCode: outcome.regionCode, subjectReference: outcome.subjectReference, token: nil)
        let decided = AuditEvent.decided(decision)
        guard outcome.rejection == nil, let subjectReference = outcome.subjectReference else {
            try await dependencies.ledger.record(decision, audit: [decided])
            return ApplicationResult(decision, token: nil)
        }

        // As a CA should: what will be signed is durable in the log before the signature exists,
        // and what was signed is durable before the token leaves the CA. A crash between the two
        // leaves a planned entry without an issued one, which auditors can see; never a token
        // without a record.
        let issuer = try dependencies.issuer.current()
        let claims = CertificationClaims(
            issuer: settings.issuerURL, tokenID: CertificationClaims.newTokenID(), issuedAt: now, notBefore: now,
            expiresAt: now + settings.tokenLifetime, subjectType: request.subjectType.rawValue, assurance: settings.assurance,
            audience: request.site?.rawValue)
        try await dependencies.ledger.record(decision, audit: [
            decided, .tokenPlanned(claims, payloadDigest: tokenDigest(issuer.payload(claims)), keyID: issuer.keyID,
                                   application: applicationID, subject: subjectReference),
        ])
        let compact = issuer.issue(claims)
        let issued = IssuedToken(
            tokenID: claims.tokenID, digest: tokenDigest(compact), issuedAt: now, expiresAt: claims.expiresAt,
            audience: request.site, assurance: settings.assurance, subjectType: request.subjectType,
            subjectReference: subjectReference, organizationName: outcome.organizationName)
        try await dependencies.ledger.recordIssued(issued, for: applicationID, audit: [
            .tokenIssued(issued, keyID: issuer.keyID, application: applicationID, time: dependencies.clock.now()),
        ])
        var approved = decision
        approved.token = issued
        return ApplicationResult(approved, token: compact)
    }

    /// The recorded decision, without the token (it was delivered once, with the decision).
    public func application(_ id: ApplicationID) async throws -> ApplicationResult? {
        try await dependencies.ledger.decision(id).map { ApplicationResult($0, token: nil) }
    }

    struct Outcome {
        var rejection: Rejection?
        var regionCode: Int?
        var subjectReference: String?
        var organizationName: String?
    }

    func decide(_ request: ApplicationRequest, context: ValidationContext) async throws -> Outcome {
        switch request {
        case .individual(let claim, _):
            let person: ScreenedPerson
            switch ApplicationScreening.screen(claim, context: context) {
            case .success(let screened): person = screened
            case .failure(let rejection): return Outcome(rejection: rejection)
            }
            let reference = dependencies.identityHasher.residentReference(person.residentID)
            let record = try await dependencies.registry.resident(residentIDHash: reference)
            let rejection = RegistryJudgement.judge(
                personNameHash: dependencies.identityHasher.nameHash(person.normalizedName), record: record)
            return Outcome(rejection: rejection, regionCode: person.residentID.region.code, subjectReference: reference)

        case .organization(let claim, _):
            let organization: ScreenedOrganization
            switch ApplicationScreening.screen(claim, context: context) {
            case .success(let screened): organization = screened
            case .failure(let rejection): return Outcome(rejection: rejection)
            }
            let reference = dependencies.identityHasher.organizationReference(organization.key.organizationCode)
            let record = try await dependencies.registry.organization(organization.key)
            let region = organization.key.divisionCode ?? record?.divisionCode
            if let rejection = RegistryJudgement.judge(organization, record: record) {
                return Outcome(rejection: rejection, regionCode: region, subjectReference: reference)
            }
            let operatorPerson = organization.operatorPerson
            let operatorRecord = try await dependencies.registry.resident(
                residentIDHash: dependencies.identityHasher.residentReference(operatorPerson.residentID))
            let operatorRejection = RegistryJudgement.judge(
                personNameHash: dependencies.identityHasher.nameHash(operatorPerson.normalizedName), record: operatorRecord,
                field: .operatorResidentID, publicReason: .operatorRejected)
            return Outcome(rejection: operatorRejection, regionCode: region, subjectReference: reference, organizationName: record?.name)
        }
    }
}

extension ApplicationResult {
    init(_ decision: DecisionRecord, token: String?) {
        self.init(
            applicationID: decision.applicationID, status: decision.isApproved ? .approved : .rejected, token: token,
            expiresAt: decision.token?.expiresAt, rejection: decision.rejection)
    }
}
