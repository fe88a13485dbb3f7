import Foundation

/// Why a personal or organization name cannot be used.
public enum NameViolation: Error, Sendable, Hashable {
    case empty
    case tooLong
    case controlCharacter
}

/// Name rules shared by applicants, legal representatives and operators.
public enum NameRules {
    /// The longest accepted name, in characters, after normalization.
    public static let maximumLength = 64

    /// The middle-dot variants people type in minority and foreign names (艾力·买买提): MIDDLE DOT,
    /// BULLET, HYPHENATION POINT, KATAKANA MIDDLE DOT and its half-width form. All become U+00B7,
    /// the form the resident registry uses.
    static let middleDots: Set<Character> = ["\u{00B7}", "\u{2022}", "\u{2027}", "\u{30FB}", "\u{FF65}"]

    /// A person's name as the registry compares it: Unicode NFC, surrounding whitespace trimmed,
    /// middle-dot variants unified. Throws if the result is empty, longer than 64 characters, or
    /// contains a control or format character.
    public static func normalizedPersonName(_ raw: String) throws(NameViolation) -> String {
        let trimmed = raw.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespacesAndNewlines)
        let unified = String(trimmed.map { middleDots.contains($0) ? "\u{00B7}" : $0 })
        try check(unified)
        return unified
    }

    /// An organization name as compared with the registry: Unicode NFKC (full-width letters,
    /// digits and parentheses become their ASCII forms), then every whitespace character removed,
    /// so "北京某某（科技）有限公司" and "北京某某 (科技) 有限公司" compare equal.
    public static func normalizedOrganizationName(_ raw: String) throws(NameViolation) -> String {
        let compatible = raw.precomposedStringWithCompatibilityMapping
        // NFKC once more after the whitespace is gone: a space may have stood between a letter and its
        // combining mark (or come from NFKC itself: U+00B4 becomes a space and U+0301), and the two
        // compose only now. Without it the result depends on where whitespace was (found by fuzzing).
        let compact = String(String.UnicodeScalarView(compatible.unicodeScalars.filter { !$0.properties.isWhitespace }))
            .precomposedStringWithCompatibilityMapping
        try check(compact)
        return compact
    }

    private static func check(_ name: String) throws(NameViolation) {
        guard !name.isEmpty else { throw .empty }
        guard name.count <= maximumLength else { throw .tooLong }
        for scalar in name.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned, .privateUse:
                throw .controlCharacter
            default:
                continue
            }
        }
    }
}
