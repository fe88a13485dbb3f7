import IDCAAudit
import IDCACore
import IDCARules
import IDCATokens

/// What an applicant is told about an application.
public struct ApplicationResult: Sendable, Hashable {
    public enum Status: String, Sendable {
        case approved
        case rejected
        /// Waiting for the code sent to the phone on file (`CertificationService.confirm`).
        case pendingPossession = "pending_possession"
    }

    /// Where the code went and how long it is good for.
    public struct Possession: Sendable, Hashable {
        public var channel = "sms"
        /// The masked phone number (`*******5678`).
        public var destination: String
        public var expiresAt: Int64
        public var attemptsLeft: Int
    }

    public var applicationID: ApplicationID
    public var subjectType: SubjectType
    public var status: Status
    /// The compact JWS; present only in the answer to the application itself. It is never stored,
    /// so a later lookup cannot return it.
    public var token: String?
    public var expiresAt: Int64?
    /// Why it was refused; for a pending application, why the last code was not accepted.
    public var rejection: Rejection?
    public var possession: Possession?
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
        public var possession: PossessionCheck
        public var budgets: Budgets
        /// For refusals that change nothing else (a spent budget).
        public var auditLog: any AuditLog

        public init(registry: any RegistryReader, ledger: any DecisionLedger, sites: any SiteDirectory, identityHasher: IdentityHasher,
                    issuer: TokenIssuer, clock: any IDCACore.Clock, random: any RandomSource, regions: RegionTable = .standard,
                    possession: PossessionCheck, budgets: Budgets, auditLog: any AuditLog) {
            self.registry = registry
            self.ledger = ledger
            self.sites = sites
            self.identityHasher = identityHasher
            self.issuer = issuer
            self.clock = clock
            self.random = random
            self.regions = regions
            self.possession = possession
            self.budgets = budgets
            self.auditLog = auditLog
        }
    }

    public struct Settings: Sendable {
        /// The `iss` claim: the CA's public URL.
        public var issuerURL: String
        /// Seconds from issue to `exp`.
        public var tokenLifetime: Int64

        public init(issuerURL: String, tokenLifetime: Int64 = 3600) {
            self.issuerURL = issuerURL
            self.tokenLifetime = tokenLifetime
        }
    }

    let dependencies: Dependencies
    let settings: Settings

    public init(dependencies: Dependencies, settings: Settings) {
        self.dependencies = dependencies
        self.settings = settings
    }

    /// Decides an application, records the decision durably, and only then answers. When the
    /// registry holds a phone number for the subject (or the organization's operator), an
    /// application that passes is not yet approved: a code goes to that phone, and `confirm`
    /// finishes it. `source` is the client's network address (kept only as a keyed hash).
    /// Throws `IDCAError` for requests that are not applications at all (an unknown site), and
    /// when the code cannot be delivered.
    public func apply(_ request: ApplicationRequest, source: String? = nil) async throws -> ApplicationResult {
        try await spendAddressBudget(source)
        if let site = request.site {
            guard let known = try await dependencies.sites.site(id: site), !known.isSuspended else {
                throw IDCAError(.badRequest, code: "unknown_site", message: "The site named in the application is not a licensed, active site.", field: "site")
            }
        }
        let now = dependencies.clock.now()
        let context = ValidationContext(today: CivilDate(shanghaiDayOf: now), regions: dependencies.regions)
        let applicationID = ApplicationID.generate(using: dependencies.random)
        var outcome = try await decide(request, context: context)
        let possession = dependencies.possession
        var phone: String?
        if outcome.rejection == nil {
            if let sealed = outcome.sealedPhone, let reference = outcome.phoneReference {
                // A phone that cannot be opened never lets the application skip the check.
                guard let opened = possession.phone(sealed, residentReference: reference) else {
                    throw IDCAError(.internalFailure, code: "internal_error", message: "Something went wrong on our side; try again.",
                                    detail: "a phone number in the registry could not be opened with the data key")
                }
                phone = opened
            } else if possession.settings.withoutPhone == .reject {
                outcome.rejection = Rejection(.possessionUnavailable, field: nil)
            }
        }

        let decision = DecisionRecord(
            applicationID: applicationID, subjectType: request.subjectType, decidedAt: now, site: request.site,
            rejection: outcome.rejection, regionCode: outcome.regionCode, subjectReference: outcome.subjectReference, token: nil,
            operatorReference: outcome.operatorReference, sourceReference: source.map(dependencies.identityHasher.sourceReference))
        guard outcome.rejection == nil, let subjectReference = outcome.subjectReference else {
            try await dependencies.ledger.record(decision, audit: [.decided(decision)])
            return ApplicationResult(decision, token: nil)
        }
        if let phone {
            return try await challenge(decision, subjectReference: subjectReference, organizationName: outcome.organizationName, phone: phone,
                                       recipient: outcome.phoneReference ?? subjectReference)
        }
        return try await issue(decision, subjectReference: subjectReference, organizationName: outcome.organizationName,
                               assurance: PossessionCheck.registryAssurance) { audit in
            try await dependencies.ledger.record(decision, audit: audit)
        }
    }

    /// Records what will be signed, signs it, records what was signed, and answers with the token.
    /// `recordDecision` commits the approval with the audit entries it is given.
    ///
    /// As a CA should: what will be signed is durable in the log before the signature exists, and
    /// what was signed is durable before the token leaves the CA. A crash between the two leaves a
    /// planned entry without an issued one, which auditors can see; never a token without a record.
    func issue(_ decision: DecisionRecord, subjectReference: String, organizationName: String?, assurance: String,
               prefix: [AuditEvent] = [], recordDecision: ([AuditEvent]) async throws -> Void) async throws -> ApplicationResult {
        let now = decision.decidedAt
        let issuer = try dependencies.issuer.current()
        let claims = CertificationClaims(
            issuer: settings.issuerURL, tokenID: CertificationClaims.newTokenID(), issuedAt: now, notBefore: now,
            expiresAt: now + settings.tokenLifetime, subjectType: decision.subjectType.rawValue, assurance: assurance,
            audience: decision.site?.rawValue)
        try await recordDecision(prefix + [
            .decided(decision),
            .tokenPlanned(claims, payloadDigest: tokenDigest(issuer.payload(claims)), keyID: issuer.keyID,
                          application: decision.applicationID, subject: subjectReference),
        ])
        let compact = issuer.issue(claims)
        let issued = IssuedToken(
            tokenID: claims.tokenID, digest: tokenDigest(compact), issuedAt: now, expiresAt: claims.expiresAt,
            audience: decision.site, assurance: assurance, subjectType: decision.subjectType,
            subjectReference: subjectReference, organizationName: organizationName)
        try await dependencies.ledger.recordIssued(issued, for: decision.applicationID, audit: [
            .tokenIssued(issued, keyID: issuer.keyID, application: decision.applicationID, time: dependencies.clock.now()),
        ])
        var approved = decision
        approved.token = issued
        return ApplicationResult(approved, token: compact)
    }

    /// The recorded decision, without the token (it was delivered once, with the decision), or
    /// the application still waiting for its code.
    public func application(_ id: ApplicationID) async throws -> ApplicationResult? {
        if let decision = try await dependencies.ledger.decision(id) { return ApplicationResult(decision, token: nil) }
        guard let challenge = try await dependencies.possession.ledger.challenge(id), challenge.isPending else { return nil }
        let now = dependencies.clock.now()
        if challenge.expiresAt <= now {
            // Decided when first seen after its code expired, so that nobody is shown a wait that is over.
            do { return try await refuse(challenge, reason: .possessionCodeExpired, at: now) } catch let error as IDCAError where error.kind == .conflict {
                return try await dependencies.ledger.decision(id).map { ApplicationResult($0, token: nil) }
            }
        }
        return ApplicationResult(pending: challenge, rejection: nil)
    }

    struct Outcome {
        var rejection: Rejection?
        var regionCode: Int?
        var subjectReference: String?
        var organizationName: String?
        var operatorReference: String?
        /// The phone on file for the person who must prove possession, and the resident reference
        /// it is sealed to.
        var sealedPhone: [UInt8]?
        var phoneReference: String?
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
            try await enforceLock(reference, type: .individual)
            let record = try await dependencies.registry.resident(residentIDHash: reference)
            let rejection = RegistryJudgement.judge(
                personNameHash: dependencies.identityHasher.nameHash(person.normalizedName), record: record)
            return Outcome(rejection: rejection, regionCode: person.residentID.region.code, subjectReference: reference,
                           sealedPhone: record?.sealedPhone, phoneReference: reference)

        case .organization(let claim, _):
            let organization: ScreenedOrganization
            switch ApplicationScreening.screen(claim, context: context) {
            case .success(let screened): organization = screened
            case .failure(let rejection): return Outcome(rejection: rejection)
            }
            let reference = dependencies.identityHasher.organizationReference(organization.key.organizationCode)
            try await enforceLock(reference, type: .organization)
            let record = try await dependencies.registry.organization(organization.key)
            let region = organization.key.divisionCode ?? record?.divisionCode
            if let rejection = RegistryJudgement.judge(organization, record: record) {
                return Outcome(rejection: rejection, regionCode: region, subjectReference: reference)
            }
            let operatorPerson = organization.operatorPerson
            let operatorReference = dependencies.identityHasher.residentReference(operatorPerson.residentID)
            // A locked resident ID is locked as an operator too: otherwise names could be tried
            // against it through one organization after another.
            try await enforceLock(operatorReference, type: .individual)
            let operatorRecord = try await dependencies.registry.resident(residentIDHash: operatorReference)
            let operatorRejection = RegistryJudgement.judge(
                personNameHash: dependencies.identityHasher.nameHash(operatorPerson.normalizedName), record: operatorRecord,
                field: .operatorResidentID, publicReason: .operatorRejected)
            return Outcome(rejection: operatorRejection, regionCode: region, subjectReference: reference, organizationName: record?.name,
                           operatorReference: operatorReference, sealedPhone: operatorRecord?.sealedPhone, phoneReference: operatorReference)
        }
    }
}

extension ApplicationResult {
    init(_ decision: DecisionRecord, token: String?) {
        self.init(
            applicationID: decision.applicationID, subjectType: decision.subjectType, status: decision.isApproved ? .approved : .rejected,
            token: token,
            expiresAt: decision.token?.expiresAt, rejection: decision.rejection)
    }

    init(pending challenge: PossessionChallenge, rejection: Rejection?) {
        self.init(
            applicationID: challenge.applicationID, subjectType: challenge.subjectType, status: .pendingPossession, token: nil, expiresAt: nil, rejection: rejection,
            possession: Possession(destination: challenge.destination, expiresAt: challenge.expiresAt, attemptsLeft: challenge.attemptsLeft))
    }
}
