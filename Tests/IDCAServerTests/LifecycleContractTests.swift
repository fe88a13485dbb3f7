import IDCACore
import Testing

/// The revocation part of the storage contract, on every backend (`StorageContractTests.backends`).
@Suite("Lifecycle storage contract")
struct LifecycleContractTests {
    typealias Contract = StorageContractTests

    static func revocation(_ subject: String = "subject-1", at time: Int64) -> RevocationRequest {
        RevocationRequest(subjectReference: subject, subjectType: .individual, reason: .impersonation, revokedAt: time,
                          actor: .operator("test"))
    }

    static func revoke(_ store: Contract.Store, _ requests: [RevocationRequest]) async throws -> [Revocation] {
        try await store.certifications.revoke(requests) { revocation in Contract.event("revoked \(revocation.sequence)") }
    }

    @Test(arguments: Contract.backends)
    func aRevocationWithdrawsUnredeemedTokensOnly(backend: Contract.Backend) async throws {
        let store = try await backend.make()
        defer { store.cleanup() }
        try await store.record(Contract.approved("t1"))
        try await store.record(Contract.approved("t2"))
        guard case .redeemed = try await store.redeem(Contract.redemption("t1")) else {
            Issue.record("t1 redeems before the revocation")
            return
        }
        let recorded = try await Self.revoke(store, [Self.revocation(at: 1500)])
        #expect(recorded.count == 1)
        #expect(try await store.redeem(Contract.redemption("t2")) == .certificationRevoked)
        #expect(try await store.redeem(Contract.redemption("t2")) == .certificationRevoked, "the refusal consumes nothing")
        #expect(try await store.redeem(Contract.redemption("t1")) == .alreadyUsed, "a used token stays used")
        #expect(try await Self.revoke(store, [Self.revocation(at: 1600)]).isEmpty, "nothing left to revoke")
        #expect(try await Self.revoke(store, [Self.revocation("never-certified", at: 1600)]).isEmpty)

        // A certification issued after the revocation is a new one.
        try await store.record(Contract.approved("t3", at: 2000))
        guard case .redeemed = try await store.redeem(Contract.redemption("t3")) else {
            Issue.record("a later certification redeems")
            return
        }
        let entries = try await store.audit.entries(after: 0, limit: 100).map(\.object)
        #expect(entries.contains("revoked \(recorded[0].sequence)"), "the revocation is audited in its transaction")
    }

    @Test(arguments: Contract.backends)
    func sitesLearnOnlyOfTheirOwnSubjects(backend: Contract.Backend) async throws {
        let store = try await backend.make()
        defer { store.cleanup() }
        try await store.record(Contract.approved("t1"))
        try await store.record(Contract.approved("u1", subject: "subject-2"))
        _ = try await store.redeem(Contract.redemption("t1"))
        _ = try await store.redeem(Contract.redemption("u1", site: Contract.otherSite))

        let subject = try #require(try await store.certifications.subject(site: Contract.site, pseudonym: "pseudonym-subject-1"))
        #expect(subject.subjectReference == "subject-1")
        #expect(subject.accounts == 1)
        #expect(subject.certifiedAt == 1000)
        #expect(subject.revocation == nil)
        #expect(try await store.certifications.subject(site: Contract.otherSite, pseudonym: "pseudonym-subject-1") == nil,
                "another site cannot ask about it")
        #expect(try await store.certifications.subject(site: Contract.site, pseudonym: "pseudonym-unknown") == nil)

