import Foundation
import Hummingbird
import IDCACore
import IDCAReports
import IDCAServices

/// `GET /auditor` and its forms: sign-in with an auditor key, the statistics drawn by
/// `IDCAReports` as SVG on the server, CSV and JSON downloads, and the audit chain's status. No
/// script: every control is a link or a form, so the dashboard works with JavaScript off.
struct AuditorDashboard {
    let services: HTTPServices
    let sessions: AuditorSessions

    static let sessionCookie = "idca_auditor"
    /// The sign-in form's own CSRF token (double submit): a page on another origin cannot sign a
    /// browser in under the attacker's key.
    static let signInCookie = "idca_signin"

    func addRoutes(to router: Router<IDCARequestContext>) {
        router.get("/auditor") { request, _ -> Response in
            guard let current = try await currentSession(request) else { return signInPage(request, failed: false) }
            return try await dashboard(request, session: current.session)
        }

        router.post("/auditor/sign-in") { request, _ -> Response in
            try checkOrigin(request)
            let form = try await formFields(of: request)
            guard let expected = cookie(Self.signInCookie, in: request), let given = form["signin_csrf"], constantTimeEquals(expected, given) else {
                throw IDCAError(.forbidden, code: "csrf_token_invalid", message: "The form has expired; reload the sign-in page and try again.")
            }
            guard let key = form["api_key"]?.trimmingCharacters(in: .whitespaces),
                  let auditor = try await services.auditors.authenticate(apiKey: key) else {
                return signInPage(request, failed: true)
            }
            let (id, _) = await sessions.open(for: auditor)
            var headers: HTTPFields = [.location: "/auditor", .cacheControl: "no-store"]
            headers.append(.init(name: .setCookie, value: cookieHeader(Self.sessionCookie, id, maxAge: AuditorSessions.absoluteLimit, request)))
            headers.append(.init(name: .setCookie, value: cookieHeader(Self.signInCookie, "", maxAge: 0, request)))
            return Response(status: .seeOther, headers: headers)
        }

        router.post("/auditor/sign-out") { request, _ -> Response in
            let id = try await authorizeChange(request)
            await sessions.close(id)
            var headers: HTTPFields = [.location: "/auditor", .cacheControl: "no-store"]
            headers.append(.init(name: .setCookie, value: cookieHeader(Self.sessionCookie, "", maxAge: 0, request)))
            return Response(status: .seeOther, headers: headers)
        }

        router.post("/auditor/audit/verify") { request, _ -> Response in
            _ = try await authorizeChange(request)
            if let check = services.auditChainCheck {
                await sessions.record(try await check.run())
            }
            return Response(status: .seeOther, headers: [.location: "/auditor#chain", .cacheControl: "no-store"])
        }

        router.get("/auditor/export") { request, _ -> Response in
            guard try await currentSession(request) != nil else {
                throw IDCAError(.unauthorized, code: "not_signed_in", message: "Sign in at /auditor first.")
            }
            let filters = try Filters(request, services: services, formats: [.csv, .json])
            let body = try await services.statistics.export(filters.parsed, filter: filters.filter)
            let query = filters.parsed.query
            var headers: HTTPFields = [.contentType: filters.parsed.format.contentType, .cacheControl: "no-store",
                                       .contentDisposition: "attachment; filename=\"idca-applications-\(query.from)-\(query.to).\(filters.parsed.format.rawValue)\""]
            headers[.xContentTypeOptions] = "nosniff"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
    }

    // MARK: Sessions and CSRF

    /// The session behind the request's cookie, if it is live and its auditor not revoked since.
    func currentSession(_ request: Request) async throws -> (id: String, session: AuditorSessions.Session)? {
        guard let id = cookie(Self.sessionCookie, in: request), !id.isEmpty, let session = await sessions.session(id) else { return nil }
        guard try await services.auditors.auditors().contains(where: { $0.id == session.auditorID && $0.revokedAt == nil }) else {
            await sessions.close(id)
            return nil
        }
        return (id, session)
    }

    /// A state-changing form: a live session, a same-origin request, and the session's CSRF token.
    /// Returns the session id.
    func authorizeChange(_ request: Request) async throws -> String {
        try checkOrigin(request)
        guard let current = try await currentSession(request) else {
            throw IDCAError(.unauthorized, code: "not_signed_in", message: "Sign in at /auditor first.")
        }
        let form = try await formFields(of: request)
        guard let token = form["csrf"], constantTimeEquals(token, current.session.csrfToken) else {
            throw IDCAError(.forbidden, code: "csrf_token_invalid", message: "The form's CSRF token is missing or wrong; reload the dashboard.")
        }
        return current.id
    }

    /// Browsers name the page a POST came from; one from another origin is refused outright.
    /// Under `Referrer-Policy: no-referrer` a browser sends `Origin: null` even for the page's own
    /// forms, so `null` (like a missing header) says nothing, and the CSRF token decides.
    func checkOrigin(_ request: Request) throws {
        guard let origin = request.headers[.origin], origin != "null" else { return }
        let host = request.head.authority ?? ""
        guard origin == "http://\(host)" || origin == "https://\(host)" else {
            throw IDCAError(.forbidden, code: "cross_origin", message: "This form only accepts submissions from its own pages.")
        }
    }

    /// `Secure` when the CA's public URL is https or a proxy says the request came over https;
    /// plain http on loopback (`make run`) would otherwise never get the cookie back.
    func cookieHeader(_ name: String, _ value: String, maxAge: Int64, _ request: Request) -> String {
        let secure = services.certification.isPubliclyHTTPS || request.headers[.init("X-Forwarded-Proto")!] == "https"
        return "\(name)=\(value); Path=/auditor; Max-Age=\(maxAge); HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
    }

    // MARK: Pages

    func signInPage(_ request: Request, failed: Bool) -> Response {
        let token = sessions.newSecret()
        var body = "<h1>idca 审计 <span class=\"en\" lang=\"en\">Auditor dashboard</span></h1>\n"
        body += "<p class=\"lede\">用审计员 API 密钥登录（由运维人员以 <code>idca auditors add</code> 发放）。密钥只在登录时核对一次，不会保存在会话中。"
        body += "<span class=\"en\" lang=\"en\">Sign in with your auditor API key (issued with <code>idca auditors add</code>). The key is checked once and never kept in the session.</span></p>\n"
        if failed {
            body += "<p class=\"problem\" role=\"alert\" id=\"signin-error\">密钥无效或已被吊销。<span class=\"en\" lang=\"en\">This key is not valid or has been revoked.</span></p>\n"
        }
        body += "<form method=\"post\" action=\"/auditor/sign-in\" class=\"signin\">\n"
        body += "<input type=\"hidden\" name=\"signin_csrf\" value=\"\(token)\">\n"
        body += "<label for=\"api-key\">审计员 API 密钥 <span class=\"en\" lang=\"en\">Auditor API key</span></label>\n"
        body += "<input id=\"api-key\" name=\"api_key\" type=\"password\" autocomplete=\"off\" spellcheck=\"false\" required"
        body += failed ? " aria-invalid=\"true\" aria-describedby=\"signin-error\">\n" : ">\n"
        body += "<button type=\"submit\">登录 <span lang=\"en\">Sign in</span></button>\n</form>\n"
        var headers = HTTPFields()
        headers.append(.init(name: .setCookie, value: cookieHeader(Self.signInCookie, token, maxAge: 3600, request)))
        return htmlResponse(page(title: "idca 审计登录 · Auditor sign-in", body: body), status: failed ? .unauthorized : .ok, headers: headers)
    }

    func dashboard(_ request: Request, session: AuditorSessions.Session) async throws -> Response {
        var notice: String?
        let filters: Filters
        do {
            filters = try Filters(request, services: services, formats: [.json])
        } catch let error as IDCAError {
            notice = error.message
            filters = try Filters(nil, services: services, formats: [.json])
        }
        let parsed = filters.parsed
        let overview = try await services.statistics.overview(parsed.query, minimumCount: parsed.minimumCount, filter: filters.filter)
        let sites = try await services.statistics.siteChoices()

        var body = "<div class=\"bar\"><p>idca 审计 <span lang=\"en\">Auditor dashboard</span> · \(htmlEscaped(session.auditorName))</p>\n"
        body += "<form method=\"post\" action=\"/auditor/sign-out\">\(csrfField(session))"
        body += "<button type=\"submit\" class=\"secondary\">退出 <span lang=\"en\">Sign out</span></button></form></div>\n"
        if let notice {
            body += "<p class=\"problem\" role=\"alert\">\(htmlEscaped(notice))</p>\n"
        }
        body += filterForm(filters, sites: sites)
        body += downloads(filters)
        body += try await chainStatus(session)
        body += "<div class=\"report\">\n" + overview.htmlContent() + "</div>\n"
        return htmlResponse(page(title: "idca 审计 · Auditor dashboard", body: body, wide: true))
    }

    func csrfField(_ session: AuditorSessions.Session) -> String {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(session.csrfToken)\">"
    }

    func filterForm(_ filters: Filters, sites: [(id: String, name: String)]) -> String {
        let query = filters.parsed.query
        func option(_ value: String, _ label: String, selected: Bool) -> String {
            "<option value=\"\(htmlEscaped(value))\"\(selected ? " selected" : "")>\(htmlEscaped(label))</option>"
        }
        var html = "<section class=\"controls\" aria-labelledby=\"filters-heading\">\n<h2 id=\"filters-heading\">筛选 <span lang=\"en\">Filters</span></h2>\n"
        html += "<form method=\"get\" action=\"/auditor\" class=\"filters\">\n"
        html += "<div><label for=\"from\">起始日期 <span lang=\"en\">From</span></label><input id=\"from\" name=\"from\" type=\"date\" value=\"\(query.from)\"></div>\n"
        html += "<div><label for=\"to\">截止日期 <span lang=\"en\">To</span></label><input id=\"to\" name=\"to\" type=\"date\" value=\"\(query.to)\"></div>\n"
        html += "<div><label for=\"period\">周期 <span lang=\"en\">Period</span></label><select id=\"period\" name=\"period\">"
        for (value, label) in [("day", "按日 · day"), ("week", "按周 · week"), ("month", "按月 · month")] {
            html += option(value, label, selected: query.period.rawValue == value)
        }
        html += "</select></div>\n<div><label for=\"subject-type\">主体类型 <span lang=\"en\">Subject type</span></label><select id=\"subject-type\" name=\"subject_type\">"
        html += option("", "全部 · all", selected: filters.filter.subjectType == nil)
        html += option("individual", "个人 · individual", selected: filters.filter.subjectType == .individual)
        html += option("organization", "机构 · organization", selected: filters.filter.subjectType == .organization)
        html += "</select></div>\n<div><label for=\"site\">网站 <span lang=\"en\">Site</span></label><select id=\"site\" name=\"site\">"
        html += option("", "全部 · all", selected: filters.filter.site == nil)
        html += option(StatisticsService.Filter.noSite, "未经网站 · no site", selected: filters.filter.site == StatisticsService.Filter.noSite)
        for site in sites {
            html += option(site.id, site.name, selected: filters.filter.site == site.id)
        }
        html += "</select></div>\n<div><label for=\"group-by\">下载与明细表分组 <span lang=\"en\">Breakdown (table and downloads)</span></label><select id=\"group-by\" name=\"group_by\">"
        for value in Filters.breakdowns {
            html += option(value, value.isEmpty ? "不分组 · none" : value, selected: filters.groupBy == value)
        }
        html += "</select></div>\n<div class=\"apply\"><button type=\"submit\">应用 <span lang=\"en\">Apply</span></button></div>\n</form>\n</section>\n"
        return html
    }

    func downloads(_ filters: Filters) -> String {
        var html = "<p class=\"downloads\">"
        for format in ["csv", "json"] {
            let href = "/auditor/export?" + filters.queryString(format: format)
            html += "<a class=\"button\" id=\"download-\(format)\" href=\"\(htmlEscaped(href))\" download>下载 \(format.uppercased()) "
            html += "<span lang=\"en\">Download \(format.uppercased())</span></a> "
        }
        html += "<span class=\"muted\">与 <code>GET /v1/statistics/applications</code> 相同的数字 "
        html += "<span lang=\"en\">the same numbers as the statistics API</span></span></p>\n"
        return html
    }

    func chainStatus(_ session: AuditorSessions.Session) async throws -> String {
        var html = "<section id=\"chain\" class=\"chain\" aria-labelledby=\"chain-heading\">\n<h2 id=\"chain-heading\">审计链 <span lang=\"en\">Audit chain</span></h2>\n<dl>\n"
        let head = try await services.audit.head()
        html += "<div><dt>链头 <span lang=\"en\">Head</span></dt><dd>#\(head.sequence)</dd></div>\n"
        if let checkpoint = try await services.audit.latestCheckpoint() {
            html += "<div><dt>最新签名检查点 <span lang=\"en\">Latest signed checkpoint</span></dt><dd id=\"checkpoint\">#\(checkpoint.sequence) · "
            html += "\(RFC3339.string(fromUnixSeconds: checkpoint.time))</dd></div>\n"
        } else {
            html += "<div><dt>最新签名检查点 <span lang=\"en\">Latest signed checkpoint</span></dt><dd id=\"checkpoint\">尚无 <span lang=\"en\">none yet</span></dd></div>\n"
        }
        html += "<div><dt>完整校验 <span lang=\"en\">Full verification</span></dt><dd id=\"verify-result\">"
        if let check = await sessions.lastChainCheck {
            if check.isIntact {
                html += "<span class=\"ok\">完好 <span lang=\"en\">intact</span></span>: \(check.entries) 条记录 entries, \(check.checkpoints) 个检查点 checkpoints"
            } else {
                html += "<span class=\"bad\">已损坏 <span lang=\"en\">broken</span></span>: \(htmlEscaped(check.firstBreak ?? ""))"
            }
            html += " · \(RFC3339.string(fromUnixSeconds: check.checkedAt))"
        } else {
            html += "尚未校验 <span lang=\"en\">not verified since the server started</span>"
        }
        html += "</dd></div>\n</dl>\n"
        if services.auditChainCheck != nil {
            html += "<form method=\"post\" action=\"/auditor/audit/verify\">\(csrfField(session))"
            html += "<button type=\"submit\" class=\"secondary\" id=\"verify-chain\">立即完整校验 <span lang=\"en\">Verify the whole chain now</span></button></form>\n"
        } else {
            html += "<p class=\"muted\">此服务器未配置校验密钥。<span lang=\"en\">This server has no verification key configured.</span></p>\n"
        }
        return html + "</section>\n"
    }

    func page(title: String, body: String, wide: Bool = false) -> String {
        var html = "<!DOCTYPE html>\n<html lang=\"zh-Hans\">\n<head>\n<meta charset=\"utf-8\">\n"
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>\(htmlEscaped(title))</title>\n"
        html += "<link rel=\"stylesheet\" href=\"/assets/report.css\">\n<link rel=\"stylesheet\" href=\"/assets/style.css\">\n</head>\n"
        html += "<body class=\"auditor\">\n<main class=\"\(wide ? "dashboard" : "sign-in-page")\">\n\(body)</main>\n</body>\n</html>\n"
        return html
    }
}

/// The dashboard's query string, checked: dates, period and breakdown by the statistics service's
/// own parser (so they mean what the API's parameters mean), subject type and site by this.
struct Filters {
    /// The breakdowns offered for the table and the downloads.
    static let breakdowns = ["reason", "subject_type,reason", "period,reason", "province", "site", ""]

