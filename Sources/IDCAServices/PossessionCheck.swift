import IDCACore
import IDCATokens

/// The one-time-code step of an application (Docs/LIFECYCLE.md): what it needs and how it is tuned.
public struct PossessionCheck: Sendable {
    /// What happens to an applicant whose registry entry holds no phone number.
    public enum WithoutPhone: String, Sendable, CaseIterable {
        /// Approved at the lower assurance, `acr: "registry"`; sites see the difference.
        case approve
        /// Refused with `possession_unavailable`.
        case reject
    }

    public struct Settings: Sendable {
        public var codeLifetime: Int64
        public var attempts: Int
        public var withoutPhone: WithoutPhone
        /// Codes one phone receives in an hour at most: knowing a name and a number must not be
        /// enough to flood that person with text messages.
        public var codesPerHour: Int

        public init(codeLifetime: Int64 = 300, attempts: Int = 5, withoutPhone: WithoutPhone = .approve, codesPerHour: Int = 3) {
            self.codeLifetime = codeLifetime
            self.attempts = attempts
            self.withoutPhone = withoutPhone
            self.codesPerHour = codesPerHour
        }
    }

    /// The `acr` of a certification that passed the check, and of one that did not need to.
    public static let possessionAssurance = "registry+possession"
    public static let registryAssurance = "registry"

    let ledger: any PossessionLedger
    let notifier: any Notifier
    /// Opens the phone numbers the registry keeps sealed under the data key.
    let sealer: DataSealer
    let settings: Settings

    public init(ledger: any PossessionLedger, notifier: any Notifier, sealer: DataSealer, settings: Settings = Settings()) {
        self.ledger = ledger
        self.notifier = notifier
        self.sealer = sealer
        self.settings = settings
    }

    /// The phone number sealed for the resident `reference`, or `nil` when it cannot be opened
    /// (the caller fails closed: a damaged ciphertext never skips the check).
    func phone(_ sealed: [UInt8], residentReference reference: String) -> String? {
        guard let bytes = try? sealer.open(sealed, associatedData: Array(("phone:" + reference).utf8)) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Six uniformly random digits (rejection sampling: no digit is likelier than another).
    static func newCode(using random: any RandomSource) -> String {
        while true {
            let bytes = random.bytes(4)
            let value = bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            // 4_294_000_000 is the largest multiple of 1_000_000 below 2^32.
            if value < 4_294_000_000 {
                let number = String(value % 1_000_000)
                return String(repeating: "0", count: 6 - number.count) + number
            }
        }
    }

    /// Whether `code` is six ASCII digits (anything else is refused without spending an attempt).
    static func isWellFormed(_ code: String) -> Bool {
        code.utf8.count == 6 && code.utf8.allSatisfy { (0x30...0x39).contains($0) }
    }
}

/// Equality of two strings in time that depends on their length only.
func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
    let a = Array(lhs.utf8), b = Array(rhs.utf8)
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
}
