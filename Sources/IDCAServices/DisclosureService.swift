import IDCACore
import IDCATokens

/// Lawful disclosure — "real name at the back end" (Docs/LIFECYCLE.md). Two different auditors
/// must act before anyone sees who is behind a pseudonym, within `requestLifetime`, and every step
/// is in the audit log before its answer. The identity is decrypted only for `show`.
public struct DisclosureService: Sendable {
    /// How long a request can be approved and its identity shown.
    public static let requestLifetime: Int64 = 7 * 86_400

    public struct Dependencies: Sendable {
        public var ledger: any DisclosureLedger
        public var certifications: any CertificationRegister
        public var registry: any RegistryReader
        public var sites: any SiteDirectory
        public var pseudonyms: PseudonymGenerator
        /// Opens the identity copies the registry keeps sealed under the data key.
        public var sealer: DataSealer
        public var auditLog: any AuditLog
        public var clock: any IDCACore.Clock
        public var random: any RandomSource

        public init(ledger: any DisclosureLedger, certifications: any CertificationRegister, registry: any RegistryReader,
                    sites: any SiteDirectory, pseudonyms: PseudonymGenerator, sealer: DataSealer, auditLog: any AuditLog,
                    clock: any IDCACore.Clock, random: any RandomSource) {
            self.ledger = ledger
            self.certifications = certifications
            self.registry = registry
            self.sites = sites
            self.pseudonyms = pseudonyms
            self.sealer = sealer
            self.auditLog = auditLog
            self.clock = clock
            self.random = random
        }
    }

    /// Who is behind a pseudonym. For an organization: its name, and the person who acted for it
    /// at that site (the operator of the newest of its tokens the site redeemed).
    public struct Identity: Sendable, Hashable {
        public var subjectType: SubjectType
        public var residentID: String?
        public var name: String?
        public var organizationName: String?
    }

    let dependencies: Dependencies

    public init(dependencies: Dependencies) {
        self.dependencies = dependencies
    }

    /// Asks for the identity behind `pseudonym` at `site`, for `caseReference` (1–64 characters,
    /// no spaces, control or format characters: a file number such as `（2026）京0105刑初123号`).
    /// Characters are Unicode scalars, as JSON Schema's `maxLength` counts them: counted as graphemes,
    /// one letter with thousands of combining marks would pass as one. Format characters (U+202E and
    /// its kind) could make a case number read differently in the audit log than it is stored.
    public func request(site siteText: String, pseudonym: String, caseReference: String, by auditor: Auditor) async throws -> DisclosureRequest {
        guard (1...64).contains(caseReference.unicodeScalars.count),
              !caseReference.unicodeScalars.contains(where: {
                  $0.properties.isWhitespace || [.control, .format].contains($0.properties.generalCategory)
              })
        else {
            throw IDCAError(.badRequest, code: "invalid_case", message: "The case reference is 1 to 64 characters, without spaces.", field: "case")
        }
        guard let siteID = SiteID(rawValue: siteText), try await dependencies.sites.site(id: siteID) != nil else {
            throw IDCAError(.notFound, code: "site_not_found", message: "No site has this id.", field: "site")
        }
        guard Base32.isEncoding(pseudonym, ofByteCount: 20),
              let subject = try await dependencies.certifications.subject(site: siteID, pseudonym: dependencies.pseudonyms.index(ofPseudonym: pseudonym))
        else {
            throw IDCAError(.notFound, code: "subject_not_found", message: "This site has redeemed no token of a subject with this pseudonym.",
                            field: "subject")
        }
        let now = dependencies.clock.now()
        let request = DisclosureRequest(
            id: .generate(using: dependencies.random), site: siteID, pseudonym: pseudonym, subjectReference: subject.subjectReference,
            subjectType: subject.subjectType, caseReference: caseReference, requestedBy: auditor.id, requestedAt: now,
            expiresAt: now + Self.requestLifetime)
        try await dependencies.ledger.create(request, audit: [AuditEvent(
            .disclosureRequested, time: now, actor: .auditor(auditor.id), subject: subject.subjectReference, outcome: "requested",
            object: request.id.rawValue, details: [("site", siteID.rawValue), ("case", caseReference)])])
        return request
    }

