import IDCACore
import IDCARules

/// The applicant page's live check: each field an applicant has typed, run through the same
/// identity and name rules as `apply`, one field at a time, so that the page can point at the
/// exact problem while the applicant types. Nothing is looked up and nothing is recorded: this is
/// the screening step only, never the registry.
public enum FormCheck {
    /// What the page tidies before sending, and nothing more: surrounding blanks go, and a final
    /// lower-case `x` of an identity number becomes `X`. The page's script does exactly this (the
    /// browser test sends a value that needs both and compares); idca itself still never repairs
    /// what an application submits.
    public enum Tidying {
        /// The characters JavaScript's `String.prototype.trim` removes (ECMA-262 WhiteSpace and
        /// LineTerminator), so that the page and the server tidy alike: U+0085 is not among
        /// them, U+FEFF is.
        static func isTrimmed(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar.value {
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0xFEFF, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
                true
            default:
                false
            }
        }

        /// `text` without surrounding blanks.
        public static func trimmed(_ text: String) -> String {
            var scalars = Substring(text).unicodeScalars[...]
            while let first = scalars.first, isTrimmed(first) { scalars.removeFirst() }
            while let last = scalars.last, isTrimmed(last) { scalars.removeLast() }
            return String(String.UnicodeScalarView(scalars))
        }

        /// The value of `field` as the page sends it.
        public static func tidied(_ text: String, field: ApplicationField) -> String {
            let trimmed = trimmed(text)
            guard field.isIdentityNumber, trimmed.hasSuffix("x") else { return trimmed }
            return String(trimmed.dropLast()) + "X"
        }
    }

    /// One field's verdict: the value after tidying, and the rejection `apply` would give for it.
    public struct Verdict: Sendable, Hashable {
        public var field: ApplicationField
        public var tidied: String
        public var rejection: Rejection?
    }

    /// Checks every given field, in `ApplicationField` order. The values are tidied first, as the
    /// page will send them. When both organization codes pass but disagree, the organization code
    /// carries the mismatch, as in `ApplicationScreening`.
    public static func check(_ fields: [ApplicationField: String], context: ValidationContext) -> [Verdict] {
        var verdicts: [Verdict] = []
        var creditCode: CreditCode?
        var organizationCode: OrganizationCode?
        for field in ApplicationField.allCases {
            guard let raw = fields[field] else { continue }
            let value = Tidying.tidied(raw, field: field)
            var rejection: Rejection?
            switch field {
            case .code:
                // The possession code is checked only by the confirmation itself.
                continue
            case .name, .legalRepresentative, .operatorName:
                if (try? NameRules.normalizedPersonName(value)) == nil { rejection = Rejection(.nameInvalid, field: field) }
            case .organizationName:
                if (try? NameRules.normalizedOrganizationName(value)) == nil { rejection = Rejection(.nameInvalid, field: field) }
            case .residentID, .operatorResidentID:
                do { _ = try ResidentIDNumber(validating: value, context: context) } catch { rejection = Rejection(error, field: field) }
            case .creditCode:
                do { creditCode = try CreditCode(validating: value, context: context) } catch { rejection = Rejection(error, field: field) }
            case .organizationCode:
                do { organizationCode = try OrganizationCode(validating: value, context: context) } catch {
                    rejection = Rejection(error, field: field)
                }
            }
            verdicts.append(Verdict(field: field, tidied: value, rejection: rejection))
        }
        if let credit = creditCode, let organization = organizationCode, credit.organizationCode.canonical != organization.canonical,
           let index = verdicts.firstIndex(where: { $0.field == .organizationCode }) {
            verdicts[index].rejection = Rejection(.organizationCodeMismatch, field: .organizationCode)
        }
        return verdicts
    }
}

extension ApplicationField {
    /// Whether the field holds an identity number (whose final `x` the page upper-cases).
    public var isIdentityNumber: Bool {
        switch self {
        case .residentID, .operatorResidentID, .creditCode, .organizationCode: true
        case .name, .organizationName, .legalRepresentative, .operatorName, .code: false
        }
    }
}

extension CertificationService {
    /// `FormCheck.check` with today's date in Asia/Shanghai and the service's division table, as
    /// `apply` would screen the same values now.
    public func check(_ fields: [ApplicationField: String]) -> [FormCheck.Verdict] {
        FormCheck.check(fields, context: ValidationContext(
            today: CivilDate(shanghaiDayOf: dependencies.clock.now()), regions: dependencies.regions))
    }

    /// Whether the CA's public URL is https, so that browser cookies must be `Secure`.
    public var isPubliclyHTTPS: Bool { settings.issuerURL.hasPrefix("https://") }
}
