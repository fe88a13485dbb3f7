import IDCACore
import Synchronization

/// The token-signing keys of a running instance, following the schedule the key register records
/// (Docs/KEY-ROTATION.md): which key signs now, which public keys are published and trusted.
///
/// The schedule and the private keys this node holds are replaced by `update` (the refresher in
/// `idca serve` re-reads them every few seconds); everything else is derived from them and the
/// injected clock, so the switch from one key to the next happens at the scheduled second on every
/// instance, however long ago the schedule was read. Readers get immutable snapshots: an issuer
/// taken once signs with one key, and names that key, whatever happens meanwhile.
public final class SigningKeyRing: Sendable {
    /// What this node can do with its keys at some instant.
    public enum Status: Sendable, Hashable {
        /// Signs with the key the schedule says signs now.
        case onSchedule(keyID: String)
        /// The scheduled key's private half is missing here, so it signs with a retired key, which
        /// is allowed only while every token it signs expires before that key leaves the JWKS
        /// (`until`: the last second it may).
        case behindSchedule(signingWith: String, until: Int64)
        /// No key this node holds may sign now: applications are refused with 503 (fail closed).
        case unableToSign
    }

    /// One instant's view of the published keys: immutable, so every use of it agrees with itself.
    public struct Snapshot: Sendable {
        /// The second it describes.
        public let time: Int64
        /// The published keys: signing ones first (newest first), then the next, then the retired ones.
        public let published: [TokenVerificationKey]
        /// `published` as the JWKS document.
        public let jwks: String
        /// Recorded keys whose public key is unreadable or does not match its id: never published.
        public let damaged: [String]
        let keysByID: [[UInt8]: TokenVerificationKey]
    }

    /// What this node signs with at one instant, for tokens of one lifetime.
    public struct Signing: Sendable {
        /// The second it describes.
        public let time: Int64
        /// The issuer to sign with now; nil when `status` is `unableToSign`.
        public let issuer: TokenIssuer?
        public let status: Status
        /// Keys whose private half this node lacks although they are next, or sign now while this
        /// node cannot: the operator must copy them here (before their activation).
        public let missing: [ScheduledKey]
    }

    private struct Held: Sendable {
        var schedule: [ScheduledKey]
        var publicKeys: [String: TokenVerificationKey]
        var privateKeys: [String: TokenSigningKey]
        var snapshot: Snapshot?
        var signing: (lifetime: Int64, value: Signing)?
    }

    private let held: Mutex<Held>
    private let clock: any IDCACore.Clock
    /// The verifier's clock leeway on `exp` and `nbf`.
    public let leeway: Int64

    /// A ring holding `schedule` and the private keys this node has.
    public init(schedule: [ScheduledKey], privateKeys: [TokenSigningKey], clock: any IDCACore.Clock,
                leeway: Int64 = TokenVerifier.defaultLeewaySeconds) {
        self.clock = clock
        self.leeway = leeway
        self.held = Mutex(Held(schedule: [], publicKeys: [:], privateKeys: [:]))
        update(schedule: schedule, privateKeys: privateKeys)
    }

    /// Replaces the schedule and the private keys (the refresher's reading of the register and the
    /// key directory). Takes effect at once.
    public func update(schedule: [ScheduledKey], privateKeys: [TokenSigningKey]) {
        var publicKeys: [String: TokenVerificationKey] = [:]
        for key in schedule {
            if let parsed = try? TokenVerificationKey(pemRepresentation: key.publicKey), parsed.keyID == key.keyID {
                publicKeys[key.keyID] = parsed
            }
        }
        var privates: [String: TokenSigningKey] = [:]
        for key in privateKeys { privates[key.keyID] = key }
        held.withLock { $0 = Held(schedule: schedule, publicKeys: publicKeys, privateKeys: privates) }
    }

    /// The schedule as last read.
    public var schedule: [ScheduledKey] { held.withLock { $0.schedule } }

    /// The ids of the private keys this node holds.
    public var heldKeyIDs: Set<String> { held.withLock { Set($0.privateKeys.keys) } }