    var parsed: StatisticsService.Parsed
    var filter: StatisticsService.Filter
    var groupBy: String

    init(_ request: Request?, services: HTTPServices, formats: [StatisticsFormat]) throws {
        func value(_ name: String) -> String? {
            request?.uri.queryParameters[name[...]].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        }
        groupBy = request?.uri.queryParameters["group_by"].map(String.init) ?? "reason"
        parsed = try services.statistics.parse(.init(from: value("from"), to: value("to"), groupBy: groupBy, period: value("period"),
                                                      format: value("format") ?? formats.first?.rawValue), formats: formats)
        switch value("subject_type") {
        case nil: filter = .init()
        case let type?:
            guard let subjectType = SubjectType(rawValue: type) else {
                throw IDCAError(.badRequest, code: "invalid_parameter", message: "subject_type must be individual or organization.", field: "subject_type")
            }
            filter = .init(subjectType: subjectType)
        }
        if let site = value("site") {
            guard site == StatisticsService.Filter.noSite || SiteID(rawValue: site) != nil else {
                throw IDCAError(.badRequest, code: "invalid_parameter", message: "site must be a site id or none.", field: "site")
            }
            filter.site = site
        }
    }

    /// The same filters as a query string, for the download links.
    func queryString(format: String) -> String {
        var items = [URLQueryItem(name: "format", value: format), URLQueryItem(name: "from", value: "\(parsed.query.from)"),
                     URLQueryItem(name: "to", value: "\(parsed.query.to)"), URLQueryItem(name: "period", value: parsed.query.period.rawValue),
                     URLQueryItem(name: "group_by", value: groupBy)]
        if let type = filter.subjectType { items.append(URLQueryItem(name: "subject_type", value: type.rawValue)) }
        if let site = filter.site { items.append(URLQueryItem(name: "site", value: site)) }
        var components = URLComponents()
        components.queryItems = items
        return components.percentEncodedQuery ?? ""
    }
}
