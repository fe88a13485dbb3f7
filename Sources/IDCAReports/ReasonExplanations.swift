import IDCACore
import IDCARules

/// Plain-language explanations of internal reason codes, for auditors reading statistics.
///
/// The applicant-facing `message` texts say what to fix; these say what a rejection *means for the
/// authority*: a typing mistake the check character caught, registry data that is out of date, or
/// a possible impersonation. Statistics count internal reasons, and a code there may come from any
/// identity kind (`checksum` is a resident ID, organization code or credit code failure), so the
/// identity-rule explanations are kind-neutral.
///
/// Only the codes are a contract (Docs/REASON-CODES.md); these texts may be reworded.
public enum ReasonExplanations {
    /// The Chinese and English explanation of `code`. A code this version does not know (for
    /// example one recorded by a newer idca) gets a generic explanation that names it, so a report
    /// never drops a row for want of words.
    public static func explanation(for code: String) -> (chinese: String, english: String) {
        known(code) ?? generic(code)
    }

    /// The generic explanation of a code with no entry below.
    static func generic(_ code: String) -> (chinese: String, english: String) {
        ("原因代码“\(code)”：此版本的 idca 没有它的说明，请查阅 Docs/REASON-CODES.md 与 Docs/ERRORS.md。",
         "Reason code “\(code)”: this version of idca has no explanation for it; see Docs/REASON-CODES.md and Docs/ERRORS.md.")
    }