    /// `requested`, `approved`, or `expired` (past `expiresAt`: nothing more can be done with it).
    public func state(of request: DisclosureRequest) -> String {
        if request.expiresAt <= dependencies.clock.now() { return "expired" }
        return request.approvedBy == nil ? "requested" : "approved"
    }

    /// The request, for any auditor.
    public func status(_ id: String) async throws -> DisclosureRequest {
        guard let id = DisclosureID(rawValue: id), let request = try await dependencies.ledger.request(id) else {
            throw IDCAError(.notFound, code: "disclosure_not_found", message: "No disclosure request has this id.")
        }
        return request
    }

    /// Approves another auditor's unexpired request.
    public func approve(_ id: String, by auditor: Auditor) async throws -> DisclosureRequest {
        let request = try await status(id)
        let now = dependencies.clock.now()
        guard request.requestedBy != auditor.id else {
            throw IDCAError(.forbidden, code: "second_auditor_required",
                            message: "A disclosure must be approved by a different auditor than the one who requested it.")
        }
        guard request.approvedBy == nil else {
            throw IDCAError(.conflict, code: "disclosure_already_approved", message: "This request has already been approved.")
        }
        guard request.expiresAt > now else { throw Self.expired }
        guard try await dependencies.ledger.approve(request.id, by: auditor.id, at: now, audit: [AuditEvent(
            .disclosureApproved, time: now, actor: .auditor(auditor.id), subject: request.subjectReference, outcome: "approved",
            object: request.id.rawValue, details: [("requested_by", request.requestedBy.rawValue)])])
        else {
            // Another auditor approved it, or it expired, between the read and the update.
            throw IDCAError(.conflict, code: "disclosure_already_approved", message: "This request has already been approved or has expired.")
        }
        return try await status(id)
    }

    /// Decrypts the identity of an approved, unexpired request, for one of its two auditors. The
    /// audit entry is committed before anything is decrypted.
    public func show(_ id: String, by auditor: Auditor) async throws -> (request: DisclosureRequest, identity: Identity) {
        let request = try await status(id)
        let now = dependencies.clock.now()
        guard auditor.id == request.requestedBy || auditor.id == request.approvedBy else {
            throw IDCAError(.forbidden, code: "not_a_party", message: "Only the requesting and the approving auditor can see this identity.")
        }
        guard request.approvedBy != nil else {
            throw IDCAError(.conflict, code: "disclosure_not_approved", message: "A second auditor has not approved this request yet.")
        }
        guard request.expiresAt > now else { throw Self.expired }
        var residentReference = request.subjectReference
        var organizationName: String?
        if request.subjectType == .organization {
            guard let acting = try await dependencies.ledger.newestOperator(ofOrganization: request.subjectReference, redeemedBy: request.site) else {
                throw Self.unavailable
            }
            residentReference = acting.operatorReference
            organizationName = acting.organizationName
        }
        guard let sealed = try await dependencies.registry.resident(residentIDHash: residentReference)?.sealedIdentity else { throw Self.unavailable }
        try await dependencies.auditLog.append([AuditEvent(
            .disclosureShown, time: now, actor: .auditor(auditor.id), subject: request.subjectReference, outcome: "shown",
            object: request.id.rawValue)])
        guard let plaintext = try? dependencies.sealer.open(sealed, associatedData: Array(("identity:" + residentReference).utf8)) else {
            throw Self.unavailable
        }
        let lines = String(decoding: plaintext, as: UTF8.self).split(separator: "\n", maxSplits: 1).map(String.init)
        return (request, Identity(subjectType: request.subjectType, residentID: lines.first, name: lines.count > 1 ? lines[1] : nil,
                                  organizationName: organizationName))
    }

    static var expired: IDCAError {
        IDCAError(.conflict, code: "disclosure_expired", message: "This request has expired; make a new one.")
    }

    static var unavailable: IDCAError {
        IDCAError(.conflict, code: "identity_unavailable",
                  message: "The registry no longer holds an identity copy for this subject (re-imported without it, or removed).")
    }
}
