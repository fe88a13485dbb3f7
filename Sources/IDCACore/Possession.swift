/// The possession check (Docs/LIFECYCLE.md): knowing a name and a number is not being that person,
/// so when the registry holds a phone number for the resident (or the organization's operator),
/// approval waits for a one-time code sent to it.

/// An application whose registry check passed, waiting for its code. Holds what the decision and
/// the token will need, and the code only as a keyed hash.
public struct PossessionChallenge: Sendable, Hashable {
    public var applicationID: ApplicationID
    public var subjectType: SubjectType
    public var subjectReference: String
    public var regionCode: Int?
    public var site: SiteID?
    public var organizationName: String?
    public var operatorReference: String?
    public var sourceReference: String?
    public var codeHash: String
    /// The resident whose phone receives the code (keyed reference): the applicant, or the
    /// organization's operator.
    public var recipientReference: String
    /// The phone number masked for display (`*******5678`).
    public var destination: String
    public var createdAt: Int64
    public var expiresAt: Int64
    public var attemptsLeft: Int
    /// False once the application was decided (approved, or refused for its code).
    public var isPending: Bool

    public init(applicationID: ApplicationID, subjectType: SubjectType, subjectReference: String, regionCode: Int?, site: SiteID?,
                organizationName: String?, operatorReference: String?, sourceReference: String?, codeHash: String, recipientReference: String,
                destination: String,
                createdAt: Int64, expiresAt: Int64, attemptsLeft: Int, isPending: Bool = true) {
        self.applicationID = applicationID
        self.subjectType = subjectType
        self.subjectReference = subjectReference
        self.regionCode = regionCode
        self.site = site
        self.organizationName = organizationName
        self.operatorReference = operatorReference
        self.sourceReference = sourceReference
        self.codeHash = codeHash
        self.recipientReference = recipientReference
        self.destination = destination
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.attemptsLeft = attemptsLeft
        self.isPending = isPending
    }
}

/// Where pending challenges are kept; every change is atomic in the database, so that several
/// instances never grant more attempts than allowed.
public protocol PossessionLedger: Sendable {
    /// Stores a new challenge with `audit`, in one synced transaction.
    func open(_ challenge: PossessionChallenge, audit: [AuditEvent]) async throws
    func challenge(_ id: ApplicationID) async throws -> PossessionChallenge?
    /// Spends one attempt of a pending, unexpired challenge with attempts left — one conditional
    /// update — and returns it as it is after that; `nil` when no attempt could be spent (then
    /// `challenge(_:)` tells why).
    func spendAttempt(_ id: ApplicationID, at time: Int64) async throws -> PossessionChallenge?
    /// When codes were sent to `recipientReference`'s phone since `since`, newest first, at most `limit`.
    func codesSent(to recipientReference: String, since: Int64, limit: Int) async throws -> [Int64]
    /// Closes a pending challenge and records its application's decision (row, counters and
    /// `audit`) in one synced transaction; false, and nothing recorded, when it was no longer pending.
    func close(_ id: ApplicationID, decision: DecisionRecord, audit: [AuditEvent]) async throws -> Bool
}

/// A one-time code to deliver.
public struct PossessionMessage: Sendable, Hashable {
    /// The full phone number, which only the notifier sees.
    public var phone: String
    public var code: String
    public var applicationID: ApplicationID
    public var expiresAt: Int64

    public init(phone: String, code: String, applicationID: ApplicationID, expiresAt: Int64) {
        self.phone = phone
        self.code = code
        self.applicationID = applicationID
        self.expiresAt = expiresAt
    }

    /// The text the applicant receives.
    public var text: String {
        "【idca】您的实名认证验证码为 \(code)，5分钟内有效。请勿告诉他人。Your idca certification code is \(code); it expires in 5 minutes."
    }
}

/// Delivers one-time codes (an SMS gateway, or a development outbox). Throws when the message
/// could not be handed over; the applicant is then told to try again.
public protocol Notifier: Sendable {
    func send(_ message: PossessionMessage) async throws
}

/// How a phone number is shown back: the last four digits, enough for its owner to recognise it and
/// little for someone who merely knows the owner's name and number (the prefix would tell the carrier
/// and region).
public enum PhoneMask {
    public static func mask(_ phone: String) -> String {
        let digits = Array(phone)
        guard digits.count > 4 else { return String(repeating: "*", count: digits.count) }
        return String(repeating: "*", count: digits.count - 4) + String(digits.suffix(4))
    }
}
