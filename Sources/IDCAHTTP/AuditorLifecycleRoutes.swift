import Hummingbird
import IDCACore
import IDCAServices

/// Auditors' side of the lifecycle: the impersonation report and lawful disclosure
/// (Docs/LIFECYCLE.md). Every answer is `Cache-Control: no-store`.
func addAuditorLifecycleRoutes(to router: Router<IDCARequestContext>, services: HTTPServices) {
    router.get("/v1/reports/impersonation") { request, _ -> Response in
        _ = try await authenticateAuditor(request, services: services)
        let query = request.uri.queryParameters
        let report = try await services.impersonation.report(
            from: query["from"].map(String.init), to: query["to"].map(String.init), minimumCount: query["min_count"].map(String.init))
        return try confidential(report, status: .ok)
    }

    router.post("/v1/disclosures") { request, context -> Response in
        let auditor = try await authenticateAuditor(request, services: services)
        let body = try await decode(DisclosureBody.self, from: request, context: context)
        let created = try await services.disclosures.request(site: body.site, pseudonym: body.subject, caseReference: body.caseReference,
                                                             by: auditor)
        var response = try confidential(DisclosureResource(created, state: services.disclosures.state(of: created)), status: .created)
        response.headers[.location] = "/v1/disclosures/\(created.id.rawValue)"
        return response
    }

    router.get("/v1/disclosures/:id") { request, context -> Response in
        _ = try await authenticateAuditor(request, services: services)
        let found = try await services.disclosures.status(context.parameters.get("id") ?? "")
        return try confidential(DisclosureResource(found, state: services.disclosures.state(of: found)), status: .ok)
    }

    router.post("/v1/disclosures/:id/approve") { request, context -> Response in
        let auditor = try await authenticateAuditor(request, services: services)
        let approved = try await services.disclosures.approve(context.parameters.get("id") ?? "", by: auditor)
        return try confidential(DisclosureResource(approved, state: services.disclosures.state(of: approved)), status: .ok)
    }

    router.get("/v1/disclosures/:id/identity") { request, context -> Response in
        let auditor = try await authenticateAuditor(request, services: services)
        let (disclosed, identity) = try await services.disclosures.show(context.parameters.get("id") ?? "", by: auditor)
        return try confidential(IdentityResource(request: disclosed, identity: identity), status: .ok)
    }
}

/// A JSON answer no shared cache may keep.
private func confidential(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
    var response = try jsonResponse(value, status: status)
    response.headers[.cacheControl] = "no-store"
    return response
}

/// `POST /v1/disclosures`, as sent.
struct DisclosureBody: Decodable {
    var site: String
    var subject: String
    var caseReference: String

    enum CodingKeys: String, CodingKey {
        case site, subject
        case caseReference = "case"
    }
}

/// A disclosure request, without the identity.
struct DisclosureResource: Encodable {
    var id: String
    var site: String
    var subject: String
    var subjectType: String
    var caseReference: String
    var state: String
    var requestedBy: String
    var requestedAt: String
    var expiresAt: String
    var approvedBy: String?
    var approvedAt: String?

    enum CodingKeys: String, CodingKey {
        case id, site, subject, state
        case subjectType = "subject_type"
        case caseReference = "case"
        case requestedBy = "requested_by"
        case requestedAt = "requested_at"
        case expiresAt = "expires_at"
        case approvedBy = "approved_by"
        case approvedAt = "approved_at"
    }

    init(_ request: DisclosureRequest, state: String) {
        id = request.id.rawValue
        site = request.site.rawValue
        subject = request.pseudonym
        subjectType = request.subjectType.rawValue
        caseReference = request.caseReference
        self.state = state
        requestedBy = request.requestedBy.rawValue
        requestedAt = RFC3339.string(fromUnixSeconds: request.requestedAt)
        expiresAt = RFC3339.string(fromUnixSeconds: request.expiresAt)
        approvedBy = request.approvedBy?.rawValue
        approvedAt = request.approvedAt.map(RFC3339.string(fromUnixSeconds:))
    }
}

/// The disclosed identity.
struct IdentityResource: Encodable {
    var id: String
    var subjectType: String
    var residentID: String?
    var name: String?
    var organizationName: String?

    enum CodingKeys: String, CodingKey {
        case id, name
        case subjectType = "subject_type"
        case residentID = "resident_id"
        case organizationName = "organization_name"
    }

    init(request: DisclosureRequest, identity: DisclosureService.Identity) {
        id = request.id.rawValue
        subjectType = identity.subjectType.rawValue
        residentID = identity.residentID
        name = identity.name
        organizationName = identity.organizationName
    }
}
