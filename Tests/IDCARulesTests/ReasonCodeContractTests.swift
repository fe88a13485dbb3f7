import IDCARules
import Testing

/// Reason codes are a public contract: API responses, audit entries and statistics use these exact
/// strings in this order of precedence. A change here is a breaking change for every consumer.
@Suite("Reason codes are frozen")
struct ReasonCodeContractTests {
    @Test func residentIDReasons() {
        #expect(ResidentIDNumber.Violation.allCases.map(\.rawValue) == [
            "empty", "whitespace", "non_ascii", "separator", "legacy_15", "length", "format",
            "lowercase_x", "checksum", "birth_date", "birth_date_future", "birth_date_too_early",
            "region_unknown",
        ])
    }

    @Test func organizationCodeReasons() {
        #expect(OrganizationCode.Violation.allCases.map(\.rawValue) == [
            "empty", "whitespace", "non_ascii", "separator", "length", "lowercase", "format",
            "check_char_format", "checksum", "reserved_custom_range",
        ])
    }

    @Test func creditCodeReasons() {
        #expect(CreditCode.Violation.allCases.map(\.rawValue) == [
            "empty", "whitespace", "non_ascii", "separator", "length", "lowercase", "format",
            "registration_authority", "division_format", "checksum", "org_code_checksum",
            "division_unknown",
        ])
    }

    @Test func everyReasonHasAnApplicantMessage() {
        let messages = ResidentIDNumber.Violation.allCases.map(\.message)
            + OrganizationCode.Violation.allCases.map(\.message)
            + CreditCode.Violation.allCases.map(\.message)
        for message in messages {
            #expect(message.count > 10)
            #expect(message.hasSuffix("."))
        }
    }
}
