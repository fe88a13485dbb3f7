import IDCACore
import IDCARules

/// What the applicant page says about a rejection, in Chinese or English: what is wrong and what
/// to do. The page fetches this table from `GET /v1/reasons` and holds no texts of its own, so
/// there is one copy. The English "what is wrong" is the API's own `message`; only the Chinese
/// texts and the advice are new here. Only the codes are a contract; these words may change.
enum ReasonTexts {
    enum Language: String, CaseIterable {
        case chinese = "zh"
        case english = "en"

        /// `zh` unless `en` is asked for: the page is Chinese by default.
        init(query: Substring?) { self = query == "en" ? .english : .chinese }
    }

    /// The table's groups: one per identity kind (a code such as `checksum` means something
    /// slightly different for each), and one for application-level reasons.
    enum Kind: String, CaseIterable {
        case residentID = "resident_id"
        case creditCode = "credit_code"
        case organizationCode = "organization_code"
        case application
    }

    /// What the applicant can do about it.
    enum Advice {
        case retype, pageFixes, useCurrentCard, checkRegistryPerson, checkRegistryOrganization, contactIssuer, possessionRetry, applyAgain

        func text(_ language: Language) -> String {
            switch (self, language) {
            case (.retype, .chinese): "请对照证件逐位核对后重新输入。"
            case (.retype, .english): "Compare it with your card or certificate, character by character, and type it again."
            case (.pageFixes, .chinese): "请按提示修改格式后再提交。"
            case (.pageFixes, .english): "Correct the format as described and submit again."
            case (.useCurrentCard, .chinese): "请填写现用居民身份证上的 18 位号码。"
            case (.useCurrentCard, .english): "Enter the 18-character number on your current identity card."
            case (.checkRegistryPerson, .chinese):
                "请核对姓名和号码（包括生僻字）。如确认无误，可能是户籍登记信息未及时更新，请联系户籍所在地派出所核实。"
            case (.checkRegistryPerson, .english):
                "Check the name and the number, including rare characters. If both are right, the resident registry may be out of date: contact the police station where your household is registered."
            case (.checkRegistryOrganization, .chinese):
                "请核对登记信息（营业执照或登记证书上的全称与代码）。如确认无误，可能是登记信息尚未同步，请联系登记机关（如市场监督管理部门）。"
            case (.checkRegistryOrganization, .english):
                "Check against the business licence or registration certificate. If it matches, the registry may not have caught up yet: contact the registration authority (for example the market regulation administration)."
            case (.contactIssuer, .chinese): "请再次核对号码；如证件上的号码确实如此，请联系发证机关。"
            case (.contactIssuer, .english): "Check the number again; if it really is what your document shows, contact the authority that issued it."
            case (.possessionRetry, .chinese): "请核对短信中的验证码后重新输入。"
            case (.possessionRetry, .english): "Check the code in the text message and enter it again."
            case (.applyAgain, .chinese): "请重新提交申请以获取新的验证码。"
            case (.applyAgain, .english): "Submit the application again to receive a new code."
            }
        }
    }

    /// One reason's texts.
    struct Entry: Equatable {
        var message: String
        var advice: String
        /// The registry disagreed with what was typed together (a name and a number): the field the
        /// rejection names is where to look, not a value that is wrong in itself.
        var isRegistryMismatch: Bool = false
    }

    /// The whole table in one language.
    static func table(_ language: Language) -> [String: [String: Entry]] {
        var table: [String: [String: Entry]] = [:]
        for kind in Kind.allCases {
            var entries: [String: Entry] = [:]
            for code in codes(kind) {
                if let entry = entry(kind: kind, code: code, language: language) { entries[code] = entry }
            }
            table[kind.rawValue] = entries
        }
        return table
    }

    /// Every code of a kind: each identity kind's violations, and the public application reasons.
    static func codes(_ kind: Kind) -> [String] {
        switch kind {
        case .residentID: ResidentIDNumber.Violation.allCases.map(\.rawValue)
        case .creditCode: CreditCode.Violation.allCases.map(\.rawValue)
        case .organizationCode: OrganizationCode.Violation.allCases.map(\.rawValue)
        case .application: publicReasons.map(\.rawValue) + possessionReasons
        }
    }

    /// The application reasons an applicant can see: internal ones are answered with a uniform code.
    static let publicReasons: [DecisionReason] = [
        .nameInvalid, .registryMismatch, .organizationNotFound, .organizationNameMismatch, .organizationInactive,
        .legalRepresentativeMismatch, .organizationCodeMismatch, .operatorRejected, .possessionUnavailable, .possessionUndelivered,
    ]

    /// The possession-code step's reasons (`POST /v1/applications/{id}/confirm`).
    static let possessionReasons = [DecisionReason.possessionCodeWrong, .possessionCodeExpired, .possessionAttemptsExhausted].map(\.rawValue)

    static func entry(kind: Kind, code: String, language: Language) -> Entry? {
        switch kind {
        case .residentID:
            guard let violation = ResidentIDNumber.Violation(rawValue: code) else { return nil }
            return identity(violation, chineseName: "公民身份号码", length: 18, language: language)
        case .creditCode:
            guard let violation = CreditCode.Violation(rawValue: code) else { return nil }
            return identity(violation, chineseName: "统一社会信用代码", length: 18, language: language)
        case .organizationCode:
            guard let violation = OrganizationCode.Violation(rawValue: code) else { return nil }
            return identity(violation, chineseName: "组织机构代码", length: 9, language: language)
        case .application:
            return application(code, language: language)
        }
    }