    /// The published keys now (the ring's clock). Computed at most once per second, then shared.
    public func snapshot() -> Snapshot {
        let time = clock.now()
        return held.withLock { held in
            if let snapshot = held.snapshot, snapshot.time == time { return snapshot }
            let snapshot = Self.published(held, at: time)
            held.snapshot = snapshot
            return snapshot
        }
    }

    /// The JWKS document of the keys published now.
    public var jwks: String { snapshot().jwks }

    /// What this node signs tokens living `tokenLifetime` seconds with now.
    public func signing(tokenLifetime: Int64) -> Signing {
        let time = clock.now()
        return held.withLock { held in
            if let cached = held.signing, cached.lifetime == tokenLifetime, cached.value.time == time { return cached.value }
            let signing = Self.signing(held, at: time, lifetime: tokenLifetime, leeway: leeway)
            held.signing = (tokenLifetime, signing)
            return signing
        }
    }

    /// The issuer to sign tokens living `tokenLifetime` seconds with now, as one immutable value:
    /// take it once per token, so that the planned audit entry, the signature and the record name
    /// the same key. Throws `signing_key_unavailable` (503) when no key held here may sign now.
    public func currentIssuer(tokenLifetime: Int64) throws(IDCAError) -> TokenIssuer {
        let signing = signing(tokenLifetime: tokenLifetime)
        guard let issuer = signing.issuer else {
            throw IDCAError(.unavailable, code: "signing_key_unavailable",
                            message: "The CA cannot sign tokens on this server right now; try again shortly.",
                            detail: "no token-signing key held here may sign at \(signing.time); missing \(signing.missing.map(\.keyID))")
        }
        return issuer
    }

    /// Keys newest first: by activation, then by recording.
    private static func newestFirst(_ held: Held) -> [ScheduledKey] {
        held.schedule.filter { held.publicKeys[$0.keyID] != nil }
            .sorted { ($0.activatesAt, $0.createdAt, $0.keyID) > ($1.activatesAt, $1.createdAt, $1.keyID) }
    }

    private static func published(_ held: Held, at time: Int64) -> Snapshot {
        let byNewest = newestFirst(held)
        var published: [TokenVerificationKey] = []
        // The same order on every instance (it depends on the schedule only), so that caches
        // behind a load balancer see one document.
        for state in [ScheduledKey.State.signing, .next, .retired] {
            for key in byNewest where key.state(at: time) == state {
                published.append(held.publicKeys[key.keyID]!)
            }
        }
        var keysByID: [[UInt8]: TokenVerificationKey] = [:]
        for key in published { keysByID[Array(key.keyID.utf8)] = key }
        let damaged = held.schedule.filter { held.publicKeys[$0.keyID] == nil && !$0.isRevoked }.map(\.keyID)
        return Snapshot(time: time, published: published, jwks: JWKS.document(published), damaged: damaged, keysByID: keysByID)
    }

    private static func signing(_ held: Held, at time: Int64, lifetime: Int64, leeway: Int64) -> Signing {
        let byNewest = newestFirst(held)
        // The newest key this node holds that may sign now; a retired one only while its tokens
        // expire before it leaves the JWKS.
        let signer = byNewest.first { held.privateKeys[$0.keyID] != nil && $0.canSign(at: time, lifetime: lifetime, leeway: leeway) }
        let status: Status
        switch signer {
        case nil: status = .unableToSign
        case let key? where key.state(at: time) == .retired:
            status = .behindSchedule(signingWith: key.keyID, until: key.dropsAt.map { $0 - lifetime - leeway - 1 } ?? time)
        case let key?: status = .onSchedule(keyID: key.keyID)
        }
        let missing = byNewest.filter { key in
            guard held.privateKeys[key.keyID] == nil else { return false }
            switch (key.state(at: time), status) {
            case (.next, _): return true
            case (.signing, .behindSchedule), (.signing, .unableToSign): return true
            default: return false
            }
        }
        return Signing(time: time, issuer: signer.map { TokenIssuer(signingKey: held.privateKeys[$0.keyID]!) }, status: status,
                       missing: missing)
    }
}
