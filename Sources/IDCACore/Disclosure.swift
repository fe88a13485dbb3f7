/// Lawful disclosure — "real name at the back end" (Docs/LIFECYCLE.md): one auditor asks for the
/// person behind a site's pseudonym, for a case; a second, different auditor approves; only then
/// can the identity be decrypted and shown. Requests expire; every step is audited.

public struct DisclosureID: RandomIdentifier {
    public static let prefix = "dis_"
    public let rawValue: String
    public init(uncheckedRawValue: String) { rawValue = uncheckedRawValue }
}

public struct DisclosureRequest: Sendable, Hashable {
    public var id: DisclosureID
    public var site: SiteID
    /// The pseudonym as the site knows it (what the request named).
    public var pseudonym: String
    public var subjectReference: String
    public var subjectType: SubjectType
    /// The case reference the request was made for (a file number, never personal data).
    public var caseReference: String
    public var requestedBy: AuditorID
    public var requestedAt: Int64
    public var expiresAt: Int64
    public var approvedBy: AuditorID?
    public var approvedAt: Int64?

    public init(id: DisclosureID, site: SiteID, pseudonym: String, subjectReference: String, subjectType: SubjectType, caseReference: String,
                requestedBy: AuditorID, requestedAt: Int64, expiresAt: Int64, approvedBy: AuditorID? = nil, approvedAt: Int64? = nil) {
        self.id = id
        self.site = site
        self.pseudonym = pseudonym
        self.subjectReference = subjectReference
        self.subjectType = subjectType
        self.caseReference = caseReference
        self.requestedBy = requestedBy
        self.requestedAt = requestedAt
        self.expiresAt = expiresAt
        self.approvedBy = approvedBy
        self.approvedAt = approvedAt
    }
}

/// Disclosure requests, and the facts a disclosure shows.
public protocol DisclosureLedger: Sendable {
    func create(_ request: DisclosureRequest, audit: [AuditEvent]) async throws
    func request(_ id: DisclosureID) async throws -> DisclosureRequest?
    /// Approves a request that is unexpired at `time`, not yet approved, and made by another
    /// auditor than `approver` — one conditional update — with `audit`; false, and nothing
    /// recorded, otherwise.
    func approve(_ id: DisclosureID, by approver: AuditorID, at time: Int64, audit: [AuditEvent]) async throws -> Bool
    /// The operator (keyed resident reference) and the organization's name behind the newest token
    /// of an organization that `site` redeemed: who acted for it at that site.
    func newestOperator(ofOrganization reference: String, redeemedBy site: SiteID) async throws
        -> (operatorReference: String, organizationName: String?)?
}
