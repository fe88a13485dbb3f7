import IDCACore
import Synchronization

/// The anti-enumeration budgets (Docs/LIFECYCLE.md): how many failed registry matches one resident
/// ID or one organization may collect before it is locked, and how fast one client address may
/// apply. Over budget is `429` with `Retry-After`, audited; nothing is looked up in the registry.
public struct Budgets: Sendable {
    public struct Settings: Sendable {
        /// Failed matches of one resident ID within `window` that lock it for `lock` seconds.
        public var residentFailures: Int
        /// The same for one organization (its code, whichever of its codes was given).
        public var organizationFailures: Int
        public var window: Int64
        public var lock: Int64
        /// Applications one address may send at once (the bucket's size)…
        public var addressBurst: Int
        /// …and per minute after that (its refill rate).
        public var addressPerMinute: Int

        public init(residentFailures: Int = 5, organizationFailures: Int = 10, window: Int64 = 86_400, lock: Int64 = 86_400,
                    addressBurst: Int = 30, addressPerMinute: Int = 10) {
            self.residentFailures = residentFailures
            self.organizationFailures = organizationFailures
            self.window = window
            self.lock = lock
            self.addressBurst = addressBurst
            self.addressPerMinute = addressPerMinute
        }
    }

    /// What counts as a failed match: the registry said no, or the possession check was failed.
    static let residentFailureReasons = [
        DecisionReason.registryNotFound, .registryNameMismatch, .identityInactive, .possessionAttemptsExhausted,
    ].map(\.rawValue)
    static let organizationFailureReasons = [
        DecisionReason.organizationNotFound, .organizationNameMismatch, .organizationInactive, .legalRepresentativeMismatch,
        .organizationCodeMismatch, .registryNotFound, .registryNameMismatch, .identityInactive, .possessionAttemptsExhausted,
    ].map(\.rawValue)

    /// The largest failure limit: the lock reads at most this many failures.
    public static let maximumFailureLimit: Int64 = 100

    let history: any ApplicationHistory
    let settings: Settings
    let addresses: AddressBuckets

    public init(history: any ApplicationHistory, settings: Settings = Settings(),
                monotonic: @escaping @Sendable () -> Duration = { ContinuousClock.now - AddressBuckets.origin }) {
        self.history = history
        self.settings = settings
        addresses = AddressBuckets(burst: settings.addressBurst, perMinute: settings.addressPerMinute, now: monotonic)
    }

    /// When the lock of a subject ends, if it is locked at `now`: a lock starts at the failure that
    /// makes `threshold` failures within `window`, and lasts `lock` seconds from there.
    static func lockedUntil(failures newestFirst: [Int64], threshold: Int, window: Int64, lock: Int64, now: Int64) -> Int64? {
        guard threshold > 0, newestFirst.count >= threshold else { return nil }
        var until: Int64?
        for index in 0...(newestFirst.count - threshold) where newestFirst[index] - newestFirst[index + threshold - 1] < window {
            until = max(until ?? 0, newestFirst[index] + lock)
        }
        return until.flatMap { $0 > now ? $0 : nil }
    }

    /// The end of `reference`'s lock, if it is locked now.
    func lockedUntil(_ reference: String, type: SubjectType, now: Int64) async throws -> Int64? {
        let (threshold, reasons) = type == .individual
            ? (settings.residentFailures, Self.residentFailureReasons) : (settings.organizationFailures, Self.organizationFailureReasons)
        let failures = try await history.failureTimes(subjectReference: reference, reasons: reasons, since: now - settings.window - settings.lock,
                                                      limit: Int(Self.maximumFailureLimit))
        return Self.lockedUntil(failures: failures, threshold: threshold, window: settings.window, lock: settings.lock, now: now)
    }
}

/// One token bucket per client address, on monotonic time (a wall-clock jump neither empties nor
/// refills them). Bounded: when full, buckets that have refilled completely are forgotten first,
/// since forgetting them changes nothing.
public final class AddressBuckets: Sendable {
    /// The zero of the default monotonic clock.
    public static let origin = ContinuousClock.now

    struct Bucket {
        var tokens: Double
        var updated: Duration
        /// Whether the refusal episode now running was already audited.
        var refusing: Bool
    }

    /// What `take` decided.
    public enum Outcome: Equatable, Sendable {
        case allowed
        /// Refused: retry after this many seconds; `first` is the first refusal since the bucket ran dry.
        case refused(retryAfter: Int64, first: Bool)
    }

    static let capacity = 100_000
    let burst: Double
    let perSecond: Double
    let now: @Sendable () -> Duration
    private let buckets = Mutex<[String: Bucket]>([:])

    init(burst: Int, perMinute: Int, now: @escaping @Sendable () -> Duration) {
        self.burst = Double(max(1, burst))
        self.perSecond = Double(max(1, perMinute)) / 60
        self.now = now
    }

    public func take(_ address: String) -> Outcome {
        let time = now()
        return buckets.withLock { buckets in
            if buckets.count >= Self.capacity, buckets[address] == nil {
                buckets = buckets.filter { refilled($0.value, at: time) < burst }
                if buckets.count >= Self.capacity { buckets.removeAll() }
            }
            var bucket = buckets[address] ?? Bucket(tokens: burst, updated: time, refusing: false)
            bucket.tokens = refilled(bucket, at: time)
            bucket.updated = time
            defer { buckets[address] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                bucket.refusing = false
                return .allowed
            }
            let first = !bucket.refusing
            bucket.refusing = true
            return .refused(retryAfter: Int64(((1 - bucket.tokens) / perSecond).rounded(.up)), first: first)
        }
    }

    private func refilled(_ bucket: Bucket, at time: Duration) -> Double {
        let elapsed = Double((time - bucket.updated).components.seconds) + Double((time - bucket.updated).components.attoseconds) / 1e18
        return min(burst, bucket.tokens + max(0, elapsed) * perSecond)
    }
}
