import Hummingbird
import IDCACore
import IDCAServices

/// What a site may learn about the subjects it certified: which were revoked since it last asked,
/// and one subject's current status, always by the site's own pseudonyms (Docs/LIFECYCLE.md).
func addSiteLifecycleRoutes(to router: Router<IDCARequestContext>, services: HTTPServices) {
    router.get("/v1/sites/me/revocations") { request, _ -> Response in
        let site = try await authenticateSite(request, services: services)
        let since = try integerParameter(request, "since", default: 0, range: 0...Int64.max)
        let limit = try integerParameter(request, "limit", default: 100, range: 1...Int64(RevocationService.maximumPage))
        let page = try await services.revocations.feed(for: site, after: since, limit: Int(limit))
        var response = try jsonResponse(RevocationPageResource(entries: page.entries, next: page.next), status: .ok)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    router.get("/v1/sites/me/subjects/:pseudonym") { request, context -> Response in
        let site = try await authenticateSite(request, services: services)
        guard let pseudonym = context.parameters.get("pseudonym"),
              let subject = try await services.revocations.subject(pseudonym, for: site)
        else {
            throw IDCAError(.notFound, code: "subject_not_found", message: "This site has redeemed no token of a subject with this pseudonym.")
        }
        var response = try jsonResponse(SiteSubjectResource(subject), status: .ok)
        response.headers[.cacheControl] = "no-store"
        return response
    }
}

/// One page of a site's revocation feed. `next_cursor` is always present: pass it as `since` to
/// continue; it equals the cursor sent when nothing new has happened.
struct RevocationPageResource: Encodable {
    struct Entry: Encodable {
        var subject: String
        var subjectType: String
        var reason: String
        var revokedAt: String
        var cursor: String

        enum CodingKeys: String, CodingKey {
            case subject, reason, cursor
            case subjectType = "subject_type"
            case revokedAt = "revoked_at"
        }
    }

    var revocations: [Entry]
    var nextCursor: String

    enum CodingKeys: String, CodingKey {
        case revocations
        case nextCursor = "next_cursor"
    }

    init(entries: [SiteRevocationEntry], next: Int64) {
        revocations = entries.map {
            Entry(subject: $0.subject, subjectType: $0.subjectType.rawValue, reason: $0.reason.rawValue,
                  revokedAt: RFC3339.string(fromUnixSeconds: $0.revokedAt), cursor: String($0.cursor))
        }
        nextCursor = String(next)
    }
}

/// A subject's current status as one site may see it.
struct SiteSubjectResource: Encodable {
    var subject: String
    var subjectType: String
    var status: String
    var certifiedAt: String
    var accounts: Int
    var revokedAt: String?
    var reason: String?

    enum CodingKeys: String, CodingKey {
        case subject, status, accounts, reason
        case subjectType = "subject_type"
        case certifiedAt = "certified_at"
        case revokedAt = "revoked_at"
    }

    init(_ subject: SiteSubject) {
        self.subject = subject.pseudonym
        subjectType = subject.subjectType.rawValue
        status = subject.revocation == nil ? "certified" : "revoked"
        certifiedAt = RFC3339.string(fromUnixSeconds: subject.certifiedAt)
        accounts = subject.accounts
        revokedAt = subject.revocation.map { RFC3339.string(fromUnixSeconds: $0.request.revokedAt) }
        reason = subject.revocation?.request.reason.rawValue
    }
}
