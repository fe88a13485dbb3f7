/// The application fields a rejection can point at, named as in the API's JSON.
public enum ApplicationField: String, Sendable, Hashable, CaseIterable {
    case name
    case residentID = "resident_id"
    case organizationName = "organization_name"
    case organizationCode = "organization_code"
    case creditCode = "credit_code"
    case legalRepresentative = "legal_representative"
    case operatorName = "operator.name"
    case operatorResidentID = "operator.resident_id"
    /// The one-time code of the possession check.
    case code
}

/// A person as an applicant states them: a name and a resident ID number, both as typed.
public struct PersonClaim: Sendable, Hashable {
    public var name: String
    public var residentID: String

    public init(name: String, residentID: String) {
        self.name = name
        self.residentID = residentID
    }
}

/// What an applicant submits, already decoded from the request but not yet checked.
public enum ApplicationRequest: Sendable, Hashable {
    case individual(PersonClaim, site: SiteID?)
    case organization(OrganizationClaim, site: SiteID?)

    public var subjectType: SubjectType {
        switch self {
        case .individual: .individual
        case .organization: .organization
        }
    }

    public var site: SiteID? {
        switch self {
        case .individual(_, let site), .organization(_, let site): site
        }
    }
}

/// An organization as its operator states it.
public struct OrganizationClaim: Sendable, Hashable {
    public var organizationName: String
    public var creditCode: String?
    public var organizationCode: String?
    public var legalRepresentative: String
    /// The person submitting on the organization's behalf, checked like an individual applicant.
    public var operatorPerson: PersonClaim

    public init(organizationName: String, creditCode: String?, organizationCode: String?, legalRepresentative: String, operatorPerson: PersonClaim) {
        self.organizationName = organizationName
        self.creditCode = creditCode
        self.organizationCode = organizationCode
        self.legalRepresentative = legalRepresentative
        self.operatorPerson = operatorPerson
    }
}
