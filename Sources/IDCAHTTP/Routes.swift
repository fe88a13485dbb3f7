import Foundation
import Hummingbird
import IDCACore
import IDCAServices
import NIOCore

/// What the HTTP layer may call: services and read-only facts, never keys or the database.
public struct HTTPServices: Sendable {
    public var certification: CertificationService
    public var verification: VerificationService
    public var sites: SiteService
    public var audit: AuditService
    public var auditors: AuditorService
    public var statistics: StatisticsService
    public var revocations: RevocationService
    public var disclosures: DisclosureService
    public var impersonation: ImpersonationReportService
    /// The JWKS document (public keys only) as published now: it follows key rotation.
    public var jwks: @Sendable () -> String
    /// Whether the database is open and migrated.
    public var isHealthy: @Sendable () async -> Bool
    /// The full audit-chain check the auditor dashboard offers; `nil` hides it (Docs/WEB.md).
    public var auditChainCheck: AuditChainCheck? = nil
    /// Proxies whose `X-Forwarded-For` names the client (none by default: the connection's address).
    public var trustedProxies: TrustedProxies = .none

    public init(certification: CertificationService, verification: VerificationService, sites: SiteService, audit: AuditService,
                auditors: AuditorService, statistics: StatisticsService, revocations: RevocationService,
                disclosures: DisclosureService, impersonation: ImpersonationReportService,
                jwks: @escaping @Sendable () -> String, isHealthy: @escaping @Sendable () async -> Bool) {
        self.certification = certification
        self.verification = verification
        self.sites = sites
        self.audit = audit
        self.auditors = auditors
        self.statistics = statistics
        self.revocations = revocations
        self.disclosures = disclosures
        self.impersonation = impersonation
        self.jwks = jwks
        self.isHealthy = isHealthy
    }
}

/// Request bodies larger than this are refused before they are parsed.
let maximumBodySize = 16 * 1024

