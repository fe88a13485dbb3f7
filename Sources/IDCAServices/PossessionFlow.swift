import IDCACore
import IDCATokens

/// The possession step of `CertificationService` (Docs/LIFECYCLE.md).
extension CertificationService {
    /// Opens a challenge for an application that passed the registry, durably, then sends its code.
    func challenge(_ decision: DecisionRecord, subjectReference: String, organizationName: String?,
                   phone: String, recipient: String) async throws -> ApplicationResult {
        let possession = dependencies.possession
        let sent = try await possession.ledger.codesSent(to: recipient, since: decision.decidedAt - 3599, limit: possession.settings.codesPerHour)
        if sent.count >= possession.settings.codesPerHour, let oldest = sent.last {
            let until = oldest + 3600
            try await dependencies.auditLog.append([.budgetRefused(subject: subjectReference, reason: "too_many_codes", until: until,
                                                                   time: decision.decidedAt)])
            throw IDCAError(.tooManyRequests, code: "too_many_codes",
                            message: "Too many codes were sent to this phone in the last hour. Try again after \(RFC3339.string(fromUnixSeconds: until)).",
                            retryAfter: until - decision.decidedAt)
        }
        let code = PossessionCheck.newCode(using: dependencies.random)
        let challenge = PossessionChallenge(
            applicationID: decision.applicationID, subjectType: decision.subjectType, subjectReference: subjectReference,
            regionCode: decision.regionCode, site: decision.site, organizationName: organizationName,
            operatorReference: decision.operatorReference, sourceReference: decision.sourceReference,
            codeHash: dependencies.identityHasher.possessionCodeHash(code, application: decision.applicationID), recipientReference: recipient,
            destination: PhoneMask.mask(phone), createdAt: decision.decidedAt,
            expiresAt: decision.decidedAt + possession.settings.codeLifetime, attemptsLeft: possession.settings.attempts)
        try await possession.ledger.open(challenge, audit: [.possessionChallenged(challenge)])
        do {
            try await possession.notifier.send(PossessionMessage(
                phone: phone, code: code, applicationID: challenge.applicationID, expiresAt: challenge.expiresAt))
        } catch {
            // Never a silent loss: the application is refused for it, on the record, and the
            // applicant is told to try again.
            var refused = decision
            refused.decidedAt = dependencies.clock.now()
            refused.rejection = Rejection(.possessionUndelivered, field: nil)
            _ = try await possession.ledger.close(challenge.applicationID, decision: refused, audit: [.decided(refused)])
            throw IDCAError(.unavailable, code: "possession_delivery_failed",
                            message: "The code could not be sent to the phone number on file. Try again in a minute.",
                            detail: "notifier: \(type(of: error))", retryAfter: 60)
        }
        return ApplicationResult(pending: challenge, rejection: nil)
    }

    /// Checks a code for a pending application. A right code approves it (and answers with the
    /// token); a wrong one answers `pending_possession` with the attempts left, until none are,
    /// which refuses it; an expired challenge refuses it. Throws 404 for an unknown application,
    /// 409 for one that is not waiting for a code, and 400 for something that is not six digits
    /// (which spends no attempt).
    public func confirm(_ id: ApplicationID, code: String, source: String? = nil) async throws -> ApplicationResult {
        try await spendAddressBudget(source)
        let possession = dependencies.possession
        guard let existing = try await possession.ledger.challenge(id) else {
            if try await dependencies.ledger.decision(id) != nil { throw Self.notPending }
            throw IDCAError(.notFound, code: "application_not_found", message: "No application has this id.")
        }
        guard existing.isPending else { throw Self.notPending }
        let now = dependencies.clock.now()
        guard PossessionCheck.isWellFormed(code) else {
            throw IDCAError(.badRequest, code: "invalid_code", message: "The code is the 6 digits in the text message.", field: "code")
        }
        guard let spent = try await possession.ledger.spendAttempt(id, at: now) else {
            // No attempt could be spent: expired, exhausted, or decided meanwhile.
            guard let current = try await possession.ledger.challenge(id), current.isPending else { throw Self.notPending }
            return try await refuse(current, reason: current.expiresAt <= now ? .possessionCodeExpired : .possessionAttemptsExhausted,
                                    at: now)
        }
        let expected = dependencies.identityHasher.possessionCodeHash(code, application: id)
        guard constantTimeEquals(expected, spent.codeHash) else {
            if spent.attemptsLeft == 0 { return try await refuse(spent, reason: .possessionAttemptsExhausted, at: now) }
            try await dependencies.auditLog.append([.possessionAnswered(spent, outcome: "wrong", time: now)])
            return ApplicationResult(pending: spent, rejection: Rejection(.possessionCodeWrong, field: .code))
        }
        // The registry may have changed while the code was on its way (an import marking the person
        // deceased or the number cancelled): the person who proves possession must still be active.
        let person = spent.subjectType == .individual ? spent.subjectReference : spent.operatorReference
        if let person, try await dependencies.registry.resident(residentIDHash: person)?.status != .active {
            let rejection = spent.subjectType == .individual
                ? Rejection(public: .registryMismatch, internal: .identityInactive, field: .residentID)
                : Rejection(public: .operatorRejected, internal: .identityInactive, field: .operatorResidentID)
            return try await refuse(spent, rejection: rejection, outcome: "inactive", at: now)
        }
        let decision = DecisionRecord(
            applicationID: id, subjectType: spent.subjectType, decidedAt: now, site: spent.site, rejection: nil,
            regionCode: spent.regionCode, subjectReference: spent.subjectReference, token: nil,
            operatorReference: spent.operatorReference, sourceReference: spent.sourceReference)
        return try await issue(decision, subjectReference: spent.subjectReference, organizationName: spent.organizationName,
                               assurance: PossessionCheck.possessionAssurance,
                               prefix: [.possessionAnswered(spent, outcome: "confirmed", time: now)]) { audit in
            guard try await possession.ledger.close(id, decision: decision, audit: audit) else { throw Self.notPending }
        }
    }

    /// Closes a challenge as refused for its code, recording the decision.
    func refuse(_ challenge: PossessionChallenge, reason: DecisionReason, at now: Int64) async throws -> ApplicationResult {
        try await refuse(challenge, rejection: Rejection(reason, field: .code),
                         outcome: reason == .possessionCodeExpired ? "expired" : "exhausted", at: now)
    }

    /// Closes a challenge as refused, recording the decision.
    private func refuse(_ challenge: PossessionChallenge, rejection: Rejection, outcome: String, at now: Int64) async throws -> ApplicationResult {
        let decision = DecisionRecord(
            applicationID: challenge.applicationID, subjectType: challenge.subjectType, decidedAt: now, site: challenge.site,
            rejection: rejection, regionCode: challenge.regionCode, subjectReference: challenge.subjectReference,
            token: nil, operatorReference: challenge.operatorReference, sourceReference: challenge.sourceReference)
        guard try await dependencies.possession.ledger.close(
            challenge.applicationID, decision: decision,
            audit: [.possessionAnswered(challenge, outcome: outcome, time: now), .decided(decision)])
        else { throw Self.notPending }
        return ApplicationResult(decision, token: nil)
    }

    static var notPending: IDCAError {
        IDCAError(.conflict, code: "application_not_pending", message: "This application is not waiting for a code: it has been decided.")
    }
}
