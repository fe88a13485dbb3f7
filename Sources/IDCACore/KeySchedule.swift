/// A token-signing key's schedule, as the key register records it (migration `0005_key_rotation`).
///
/// The dates are decided once, when the key is recorded (`idca keys rotate`), and every instance on
/// the database reads the same row: so instances switch keys at the same instant without talking to
/// each other, and `state(at:)` is a pure function of the row and the clock.
///
/// ```
/// published ──(pre-publication delay)──▶ activates ──(signing)──▶ retired ──(longest lifetime + leeway)──▶ drops
///    │ in the JWKS, not signing            │ signs new tokens       │ in the JWKS, verifies old tokens      │ gone: unknown_key
/// ```
public struct ScheduledKey: Sendable, Hashable {
    /// Where a key is in its schedule at some instant.
    public enum State: String, Sendable, CaseIterable {
        /// Recorded with a publication date still to come: not in the JWKS.
        case pending
        /// Published in the JWKS, not signing yet: sites that cache the JWKS learn it before first use.
        case next
        /// Signs new tokens (and is published).
        case signing
        /// Superseded: no longer signs, still published so that the tokens it signed keep verifying.
        case retired
        /// Dropped out of the JWKS: every token it signed has expired; its `kid` is unknown.
        case expired
        /// Revoked by the operator: neither published nor trusted, whatever its dates.
        case revoked

        /// Whether the key is in the JWKS and verifies tokens in this state.
        public var isPublished: Bool { self == .next || self == .signing || self == .retired }
    }

    /// The RFC 7638 thumbprint (`kid`).
    public var keyID: String
    /// The public key, SubjectPublicKeyInfo PEM.
    public var publicKey: String
    /// When the key was recorded.
    public var createdAt: Int64
    /// From when it is in the JWKS.
    public var publishedAt: Int64
    /// From when it signs: `publishedAt` + the pre-publication delay.
    public var activatesAt: Int64
    /// When it stops signing (its successor's `activatesAt`); nil while no successor is scheduled.
    public var retiredAt: Int64?
    /// When it leaves the JWKS: `retiredAt` + the longest token lifetime + the verifier's leeway.
    public var dropsAt: Int64?
    /// When the operator revoked it; nil unless revoked.
    public var revokedAt: Int64?
    /// Revoked (also true for a key revoked before revocations were dated).
    public var isRevoked: Bool

    /// A key with every date given.
    public init(keyID: String, publicKey: String, createdAt: Int64, publishedAt: Int64, activatesAt: Int64,
                retiredAt: Int64? = nil, dropsAt: Int64? = nil, revokedAt: Int64? = nil, isRevoked: Bool = false) {
        self.keyID = keyID
        self.publicKey = publicKey
        self.createdAt = createdAt
        self.publishedAt = publishedAt
        self.activatesAt = activatesAt
        self.retiredAt = retiredAt
        self.dropsAt = dropsAt
        self.revokedAt = revokedAt
        self.isRevoked = isRevoked || revokedAt != nil
    }

    /// The key's state at `now` (seconds since the epoch).
    public func state(at now: Int64) -> State {
        if isRevoked { return .revoked }
        if let dropsAt, now >= dropsAt { return .expired }
        if let retiredAt, now >= retiredAt { return .retired }
        if now >= activatesAt { return .signing }
        if now >= publishedAt { return .next }
        return .pending
    }

    /// The next instant after `now` at which `state(at:)` changes, if any.
    public func nextChange(after now: Int64) -> Int64? {
        guard !isRevoked else { return nil }
        return [publishedAt, activatesAt, retiredAt, dropsAt].compactMap { $0 }.filter { $0 > now }.min()
    }

    /// Whether a token signed now with this key, valid for `lifetime` seconds, keeps verifying
    /// (with `leeway` of clock difference) until it expires: the key must be signing (or retired), and
    /// the token's `exp` + leeway must fall before the key drops out of the JWKS. A node never signs
    /// with a key beyond that, so no token outlives its key's publication; with `lifetime` equal to
    /// the one the schedule was made for, a retired key never qualifies.
    public func canSign(at now: Int64, lifetime: Int64, leeway: Int64) -> Bool {
        let state = state(at: now)
        guard state == .signing || state == .retired else { return false }
        guard let dropsAt else { return true }
        return now + lifetime + leeway < dropsAt
    }
}

/// What recording a rotation did.
public enum RotationOutcome: Sendable, Hashable {
    /// The key is recorded; these keys (ids) retire when it activates.
    case scheduled(retiring: [String])
    /// Refused: this key is already published and waiting to sign (one rotation at a time).
    case alreadyPending(ScheduledKey)
}

/// The pre-publication and retirement rules, shared by the command that schedules a rotation and
/// the instances that follow it.
public enum KeyRotationPolicy {
    /// The longest `max-age` the JWKS is ever served with (seconds).
    public static let jwksMaxAge: Int64 = 300
    /// The shortest pre-publication delay `idca keys rotate` accepts: twice the JWKS `max-age`, so a
    /// site whose cached copy predates the new key refetches before the key's first token (with
    /// margin for the instances' refresh interval and clock skew).
    public static let minimumDelay: Int64 = 2 * jwksMaxAge
    /// The longest pre-publication delay accepted (30 days): anything longer is a typo.
    public static let maximumDelay: Int64 = 30 * 86_400
    /// The default pre-publication delay (24 hours): a day for every site's cache, and for the
    /// operator to copy the new key file to every node.
    public static let defaultDelay: Int64 = 86_400

    /// The `max-age` of the JWKS for instances whose rotations wait at least `minimumDelay`:
    /// at most half the shortest delay, so a cache is always refreshed well before a key it lacks signs.
    public static var cacheMaxAge: Int64 { min(jwksMaxAge, minimumDelay / 2) }

    /// When keys retired at `retiredAt` leave the JWKS: after the last token they signed has
    /// expired, for tokens living at most `longestLifetime`, and after the verifier's `leeway`.
    public static func dropTime(retiredAt: Int64, longestLifetime: Int64, leeway: Int64) -> Int64 {
        retiredAt + longestLifetime + leeway
    }
}
