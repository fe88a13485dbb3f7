import Foundation
import Hummingbird
import HummingbirdTesting
import IDCACore
import IDCAHTTP
import IDCARules
import IDCAServices
import Testing

/// A browser's view of one answer: status, headers, body text.
struct PageResponse {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var text: String

    /// The value a `Set-Cookie` header gives `name`, and the whole header.
    func setCookie(_ name: String) -> (value: String, header: String)? {
        for header in headers[values: .setCookie] where header.hasPrefix(name + "=") {
            return (String(header.dropFirst(name.count + 1).prefix { $0 != ";" }), header)
        }
        return nil
    }

    /// The value of the hidden input `name` in the page.
    func hiddenField(_ name: String) -> String? {
        guard let range = text.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(text[range.upperBound...].prefix { $0 != "\"" })
    }
}

extension TestClientProtocol {
    func page(_ method: HTTPRequest.Method, _ uri: String, cookies: [String: String] = [:], form: [String: String]? = nil,
              origin: String? = nil) async throws -> PageResponse {
        var headers: HTTPFields = [:]
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ") }
        if let origin { headers[.origin] = origin }
        var body: ByteBuffer?
        if let form {
            headers[.contentType] = "application/x-www-form-urlencoded"
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            body = ByteBuffer(string: form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&"))
        }
        return try await execute(uri: uri, method: method, headers: headers, body: body) { response in
            PageResponse(status: response.status, headers: response.headers, text: String(buffer: response.body))
        }
    }

    /// Signs in with `apiKey` the way a browser does (load the form, post it); the session cookie
    /// and the dashboard's CSRF token.
    func signIn(_ apiKey: String) async throws -> (session: String, csrf: String) {
        let form = try await page(.get, "/auditor")
        let token = try #require(form.setCookie("idca_signin")?.value)
        #expect(form.hiddenField("signin_csrf") == token)
        let signedIn = try await page(.post, "/auditor/sign-in", cookies: ["idca_signin": token],
                                      form: ["api_key": apiKey, "signin_csrf": token])
        #expect(signedIn.status == .seeOther)
        let session = try #require(signedIn.setCookie("idca_auditor")?.value)
        let dashboard = try await page(.get, "/auditor", cookies: ["idca_auditor": session])
        return (session, try #require(dashboard.hiddenField("csrf")))
    }
}

@Suite("Applicant page and auditor dashboard")
struct WebRouteTests {
    static let policy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"

    // MARK: Pages and headers

    @Test(arguments: ["/", "/?lang=en", "/auditor"])
    func pagesCarryTheStrictPolicy(path: String) async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let page = try await client.page(.get, path)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.headers[.contentSecurityPolicy] == Self.policy)
            #expect(page.headers[.xContentTypeOptions] == "nosniff")
            #expect(page.headers[.init("Referrer-Policy")!] == "no-referrer")
            #expect(page.headers[.cacheControl] == "no-store")
            // Nothing the policy would block: every script is a file, no inline style.
            #expect(!page.text.contains("<script>") && !page.text.contains("style=") && !page.text.contains("<style"))
            #expect(!page.text.contains("onclick") && !page.text.contains("javascript:"))
        }
    }

    @Test func assetsAreTheProjectsOwnWithTheirTypes() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            for (path, type) in [("/assets/app.js", "text/javascript"), ("/assets/style.css", "text/css"), ("/assets/report.css", "text/css")] {
                let asset = try await client.page(.get, path)
                #expect(asset.status == .ok)
                #expect(asset.headers[.contentType]?.hasPrefix(type) == true)
                #expect(asset.headers[.xContentTypeOptions] == "nosniff")
                #expect(!asset.text.contains("http://") && !asset.text.contains("https://"), "no third-party reference in \(path)")
            }
            let missing = try await client.page(.get, "/assets/other.js")
            #expect(missing.status == .notFound)
        }
    }

    @Test func theSiteParameterIsEscapedNotMarkup() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let ordinary = try await client.page(.get, "/?site=site_abc")
            #expect(ordinary.text.contains("value=\"site_abc\""))
            let hostile = try await client.page(.get, "/?site=%22%3E%3Cscript%3Ealert(1)%3C/script%3E")
            #expect(!hostile.text.contains("<script>alert"))
            #expect(hostile.text.contains("&quot;&gt;&lt;script&gt;"))
        }
    }

    @Test func theFormsNeverPutPersonalDataInAURL() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let page = try await client.page(.get, "/")
            let forms = page.text.components(separatedBy: "<form").dropFirst()
            #expect(forms.count == 3)
            #expect(forms.allSatisfy { $0.prefix { $0 != ">" }.contains("method=\"post\"") }, "a GET form would put the fields in the query string")
        }
    }

    // MARK: POST /v1/validate and GET /v1/reasons

    @Test func validateAcceptsGoodFieldsAndTidiesThemAsThePageDoes() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let answer = try await client.call(.post, "/v1/validate", json: [
                "name": " 张三 ", "resident_id": "\u{3000}11010519491231002x ", "credit_code": Fixture.creditCode,
                "organization_code": Fixture.organizationCode, "operator": ["resident_id": Fixture.operatorPerson.residentID],
            ])
            #expect(answer.status == .ok)
            #expect(answer.object["valid"] as? Bool == true)
            let fields = try #require(answer.object["fields"] as? [String: [String: Any]])
            #expect(fields["resident_id"]?["value"] as? String == "11010519491231002X")
            #expect(fields["name"]?["value"] as? String == "张三")
            #expect(fields["operator.resident_id"]?["reason"] == nil)
            #expect(Set(fields.keys) == ["name", "resident_id", "credit_code", "organization_code", "operator.resident_id"])
        }
    }

    @Test(arguments: [
        ("resident_id", "110105194912310021", "checksum"),
        ("resident_id", "1101051949123100", "length"),
        ("resident_id", "110105194902300020", "birth_date"),
        ("resident_id", "110105-19491231002X", "separator"),
        ("credit_code", "91110105123456788A", "checksum"),
        ("organization_code", "12345678-8", "separator"),
        ("name", "", "name_invalid"),
    ])
    func validateRefusesWithTheApplicationsReasonAndMessage(field: String, value: String, reason: String) async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let answer = try await client.call(.post, "/v1/validate", json: [field: value])
            #expect(answer.status == .ok)
            #expect(answer.object["valid"] as? Bool == false)
            let verdict = try #require((answer.object["fields"] as? [String: [String: Any]])?[field])
            #expect(verdict["reason"] as? String == reason)
            // The same words the application itself answers with.
            var application: [String: Any] = ["subject_type": "individual", "name": "张三", "resident_id": Fixture.zhangSan.residentID]
            if field == "resident_id" || field == "name" {
                application[field] = value
            } else {
                application = ["subject_type": "organization", "organization_name": Fixture.organization.name, "legal_representative": "孙法人",
                               "operator": ["name": Fixture.operatorPerson.name, "resident_id": Fixture.operatorPerson.residentID], field: value]
            }
            let applied = try await client.call(.post, "/v1/applications", json: application)
            #expect(applied.object["reason"] as? String == reason)
            #expect(applied.object["message"] as? String == verdict["message"] as? String)
        }
    }

    /// The page's script tidies with JavaScript's `trim` and nothing else: the server must agree
    /// character for character, or the value checked would not be the value sent.
    @Test(arguments: [
        ("\u{FEFF}11010519491231002x\u{3000}", ApplicationField.residentID, "11010519491231002X"),
        ("\u{0085}11010519491231002X", .residentID, "\u{0085}11010519491231002X"),
        (" 12345678x ", .organizationCode, "12345678X"),
        (" 张三x ", .name, "张三x"),
        ("\t\n", .operatorName, ""),
    ])
    func tidyingIsJavaScriptsTrimAndAFinalX(raw: String, field: ApplicationField, tidied: String) {
        #expect(FormCheck.Tidying.tidied(raw, field: field) == tidied)
    }

    @Test func validateNamesTheOrganizationCodeWhenTheTwoCodesDisagree() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let other = Fixture.organizationCode(body: "87654321")
            let answer = try await client.call(.post, "/v1/validate", json: ["credit_code": Fixture.creditCode, "organization_code": other])
            let fields = try #require(answer.object["fields"] as? [String: [String: Any]])
            #expect(fields["organization_code"]?["reason"] as? String == "organization_code_mismatch")
            #expect(fields["credit_code"]?["reason"] == nil)
        }
    }

    @Test func validateRefusesABodyWithoutFields() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let empty = try await client.call(.post, "/v1/validate", json: [String: Any]())
            #expect(empty.status == .badRequest && empty.object["error"] as? String == "missing_field")
            let wrongType = try await client.call(.post, "/v1/validate", json: ["resident_id": 110105])
            #expect(wrongType.status == .badRequest && wrongType.object["error"] as? String == "invalid_type")
        }
    }

    @Test(arguments: ["zh", "en"])
    func theReasonTableCoversEveryCodeAnApplicantCanSee(lang: String) async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        try await ca.application.test(.router) { client in
            let answer = try await client.call(.get, "/v1/reasons?lang=\(lang)")
            #expect(answer.status == .ok && answer.object["lang"] as? String == lang)
            let table = try #require(answer.object["reasons"] as? [String: [String: [String: Any]]])
            let expected: [String: [String]] = [
                "resident_id": ResidentIDNumber.Violation.allCases.map(\.rawValue),
                "credit_code": CreditCode.Violation.allCases.map(\.rawValue),
                "organization_code": OrganizationCode.Violation.allCases.map(\.rawValue),
            ]
            for (kind, codes) in expected {
                #expect(Set(table[kind]?.keys.map { $0 } ?? []) == Set(codes), "\(kind)")
            }
            #expect((table["application"]?["registry_mismatch"]?["advice"] as? String)?.isEmpty == false)
            #expect(table["application"]?["registry_mismatch"]?["registry_mismatch"] as? Bool == true)
            #expect(table["resident_id"]?["checksum"]?["registry_mismatch"] as? Bool == false)
            if lang == "en" {
                #expect(table["resident_id"]?["checksum"]?["message"] as? String == ResidentIDNumber.Violation.checksum.message, "the API's own words")
            } else {
                #expect((table["resident_id"]?["checksum"]?["message"] as? String)?.contains("校验码") == true)
            }
        }
    }

    // MARK: Auditor sign-in, sessions and CSRF

    @Test func signingInWithAValidKeySetsAStrictHttpOnlyCookie() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let key = try await ca.addAuditor()
        try await ca.application.test(.router) { client in
            let form = try await client.page(.get, "/auditor")
            let token = try #require(form.setCookie("idca_signin")?.value)
            let answer = try await client.page(.post, "/auditor/sign-in", cookies: ["idca_signin": token], form: ["api_key": key, "signin_csrf": token])
            #expect(answer.status == .seeOther && answer.headers[.location] == "/auditor")
            let cookie = try #require(answer.setCookie("idca_auditor"))
            #expect(cookie.value.count >= 26, "at least 128 bits")
            #expect(cookie.header.contains("; HttpOnly") && cookie.header.contains("; SameSite=Strict") && cookie.header.contains("; Path=/auditor"))
            #expect(cookie.header.contains("; Secure"), "the test CA's public URL is https")
            #expect(!cookie.header.contains(key) && !cookie.value.contains("idca_ak_"))
            let dashboard = try await client.page(.get, "/auditor", cookies: ["idca_auditor": cookie.value])
            #expect(dashboard.text.contains("审计员 Auditor") && dashboard.text.contains("/auditor/sign-out"))
        }
    }

    @Test func signingInWithAWrongKeyIsRefused() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        _ = try await ca.addAuditor()
        let (_, siteKey) = try await ca.addSite()
        try await ca.application.test(.router) { client in
            for key in ["idca_ak_" + String(repeating: "a", count: 52), siteKey, ""] {
                let form = try await client.page(.get, "/auditor")
                let token = try #require(form.setCookie("idca_signin")?.value)
                let answer = try await client.page(.post, "/auditor/sign-in", cookies: ["idca_signin": token], form: ["api_key": key, "signin_csrf": token])
                #expect(answer.status == .unauthorized)
                #expect(answer.setCookie("idca_auditor") == nil)
                #expect(answer.text.contains("aria-invalid=\"true\""))
            }
        }
    }

    @Test func signingInWithoutTheFormsOwnTokenIsRefused() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let key = try await ca.addAuditor()
        try await ca.application.test(.router) { client in
            let noCookie = try await client.page(.post, "/auditor/sign-in", form: ["api_key": key, "signin_csrf": "x"])
            #expect(noCookie.status == .forbidden && noCookie.setCookie("idca_auditor") == nil)
            let mismatch = try await client.page(.post, "/auditor/sign-in", cookies: ["idca_signin": "a"], form: ["api_key": key, "signin_csrf": "b"])
            #expect(mismatch.status == .forbidden)
            let crossOrigin = try await client.page(.post, "/auditor/sign-in", cookies: ["idca_signin": "a"], form: ["api_key": key, "signin_csrf": "a"],
                                                    origin: "https://evil.example")
            #expect(crossOrigin.status == .forbidden)
        }
    }

    @Test func aStateChangeNeedsTheSessionsCSRFToken() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let key = try await ca.addAuditor()
        try await ca.application.test(.router) { client in
            let (session, csrf) = try await client.signIn(key)
            let missing = try await client.page(.post, "/auditor/sign-out", cookies: ["idca_auditor": session], form: [:])
            #expect(missing.status == .forbidden)
            let wrong = try await client.page(.post, "/auditor/sign-out", cookies: ["idca_auditor": session], form: ["csrf": csrf + "x"])
            #expect(wrong.status == .forbidden)
            let other = try await client.signIn(key)
            let someoneElses = try await client.page(.post, "/auditor/sign-out", cookies: ["idca_auditor": session], form: ["csrf": other.csrf])
            #expect(someoneElses.status == .forbidden, "a token is bound to its session")
            let crossOrigin = try await client.page(.post, "/auditor/sign-out", cookies: ["idca_auditor": session], form: ["csrf": csrf],
                                                    origin: "http://evil.example")
            #expect(crossOrigin.status == .forbidden)
            // Under no-referrer a browser's own form says `Origin: null`: the token decides.
            let opaque = try await client.page(.post, "/auditor/sign-out", cookies: ["idca_auditor": session], form: ["csrf": csrf + "x"],
                                               origin: "null")
            #expect(opaque.status == .forbidden)
            // Still signed in after every refusal.
            #expect(try await client.page(.get, "/auditor/export?format=csv", cookies: ["idca_auditor": session]).status == .ok)
            let right = try await client.page(.post, "/auditor/sign-out", cookies: ["idca_auditor": session], form: ["csrf": csrf], origin: "null")
            #expect(right.status == .seeOther)
        }
    }

    @Test func signingOutEndsTheSessionOnTheServer() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let key = try await ca.addAuditor()
        try await ca.application.test(.router) { client in
            let (session, csrf) = try await client.signIn(key)
            let out = try await client.page(.post, "/auditor/sign-out", cookies: ["idca_auditor": session], form: ["csrf": csrf])
            #expect(out.status == .seeOther)
            #expect(out.setCookie("idca_auditor")?.header.contains("Max-Age=0") == true)
            // The old cookie, replayed, opens nothing.
            let export = try await client.page(.get, "/auditor/export?format=csv", cookies: ["idca_auditor": session])
            #expect(export.status == .unauthorized)
            let dashboard = try await client.page(.get, "/auditor", cookies: ["idca_auditor": session])
            #expect(dashboard.text.contains("/auditor/sign-in") && !dashboard.text.contains("/auditor/sign-out"))
        }
    }

    @Test func sessionsExpireWhenIdleAndWhenTheKeyIsRevoked() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let key = try await ca.addAuditor()
        try await ca.application.test(.router) { client in
            let (session, _) = try await client.signIn(key)
            ca.clock.advance(by: 14 * 60)
            #expect(try await client.page(.get, "/auditor/export?format=csv", cookies: ["idca_auditor": session]).status == .ok)
            ca.clock.advance(by: 15 * 60 + 1)
            #expect(try await client.page(.get, "/auditor/export?format=csv", cookies: ["idca_auditor": session]).status == .unauthorized)

            let (second, _) = try await client.signIn(key)
            let auditor = try #require(try await ca.auditorService.auditors().first)
            #expect(try await ca.auditorService.revoke(auditor.id, by: .operator("test")))
            #expect(try await client.page(.get, "/auditor/export?format=csv", cookies: ["idca_auditor": second]).status == .unauthorized)
        }
    }

    // MARK: Dashboard data

    @Test func dashboardDataRefusesWithoutASession() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let key = try await ca.addAuditor()
        try await ca.application.test(.router) { client in
            for uri in ["/auditor/export?format=csv", "/auditor/export?format=json"] {
                let none = try await client.page(.get, uri)
                #expect(none.status == .unauthorized && none.text.contains("not_signed_in"))
                let forged = try await client.page(.get, uri, cookies: ["idca_auditor": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"])
                #expect(forged.status == .unauthorized)
                // The API key is not a session: the dashboard takes cookies only.
                let bearer = try await client.call(.get, uri, apiKey: key)
                #expect(bearer.status == .unauthorized)
            }
            let page = try await client.page(.get, "/auditor")
            #expect(!page.text.contains("<svg"), "no statistics before signing in")
        }
    }

    @Test func downloadsEqualTheStatisticsAPI() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let key = try await ca.addAuditor()
        let (site, _) = try await ca.addSite()
        try await ca.application.test(.router) { client in
            try await StatisticsRouteTests.sendKnownApplications(client, site: site.id)
            let (session, _) = try await client.signIn(key)
            for format in ["csv", "json"] {
                let query = "from=2026-11-29&to=2026-11-29&group_by=subject_type,reason&format=\(format)"
                let download = try await client.page(.get, "/auditor/export?\(query)", cookies: ["idca_auditor": session])
                let api = try await client.call(.get, "/v1/statistics/applications?\(query)", apiKey: key)
                #expect(download.status == .ok && download.text == api.text)
                #expect(download.headers[.contentDisposition]?.contains("attachment") == true)
            }
            // A subject-type filter gives the rows the API shows for that type.
            let filtered = try await client.page(.get, "/auditor/export?from=2026-11-29&to=2026-11-29&group_by=reason&format=json&subject_type=organization",
                                                 cookies: ["idca_auditor": session])
            let totals = try #require((try JSONSerialization.jsonObject(with: Data(filtered.text.utf8)) as? [String: Any])?["totals"] as? [String: Any])
            #expect(totals["applications"] as? Int == 2 && totals["rejected"] as? Int == 1)
            let bySite = try await client.page(.get, "/auditor/export?from=2026-11-29&to=2026-11-29&group_by=&format=json&site=\(site.id.rawValue)",
                                               cookies: ["idca_auditor": session])
            #expect(bySite.text.contains("\"applications\":1"))
            let bad = try await client.page(.get, "/auditor/export?format=csv&subject_type=robot", cookies: ["idca_auditor": session])
            #expect(bad.status == .badRequest)
        }
    }

    @Test func theDashboardDrawsChartsAndVerifiesTheChainOnRequest() async throws {
        let ca = try await TestCA()
        defer { ca.remove() }
        let key = try await ca.addAuditor()
        let (site, _) = try await ca.addSite()
        var services = ca.services
        services.auditChainCheck = AuditChainCheck(audit: services.audit, key: ca.auditKey.publicKey)
        let application = buildApplication(services: services, settings: ServerSettings(host: "127.0.0.1", port: 0), logger: ca.logger)
        try await application.test(.router) { client in
            try await StatisticsRouteTests.sendKnownApplications(client, site: site.id)
            let (session, csrf) = try await client.signIn(key)
            let dashboard = try await client.page(.get, "/auditor?from=2026-11-29&to=2026-11-29", cookies: ["idca_auditor": session])
            #expect(dashboard.text.contains("<svg") && dashboard.text.contains("legal_representative_mismatch"))
            #expect(dashboard.text.contains("not verified since the server started"))
            let withoutToken = try await client.page(.post, "/auditor/audit/verify", cookies: ["idca_auditor": session], form: [:])
            #expect(withoutToken.status == .forbidden)
            let verify = try await client.page(.post, "/auditor/audit/verify", cookies: ["idca_auditor": session], form: ["csrf": csrf])
            #expect(verify.status == .seeOther)
            let after = try await client.page(.get, "/auditor", cookies: ["idca_auditor": session])
            #expect(after.text.contains("class=\"ok\""))
            let badDates = try await client.page(.get, "/auditor?from=yesterday", cookies: ["idca_auditor": session])
            #expect(badDates.status == .ok && badDates.text.contains("role=\"alert\""))
        }
    }
}
