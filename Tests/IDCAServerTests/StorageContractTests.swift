import Foundation
import IDCACore
import IDCASQLite
import Testing

/// The contract every storage backend must keep, run against each backend (SQLite today; the
/// PostgreSQL backend joins the argument list when it lands).
@Suite("Storage contract")
struct StorageContractTests {
    struct Backend: Sendable, CustomStringConvertible {
        var description: String
        var make: @Sendable () throws -> (registry: any RegistryReader & RegistryWriter, decisions: any DecisionLedger,
                                          tokens: any TokenLedger, sites: any SiteDirectory, cleanup: @Sendable () -> Void)
    }

    static let backends: [Backend] = [
        Backend(description: "SQLite") {
            let directory = NSTemporaryDirectory() + "idca-contract-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let database = try SQLiteDatabase(path: directory + "/db.sqlite")
            return (SQLiteRegistry(database: database), SQLiteDecisionLedger(database: database), SQLiteTokenLedger(database: database),
                    SQLiteSiteDirectory(database: database), { try? database.pool.close(); try? FileManager.default.removeItem(atPath: directory) })
        },
    ]

    static let site = SiteID(rawValue: "site_" + String(repeating: "a", count: 26))!
    static let otherSite = SiteID(rawValue: "site_" + String(repeating: "b", count: 26))!

    static func approved(_ tokenID: String, subject: String = "subject-1", audience: SiteID? = nil) -> DecisionRecord {
        let id = ApplicationID.generate(using: SystemRandomSource())
        return DecisionRecord(
            applicationID: id, subjectType: .individual, decidedAt: 1000, site: audience, rejection: nil, regionCode: 110105,
            subjectReference: subject,
            token: IssuedToken(tokenID: tokenID, digest: "digest-\(tokenID)", issuedAt: 1000, expiresAt: 4600, audience: audience,
                               assurance: "registry", subjectType: .individual, subjectReference: subject, organizationName: nil))
    }

    static func redemption(_ tokenID: String, digest: String? = nil, site: SiteID = site, max: Int = 3) -> Redemption {
        Redemption(tokenID: tokenID, digest: digest ?? "digest-\(tokenID)", site: site, maxAccounts: max, redeemedAt: 2000)
    }

    @Test(arguments: backends)
    func decisionsRoundTrip(backend: Backend) async throws {
        let store = try backend.make()
        defer { store.cleanup() }
        let approved = Self.approved("t1")
        try await store.decisions.record(approved)
        #expect(try await store.decisions.decision(approved.applicationID) == approved)
        let rejected = DecisionRecord(
            applicationID: .generate(using: SystemRandomSource()), subjectType: .organization, decidedAt: 5, site: nil,
            rejection: Rejection(public: .registryMismatch, internal: .identityInactive, field: .residentID),
            regionCode: nil, subjectReference: nil, token: nil)
        try await store.decisions.record(rejected)
        #expect(try await store.decisions.decision(rejected.applicationID) == rejected)
        #expect(try await store.decisions.decision(.generate(using: SystemRandomSource())) == nil)
    }

    @Test(arguments: backends)
    func redemptionIsSingleUseAndExact(backend: Backend) async throws {
        let store = try backend.make()
        defer { store.cleanup() }
        try await store.decisions.record(Self.approved("t1"))
        #expect(try await store.tokens.redeem(Self.redemption("unknown")) == .unknownToken)
        #expect(try await store.tokens.redeem(Self.redemption("t1", digest: "digest-forged")) == .unknownToken, "only the issued spelling redeems")
        guard case .redeemed(let token, let accounts) = try await store.tokens.redeem(Self.redemption("t1")) else {
            Issue.record("the first redemption must succeed")
            return
        }
        #expect(token.subjectReference == "subject-1")
        #expect(accounts == 1)
        #expect(try await store.tokens.redeem(Self.redemption("t1")) == .alreadyUsed)
        #expect(try await store.tokens.redeem(Self.redemption("t1", site: Self.otherSite)) == .alreadyUsed)
    }

