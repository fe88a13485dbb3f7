import IDCARules

/// The application-level reason codes, beyond the identity-rule codes of `IDCARules`.
///
/// Raw values are a frozen public contract (Docs/ERRORS.md). Some are *internal*: recorded for
/// auditors and statistics, never shown to applicants, who see one uniform public code instead
/// so that the API cannot be used to learn who is in the registry.
public enum DecisionReason: String, Sendable, Hashable, CaseIterable {
    case nameInvalid = "name_invalid"
    /// Public answer for any individual registry failure.
    case registryMismatch = "registry_mismatch"
    /// Internal: no resident with this number.
    case registryNotFound = "registry_not_found"
    /// Internal: the resident exists but the name differs.
    case registryNameMismatch = "registry_name_mismatch"
    /// Internal: the resident is deceased or the number cancelled.
    case identityInactive = "identity_inactive"
    case organizationNotFound = "organization_not_found"
    case organizationNameMismatch = "organization_name_mismatch"
    case organizationInactive = "organization_inactive"
    case legalRepresentativeMismatch = "legal_representative_mismatch"
    case organizationCodeMismatch = "organization_code_mismatch"
    /// Public answer when the operator of an organization application fails the registry checks.
    case operatorRejected = "operator_rejected"
    /// The code entered is not the one sent (attempts remain: the application is still pending).
    case possessionCodeWrong = "possession_code_wrong"
    /// The code was entered after its five minutes.
    case possessionCodeExpired = "possession_code_expired"
    /// Five wrong codes.
    case possessionAttemptsExhausted = "possession_attempts_exhausted"
    /// No phone is on file and this CA approves only with a possession check.
    case possessionUnavailable = "possession_unavailable"
    /// The code could not be delivered (the SMS gateway failed); the applicant may apply again.
    case possessionUndelivered = "possession_undelivered"

    /// Plain-language explanation for the applicant (English).
    public var message: String {
        switch self {
        case .nameInvalid: "The name is empty, longer than 64 characters, or contains control characters."
        case .registryMismatch, .registryNotFound, .registryNameMismatch, .identityInactive:
            "The name and resident ID number do not match an active entry in the resident registry. Check both; if they are right, the registry's data may be out of date — contact your household registration office."
        case .organizationNotFound: "No organization with this code is in the registry. Check the code; newly registered organizations may take time to appear."
        case .organizationNameMismatch: "The organization name does not match the registry. Enter the full registered name."
        case .organizationInactive: "The organization's registration has been revoked or cancelled."
        case .legalRepresentativeMismatch: "The legal representative does not match the registry."
        case .organizationCodeMismatch: "The credit code's embedded organization code (characters 9–17) differs from the organization code given."
        case .operatorRejected: "The operator's name and resident ID number do not match an active entry in the resident registry."
        case .possessionCodeWrong: "That is not the code we sent. Check the text message and enter the 6 digits again."
        case .possessionCodeExpired: "The code has expired (codes are valid for 5 minutes). Apply again to receive a new one."
        case .possessionAttemptsExhausted: "Too many wrong codes. Apply again to receive a new one."
        case .possessionUnavailable:
            "The registry holds no phone number for this person, and this CA certifies only after confirming one. Ask your household registration office to record your phone number."
        case .possessionUndelivered: "The code could not be sent to the phone number on file. Try again in a minute."
        }
    }
}

/// Why an application was refused: the public reason the applicant sees, and the exact internal
/// reason auditors see.
public struct Rejection: Sendable, Hashable, Error {
    /// The public code (an identity-rule code or a `DecisionReason`).
    public var reason: String
    /// The exact code recorded for audit and statistics; equals `reason` unless the public answer
    /// is deliberately uniform.
    public var internalReason: String
    public var field: ApplicationField?
    public var message: String

    public init(reason: String, internalReason: String? = nil, field: ApplicationField?, message: String) {
        self.reason = reason
        self.internalReason = internalReason ?? reason
        self.field = field
        self.message = message
    }

    public init(_ reason: DecisionReason, field: ApplicationField?) {
        self.init(reason: reason.rawValue, field: field, message: reason.message)
    }

    /// A uniform public answer that records the exact reason internally.
    public init(public publicReason: DecisionReason, internal internalReason: DecisionReason, field: ApplicationField?) {
        self.init(reason: publicReason.rawValue, internalReason: internalReason.rawValue, field: field, message: publicReason.message)
    }

    /// An identity-rule violation of the given field.
    public init(_ violation: some IdentityViolation, field: ApplicationField) {
        self.init(reason: violation.rawValue, field: field, message: violation.message)
    }
}
