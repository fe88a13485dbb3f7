import Foundation
import IDCAAudit
import IDCACore
import IDCARules
import IDCAPostgres
import IDCASQLite
import Testing

/// The contract every storage backend must keep, run against each backend: SQLite always, and
/// PostgreSQL on the server `IDCA_TEST_POSTGRES_URL` names (`make test` starts a throwaway one;
/// with `IDCA_REQUIRE_POSTGRES=1` and no URL, the PostgreSQL cases fail instead of vanishing).
@Suite("Storage contract")
struct StorageContractTests {
    struct Backend: Sendable, CustomStringConvertible {
        var description: String
        var make: @Sendable () async throws -> Store
    }

    /// One backend's implementation of every port.
    struct Store: Sendable {
        var registry: any RegistryReader & RegistryWriter
        var decisions: any DecisionLedger
        var tokens: any TokenLedger
        var sites: any SiteDirectory
        var audit: any AuditLog
        var auditors: any AuditorDirectory
        var statistics: any StatisticsReader
        var certifications: any CertificationRegister
        var possession: any PossessionLedger
        var disclosures: any DisclosureLedger
        var history: any ApplicationHistory
        var keys: any KeyRegister
        var cleanup: @Sendable () -> Void

        /// Records an approval the way the certification service does: decision, then token.
        func record(_ decision: DecisionRecord) async throws {
            try await decisions.record(decision, audit: [StorageContractTests.event("decided \(decision.applicationID)")])
            if let token = decision.token {
                try await decisions.recordIssued(token, for: decision.applicationID, audit: [StorageContractTests.event("issued \(token.tokenID)")])
            }
        }

        func redeem(_ redemption: Redemption) async throws -> RedemptionOutcome {
            try await tokens.redeem(redemption) { _ in StorageContractTests.event("redeem \(redemption.tokenID)") }
        }

        func importResidents(_ records: [ResidentRecord]) async throws -> Int {
            try await registry.importResidents(records) { StorageContractTests.event("imported \($0)") }
        }
    }

    static let backends: [Backend] = [sqlite] + (PostgresForTests.isConfigured ? [postgres] : [])

    static let postgres = Backend(description: "PostgreSQL") {
        let database = try await PostgresForTests.makeDatabase()
        return Store(
            registry: PostgresRegistry(database: database.database), decisions: PostgresDecisionLedger(database: database.database),
            tokens: PostgresTokenLedger(database: database.database), sites: PostgresSiteDirectory(database: database.database),
            audit: PostgresAuditLog(database: database.database), auditors: PostgresAuditorDirectory(database: database.database),
            statistics: PostgresStatistics(database: database.database),
            certifications: PostgresCertificationRegister(database: database.database),
            possession: PostgresPossessionLedger(database: database.database),
            disclosures: PostgresDisclosureLedger(database: database.database),
            history: PostgresApplicationHistory(database: database.database),
            keys: PostgresKeyRegister(database: database.database),
            cleanup: { database.drop() })
    }

    static let sqlite =
        Backend(description: "SQLite") {
            let directory = NSTemporaryDirectory() + "idca-contract-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let database = try SQLiteDatabase(path: directory + "/db.sqlite")
            return Store(
                registry: SQLiteRegistry(database: database), decisions: SQLiteDecisionLedger(database: database),
                tokens: SQLiteTokenLedger(database: database), sites: SQLiteSiteDirectory(database: database),
                audit: SQLiteAuditLog(database: database), auditors: SQLiteAuditorDirectory(database: database),
                statistics: SQLiteStatistics(database: database),
                certifications: SQLiteCertificationRegister(database: database),
                possession: SQLitePossessionLedger(database: database),
                disclosures: SQLiteDisclosureLedger(database: database),
                history: SQLiteApplicationHistory(database: database),
                keys: SQLiteKeyRegister(database: database),
                cleanup: { try? database.pool.close(); try? FileManager.default.removeItem(atPath: directory) })
        }

    static func event(_ object: String, time: Int64 = 1000) -> AuditEvent {
        AuditEvent(.applicationDecided, time: time, actor: .applicant, outcome: "test", object: object)
    }