    @Test(arguments: backends)
    func accountLimitsCountPerSiteAndSubject(backend: Backend) async throws {
        let store = try backend.make()
        defer { store.cleanup() }
        for index in 1...4 { try await store.decisions.record(Self.approved("t\(index)")) }
        try await store.decisions.record(Self.approved("other", subject: "subject-2"))
        #expect(try await store.tokens.redeem(Self.redemption("t1", max: 2)) != .accountLimitReached)
        #expect(try await store.tokens.redeem(Self.redemption("t2", max: 2)) != .accountLimitReached)
        #expect(try await store.tokens.redeem(Self.redemption("t3", max: 2)) == .accountLimitReached)
        #expect(try await store.tokens.redeem(Self.redemption("t3", max: 2)) == .accountLimitReached, "not consumed by the refusal")
        guard case .redeemed(_, let accounts) = try await store.tokens.redeem(Self.redemption("t3", site: Self.otherSite, max: 2)) else {
            Issue.record("another site is under its own limit")
            return
        }
        #expect(accounts == 1)
        guard case .redeemed = try await store.tokens.redeem(Self.redemption("other", max: 2)) else {
            Issue.record("another subject is under the limit")
            return
        }
    }

    @Test(arguments: backends)
    func concurrentRedemptionsHaveOneWinner(backend: Backend) async throws {
        let store = try backend.make()
        defer { store.cleanup() }
        try await store.decisions.record(Self.approved("race"))
        let tokens = store.tokens
        let outcomes = try await withThrowingTaskGroup(of: RedemptionOutcome.self) { group in
            for _ in 0..<50 { group.addTask { try await tokens.redeem(Self.redemption("race")) } }
            return try await group.reduce(into: [RedemptionOutcome]()) { $0.append($1) }
        }
        #expect(outcomes.filter { if case .redeemed = $0 { true } else { false } }.count == 1)
        #expect(outcomes.filter { $0 == .alreadyUsed }.count == 49)
    }

    @Test(arguments: backends)
    func registryImportsUpsertAndAreAllOrNothing(backend: Backend) async throws {
        let store = try backend.make()
        defer { store.cleanup() }
        let records = (0..<100).map { ResidentRecord(residentIDHash: "id\($0)", nameHash: "n\($0)", status: .active, regionCode: 110105, sealedPhone: nil) }
        #expect(try store.registry.importResidents(records) == 100)
        #expect(try store.registry.importResidents(records) == 100)
        #expect(try await store.registry.residentCount() == 100, "importing the same rows twice changes nothing")

        struct Interrupted: Error {}
        // Half a file in, the reader fails: nothing of this import may remain, updates included.
        #expect(throws: Interrupted.self) {
            try store.registry.importResidents { write in
                try write(ResidentRecord(residentIDHash: "id0", nameHash: "changed", status: .cancelled, regionCode: 1, sealedPhone: nil))
                for index in 1...30 {
                    try write(ResidentRecord(residentIDHash: "late\(index)", nameHash: "x", status: .active, regionCode: 1, sealedPhone: nil))
                }
                throw Interrupted()
            }
        }
        #expect(try await store.registry.residentCount() == 100)
        #expect(try await store.registry.resident(residentIDHash: "id0")?.nameHash == "n0")
        #expect(try await store.registry.resident(residentIDHash: "late1") == nil)
    }

    @Test(arguments: backends)
    func sitesAreFoundByKeyHashAndSuspend(backend: Backend) async throws {
        let store = try backend.make()
        defer { store.cleanup() }
        let site = Site(id: Self.site, name: "S", licence: "京ICP证000000号", maxAccounts: 3, isSuspended: false, createdAt: 1)
        try await store.sites.add(site, apiKeyHash: "hash-1")
        #expect(try await store.sites.site(apiKeyHash: "hash-1") == site)
        #expect(try await store.sites.site(apiKeyHash: "hash-2") == nil)
        #expect(try await store.sites.setSuspended(Self.site, true))
        #expect(try await store.sites.site(id: Self.site)?.isSuspended == true)
        #expect(try await store.sites.setSuspended(Self.otherSite, true) == false)
        #expect(try await store.sites.sites().count == 1)
    }
}