/// The route table, in one place. Controllers decode, call one service method, and encode.
func buildRouter(services: HTTPServices, metrics: HTTPMetrics) -> Router<IDCARequestContext> {
    let router = Router(context: IDCARequestContext.self)
    router.add(middleware: RequestLogMiddleware(metrics: metrics))
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: BodyLimitMiddleware())

    router.post("/v1/applications") { request, context -> Response in
        let body = try await decode(ApplicationBody.self, from: request, context: context)
        let applicationRequest = try body.request()
        let result: ApplicationResult
        do {
            result = try await services.certification.apply(applicationRequest,
                                                            source: services.trustedProxies.client(of: request, context: context))
        } catch let error as IDCAError where error.code == "possession_delivery_failed" {
            // Recorded as a rejected decision before the error: counted like one.
            metrics.recordDecision(subjectType: applicationRequest.subjectType.rawValue, outcome: "rejected",
                                   reason: DecisionReason.possessionUndelivered.rawValue)
            throw error
        }
        if result.status != .pendingPossession {
            // The public reason only: /metrics is unauthenticated, and internal reasons would let
            // anyone diff counters around their own application.
            metrics.recordDecision(subjectType: result.subjectType.rawValue, outcome: result.status.rawValue,
                                   reason: result.rejection?.reason ?? "none")
        }
        var response = try jsonResponse(ApplicationResource(result), status: .created)
        response.headers[.location] = "/v1/applications/\(result.applicationID.rawValue)"
        return response
    }

    router.get("/v1/applications/:id") { _, context -> Response in
        guard let id = context.parameters.get("id").flatMap(ApplicationID.init(rawValue:)),
              let result = try await services.certification.application(id)
        else {
            throw IDCAError(.notFound, code: "application_not_found", message: "No application has this id.")
        }
        return try jsonResponse(ApplicationResource(result), status: .ok)
    }

    router.post("/v1/applications/:id/confirm") { request, context -> Response in
        guard let id = context.parameters.get("id").flatMap(ApplicationID.init(rawValue:)) else {
            throw IDCAError(.notFound, code: "application_not_found", message: "No application has this id.")
        }
        let body = try await decode(ConfirmBody.self, from: request, context: context)
        let result = try await services.certification.confirm(id, code: body.code,
                                                              source: services.trustedProxies.client(of: request, context: context))
        if result.status != .pendingPossession {
            metrics.recordDecision(subjectType: result.subjectType.rawValue, outcome: result.status.rawValue,
                                   reason: result.rejection?.reason ?? "none")
        }
        return try jsonResponse(ApplicationResource(result), status: .ok)
    }

    router.post("/v1/tokens/verify") { request, context -> Response in
        let site = try await authenticateSite(request, services: services)
        let body = try await decode(VerifyBody.self, from: request, context: context)
        let result = try await services.verification.verify(body.token, for: site)
        switch result {
        case .active: metrics.recordVerification(result: "active")
        case .inactive(let reason): metrics.recordVerification(result: reason)
        }
        return try jsonResponse(VerificationResource(result), status: .ok)
    }

    addSiteLifecycleRoutes(to: router, services: services)
    addAuditorLifecycleRoutes(to: router, services: services)

    router.get("/v1/audit/entries") { request, _ -> Response in
        _ = try await authenticateAuditor(request, services: services)
        let after = try integerParameter(request, "after", default: 0, range: 0...Int64.max)
        let limit = try integerParameter(request, "limit", default: 100, range: 1...Int64(AuditService.maximumPage))
        let entries = try await services.audit.entries(after: after, limit: Int(limit))
        let head = try await services.audit.head()
        var response = try jsonResponse(AuditPageResource(entries: entries, head: head), status: .ok)
        // Confidential to auditors: no shared cache may keep it.
        response.headers[.cacheControl] = "no-store"
        return response
    }

    router.get("/v1/audit/checkpoints/latest") { request, _ -> Response in
        _ = try await authenticateAuditor(request, services: services)
        guard let checkpoint = try await services.audit.latestCheckpoint() else {
            throw IDCAError(.notFound, code: "no_checkpoint", message: "No checkpoint has been signed yet.")
        }
        var response = try jsonResponse(checkpoint, status: .ok)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    router.get("/v1/statistics/applications") { request, _ -> Response in
        _ = try await authenticateAuditor(request, services: services)
        let query = request.uri.queryParameters
        let parsed = try services.statistics.parse(.init(
            from: query["from"].map(String.init), to: query["to"].map(String.init), groupBy: query["group_by"].map(String.init),
            period: query["period"].map(String.init), format: query["format"].map(String.init),
            minimumCount: query["min_count"].map(String.init)))
        let excel: Bool
        switch query["excel"].map(String.init) {
        case nil, "false", "0": excel = false
        case "true", "1": excel = true
        default: throw IDCAError(.badRequest, code: "invalid_parameter", message: "excel must be true or false.", field: "excel")
        }
        let body = try await services.statistics.export(parsed, excel: excel)
        var headers: HTTPFields = [.contentType: parsed.format.contentType, .cacheControl: "no-store"]
        if parsed.format == .csv {
            headers[.contentDisposition] = "attachment; filename=\"idca-applications-\(parsed.query.from)-\(parsed.query.to).csv\""
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    router.get("/.well-known/jwks.json") { _, _ -> Response in
        Response(
            status: .ok,
            // At most half the shortest pre-publication delay: caches never miss a key before it signs.
            headers: [.contentType: "application/jwk-set+json", .cacheControl: "public, max-age=\(KeyRotationPolicy.cacheMaxAge)"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: services.jwks())))
    }

    router.get("/healthz") { _, _ -> Response in
        let healthy = await services.isHealthy()
        return try jsonResponse(["status": healthy ? "ok" : "unavailable"], status: healthy ? .ok : .serviceUnavailable)
    }

    router.get("/metrics") { _, _ -> Response in
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
    }

    addWebRoutes(to: router, services: services)
    return router
}

/// The site behind `Authorization: Bearer <API key>`: 401 without valid credentials, 403 when suspended.
func authenticateSite(_ request: Request, services: HTTPServices) async throws -> Site {
    guard let key = bearerCredentials(request), let site = try await services.sites.authenticate(apiKey: key) else {
        throw IDCAError(.unauthorized, code: "invalid_credentials", message: "A valid site API key is required: Authorization: Bearer <key>.")
    }
    guard !site.isSuspended else {
        throw IDCAError(.forbidden, code: "site_suspended", message: "This site is suspended: its API key is refused until it is resumed.")
    }
    return site
}

/// The auditor behind `Authorization: Bearer <auditor API key>`: 401 without valid credentials.
/// A site's key is not an auditor's: sites never read the log or the statistics.
func authenticateAuditor(_ request: Request, services: HTTPServices) async throws -> Auditor {
    guard let key = bearerCredentials(request), let auditor = try await services.auditors.authenticate(apiKey: key) else {
        throw IDCAError(.unauthorized, code: "invalid_credentials", message: "A valid auditor API key is required: Authorization: Bearer <key>.")
    }
    return auditor
}

/// The credentials of `Authorization: Bearer <credentials>`; the scheme name is case-insensitive (RFC 9110).
func bearerCredentials(_ request: Request) -> String? {
    guard let header = request.headers[.authorization], header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
    return String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
}

/// A whole-number query parameter within `range`, or a 400 naming it.
func integerParameter(_ request: Request, _ name: String, default value: Int64, range: ClosedRange<Int64>) throws -> Int64 {
    guard let text = request.uri.queryParameters[name[...]] else { return value }
    guard let number = Int64(text), range.contains(number) else {
        throw IDCAError(.badRequest, code: "invalid_parameter",
                        message: "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound).", field: name)
    }
    return number
}

/// Reads at most 16 KiB of JSON and decodes it, turning every failure into a 400 that names the field.
func decode<T: Decodable>(_ type: T.Type, from request: Request, context: IDCARequestContext) async throws -> T {
    let buffer = try await collectBody(of: request)
    let bytes = Array(buffer: buffer)
    guard RequestSyntax.isStrictJSON(bytes) else {
        throw IDCAError(.badRequest, code: "malformed_json",
                        message: "The request body must be one JSON object, with each member given once.")
    }
    do {
        return try JSONDecoder().decode(T.self, from: Data(bytes))
    } catch let DecodingError.keyNotFound(key, decodingContext) {
        let field = (decodingContext.codingPath + [key]).map(\.stringValue).joined(separator: ".")
        throw IDCAError(.badRequest, code: "missing_field", message: "The field \(field) is required.", field: field)
    } catch let DecodingError.typeMismatch(_, decodingContext), let DecodingError.valueNotFound(_, decodingContext) {
        let field = decodingContext.codingPath.map(\.stringValue).joined(separator: ".")
        guard !field.isEmpty else {
            throw IDCAError(.badRequest, code: "invalid_type", message: "The request body must be a JSON object.")
        }
        throw IDCAError(.badRequest, code: "invalid_type", message: "The field \(field) has the wrong type.", field: field)
    } catch {
        throw IDCAError(.badRequest, code: "malformed_json", message: "The request body is not a JSON object.")
    }
}

let jsonEncoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
    return encoder
}()

func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
    let data = try jsonEncoder.encode(value)
    return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
}
