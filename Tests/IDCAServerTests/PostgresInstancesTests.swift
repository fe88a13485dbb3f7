import Foundation
import IDCAAudit
import IDCACore
import IDCAPostgres
import IDCARules
import Logging
import Testing

/// Several instances on one PostgreSQL database behave as one CA. Each "instance" here is its own
/// `PostgresBackend` (own pool, own write batcher) on the same database, as two `idca serve`
/// processes would be; Tests/Postgres/multi_instance_test.py does the same with real processes.
@Suite("PostgreSQL instances", .enabled(if: PostgresForTests.isConfigured))
struct PostgresInstancesTests {
    typealias Contract = StorageContractTests

    /// The test database, and a second backend on it.
    func twoInstances() async throws -> (first: PostgresForTests.TestDatabase, second: PostgresBackend) {
        let first = try await PostgresForTests.makeDatabase()
        let second = try await PostgresBackend(url: PostgresForTests.urlOfDatabase(first.name, on: first.adminURL),
                                               logger: PostgresForTests.quietLogger)
        return (first, second)
    }

    @Test func instancesStartingTogetherMigrateOnce() async throws {
        guard let url = PostgresForTests.url else { throw PostgresForTests.NotConfigured() }
        let name = "idca_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await PostgresForTests.admin(url, "CREATE DATABASE \(name)")
        let location = PostgresForTests.urlOfDatabase(name, on: url)
        let logger = PostgresForTests.quietLogger
        let backends = try await withThrowingTaskGroup(of: PostgresBackend.self) { group in
            for _ in 0..<4 { group.addTask { try await PostgresBackend(url: location, logger: logger) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(backends.count == 4)
        // A read-only session requires the newest migration: all of them were applied, each once
        // (idca_migrations' primary key would have refused a second).
        let reader = try await PostgresBackend(url: location, readingOnly: true, logger: logger)
        await reader.close()
        for backend in backends { await backend.close() }
        try await PostgresForTests.admin(url, "DROP DATABASE \(name) WITH (FORCE)")
    }

    @Test func aReadOnlySessionRefusesADatabaseWithoutTheSchema() async throws {
        guard let url = PostgresForTests.url else { throw PostgresForTests.NotConfigured() }
        let name = "idca_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await PostgresForTests.admin(url, "CREATE DATABASE \(name)")
        defer { Task { try? await PostgresForTests.admin(url, "DROP DATABASE \(name) WITH (FORCE)") } }
        await #expect(throws: PostgresBackend.NoSchema.self) {
            try await PostgresBackend(url: PostgresForTests.urlOfDatabase(name, on: url), readingOnly: true)
        }
    }

    @Test func singleUseHoldsAcrossInstances() async throws {
        let (database, second) = try await twoInstances()
        defer { database.drop(); Task { await second.close() } }
        let ledgers = [PostgresTokenLedger(database: database.database), PostgresTokenLedger(database: second)]
        let decisions = PostgresDecisionLedger(database: database.database)
        for index in 0..<20 {
            let decision = Contract.approved("x\(index)", subject: "subject-\(index)")
            try await decisions.record(decision, audit: [Contract.event("decided")])
            try await decisions.recordIssued(decision.token!, for: decision.applicationID, audit: [Contract.event("issued")])
        }
        // Sixteen concurrent redemptions of every token, split across the two instances.
        let outcomes = try await withThrowingTaskGroup(of: (String, RedemptionOutcome).self) { group in
            for index in 0..<20 {
                for attempt in 0..<16 {
                    group.addTask {
                        let ledger = ledgers[attempt % 2]
                        return ("x\(index)", try await ledger.redeem(Contract.redemption("x\(index)")) { _ in Contract.event("redeem") })
                    }
                }
            }
            return try await group.reduce(into: [(String, RedemptionOutcome)]()) { $0.append($1) }
        }
        for index in 0..<20 {
            let mine = outcomes.filter { $0.0 == "x\(index)" }.map(\.1)
            #expect(mine.filter { if case .redeemed = $0 { true } else { false } }.count == 1, "token x\(index) redeemed exactly once")
            #expect(mine.filter { $0 == .alreadyUsed }.count == 15)
        }
    }

    @Test func accountLimitsHoldAcrossInstances() async throws {
        let (database, second) = try await twoInstances()
        defer { database.drop(); Task { await second.close() } }
        let ledgers = [PostgresTokenLedger(database: database.database), PostgresTokenLedger(database: second)]
        let decisions = PostgresDecisionLedger(database: database.database)
        // Ten tokens of one subject, redeemed at once at one site whose limit is three.
        for index in 0..<10 {
            let decision = Contract.approved("s\(index)", subject: "same-subject")
            try await decisions.record(decision, audit: [Contract.event("decided")])
            try await decisions.recordIssued(decision.token!, for: decision.applicationID, audit: [Contract.event("issued")])
        }
        let outcomes = try await withThrowingTaskGroup(of: RedemptionOutcome.self) { group in
            for index in 0..<10 {
                group.addTask { try await ledgers[index % 2].redeem(Contract.redemption("s\(index)", max: 3)) { _ in Contract.event("redeem") } }
            }
            return try await group.reduce(into: [RedemptionOutcome]()) { $0.append($1) }
        }
        #expect(outcomes.filter { if case .redeemed = $0 { true } else { false } }.count == 3)
        #expect(outcomes.filter { $0 == .accountLimitReached }.count == 7)
    }

    @Test func theChainStaysLinearAndTheCountersExactUnderTwoInstances() async throws {
        let (database, second) = try await twoInstances()
        defer { database.drop(); Task { await second.close() } }
        let instances = [database.database, second]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<300 {
                group.addTask {
                    let backend = instances[index % 2]
                    if index % 3 == 0 {
                        try await PostgresAuditLog(database: backend).append([Contract.event("e\(index)")])
                    } else {
                        var decision = Contract.approved("m\(index)")
                        if index % 3 == 2 {
                            decision.rejection = Rejection(reason: "registry_mismatch", internalReason: "name_mismatch", field: nil, message: "")
                            decision.token = nil
                        }
                        try await PostgresDecisionLedger(database: backend).record(decision, audit: [Contract.event("d\(index)")])
                    }
                }
            }
            try await group.waitForAll()
        }
        let log = PostgresAuditLog(database: second)
        let entries = try await log.entries(after: 0, limit: 1000)
        #expect(entries.count == 300)
        #expect(entries.map(\.sequence) == Array(1...300))
        var verifier = AuditChainVerifier(checkpoints: [], key: AuditSigningKey.generate().publicKey)
        for entry in entries { verifier.check(entry) }
        #expect(verifier.finish().isIntact)

        let day = CivilDate(shanghaiDayOf: 1000)
        let cells = try await PostgresStatistics(database: database.database)
            .applicationCounts(StatisticsQuery(from: day, to: day, groupBy: [.reason]))
        #expect(cells.reduce(0) { $0 + $1.applications } == 200)
        #expect(cells.first { $0.reason == "name_mismatch" }?.rejected == 100, "counted by the internal reason")
        #expect(cells.reduce(0) { $0 + $1.approved } == 100)
    }
}