        let recorded = try await Self.revoke(store, [Self.revocation(at: 1500), Self.revocation("subject-3", at: 1500)])
        #expect(recorded.count == 1, "subject-3 holds no certification")
        let feed = try await store.certifications.revocations(site: Contract.site, after: 0, limit: 10)
        #expect(feed.map(\.request.subjectReference) == ["subject-1"])
        #expect(feed.first?.request.reason == .impersonation)
        #expect(try await store.certifications.revocations(site: Contract.otherSite, after: 0, limit: 10).isEmpty,
                "the other site never redeemed subject-1")
        #expect(try await store.certifications.revocations(site: Contract.site, after: recorded[0].sequence, limit: 10).isEmpty)
        #expect(try await store.certifications.subject(site: Contract.site, pseudonym: "pseudonym-subject-1")?.revocation?.sequence
                == recorded[0].sequence)

        // Re-certified and redeemed again: the site's certification is current, and the old
        // revocation no longer concerns it.
        try await store.record(Contract.approved("t2", at: 2000))
        _ = try await store.redeem(Contract.redemption("t2"))
        let renewed = try #require(try await store.certifications.subject(site: Contract.site, pseudonym: "pseudonym-subject-1"))
        #expect(renewed.revocation == nil)
        #expect(renewed.certifiedAt == 2000)
        #expect(renewed.accounts == 2)
        #expect(try await store.certifications.revocations(site: Contract.site, after: 0, limit: 10).isEmpty)
    }

    @Test(arguments: Contract.backends)
    func theFeedPagesInOrder(backend: Contract.Backend) async throws {
        let store = try await backend.make()
        defer { store.cleanup() }
        for index in 0..<5 {
            try await store.record(Contract.approved("t\(index)", subject: "s\(index)"))
            _ = try await store.redeem(Contract.redemption("t\(index)"))
        }
        let recorded = try await Self.revoke(store, (0..<5).map { Self.revocation("s\($0)", at: 1500) })
        #expect(recorded.map(\.sequence) == recorded.map(\.sequence).sorted())
        let first = try await store.certifications.revocations(site: Contract.site, after: 0, limit: 2)
        let second = try await store.certifications.revocations(site: Contract.site, after: first.last!.sequence, limit: 2)
        let third = try await store.certifications.revocations(site: Contract.site, after: second.last!.sequence, limit: 2)
        #expect((first + second + third).map(\.request.subjectReference) == ["s0", "s1", "s2", "s3", "s4"])
    }

    @Test(arguments: Contract.backends)
    func possessionAttemptsAreSpentAtomicallyAndAChallengeClosesOnce(backend: Contract.Backend) async throws {
        let store = try await backend.make()
        defer { store.cleanup() }
        let id = ApplicationID.generate(using: SystemRandomSource())
        let challenge = PossessionChallenge(
            applicationID: id, subjectType: .individual, subjectReference: "subject-1", regionCode: 110105, site: nil,
            organizationName: nil, operatorReference: nil, sourceReference: "source-1", codeHash: "hash", recipientReference: "subject-1",
            destination: "*******5678",
            createdAt: 1000, expiresAt: 1300, attemptsLeft: 5)
        try await store.possession.open(challenge, audit: [Contract.event("challenged")])
        #expect(try await store.possession.challenge(id) == challenge)
        #expect(try await store.possession.codesSent(to: "subject-1", since: 900, limit: 5) == [1000])
        #expect(try await store.possession.codesSent(to: "subject-1", since: 1001, limit: 5).isEmpty)
        #expect(try await store.possession.codesSent(to: "subject-2", since: 0, limit: 5).isEmpty)

        let spent = try await withThrowingTaskGroup(of: Int?.self) { group in
            for _ in 0..<20 { group.addTask { try await store.possession.spendAttempt(id, at: 1100)?.attemptsLeft } }
            return try await group.reduce(into: [Int?]()) { $0.append($1) }
        }
        #expect(spent.compactMap { $0 }.sorted() == [0, 1, 2, 3, 4], "twenty tries at once spend exactly five attempts")
        #expect(try await store.possession.spendAttempt(id, at: 1100) == nil)

        let other = ApplicationID.generate(using: SystemRandomSource())
        var fresh = challenge
        fresh.applicationID = other
        try await store.possession.open(fresh, audit: [])
        #expect(try await store.possession.spendAttempt(other, at: 1300) == nil, "no attempt after expiry")
        let decision = DecisionRecord(applicationID: other, subjectType: .individual, decidedAt: 1200, site: nil, rejection: nil,
                                      regionCode: 110105, subjectReference: "subject-1", token: nil, sourceReference: "source-1")
        let closes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<5 { group.addTask { try await store.possession.close(other, decision: decision, audit: [Contract.event("closed")]) } }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(closes.filter { $0 }.count == 1, "one close wins")
        #expect(try await store.possession.challenge(other)?.isPending == false)
        #expect(try await store.decisions.decision(other) == decision)
        #expect(try await store.audit.entries(after: 0, limit: 100).filter { $0.object == "closed" }.count == 1)
    }

    static func rejected(_ subject: String, _ reason: DecisionReason, type: SubjectType = .individual, at time: Int64,
                         operator operatorReference: String? = nil, source: String? = "source-1") -> DecisionRecord {
        DecisionRecord(applicationID: .generate(using: SystemRandomSource()), subjectType: type, decidedAt: time, site: nil,
                       rejection: Rejection(reason: "public", internalReason: reason.rawValue, field: nil, message: ""), regionCode: 110105,
                       subjectReference: subject, token: nil, operatorReference: operatorReference, sourceReference: source)
    }

    @Test(arguments: Contract.backends)
    func historyCountsFailuresAndFindsThePatterns(backend: Contract.Backend) async throws {
        let store = try await backend.make()
        defer { store.cleanup() }
        for time in [100, 200, 300] as [Int64] { try await store.record(Self.rejected("subject-1", .registryNameMismatch, at: time)) }
        try await store.record(Self.rejected("subject-1", .nameInvalid, at: 400))
        try await store.record(Self.rejected("subject-2", .registryNotFound, at: 250, source: "source-2"))
        let reasons = [DecisionReason.registryNameMismatch.rawValue, DecisionReason.registryNotFound.rawValue]
        #expect(try await store.history.failureTimes(subjectReference: "subject-1", reasons: reasons, since: 150, limit: 10) == [300, 200])
        #expect(try await store.history.failureTimes(subjectReference: "subject-1", reasons: reasons, since: 0, limit: 1) == [300])
        #expect(try await store.history.failureTimes(subjectReference: "subject-3", reasons: reasons, since: 0, limit: 10).isEmpty)

        for (index, operatorReference) in ["op-1", "op-2", "op-2"].enumerated() {
            try await store.record(Self.rejected("org-1", .legalRepresentativeMismatch, type: .organization, at: 500 + Int64(index),
                                                 operator: operatorReference))
        }
        try await store.record(Self.rejected("org-1", .registryNameMismatch, type: .organization, at: 510, operator: "op-3"))
        try await store.record(Self.rejected("org-2", .organizationNotFound, type: .organization, at: 520, operator: "op-1"))
        let patterns = try await store.history.impersonationPatterns(from: 0, to: 1000, minimum: 2)
        #expect(patterns.organizations.map(\.reference) == ["org-1"])
        #expect(patterns.organizations.first?.operators == 3)
        #expect(patterns.organizations.first?.applications == 4)
        #expect(patterns.residents.map(\.reference) == ["subject-1"], "op-3's single name mismatch is under the threshold")
        #expect(patterns.residents.first?.nameMismatches == 3)
        #expect(patterns.residents.first?.first == 100 && patterns.residents.first?.last == 300)
        #expect(patterns.sources.map(\.reference) == ["source-1"])
        #expect(patterns.sources.first?.rejected == 9)
        #expect(try await store.history.impersonationPatterns(from: 0, to: 150, minimum: 2).residents.isEmpty, "the window bounds it")
    }

    @Test(arguments: Contract.backends)
    func aDisclosureIsApprovedOnceByAnotherAuditorBeforeItExpires(backend: Contract.Backend) async throws {
        let store = try await backend.make()
        defer { store.cleanup() }
        let (a, b, c) = (AuditorID.generate(using: SystemRandomSource()), AuditorID.generate(using: SystemRandomSource()),
                         AuditorID.generate(using: SystemRandomSource()))
        let request = DisclosureRequest(id: .generate(using: SystemRandomSource()), site: Contract.site, pseudonym: "p", subjectReference: "subject-1",
                                        subjectType: .individual, caseReference: "C-1", requestedBy: a, requestedAt: 1000, expiresAt: 2000)
        try await store.disclosures.create(request, audit: [Contract.event("requested")])
        #expect(try await store.disclosures.request(request.id) == request)
        #expect(try await store.disclosures.approve(request.id, by: a, at: 1100, audit: []) == false, "not by the requester")
        #expect(try await store.disclosures.approve(request.id, by: b, at: 2000, audit: []) == false, "not once expired")
        let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
            for approver in [b, c, b, c] { group.addTask { try await store.disclosures.approve(request.id, by: approver, at: 1200, audit: [Contract.event("approved")]) } }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(wins.filter { $0 }.count == 1)
        #expect(try await store.disclosures.request(request.id)?.approvedAt == 1200)
        #expect(try await store.audit.entries(after: 0, limit: 100).filter { $0.object == "approved" }.count == 1)

        let organization = Contract.approved("t-org", subject: "org-9")
        var withOperator = organization
        withOperator.subjectType = .organization
        withOperator.operatorReference = "op-9"
        withOperator.token?.subjectType = .organization
        withOperator.token?.organizationName = "某某公司"
        try await store.record(withOperator)
        #expect(try await store.disclosures.newestOperator(ofOrganization: "org-9", redeemedBy: Contract.site) == nil, "not redeemed yet")
        _ = try await store.redeem(Contract.redemption("t-org"))
        let acting = try await store.disclosures.newestOperator(ofOrganization: "org-9", redeemedBy: Contract.site)
        #expect(acting?.operatorReference == "op-9")
        #expect(acting?.organizationName == "某某公司")
        #expect(try await store.disclosures.newestOperator(ofOrganization: "org-9", redeemedBy: Contract.otherSite) == nil,
                "what another site redeemed does not say who acted here")
        #expect(try await store.disclosures.newestOperator(ofOrganization: "org-none", redeemedBy: Contract.site) == nil)
    }
}
