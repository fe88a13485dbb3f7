import Foundation
import Hummingbird
import IDCAReports

/// `GET /` (`?lang=en` for English): the applicant page. Two forms, individual and organization,
/// that `/assets/app.js` sends as JSON to `POST /v1/applications`, checking each field with
/// `POST /v1/validate` as it is typed. The page's texts are drawn here in the chosen language;
/// rejection texts come from `GET /v1/reasons`. Personal data never goes into a URL: the forms are
/// `method="post"`, so even with scripts off a browser never puts them in a query string.
func addApplicantPageRoute(to router: Router<IDCARequestContext>) {
    router.get("/") { request, _ -> Response in
        let language = ReasonTexts.Language(query: request.uri.queryParameters["lang"])
        // A site sends its users here with its id (`?site=site_…`): an identifier, not personal data.
        let site = request.uri.queryParameters["site"].map(String.init) ?? ""
        return htmlResponse(ApplicantPage(language: language, site: site).html())
    }
}

struct ApplicantPage {
    let language: ReasonTexts.Language
    let site: String

    /// The text in the page's language.
    func t(_ chinese: String, _ english: String) -> String { language == .chinese ? chinese : english }

    func html() -> String {
        var html = "<!DOCTYPE html>\n<html lang=\"\(t("zh-Hans", "en"))\">\n<head>\n<meta charset=\"utf-8\">\n"
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        html += "<title>\(t("idca 身份认证申请", "idca identity certification"))</title>\n"
        html += "<link rel=\"stylesheet\" href=\"/assets/style.css\">\n<script src=\"/assets/app.js\" defer></script>\n</head>\n"
        html += "<body class=\"applicant\">\n<a class=\"skip\" href=\"#main\">\(t("跳到申请表", "Skip to the form"))</a>\n"
        html += "<header class=\"top\"><p class=\"brand\">idca</p><nav aria-label=\"\(t("语言", "Language"))\">"
        html += language == .chinese
            ? "<a href=\"/?lang=en\(siteQuery("&"))\" lang=\"en\" hreflang=\"en\">English</a>"
            : "<a href=\"/?lang=zh\(siteQuery("&"))\" lang=\"zh-Hans\" hreflang=\"zh-Hans\">中文</a>"
        html += "</nav></header>\n"
        html += "<main id=\"main\" data-lang=\"\(language.rawValue)\">\n"
        html += "<h1>\(t("身份认证申请", "Apply for identity certification"))</h1>\n"
        html += "<p class=\"lede\">\(t("填写与证件一致的信息。通过后您会得到一个认证令牌，把它交给要求认证的网站即可。", "Enter your details exactly as on your documents. When they check out you receive a certification token to give to the site that asked for it."))</p>\n"
        html += "<noscript><p class=\"problem\">\(t("本页需要启用 JavaScript 才能提交申请。", "This page needs JavaScript to send an application."))</p></noscript>\n"
        html += "<div class=\"tabs\" role=\"tablist\" aria-label=\"\(t("申请类型", "Kind of application"))\">"
        html += "<button type=\"button\" role=\"tab\" id=\"tab-individual\" aria-controls=\"form-individual\" aria-selected=\"true\">\(t("个人", "Individual"))</button>"
        html += "<button type=\"button\" role=\"tab\" id=\"tab-organization\" aria-controls=\"form-organization\" aria-selected=\"false\" tabindex=\"-1\">\(t("机构", "Organization"))</button>"
        html += "</div>\n"
        html += individualForm() + organizationForm()
        html += "<section id=\"result\" class=\"result\" aria-live=\"polite\" tabindex=\"-1\"></section>\n"
        html += templates()
        html += "</main>\n<footer class=\"foot\"><p>\(t("您的信息只用于本次核验，不会出现在网址中。", "Your details are used for this check only and never appear in a web address."))</p></footer>\n"
        html += "</body>\n</html>\n"
        return html
    }

    func siteQuery(_ separator: String) -> String {
        site.isEmpty ? "" : separator + "site=" + htmlEscaped(site.addingPercentEncodingForQuery())
    }