    /// An identity-rule violation: the API's English message, or the Chinese text below.
    static func identity(_ violation: some IdentityViolation, chineseName name: String, length: Int, language: Language) -> Entry? {
        guard let (chinese, advice) = chineseIdentity(violation.rawValue, name: name, length: length) else { return nil }
        return Entry(message: language == .chinese ? chinese : violation.message, advice: advice.text(language))
    }

    static func chineseIdentity(_ code: String, name: String, length: Int) -> (String, Advice)? {
        switch code {
        case "empty": ("请填写\(name)。", .pageFixes)
        case "whitespace": ("\(name)中含有空格等空白字符，请删除。", .pageFixes)
        case "non_ascii": ("\(name)中含有全角数字或其他非半角字符，请切换到半角输入。", .pageFixes)
        case "separator": ("\(name)中含有连字符“-”，请连续填写 \(length) 位，不加分隔符。", .pageFixes)
        case "legacy_15": ("这是 15 位的第一代身份证号码。", .useCurrentCard)
        case "length": ("\(name)应为 \(length) 位。", .retype)
        case "format":
            switch name {
            case "公民身份号码": ("公民身份号码应为 17 位数字加 1 位数字或 X。", .retype)
            case "统一社会信用代码": ("统一社会信用代码只能包含数字和大写字母（不含 I、O、S、V、Z）。", .retype)
            default: ("组织机构代码前 8 位应为数字或大写字母。", .retype)
            }
        case "lowercase_x": ("最后一位 X 应为大写。", .pageFixes)
        case "lowercase": ("\(name)中的字母应为大写。", .pageFixes)
        case "checksum": ("校验码（最后一位）不符，号码中可能有一位输错或两位颠倒。", .retype)
        case "birth_date": ("号码中的出生日期（第 7–14 位）不是真实存在的日期。", .contactIssuer)
        case "birth_date_future": ("号码中的出生日期晚于今天。", .contactIssuer)
        case "birth_date_too_early": ("号码中的出生日期早于 1900 年 1 月 1 日。", .contactIssuer)
        case "region_unknown": ("号码前 6 位（地址码）不是已知的行政区划代码。", .contactIssuer)
        case "check_char_format": ("组织机构代码最后一位（校验码）应为数字或 X。", .retype)
        case "reserved_custom_range": ("PDY00001 至 PDY99999 为内部保留代码，不代表任何组织。", .contactIssuer)
        case "registration_authority": ("第 1 位（登记管理部门代码）应为 1–9、A、N 或 Y。", .retype)
        case "division_format": ("第 3–8 位（行政区划码）应为数字。", .retype)
        case "org_code_checksum": ("第 9–17 位不是有效的组织机构代码：其校验码不符。", .retype)
        case "division_unknown": ("第 3–8 位不是已知的行政区划代码。", .contactIssuer)
        default: nil
        }
    }

    /// An application reason: the API's English message, or the Chinese text below.
    static func application(_ code: String, language: Language) -> Entry? {
        let chinese: String, english: String, advice: Advice
        if let reason = DecisionReason(rawValue: code) {
            english = reason.message
            switch reason {
            case .nameInvalid: (chinese, advice) = ("姓名或名称为空、超过 64 个字符，或含有控制字符。", .pageFixes)
            case .registryMismatch, .registryNotFound, .registryNameMismatch, .identityInactive:
                (chinese, advice) = ("姓名与公民身份号码未能匹配户籍登记库中的有效记录。", .checkRegistryPerson)
            case .organizationNotFound:
                (chinese, advice) = ("登记库中没有这个代码的组织。新登记的组织可能需要一段时间才能查到。", .checkRegistryOrganization)
            case .organizationNameMismatch: (chinese, advice) = ("组织名称与登记不符，请填写登记的完整名称。", .checkRegistryOrganization)
            case .organizationInactive: (chinese, advice) = ("该组织的登记已被吊销或注销。", .checkRegistryOrganization)
            case .legalRepresentativeMismatch: (chinese, advice) = ("法定代表人与登记不符。", .checkRegistryOrganization)
            case .organizationCodeMismatch:
                (chinese, advice) = ("统一社会信用代码第 9–17 位与所填组织机构代码不一致。", .retype)
            case .operatorRejected: (chinese, advice) = ("经办人的姓名与公民身份号码未能匹配户籍登记库中的有效记录。", .checkRegistryPerson)
            case .possessionCodeWrong: (chinese, advice) = ("验证码不正确，请核对短信后重新输入 6 位数字。", .possessionRetry)
            case .possessionCodeExpired: (chinese, advice) = ("验证码已过期（有效期 5 分钟）。", .applyAgain)
            case .possessionAttemptsExhausted: (chinese, advice) = ("验证码输错次数过多。", .applyAgain)
            case .possessionUnavailable:
                (chinese, advice) = ("登记库中没有您的手机号码，而本机构只在验证手机后才予认证。请到户籍登记机关登记手机号码。", .checkRegistryPerson)
            case .possessionUndelivered: (chinese, advice) = ("验证码未能发送到登记的手机号码，请稍后再试。", .applyAgain)
            }
        } else {
            return nil
        }
        return Entry(message: language == .chinese ? chinese : english, advice: advice.text(language),
                     isRegistryMismatch: advice == .checkRegistryPerson || advice == .checkRegistryOrganization)
    }
}
