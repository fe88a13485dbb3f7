import Foundation
import IDCACore

/// `NameRules` applied to a field's bytes, with a shortcut for the names a registry mostly holds.
///
/// `NameRules` goes through Foundation's Unicode normalization, about a microsecond a name: a
/// second per million rows. Nearly every registry name is made only of characters that
/// normalization, trimming and middle-dot unification leave alone — printable ASCII, U+00B7 and the
/// CJK ideographs U+4E00–U+9FA5 (all assigned since Unicode 1.1, canonical class 0, no
/// decompositions, no compositions with each other, one grapheme each) — and for those the rules'
/// results follow from the bytes: the normalized form is the text without surrounding spaces (the
/// only whitespace in that set is U+0020), and the length in characters is the number of scalars.
/// Everything else goes to `NameRules` itself. `RegistryNamesTests` checks both paths agree.
enum RegistryNames {
    /// What the shortcut learned about a name made only of shortcut characters.
    struct Scan {
        /// The byte range without surrounding spaces.
        var trimmedStart: Int
        var trimmedEnd: Int
        /// Scalars in the trimmed range.
        var scalars: Int
        /// Scalars other than U+0020 in the whole text.
        var nonSpaceScalars: Int
    }

    /// Scans `bytes`, or returns `nil` if they hold anything outside the shortcut's set.
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> Scan? {
        var index = 0
        var scalars = 0
        var spaces = 0
        var firstNonSpace = -1
        var lastNonSpaceEnd = 0
        var scalarsAtLastNonSpace = 0
        var scalarsBeforeFirstNonSpace = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            var width = 1
            if lead == 0x20 {
                spaces += 1
                scalars += 1
                index += 1
                continue
            } else if lead > 0x20 && lead < 0x7F {
                width = 1
            } else if lead == 0xC2 {
                guard index + 1 < count, bytes[index + 1] == 0xB7 else { return nil }
                width = 2
            } else if lead >= 0xE4 && lead <= 0xE9 {
                guard index + 2 < count else { return nil }
                let second = bytes[index + 1], third = bytes[index + 2]
                guard second & 0xC0 == 0x80, third & 0xC0 == 0x80 else { return nil }
                let scalar = (UInt32(lead & 0x0F) << 12) | (UInt32(second & 0x3F) << 6) | UInt32(third & 0x3F)
                guard scalar >= 0x4E00 && scalar <= 0x9FA5 else { return nil }
                width = 3
            } else {
                return nil
            }
            if firstNonSpace < 0 {
                firstNonSpace = index
                scalarsBeforeFirstNonSpace = scalars
            }
            scalars += 1
            index += width
            lastNonSpaceEnd = index
            scalarsAtLastNonSpace = scalars
        }
        if firstNonSpace < 0 { return Scan(trimmedStart: 0, trimmedEnd: 0, scalars: 0, nonSpaceScalars: 0) }
        return Scan(trimmedStart: firstNonSpace, trimmedEnd: lastNonSpaceEnd,
                    scalars: scalarsAtLastNonSpace - scalarsBeforeFirstNonSpace, nonSpaceScalars: scalars - spaces)
    }

    /// `NameRules.normalizedPersonName` of the field, or `nil` where it throws.
    static func personName(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        if let scan = scan(bytes) {
            guard scan.scalars >= 1 && scan.scalars <= NameRules.maximumLength else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[scan.trimmedStart..<scan.trimmedEnd]), as: UTF8.self)
        }
        return try? NameRules.normalizedPersonName(String(decoding: bytes, as: UTF8.self))
    }

    /// The field without surrounding whitespace if `NameRules.normalizedPersonName` accepts it.
    static func trimmedPersonName(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        if let scan = scan(bytes) {
            guard scan.scalars >= 1 && scan.scalars <= NameRules.maximumLength else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[scan.trimmedStart..<scan.trimmedEnd]), as: UTF8.self)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard (try? NameRules.normalizedPersonName(text)) != nil else { return nil }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The field without surrounding whitespace if `NameRules.normalizedOrganizationName` accepts it.
    static func trimmedOrganizationName(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        if let scan = scan(bytes) {
            guard scan.nonSpaceScalars >= 1 && scan.nonSpaceScalars <= NameRules.maximumLength else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[scan.trimmedStart..<scan.trimmedEnd]), as: UTF8.self)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard (try? NameRules.normalizedOrganizationName(text)) != nil else { return nil }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
