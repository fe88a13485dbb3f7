import IDCACore
import Testing

@Suite("Name normalization")
struct NameRulesTests {
    @Test(arguments: [
        ("张三", "张三"),
        ("  张三\u{3000}", "张三"),  // ideographic space trimmed
        ("艾力·买买提", "艾力·买买提"),
        ("艾力•买买提", "艾力·买买提"),
        ("艾力‧买买提", "艾力·买买提"),
        ("艾力・买买提", "艾力·买买提"),
        ("艾力･买买提", "艾力·买买提"),
        ("e\u{0301}", "\u{00E9}"),  // NFC
        ("John Smith", "John Smith"),  // inner spaces are part of the name
    ])
    func personNamesNormalize(raw: String, normalized: String) throws {
        #expect(try NameRules.normalizedPersonName(raw) == normalized)
    }

    @Test(arguments: [
        ("", NameViolation.empty), ("   ", .empty), ("\u{3000}", .empty),
        (String(repeating: "张", count: 65), .tooLong),
        ("张\u{0000}三", .controlCharacter), ("张\u{200B}三", .controlCharacter), ("张\u{202E}三", .controlCharacter),
        ("张\n三", .controlCharacter),
    ])
    func personNamesRejected(raw: String, violation: NameViolation) {
        #expect(throws: violation) { try NameRules.normalizedPersonName(raw) }
    }

    @Test func sixtyFourCharactersAreAllowed() throws {
        let name = String(repeating: "张", count: 64)
        #expect(try NameRules.normalizedPersonName(name) == name)
    }

    @Test(arguments: [
        ("北京某某（科技）有限公司", "北京某某(科技)有限公司"),
        ("北京某某 (科技) 有限公司", "北京某某(科技)有限公司"),
        ("北京某某科技有限公司\u{3000}", "北京某某科技有限公司"),
        ("ＡＢＣ科技", "ABC科技"),
    ])
    func organizationNamesNormalize(raw: String, normalized: String) throws {
        #expect(try NameRules.normalizedOrganizationName(raw) == normalized)
    }

    @Test func organizationNamesThatDifferStayDifferent() throws {
        #expect(try NameRules.normalizedOrganizationName("北京某某科技有限公司") != NameRules.normalizedOrganizationName("北京某某技术有限公司"))
        #expect(throws: NameViolation.empty) { try NameRules.normalizedOrganizationName(" \u{3000} ") }
    }
}
