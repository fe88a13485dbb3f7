import Foundation
import IDCACore
import Testing

/// What the libFuzzer targets of Tests/Fuzz found (issue #8), each kept as the property it broke.
@Suite("Fuzz findings: name rules")
struct NameRulesFuzzFindingsTests {
    /// FuzzIdentityRules, mode N: `normalizedOrganizationName` applies NFKC and then removes
    /// whitespace, which can leave a letter and a combining mark side by side without composing
    /// them; the next normalization composes them. The first row is the fuzzer's input (with the
    /// U+FFFD its invalid UTF-8 decoded to); U+00B4 ACUTE ACCENT is a key on some keyboards, and
    /// NFKC turns it into a space and U+0301. Compared as bytes: Swift's `==` on strings is
    /// canonical equivalence and would call the two forms equal.
    @Test(arguments: [
        "\u{FFFD}e\t\u{0301}",
        "e \u{0301}",
        "ABC\u{00B4}公司",
        "北京某某A\u{3000}\u{0308}有限公司",
    ])
    func organizationNamesNormalizeOnceAndForAll(raw: String) throws {
        let once = try NameRules.normalizedOrganizationName(raw)
        let twice = try NameRules.normalizedOrganizationName(once)
        #expect(Array(twice.utf8) == Array(once.utf8))
        #expect(Array(once.utf8) == Array(once.precomposedStringWithCompatibilityMapping.utf8), "the result is not in NFKC")
    }

    /// The rule's promise ("every whitespace character removed, so … compare equal"), byte for
    /// byte: names that differ only by whitespace normalize to the same bytes.
    @Test(arguments: [
        ("ABCe \u{0301}公司", "ABCe\u{0301}公司"),
        ("北京某某A\u{3000}\u{0308}有限公司", "北京某某\u{00C4}有限公司"),
    ])
    func organizationNamesDifferingOnlyByWhitespaceNormalizeToTheSameBytes(spaced: String, compact: String) throws {
        #expect(Array(try NameRules.normalizedOrganizationName(spaced).utf8) == Array(try NameRules.normalizedOrganizationName(compact).utf8))
    }
}
