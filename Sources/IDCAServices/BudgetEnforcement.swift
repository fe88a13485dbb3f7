import IDCACore

/// The budgets as `CertificationService` applies them: before any registry lookup, so that a spent
/// budget teaches nothing about the registry (Docs/LIFECYCLE.md).
extension CertificationService {
    /// Takes one application's worth from the address's bucket, or refuses with 429. The first
    /// refusal of each run is audited (an audit entry per refused request would let a flood fill the log).
    func spendAddressBudget(_ source: String?) async throws {
        guard let source else { return }
        guard case .refused(let retryAfter, let first) = dependencies.budgets.addresses.take(source) else { return }
        if first {
            let reference = dependencies.identityHasher.sourceReference(source)
            try await dependencies.auditLog.append([.budgetRefused(subject: "", reason: "rate_limited", until: dependencies.clock.now() + retryAfter,
                                                                   time: dependencies.clock.now(), details: [("source", reference)])])
        }
        throw IDCAError(.tooManyRequests, code: "rate_limited",
                        message: "Too many applications from this address; try again in \(retryAfter) seconds.", retryAfter: retryAfter)
    }

    /// Refuses with 429 while `reference` is locked for failed matches; audited, every time.
    func enforceLock(_ reference: String, type: SubjectType) async throws {
        let now = dependencies.clock.now()
        guard let until = try await dependencies.budgets.lockedUntil(reference, type: type, now: now) else { return }
        let code = type == .individual ? "identity_locked" : "organization_locked"
        try await dependencies.auditLog.append([.budgetRefused(subject: reference, reason: code, until: until, time: now)])
        throw IDCAError(
            .tooManyRequests, code: code,
            message: type == .individual
                ? "Too many failed attempts with this resident ID number. It can be used again after \(RFC3339.string(fromUnixSeconds: until))."
                : "Too many failed attempts for this organization. It can be used again after \(RFC3339.string(fromUnixSeconds: until)).",
            retryAfter: until - now)
    }
}

extension AuditEvent {
    /// An application refused because a budget was spent.
    static func budgetRefused(subject: String, reason: String, until: Int64, time: Int64, details: [(String, String)] = []) -> AuditEvent {
        AuditEvent(.budgetRefused, time: time, actor: .applicant, subject: subject, outcome: "refused", reason: reason,
                   details: [("until", String(until))] + details)
    }
}
