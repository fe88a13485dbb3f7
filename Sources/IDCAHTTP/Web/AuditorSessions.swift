import IDCACore
import IDCAServices

/// Signed-in auditors of the dashboard, kept in this process's memory.
///
/// A session id is 256 bits from the CSPRNG, sent only in an HttpOnly cookie; the auditor's API key
/// is checked once at sign-in and never kept. Each session has its own CSRF token for every
/// state-changing form. Sessions end on sign-out, after `idleLimit` without a request, after
/// `absoluteLimit` in all, and when the server restarts. Behind a load balancer with several idca
/// instances a session lives on one instance only, so the balancer needs sticky sessions
/// (Docs/WEB.md).
actor AuditorSessions {
    struct Session: Sendable {
        var auditorID: AuditorID
        var auditorName: String
        var csrfToken: String
        var createdAt: Int64
        var lastSeen: Int64
    }

    /// Seconds without a request after which a session ends.
    static let idleLimit: Int64 = 15 * 60
    /// Seconds after sign-in after which a session ends whatever happens.
    static let absoluteLimit: Int64 = 8 * 3600
    /// Above this many live sessions the oldest is dropped, so that sign-ins cannot exhaust memory.
    static let maximumSessions = 10_000

    private let clock: any IDCACore.Clock
    private let random: any RandomSource
    private var sessions: [String: Session] = [:]
    /// The last full audit-chain check, shared by every auditor: it describes the log, not a person.
    private(set) var lastChainCheck: AuditChainCheck.Result?

    init(clock: any IDCACore.Clock, random: any RandomSource) {
        self.clock = clock
        self.random = random
    }

    /// A fresh unguessable value (256 bits, base32).
    nonisolated func newSecret() -> String { Base32.encode(random.bytes(32)) }

    /// Opens a session for `auditor`; returns its id (the cookie value) and the session.
    func open(for auditor: Auditor) -> (id: String, session: Session) {
        removeExpired()
        if sessions.count >= Self.maximumSessions, let oldest = sessions.min(by: { $0.value.createdAt < $1.value.createdAt })?.key {
            sessions[oldest] = nil
        }
        let now = clock.now()
        let id = newSecret()
        let session = Session(auditorID: auditor.id, auditorName: auditor.name, csrfToken: newSecret(), createdAt: now, lastSeen: now)
        sessions[id] = session
        return (id, session)
    }

    /// The live session with this id, its idle time restarted; `nil` (and forgotten) when expired.
    func session(_ id: String) -> Session? {
        guard var session = sessions[id] else { return nil }
        let now = clock.now()
        guard now - session.lastSeen < Self.idleLimit, now - session.createdAt < Self.absoluteLimit else {
            sessions[id] = nil
            return nil
        }
        session.lastSeen = now
        sessions[id] = session
        return session
    }

    /// Ends a session (sign-out, or a revoked auditor).
    func close(_ id: String) {
        sessions[id] = nil
    }

    func record(_ check: AuditChainCheck.Result) {
        lastChainCheck = check
    }

    var count: Int { sessions.count }

    private func removeExpired() {
        let now = clock.now()
        sessions = sessions.filter { now - $0.value.lastSeen < Self.idleLimit && now - $0.value.createdAt < Self.absoluteLimit }
    }
}