    // One switch over every code: the identity-rule codes of all three kinds (shared codes once),
    // then every `DecisionReason`. The tests walk each enum's `allCases`, so a new code without a
    // text here fails them.
    static func known(_ code: String) -> (chinese: String, english: String)? {
        switch code {
        // Rules common to every identity kind.
        case "empty":
            return ("未填写号码或代码（公民身份号码、组织机构代码或统一社会信用代码）。多为表单漏填或客户端缺陷，与冒用无关。",
                    "The identity number or code was left empty. Usually a form left blank or a client defect, not fraud.")
        case "whitespace":
            return ("号码或代码中含有空格、全角空格等空白字符，多为复制粘贴带入。idca 从不修正输入，可由网站表单在提交前去除。",
                    "The number contains a space or other blank character, usually carried in by copy and paste. idca never repairs input; the site's form can trim it before sending.")
        case "non_ascii":
            return ("号码或代码中含有全角数字、汉字等非半角字符，多因输入法处于全角状态，属录入问题。",
                    "The number contains a full-width digit or another non-ASCII character, usually an input-method setting: a typing problem, not fraud.")
        case "separator":
            return ("号码或代码中含有连字符“-”，多为照抄证照上的分隔写法（如组织机构代码 XXXXXXXX-X）。",
                    "The number contains a hyphen, usually copied from how it is printed (organization codes are printed XXXXXXXX-X).")
        case "length":
            return ("位数不对（公民身份号码和统一社会信用代码为 18 位，组织机构代码为 9 位），多为漏输或多输一位。",
                    "Wrong number of characters (18 for resident ID numbers and credit codes, 9 for organization codes): a character dropped or typed twice.")
        case "format":
            return ("某一位出现了不允许的字符（如只能是数字的位置出现字母），属录入错误，常见的是字母 O 与数字 0 混淆。",
                    "A character that is not allowed in its position (a letter where only digits may appear): a typing mistake, often the letter O for the digit 0.")
        case "checksum":
            return ("校验码不符。几乎都是录入错误（输错一位或颠倒相邻两位），校验码正是为拦截这类错误而设；若集中来自同一来源，也可能是编造的号码。",
                    "The check character does not match: almost always a typing mistake (one wrong character or two swapped), which is what the check character is there to catch. Many from one source may mean invented numbers.")
        case "lowercase":
            return ("代码中的字母未大写，属格式问题，网站表单可在提交前转为大写。",
                    "A letter in the code is lower case: a formatting problem the site's form could fix before sending.")
        // Resident identity numbers (GB 11643).
        case "lowercase_x":
            return ("公民身份号码最后一位的 x 未大写，属格式问题，网站表单可在提交前转为大写。",
                    "The final X of a resident ID number is lower case: a formatting problem the site's form could fix before sending.")
        case "legacy_15":
            return ("填写的是 15 位第一代身份证号码。申请人多是照抄了旧证件或旧档案，应改填现用的 18 位号码。",
                    "A 15-digit first-generation number, usually copied from an old card or old records; the current 18-digit number is needed.")
        case "birth_date":
            return ("号码中的出生日期（第 7–14 位）不是真实存在的日期。校验码已通过，单个录入错误难以解释，可能是编造的号码。",
                    "The birth date in the number (characters 7–14) is not a real date. The check character passed, so a single typing mistake is unlikely: possibly an invented number.")
        case "birth_date_future":
            return ("号码中的出生日期晚于今天。校验码已通过，可能是编造的号码。",
                    "The birth date in the number is in the future. The check character passed: possibly an invented number.")
        case "birth_date_too_early":
            return ("号码中的出生日期早于 1900 年 1 月 1 日。校验码已通过，可能是编造的号码。",
                    "The birth date in the number is before 1 January 1900. The check character passed: possibly an invented number.")
        case "region_unknown":
            return ("号码前 6 位（地址码）不是已知的行政区划代码：可能是编造的号码，也可能是区划表未收录的罕见旧代码；若集中出现，应检查区划表。",
                    "The address code (first 6 digits) is not a known division code: possibly an invented number, or a rare old code missing from the region table. If there are many, check the table.")
        // Organization codes (GB 11714).
        case "check_char_format":
            return ("组织机构代码最后一位（校验码）不是数字或 X，属录入错误。",
                    "The last character of an organization code (the check character) is neither a digit nor X: a typing mistake.")
        case "reserved_custom_range":
            return ("PDY00001 至 PDY99999 为内部保留代码，不代表任何组织：多为测试数据或误用了内部代码。",
                    "Codes PDY00001 to PDY99999 are reserved for internal use and identify no organization: usually test data or an internal code used by mistake.")
        // Unified social credit codes (GB 32100).
        case "registration_authority":
            return ("统一社会信用代码第 1 位（登记管理部门代码）无效，多为录入错误。",
                    "The first character of the credit code (the registration authority) is invalid: usually a typing mistake.")
        case "division_format":
            return ("统一社会信用代码第 3–8 位（行政区划码）含非数字字符，属录入错误。",
                    "Characters 3–8 of the credit code (the division code) are not all digits: a typing mistake.")
        case "org_code_checksum":
            return ("统一社会信用代码第 9–17 位内嵌的组织机构代码校验不符。整个代码的第 18 位校验码已通过，单个录入错误会被它拦截，因此多为编造的代码（只算了最后一位校验码）。",
                    "The organization code inside the credit code (characters 9–17) has a wrong check character, yet the code's own check character passed, which a single typing mistake would not: most likely an invented code whose maker computed only the final check character.")
        case "division_unknown":
            return ("统一社会信用代码第 3–8 位不是已知的行政区划代码：可能是编造的代码，或区划表未收录的代码。",
                    "Characters 3–8 of the credit code are not a known division code: possibly an invented code, or one missing from the region table.")
        // Application reasons (DecisionReason).
        case DecisionReason.nameInvalid.rawValue:
            return ("姓名或名称为空、超过 64 个字符或含控制字符等不可用字符，多为表单或客户端问题。",
                    "A name is empty, longer than 64 characters, or contains control or other unusable characters: usually a form or client problem.")
        case DecisionReason.registryMismatch.rawValue:
            return ("对申请人统一给出的户籍核验失败答复；统计记录的是具体的内部原因（registry_not_found 等），因此这里通常不应出现。",
                    "The uniform public answer for a failed resident-registry check. Statistics record the exact internal reason (registry_not_found and others) instead, so it should rarely appear here.")
        case DecisionReason.registryNotFound.rawValue:
            return ("登记库中没有这个公民身份号码（个人申请人，或机构申请的经办人）。号码格式和校验码都正确，单个录入错误会被校验码拦截：可能是登记库数据未更新、编造的号码，或冒用。",
                    "No resident has this ID number (the applicant, or the operator of an organization application). The number is well formed and a single mistyped character would have failed the check character: registry data out of date, an invented number, or impersonation.")
        case DecisionReason.registryNameMismatch.rawValue:
            return ("号码存在，但姓名与登记不符：可能是生僻字或异体字录入不同、改名后登记库未更新，也可能是用他人号码冒用——这是最主要的冒用信号。",
                    "The number exists but the name differs: a rare or variant character typed differently, a name change the registry has not caught up with, or someone using another person's number. The main sign of possible impersonation.")
        case DecisionReason.identityInactive.rawValue:
            return ("号码对应的人员已登记死亡或号码已注销：可能是冒用已故者的身份，也可能是登记库数据有误。",
                    "The resident is recorded as deceased or the number as cancelled: possible impersonation of a dead person, or an error in the registry.")
        case DecisionReason.organizationNotFound.rawValue:
            return ("登记库中没有此代码的组织：多为新设立的组织尚未同步（登记库数据滞后），也可能填了别的代码或编造。",
                    "No organization with this code is in the registry: usually a new organization the registry has not caught up with (stale registry data); otherwise a wrong or invented code.")
        case DecisionReason.organizationNameMismatch.rawValue:
            return ("组织名称与登记不符：常见为使用简称或旧名、更名后登记库未更新，也可能是借用他人代码冒用。",
                    "The organization name differs from the registry's: often a short or former name, or a renaming the registry has not caught up with; possibly someone using another organization's code.")
        case DecisionReason.organizationInactive.rawValue:
            return ("组织的登记已被吊销或注销：以已注销的组织申请值得核查，也可能是登记库数据滞后。",
                    "The organization's registration has been revoked or cancelled. Applying for a closed organization deserves a look; the registry may also be out of date.")
        case DecisionReason.legalRepresentativeMismatch.rawValue:
            return ("法定代表人与登记不符：多为法定代表人变更后登记库未更新，也可能是冒用。",
                    "The legal representative differs from the registry's: usually a change the registry has not caught up with, possibly impersonation.")
        case DecisionReason.organizationCodeMismatch.rawValue:
            return ("同时填写了两种代码，但统一社会信用代码第 9–17 位与组织机构代码不一致：多为其中一个填错，或拼凑了两个组织的代码。",
                    "Both codes were given but characters 9–17 of the credit code differ from the organization code: usually one of them mistyped, or codes of two organizations combined.")
        case DecisionReason.operatorRejected.rawValue:
            return ("对机构申请统一给出的经办人户籍核验失败答复；统计记录的是具体的内部原因（registry_not_found 等），因此这里通常不应出现。",
                    "The uniform public answer when an organization's operator fails the resident-registry check. Statistics record the exact internal reason (registry_not_found and others) instead, so it should rarely appear here.")
        case DecisionReason.possessionCodeWrong.rawValue:
            return ("验证码错误但仍有剩余次数，申请仍在等待，因此这里通常不应出现。",
                    "A wrong code with attempts left keeps the application pending, so this should rarely appear here.")
        case DecisionReason.possessionCodeExpired.rawValue:
            return ("登记手机号已收到验证码，但 5 分钟内未输入：多为申请人放弃，也可能是冒用者无法收到验证码。",
                    "A code was sent to the phone on file but not entered within 5 minutes: usually an abandoned application, possibly someone who could not receive the code.")
        case DecisionReason.possessionAttemptsExhausted.rawValue:
            return ("连续 5 次输入错误的验证码：知道姓名和号码却拿不到本人手机，是冒用的强烈信号。",
                    "Five wrong codes in a row: someone who knows the name and number but does not hold the phone on file. A strong sign of impersonation.")
        case DecisionReason.possessionUnavailable.rawValue:
            return ("登记库没有此人的手机号，而本机构要求验证手机：需登记机关补录手机号。",
                    "The registry holds no phone number for the person and this CA requires the possession check: the registry must record one.")
        case DecisionReason.possessionUndelivered.rawValue:
            return ("验证码未能发出（短信网关故障）：属于本机构的问题，不是申请人的问题。",
                    "The code could not be sent (the SMS gateway failed): a problem on the CA's side, not the applicant's.")
        default:
            return nil
        }
    }
}
