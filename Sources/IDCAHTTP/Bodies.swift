import Foundation
import IDCACore
import IDCAServices

/// `POST /v1/applications`, as sent. Optional members decode as `nil`; the conversion to the
/// domain request says which are required for which subject type.
struct ApplicationBody: Decodable {
    struct Person: Decodable {
        var name: String
        var residentID: String

        enum CodingKeys: String, CodingKey {
            case name
            case residentID = "resident_id"
        }
    }

    var subjectType: String
    var name: String?
    var residentID: String?
    var organizationName: String?
    var creditCode: String?
    var organizationCode: String?
    var legalRepresentative: String?
    var operatorPerson: Person?
    var site: String?

    enum CodingKeys: String, CodingKey {
        case subjectType = "subject_type"
        case name
        case residentID = "resident_id"
        case organizationName = "organization_name"
        case creditCode = "credit_code"
        case organizationCode = "organization_code"
        case legalRepresentative = "legal_representative"
        case operatorPerson = "operator"
        case site
    }

    func request() throws(IDCAError) -> ApplicationRequest {
        var site: SiteID?
        if let text = self.site {
            guard let id = SiteID(rawValue: text) else {
                throw IDCAError(.badRequest, code: "unknown_site", message: "The site named in the application is not a licensed, active site.", field: "site")
            }
            site = id
        }
        switch subjectType {
        case SubjectType.individual.rawValue:
            return .individual(PersonClaim(name: try required(name, "name"), residentID: try required(residentID, "resident_id")), site: site)
        case SubjectType.organization.rawValue:
            guard creditCode != nil || organizationCode != nil else {
                throw IDCAError(.badRequest, code: "missing_field", message: "Give the credit code, the organization code, or both.", field: "credit_code")
            }
            let person = try required(operatorPerson, "operator")
            return .organization(OrganizationClaim(
                organizationName: try required(organizationName, "organization_name"), creditCode: creditCode,
                organizationCode: organizationCode, legalRepresentative: try required(legalRepresentative, "legal_representative"),
                operatorPerson: PersonClaim(name: person.name, residentID: person.residentID)), site: site)
        default:
            throw IDCAError(.badRequest, code: "invalid_subject_type", message: "subject_type must be \"individual\" or \"organization\".", field: "subject_type")
        }
    }

    private func required<T>(_ value: T?, _ field: String) throws(IDCAError) -> T {
        guard let value else {
            throw IDCAError(.badRequest, code: "missing_field", message: "The field \(field) is required.", field: field)
        }
        return value
    }
}

/// `POST /v1/applications/{id}/confirm`, as sent.
struct ConfirmBody: Decodable {
    var code: String
}

/// `POST /v1/tokens/verify`, as sent.
struct VerifyBody: Decodable {
    var token: String
}

/// The application resource, for both the 201 answer and later lookups.
struct ApplicationResource: Encodable {
    var applicationID: String
    var status: String
    var token: String?
    var expiresAt: String?
    var reason: String?
    var field: String?
    var message: String?
    var possession: Possession?

    /// Where the code was sent, until when it is good, and how many tries are left.
    struct Possession: Encodable {
        var channel: String
        var destination: String
        var expiresAt: String
        var attemptsLeft: Int

        enum CodingKeys: String, CodingKey {
            case channel, destination
            case expiresAt = "expires_at"
            case attemptsLeft = "attempts_left"
        }
    }

    enum CodingKeys: String, CodingKey {
        case applicationID = "application_id"
        case status, token
        case expiresAt = "expires_at"
        case reason, field, message, possession
    }

    init(_ result: ApplicationResult) {
        applicationID = result.applicationID.rawValue
        status = result.status.rawValue
        token = result.token
        expiresAt = result.expiresAt.map(RFC3339.string(fromUnixSeconds:))
        reason = result.rejection?.reason
        field = result.rejection?.field?.rawValue
        message = result.rejection?.message
        possession = result.possession.map {
            Possession(channel: $0.channel, destination: $0.destination, expiresAt: RFC3339.string(fromUnixSeconds: $0.expiresAt),
                       attemptsLeft: $0.attemptsLeft)
        }
    }
}

/// The verify answer, after RFC 7662.
struct VerificationResource: Encodable {
    var active: Bool
    var reason: String?
    var subject: String?
    var subjectType: String?
    var acr: String?
    var certifiedAt: String?
    var accountsForSubject: Int?
    var organizationName: String?

    enum CodingKeys: String, CodingKey {
        case active, reason, subject
        case subjectType = "subject_type"
        case acr
        case certifiedAt = "certified_at"
        case accountsForSubject = "accounts_for_subject"
        case organizationName = "organization_name"
    }

    init(_ result: VerificationResult) {
        switch result {
        case .inactive(let reason):
            active = false
            self.reason = reason
        case .active(let certification):
            active = true
            subject = certification.subject
            subjectType = certification.subjectType.rawValue
            acr = certification.assurance
            certifiedAt = RFC3339.string(fromUnixSeconds: certification.certifiedAt)
            accountsForSubject = certification.accountsForSubject
            organizationName = certification.organizationName
        }
    }
}

/// Every non-2xx answer: a machine-readable code, a human message, and the field when one is to blame.
struct ErrorResource: Encodable {
    var error: String
    var message: String
    var field: String?
}

/// One page of `GET /v1/audit/entries`.
struct AuditPageResource: Encodable {
    struct Entry: Encodable {
        var sequence: Int64
        var time: Int64
        var type: String
        var actor: String
        var subject: String
        var outcome: String
        var reason: String
        var object: String
        var detail: String
        var prevHash: String
        var hash: String

        enum CodingKeys: String, CodingKey {
            case sequence, time, type, actor, subject, outcome, reason, object, detail, hash
            case prevHash = "prev_hash"
        }
    }

    struct Head: Encodable {
        var sequence: Int64
        var hash: String
    }

    var entries: [Entry]
    /// Pass as `after` for the next page; `null` when this page reached the head.
    var nextAfter: Int64?
    var head: Head

    enum CodingKeys: String, CodingKey {
        case entries, head
        case nextAfter = "next_after"
    }

    init(entries: [AuditEntry], head: AuditHead) {
        self.entries = entries.map {
            Entry(sequence: $0.sequence, time: $0.time, type: $0.type, actor: $0.actor, subject: $0.subject, outcome: $0.outcome,
                  reason: $0.reason, object: $0.object, detail: $0.detail, prevHash: $0.prevHash, hash: $0.hash)
        }
        let last = entries.last?.sequence
        nextAfter = last.flatMap { $0 < head.sequence ? $0 : nil }
        self.head = Head(sequence: head.sequence, hash: head.hash)
    }

    /// `next_after` is always present, `null` on the last page, so that clients can loop on it.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(entries, forKey: .entries)
        try container.encode(nextAfter, forKey: .nextAfter)
        try container.encode(head, forKey: .head)
    }
}