    static let site = SiteID(rawValue: "site_" + String(repeating: "a", count: 26))!
    static let otherSite = SiteID(rawValue: "site_" + String(repeating: "b", count: 26))!

    static func approved(_ tokenID: String, subject: String = "subject-1", audience: SiteID? = nil, at time: Int64 = 1000) -> DecisionRecord {
        let id = ApplicationID.generate(using: SystemRandomSource())
        return DecisionRecord(
            applicationID: id, subjectType: .individual, decidedAt: time, site: audience, rejection: nil, regionCode: 110105,
            subjectReference: subject,
            token: IssuedToken(tokenID: tokenID, digest: "digest-\(tokenID)", issuedAt: time, expiresAt: time + 3600, audience: audience,
                               assurance: "registry", subjectType: .individual, subjectReference: subject, organizationName: nil))
    }

    static func redemption(_ tokenID: String, digest: String? = nil, site: SiteID = site, max: Int = 3) -> Redemption {
        Redemption(tokenID: tokenID, digest: digest ?? "digest-\(tokenID)", site: site, maxAccounts: max, redeemedAt: 2000)
    }

    @Test(arguments: backends)
    func decisionsRoundTrip(backend: Backend) async throws {
        let store = try await backend.make()
        defer { store.cleanup() }
        let approved = Self.approved("t1")
        try await store.record(approved)
        #expect(try await store.decisions.decision(approved.applicationID) == approved)
        let rejected = DecisionRecord(
            applicationID: .generate(using: SystemRandomSource()), subjectType: .organization, decidedAt: 5, site: nil,
            rejection: Rejection(public: .registryMismatch, internal: .identityInactive, field: .residentID),
            regionCode: nil, subjectReference: nil, token: nil)
        try await store.record(rejected)
        #expect(try await store.decisions.decision(rejected.applicationID) == rejected)
        #expect(try await store.decisions.decision(.generate(using: SystemRandomSource())) == nil)
    }

    @Test(arguments: backends)
    func redemptionIsSingleUseAndExact(backend: Backend) async throws {
        let store = try await backend.make()
        defer { store.cleanup() }
        try await store.record(Self.approved("t1"))
        #expect(try await store.redeem(Self.redemption("unknown")) == .unknownToken)
        #expect(try await store.redeem(Self.redemption("t1", digest: "digest-forged")) == .unknownToken, "only the issued spelling redeems")
        guard case .redeemed(let token, let accounts) = try await store.redeem(Self.redemption("t1")) else {
            Issue.record("the first redemption must succeed")
            return
        }
        #expect(token.subjectReference == "subject-1")
        #expect(accounts == 1)
        #expect(try await store.redeem(Self.redemption("t1")) == .alreadyUsed)
        #expect(try await store.redeem(Self.redemption("t1", site: Self.otherSite)) == .alreadyUsed)
    }

    @Test(arguments: backends)
    func accountLimitsCountPerSiteAndSubject(backend: Backend) async throws {
        let store = try await backend.make()
        defer { store.cleanup() }
        for index in 1...4 { try await store.record(Self.approved("t\(index)")) }
        try await store.record(Self.approved("other", subject: "subject-2"))
        #expect(try await store.redeem(Self.redemption("t1", max: 2)) != .accountLimitReached)
        #expect(try await store.redeem(Self.redemption("t2", max: 2)) != .accountLimitReached)
        #expect(try await store.redeem(Self.redemption("t3", max: 2)) == .accountLimitReached)
        #expect(try await store.redeem(Self.redemption("t3", max: 2)) == .accountLimitReached, "not consumed by the refusal")
        guard case .redeemed(_, let accounts) = try await store.redeem(Self.redemption("t3", site: Self.otherSite, max: 2)) else {
            Issue.record("another site is under its own limit")
            return
        }
        #expect(accounts == 1)
        guard case .redeemed = try await store.redeem(Self.redemption("other", max: 2)) else {
            Issue.record("another subject is under the limit")
            return
        }
    }

