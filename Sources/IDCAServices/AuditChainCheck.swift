import IDCAAudit
import IDCACore

/// The full audit-chain check as the auditor dashboard runs it: the audit service and the public
/// verification key, bound together so that the HTTP layer holds a service, never a key.
public struct AuditChainCheck: Sendable {
    /// What a check found, in words the dashboard can show.
    public struct Result: Sendable, Hashable {
        public var entries: Int64
        public var checkpoints: Int
        public var headSequence: Int64
        public var isIntact: Bool
        /// The first break (`entry 17: hash mismatch`), when there is one.
        public var firstBreak: String?
        /// When the check finished (seconds since the epoch).
        public var checkedAt: Int64
    }

    let audit: AuditService
    let key: AuditVerificationKey

    public init(audit: AuditService, key: AuditVerificationKey) {
        self.audit = audit
        self.key = key
    }

    /// Walks the whole chain (`AuditService.verify`): linear in the log's length, so the dashboard
    /// runs it on request, not on every page load.
    public func run() async throws -> Result {
        let report = try await audit.verify(key: key)
        return Result(entries: report.entries, checkpoints: report.checkpoints, headSequence: report.head.sequence,
                      isIntact: report.isIntact, firstBreak: report.firstBreak?.description, checkedAt: audit.clock.now())
    }
}

extension AuditorService {
    /// The service's clock, for browser sessions that must expire on the same time as everything else.
    public var sessionClock: any IDCACore.Clock { clock }
    /// The service's random source, for session ids and CSRF tokens.
    public var sessionRandom: any RandomSource { random }
}
