import Foundation
import Hummingbird
import IDCACore
import IDCAReports
import NIOCore

/// The browser-facing routes: the applicant page, the auditor dashboard and their assets, and the
/// two JSON helpers the applicant page calls (`POST /v1/validate`, `GET /v1/reasons`).
/// Docs/WEB.md describes them; `buildRouter` adds them with this one call.
func addWebRoutes(to router: Router<IDCARequestContext>, services: HTTPServices) {
    addWebRoutes(to: router, services: services,
                 sessions: AuditorSessions(clock: services.auditors.sessionClock, random: services.auditors.sessionRandom))
}

/// The same, with the session store given (tests hold it to move its clock and inspect it).
func addWebRoutes(to router: Router<IDCARequestContext>, services: HTTPServices, sessions: AuditorSessions) {
    addStaticAssetRoutes(to: router)
    addValidateRoutes(to: router, services: services)
    addApplicantPageRoute(to: router)
    AuditorDashboard(services: services, sessions: sessions).addRoutes(to: router)
}

/// The policy every HTML answer carries: nothing but this origin's own files, no inline script or
/// style, no framing, no `<base>`, forms only to this origin.
let contentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"

/// A web page with the security headers. Pages are never kept by shared caches: the dashboard is
/// confidential, and the applicant page is cheap to draw.
func htmlResponse(_ html: String, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
    var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
    addSecurityHeaders(to: &headers)
    headers.append(contentsOf: extra)
    return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
}

/// CSP, no sniffing, no referrer (a page URL never holds personal data, but the rule costs nothing).
func addSecurityHeaders(to headers: inout HTTPFields) {
    headers[.contentSecurityPolicy] = contentSecurityPolicy
    headers[.xContentTypeOptions] = "nosniff"
    headers[.init("Referrer-Policy")!] = "no-referrer"
    headers[.init("X-Frame-Options")!] = "DENY"
    headers[.init("Cross-Origin-Opener-Policy")!] = "same-origin"
}

/// The value of one cookie in the request's `Cookie` headers.
func cookie(_ name: String, in request: Request) -> String? {
    for header in request.headers[values: .cookie] {
        for pair in header.split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
    }
    return nil
}

/// An `application/x-www-form-urlencoded` body of at most 16 KiB, as name → value (the first of
/// repeated names wins).
func formFields(of request: Request) async throws -> [String: String] {
    let buffer = try await collectBody(of: request)
    var fields: [String: String] = [:]
    for pair in String(buffer: buffer).split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        func decoded(_ part: Substring) -> String? { part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
        guard let name = decoded(parts[0]), let value = decoded(parts.count > 1 ? parts[1] : "") else { continue }
        if fields[name] == nil { fields[name] = value }
    }
    return fields
}

/// Compares two secrets without an early exit.
func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
    let left = Array(lhs.utf8), right = Array(rhs.utf8)
    guard left.count == right.count else { return false }
    var difference: UInt8 = 0
    for index in left.indices { difference |= left[index] ^ right[index] }
    return difference == 0
}