    @Test(arguments: backends)
    func concurrentRedemptionsHaveOneWinner(backend: Backend) async throws {
        let store = try await backend.make()
        defer { store.cleanup() }
        try await store.record(Self.approved("race"))
        let outcomes = try await withThrowingTaskGroup(of: RedemptionOutcome.self) { group in
            for _ in 0..<50 { group.addTask { try await store.redeem(Self.redemption("race")) } }
            return try await group.reduce(into: [RedemptionOutcome]()) { $0.append($1) }
        }
        #expect(outcomes.filter { if case .redeemed = $0 { true } else { false } }.count == 1)
        #expect(outcomes.filter { $0 == .alreadyUsed }.count == 49)
    }

    @Test(arguments: backends)
    func registryImportsUpsertAndAreAllOrNothing(backend: Backend) async throws {
        let store = try await backend.make()
        defer { store.cleanup() }
        let records = (0..<100).map { ResidentRecord(residentIDHash: "id\($0)", nameHash: "n\($0)", status: .active, regionCode: 110105, sealedPhone: nil) }
        #expect(try await store.importResidents(records) == 100)
        #expect(try await store.importResidents(records) == 100)
        #expect(try await store.registry.residentCount() == 100, "importing the same rows twice changes nothing")

        struct Interrupted: Error {}
        // Half a file in, the reader fails: nothing of this import may remain, updates included.
        await #expect(throws: Interrupted.self) {
            try await store.registry.importResidents({ write in
                try write(ResidentRecord(residentIDHash: "id0", nameHash: "changed", status: .cancelled, regionCode: 1, sealedPhone: nil))
                for index in 1...30 {
                    try write(ResidentRecord(residentIDHash: "late\(index)", nameHash: "x", status: .active, regionCode: 1, sealedPhone: nil))
                }
                throw Interrupted()
            }, audit: { Self.event("imported \($0)") })
        }
        #expect(try await store.registry.residentCount() == 100)
        #expect(try await store.registry.resident(residentIDHash: "id0")?.nameHash == "n0")
        #expect(try await store.registry.resident(residentIDHash: "late1") == nil)
    }

    @Test(arguments: backends)
    func sitesAreFoundByKeyHashAndSuspend(backend: Backend) async throws {
        let store = try await backend.make()
        defer { store.cleanup() }
        let site = Site(id: Self.site, name: "S", licence: "京ICP证000000号", maxAccounts: 3, isSuspended: false, createdAt: 1)
        try await store.sites.add(site, apiKeyHash: "hash-1", audit: Self.event("site added"))
        #expect(try await store.sites.site(apiKeyHash: "hash-1") == site)
        #expect(try await store.sites.site(apiKeyHash: "hash-2") == nil)
        #expect(try await store.sites.setSuspended(Self.site, true, audit: Self.event("suspended")))
        #expect(try await store.sites.site(id: Self.site)?.isSuspended == true)
        #expect(try await store.sites.site(apiKeyHash: "hash-1")?.isSuspended == true, "a suspension is seen at once by key too")
        #expect(try await store.sites.setSuspended(Self.site, false, audit: Self.event("resumed")))
        #expect(try await store.sites.site(apiKeyHash: "hash-1")?.isSuspended == false)
        #expect(try await store.sites.setSuspended(Self.otherSite, true, audit: Self.event("suspended")) == false)
        #expect(try await store.sites.sites().count == 1)
    }

    // MARK: - Audit log and statistics

    @Test(arguments: backends)
    func everyStateChangeAppendsOneLinkedEntry(backend: Backend) async throws {
        let store = try await backend.make()
        defer { store.cleanup() }
        #expect(try await store.audit.head() == .genesis)
        try await store.record(Self.approved("t1"))
        _ = try await store.redeem(Self.redemption("t1"))
        _ = try await store.redeem(Self.redemption("t1"))
        _ = try await store.importResidents([ResidentRecord(residentIDHash: "id", nameHash: "n", status: .active, regionCode: 110105, sealedPhone: nil)])
        let entries = try await store.audit.entries(after: 0, limit: 100)
        #expect(entries.first?.object.hasPrefix("decided app_") == true)
        #expect(entries.dropFirst().map(\.object) == ["issued t1", "redeem t1", "redeem t1", "imported 1"])
        #expect(entries.map(\.sequence) == [1, 2, 3, 4, 5])
        #expect(entries[0].prevHash == AuditHead.genesis.hash)
        for (previous, entry) in zip(entries, entries.dropFirst()) {
            #expect(entry.prevHash == previous.hash)
        }
        for entry in entries { #expect(AuditChain.expectedHash(of: entry) == entry.hash) }
        #expect(try await store.audit.head() == AuditHead(sequence: 5, hash: entries[4].hash))
        #expect(try await store.audit.entries(after: 3, limit: 1).map(\.sequence) == [4], "pages by sequence")
    }

    @Test(arguments: backends)
    func aFailedChangeLeavesNoEntryAndTheChainIntact(backend: Backend) async throws {
        let store = try await backend.make()
        defer { store.cleanup() }
        let decision = Self.approved("t1")
        try await store.record(decision)
        // The same application id again violates the primary key: neither row nor entry may remain.
        await #expect(throws: (any Error).self) {
            try await store.decisions.record(decision, audit: [Self.event("duplicate")])
        }
        // A token for an application that was never approved is refused, with its entry.
        let stray = Self.approved("stray")
        await #expect(throws: (any Error).self) {
            try await store.decisions.recordIssued(stray.token!, for: stray.applicationID, audit: [Self.event("stray")])
        }
        #expect(try await store.sites.setSuspended(Self.otherSite, true, audit: Self.event("no such site")) == false)
        try await store.audit.append([Self.event("after")])
        let entries = try await store.audit.entries(after: 0, limit: 100)
        #expect(!entries.map(\.object).contains("duplicate"))
        #expect(!entries.map(\.object).contains("stray"))
        #expect(!entries.map(\.object).contains("no such site"))
        #expect(entries.map(\.sequence) == [1, 2, 3])
        #expect(entries[2].prevHash == entries[1].hash, "the next append links to the head that remained")
    }

    @Test(arguments: backends)
    func concurrentAppendsStayOneLinearChain(backend: Backend) async throws {
        let store = try await backend.make()
        defer { store.cleanup() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    if index % 2 == 0 { try await store.record(Self.approved("c\(index)")) } else { try await store.audit.append([Self.event("e\(index)")]) }
                }
            }
            try await group.waitForAll()
        }
        let entries = try await store.audit.entries(after: 0, limit: 1000)
        #expect(entries.count == 300)
        var verifier = AuditChainVerifier(checkpoints: [], key: AuditSigningKey.generate().publicKey)
        for entry in entries { verifier.check(entry) }
        #expect(verifier.finish().isIntact)
    }

    @Test(arguments: backends)
    func checkpointsAreStoredAndTheNewestIsFound(backend: Backend) async throws {
        let store = try await backend.make()
        defer { store.cleanup() }
        #expect(try await store.audit.latestCheckpoint() == nil)
        let key = AuditSigningKey.generate()
        try await store.audit.append([Self.event("a"), Self.event("b")])
        let first = key.checkpoint(try await store.audit.head(), time: 10)
        try await store.audit.addCheckpoint(first)
        try await store.audit.addCheckpoint(first)
        try await store.audit.append([Self.event("c")])
        let second = key.checkpoint(try await store.audit.head(), time: 20)
        try await store.audit.addCheckpoint(second)
        #expect(try await store.audit.latestCheckpoint() == second)
        #expect(try await store.audit.checkpoints() == [first, second], "storing the same checkpoint twice keeps one")
    }

    @Test(arguments: backends)
    func statisticsCountEveryDecisionOnce(backend: Backend) async throws {
        let store = try await backend.make()
        defer { store.cleanup() }
        let day: Int64 = 1_795_900_000  // 2026-11-29 in Shanghai
        func decision(_ type: SubjectType, _ reason: DecisionReason?, region: Int?, site: SiteID?, at time: Int64 = day) -> DecisionRecord {
            DecisionRecord(applicationID: .generate(using: SystemRandomSource()), subjectType: type, decidedAt: time, site: site,
                           rejection: reason.map { Rejection($0, field: nil) }, regionCode: region, subjectReference: nil, token: nil)
        }
        let decisions = [
            decision(.individual, nil, region: 110105, site: Self.site),
            decision(.individual, nil, region: 110108, site: nil),
            decision(.individual, .registryNameMismatch, region: 310115, site: Self.site),
            decision(.organization, .organizationInactive, region: 110105, site: nil),
            decision(.organization, nil, region: nil, site: nil),
            decision(.individual, nil, region: 110105, site: nil, at: day + 86_400 * 40),
        ]
        for decision in decisions { try await store.decisions.record(decision, audit: []) }
        let today = CivilDate(shanghaiDayOf: day)
        let later = CivilDate(shanghaiDayOf: day + 86_400 * 40)
        let all = try await store.statistics.applicationCounts(StatisticsQuery(from: today, to: today, groupBy: []))
        #expect(all == [StatisticsCell(applications: 5, approved: 3, rejected: 2)], "the later day is outside the range")

        let byType = try await store.statistics.applicationCounts(StatisticsQuery(from: today, to: later, groupBy: [.subjectType]))
        #expect(Set(byType) == [StatisticsCell(subjectType: .individual, applications: 4, approved: 3, rejected: 1),
                                StatisticsCell(subjectType: .organization, applications: 2, approved: 1, rejected: 1)])

        let byProvince = try await store.statistics.applicationCounts(StatisticsQuery(from: today, to: today, groupBy: [.province, .reason]))
        #expect(Set(byProvince) == [
            StatisticsCell(reason: nil, province: 110000, applications: 2, approved: 2, rejected: 0),
            StatisticsCell(reason: "organization_inactive", province: 110000, applications: 1, approved: 0, rejected: 1),
            StatisticsCell(reason: "registry_name_mismatch", province: 310000, applications: 1, approved: 0, rejected: 1),
            StatisticsCell(reason: nil, province: nil, applications: 1, approved: 1, rejected: 0),
        ])

        let bySite = try await store.statistics.applicationCounts(StatisticsQuery(from: today, to: today, groupBy: [.site]))
        #expect(Set(bySite) == [StatisticsCell(site: Self.site.rawValue, applications: 2, approved: 1, rejected: 1),
                                StatisticsCell(site: nil, applications: 3, approved: 2, rejected: 1)])

        for period in StatisticsPeriod.allCases {
            let cells = try await store.statistics.applicationCounts(StatisticsQuery(from: today, to: later, groupBy: [.period], period: period))
            #expect(cells.map(\.applications).reduce(0, +) == 6)
            #expect(Set(cells.compactMap(\.periodStart)) == [period.start(of: today), period.start(of: later)], "\(period)")
        }
        #expect(try await store.statistics.applicationCounts(StatisticsQuery(from: later.next, to: later.next, groupBy: [])).isEmpty)
    }

    @Test(arguments: backends)
    func auditorsAreFoundByKeyHash(backend: Backend) async throws {
        let store = try await backend.make()
        defer { store.cleanup() }
        let auditor = Auditor(id: .generate(using: SystemRandomSource()), name: "审计员", createdAt: 5)
        try await store.auditors.add(auditor, apiKeyHash: "key-hash", audit: Self.event("auditor"))
        #expect(try await store.auditors.auditor(apiKeyHash: "key-hash") == auditor)
        #expect(try await store.auditors.auditor(apiKeyHash: "other") == nil)
        #expect(try await store.auditors.auditors() == [auditor])
        #expect(try await store.audit.entries(after: 0, limit: 10).map(\.object) == ["auditor"])
    }

    /// Every breakdown over every kind of range equals a count made directly from the decisions,
    /// whichever counter table the backend reads (narrow, daily, or whole months plus edge days).
    @Test(arguments: backends)
    func everyBreakdownEqualsACountOfTheDecisions(backend: Backend) async throws {
        let store = try await backend.make()
        defer { store.cleanup() }
        var random = SystemRandomNumberGenerator()
        let start = CivilDate(year: 2026, month: 9, day: 20)!.daysSinceUnixEpoch * 86_400 - 8 * 3600
        var decisions: [DecisionRecord] = []
        let reasons: [DecisionReason?] = [nil, nil, .registryNameMismatch, .organizationInactive, .legalRepresentativeMismatch]
        let sites: [SiteID?] = [nil, Self.site, Self.otherSite]
        for _ in 0..<400 {
            let time = start + Int64.random(in: 0..<(86_400 * 80), using: &random)
            decisions.append(DecisionRecord(
                applicationID: .generate(using: SystemRandomSource()), subjectType: Bool.random(using: &random) ? .individual : .organization,
                decidedAt: time, site: sites.randomElement(using: &random)!,
                rejection: reasons.randomElement(using: &random)!.map { Rejection($0, field: nil) },
                regionCode: [nil, 110105, 310115, 650102].randomElement(using: &random)!, subjectReference: nil, token: nil))
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for decision in decisions { group.addTask { try await store.decisions.record(decision, audit: []) } }
            try await group.waitForAll()
        }
        // Ranges that start before the first decision or end after the last, or cut months in two, or lie inside one.
        let ranges = [("2026-09-20", "2026-12-08"), ("2026-10-01", "2026-11-30"), ("2026-09-25", "2026-11-03"), ("2026-10-05", "2026-10-20"),
                      ("2026-09-01", "2026-12-31"), ("2026-09-10", "2026-11-15"), ("2026-11-10", "2027-01-05"), ("2026-12-02", "2026-12-25")]
        let breakdowns: [([StatisticsDimension], StatisticsPeriod)] = [
            ([], .day), ([.reason], .day), ([.province, .reason], .day), ([.province, .reason], .month), ([.site, .reason, .subjectType], .week),
            ([.period, .site, .province], .month), ([.period, .reason, .province], .day), ([.subjectType, .period], .week),
            ([.site, .province, .reason, .subjectType, .period], .month),
        ]
        for (from, to) in ranges {
            let first = CivilDate(iso8601: from)!, last = CivilDate(iso8601: to)!
            for (groupBy, period) in breakdowns {
                let query = StatisticsQuery(from: first, to: last, groupBy: groupBy, period: period)
                var expected: [StatisticsCell: (Int, Int)] = [:]
                for decision in decisions {
                    let day = CivilDate(shanghaiDayOf: decision.decidedAt)
                    guard day >= first, day <= last else { continue }
                    var key = StatisticsCell(applications: 0, approved: 0, rejected: 0)
                    for dimension in groupBy {
                        switch dimension {
                        case .subjectType: key.subjectType = decision.subjectType
                        case .reason: key.reason = decision.rejection?.internalReason
                        case .province: key.province = decision.regionCode.map { $0 / 10_000 * 10_000 }
                        case .site: key.site = decision.site?.rawValue
                        case .period: key.periodStart = period.start(of: day)
                        }
                    }
                    expected[key, default: (0, 0)].0 += decision.isApproved ? 1 : 0
                    expected[key, default: (0, 0)].1 += decision.isApproved ? 0 : 1
                }
                let wanted = Set(expected.map { key, counts in
                    var cell = key
                    cell.approved = counts.0
                    cell.rejected = counts.1
                    cell.applications = counts.0 + counts.1
                    return cell
                })
                let counted = try await store.statistics.applicationCounts(query)
                #expect(Set(counted) == wanted, "\(from)…\(to) by \(groupBy.map(\.rawValue)) per \(period)")
                #expect(counted.count == wanted.count, "one cell per group")
            }
        }
    }
}

extension TokenLedger {
    /// Redeems with test pseudonyms: the subject reference, marked, so that each subject has one.
    func redeem(_ redemption: Redemption, audit: @escaping @Sendable (RedemptionOutcome) -> AuditEvent) async throws -> RedemptionOutcome {
        try await redeem(redemption, pseudonym: { "pseudonym-" + $0 }, audit: audit)
    }
}
