import Foundation
import IDCACore
@testable import IDCARegistry
import IDCASynthetic
import Testing

/// The byte-level shortcut must give exactly what `NameRules` gives, on both sides of its edges.
@Suite("Registry names")
struct RegistryNamesTests {
    static let samples: [String] = [
        // Inside the shortcut's set.
        "张三", " 张三 ", "Zhang San", "  ", "", "a", String(repeating: "a", count: 64), String(repeating: "a", count: 65),
        String(repeating: "张", count: 64), String(repeating: "张", count: 65), " " + String(repeating: "张", count: 64) + " ",
        "艾力·买买提", "·", "\u{4E00}", "\u{9FA5}", "北京 某某 科技", String(repeating: "某 ", count: 64), String(repeating: "某 ", count: 65),
        "a~b", "O'Brien-Smith",
        // Just outside it: handled by NameRules itself.
        "\u{9FA6}", "\u{4DFF}", "\u{3400}", "𠀀", "〇", "艾力•买买提", "艾力・买买提", "艾力‧买买提", "e\u{0301}", "Jos\u{00E9}",
        "ｚｈａｎｇ", "北京某某（科技）有限公司", "\u{3000}张三\u{3000}", "\t张三", "张三\n", "张\u{0007}三", "a\u{200B}b", "\u{00A0}x",
        "x\u{7F}", "\u{E000}", "\u{FEFF}张三", "\u{2028}", "한국", "\u{1100}\u{1161}",
    ]

    @Test(arguments: samples)
    func personNamesMatchNameRules(name: String) {
        let expected = try? NameRules.normalizedPersonName(name)
        Array(name.utf8).withUnsafeBufferPointer { bytes in
            #expect(RegistryNames.personName(bytes) == expected)
            #expect(RegistryNames.trimmedPersonName(bytes) == expected.map { _ in name.trimmingCharacters(in: .whitespacesAndNewlines) })
        }
    }

    @Test(arguments: samples)
    func organizationNamesMatchNameRules(name: String) {
        let accepted = (try? NameRules.normalizedOrganizationName(name)) != nil
        Array(name.utf8).withUnsafeBufferPointer { bytes in
            #expect(RegistryNames.trimmedOrganizationName(bytes) == (accepted ? name.trimmingCharacters(in: .whitespacesAndNewlines) : nil))
        }
    }

    @Test func randomMixturesMatchNameRules() {
        var random = SeededGenerator(seed: 11643)
        let pieces: [String] = ["张", "三", " ", "a", "Z", "·", "•", "\u{9FA5}", "\u{9FA6}", "e\u{0301}", "（", "\t", "\u{3000}", "-", "𠀀"]
        for _ in 0..<5_000 {
            let name = (0..<Int.random(in: 0...70, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            let person = try? NameRules.normalizedPersonName(name)
            let organization = (try? NameRules.normalizedOrganizationName(name)) != nil
            let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
            Array(name.utf8).withUnsafeBufferPointer { bytes in
                #expect(RegistryNames.personName(bytes) == person, "\(name.unicodeScalars.map { String($0.value, radix: 16) })")
                #expect(RegistryNames.trimmedOrganizationName(bytes) == (organization ? trimmed : nil))
            }
        }
    }
}