    /// One labelled input with its hint and its live error line.
    func field(_ form: String, _ name: String, label: String, hint: String? = nil, autocomplete: String = "off",
               required: Bool = true, number: Bool = false, value: String = "") -> String {
        let id = "\(form)-\(name.replacingOccurrences(of: ".", with: "-").replacingOccurrences(of: "_", with: "-"))"
        var described = ["\(id)-error"]
        if hint != nil { described.insert("\(id)-hint", at: 0) }
        var html = "<div class=\"field\">\n<label for=\"\(id)\">\(label)\(required ? "" : " <span class=\"optional\">\(t("（选填）", "(optional)"))</span>")</label>\n"
        html += "<input id=\"\(id)\" name=\"\(name)\" data-field=\"\(name)\" type=\"text\" autocomplete=\"\(autocomplete)\""
        html += " aria-describedby=\"\(described.joined(separator: " "))\""
        if number { html += " data-number=\"true\" spellcheck=\"false\" autocapitalize=\"characters\"" }
        if required { html += " required" }
        if !value.isEmpty { html += " value=\"\(htmlEscaped(value))\"" }
        html += ">\n"
        if let hint { html += "<p class=\"hint\" id=\"\(id)-hint\">\(hint)</p>\n" }
        html += "<p class=\"field-error\" id=\"\(id)-error\" aria-live=\"polite\"></p>\n</div>\n"
        return html
    }

    func siteField(_ form: String) -> String {
        field(form, "site", label: t("来源网站", "Site"), hint: t("从某个网站跳转而来时自动填写。", "Filled in when a site sent you here."),
              required: false, value: site)
    }

    func individualForm() -> String {
        var html = "<form id=\"form-individual\" class=\"apply\" role=\"tabpanel\" aria-labelledby=\"tab-individual\" data-subject=\"individual\" method=\"post\" action=\"/\" novalidate>\n"
        html += field("individual", "name", label: t("姓名", "Name"), hint: t("与身份证上一致。", "As on your identity card."), autocomplete: "name")
        html += field("individual", "resident_id", label: t("公民身份号码", "Resident ID number"),
                      hint: t("18 位，最后一位可能是 X。", "18 characters; the last may be X."), number: true)
        html += siteField("individual")
        html += "<button type=\"submit\">\(t("提交申请", "Apply"))</button>\n</form>\n"
        return html
    }

    func organizationForm() -> String {
        var html = "<form id=\"form-organization\" class=\"apply\" role=\"tabpanel\" aria-labelledby=\"tab-organization\" data-subject=\"organization\" method=\"post\" action=\"/\" novalidate hidden>\n"
        html += field("organization", "organization_name", label: t("机构名称", "Organization name"),
                      hint: t("登记的完整名称。", "The full registered name."), autocomplete: "organization")
        html += "<fieldset><legend>\(t("代码（至少填一项）", "Codes (at least one)"))</legend>\n"
        html += field("organization", "credit_code", label: t("统一社会信用代码", "Unified social credit code"),
                      hint: t("18 位，见营业执照。", "18 characters, on the business licence."), required: false, number: true)
        html += field("organization", "organization_code", label: t("组织机构代码", "Organization code"),
                      hint: t("9 位，不含连字符。", "9 characters, without the hyphen."), required: false, number: true)
        html += "</fieldset>\n"
        html += field("organization", "legal_representative", label: t("法定代表人", "Legal representative"))
        html += "<fieldset><legend>\(t("经办人", "Operator (the person applying)"))</legend>\n"
        html += field("organization", "operator.name", label: t("经办人姓名", "Operator's name"), autocomplete: "name")
        html += field("organization", "operator.resident_id", label: t("经办人公民身份号码", "Operator's resident ID number"),
                      hint: t("18 位，最后一位可能是 X。", "18 characters; the last may be X."), number: true)
        html += "</fieldset>\n"
        html += siteField("organization")
        html += "<button type=\"submit\">\(t("提交申请", "Apply"))</button>\n</form>\n"
        return html
    }

    /// The result panels, filled by the script with `textContent` only.
    func templates() -> String {
        var html = "<template id=\"tpl-approved\"><div class=\"panel approved\">\n"
        html += "<h2>\(t("认证通过", "Certified"))</h2>\n"
        html += "<label for=\"token\">\(t("您的认证令牌", "Your certification token"))</label>\n"
        html += "<textarea id=\"token\" class=\"token\" readonly rows=\"4\" spellcheck=\"false\"></textarea>\n"
        html += "<p class=\"actions\"><button type=\"button\" class=\"copy\">\(t("复制令牌", "Copy the token"))</button> "
        html += "<span class=\"copied\" role=\"status\" data-done=\"\(t("已复制", "Copied"))\" data-failed=\"\(t("无法自动复制，请手动选择复制。", "Could not copy; select the token and copy it by hand."))\"></span></p>\n"
        html += "<p>\(t("有效期还剩", "Expires in")) <strong class=\"countdown\" data-expired=\"\(t("已过期，请重新申请。", "expired; apply again."))\"></strong></p>\n"
        html += "<p class=\"explain\">\(t("把令牌粘贴到要求您认证的网站上。令牌只能使用一次，过期前有效；不要把它交给其他人。", "Paste the token into the site that asked you to certify. It works once, until it expires; do not give it to anyone else."))</p>\n"
        html += "</div></template>\n"
        html += "<template id=\"tpl-rejected\"><div class=\"panel rejected\">\n"
        html += "<h2>\(t("未通过", "Not certified"))</h2>\n<p class=\"message\"></p>\n<p class=\"advice\"></p>\n"
        html += "<p class=\"where\" hidden>\(t("问题所在：", "Where: "))<span class=\"field-name\"></span></p>\n"
        html += "<p class=\"code muted\">\(t("原因代码", "Reason code")) <code></code></p>\n</div></template>\n"
        html += "<template id=\"tpl-possession\"><div class=\"panel pending\">\n"
        html += "<h2>\(t("请输入验证码", "Enter the code we sent"))</h2>\n"
        html += "<p>\(t("我们已向", "We sent a 6-digit code to")) <strong class=\"destination\"></strong>\(t(" 发送了 6 位验证码。", "."))"
        html += " \(t("验证码有效期还剩", "It expires in")) <strong class=\"countdown\" data-expired=\"\(t("已过期", "expired"))\"></strong>。</p>\n"
        html += "<form class=\"possession\" method=\"post\" action=\"/\" novalidate>\n<div class=\"field\">\n"
        html += "<label for=\"possession-code\">\(t("验证码", "Code"))</label>\n"
        html += "<input id=\"possession-code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" maxlength=\"6\" pattern=\"[0-9]{6}\" required aria-describedby=\"possession-attempts possession-code-error\">\n"
        html += "<p class=\"hint\" id=\"possession-attempts\" data-template=\"\(t("还可尝试 {n} 次。", "{n} attempts left."))\"></p>\n"
        html += "<p class=\"field-error\" id=\"possession-code-error\" aria-live=\"polite\"></p>\n</div>\n"
        html += "<button type=\"submit\">\(t("确认", "Confirm"))</button>\n</form>\n</div></template>\n"
        html += "<template id=\"tpl-error\"><div class=\"panel rejected\">\n<h2>\(t("无法提交", "Could not send the application"))</h2>\n"
        html += "<p class=\"message\"></p>\n</div></template>\n"
        html += "<div id=\"texts\" hidden data-network=\"\(t("网络连接失败，请稍后重试。", "The connection failed; try again in a moment."))\""
        html += " data-missing=\"\(t("请填写此项。", "Please fill this in."))\" data-one-code=\"\(t("请至少填写一种代码。", "Give at least one of the two codes."))\""
        html += " data-code-six=\"\(t("请输入 6 位数字验证码。", "Enter the 6-digit code."))\" data-sending=\"\(t("正在提交……", "Sending…"))\"></div>\n"
        return html
    }
}

extension String {
    /// Percent-encoded for a query-string value.
    func addingPercentEncodingForQuery() -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
