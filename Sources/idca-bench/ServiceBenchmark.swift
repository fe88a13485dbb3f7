import Foundation
import IDCACore
import IDCANotify
import IDCARules
import IDCASQLite
import IDCAServices
import IDCASynthetic
import IDCATokens
import Synchronization

/// The certification services in-process, without HTTP: tells how much of the server's time is the
/// service path itself (rules, registry read, signing, group-committed durable writes).
func benchmarkServices(seconds: Int, concurrency: Int) async throws {
    let directory = NSTemporaryDirectory() + "idca-bench-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let database = try SQLiteDatabase(path: directory + "/bench.sqlite")
    let hasher = IdentityHasher(indexKey: SecretKey.generate())
    let registry = SQLiteRegistry(database: database)
    let today = CivilDate(year: 2026, month: 11, day: 29)!
    var random = SeededGenerator(seed: 3)
    let numbers = SyntheticNumbers()
    let people = SyntheticPeople()
    var claims: [PersonClaim] = []
    for _ in 0..<10_000 {
        claims.append(PersonClaim(name: people.name(using: &random),
                                  residentID: numbers.residentID(bornIn: CivilDate(year: 1950, month: 1, day: 1)!...CivilDate(year: 2000, month: 1, day: 1)!, using: &random)))
    }
    let context = ValidationContext(today: today)
    _ = try await registry.importResidents(try claims.map { claim in
        let number = try ResidentIDNumber(validating: claim.residentID, context: context)
        return ResidentRecord(residentIDHash: hasher.residentReference(number), nameHash: hasher.nameHash(try NameRules.normalizedPersonName(claim.name)),
                              status: .active, regionCode: number.region.code, sealedPhone: nil)
    }, audit: { AuditEvent(.registryImported, time: 1_795_900_000, actor: .system, outcome: "imported", details: [("imported", String($0))]) })
    struct Now: IDCACore.Clock { func now() -> Int64 { 1_795_900_000 } }
    let signing = TokenSigningKey.generate()
    let sites = SQLiteSiteDirectory(database: database)
    let siteService = SiteService(directory: sites, identityHasher: hasher, clock: Now(), random: SystemRandomSource())
    let (site, _) = try await siteService.add(name: "Bench", licence: "京ICP证000000号", maxAccounts: 1000, by: .system)
    let certification = CertificationService(
        dependencies: .init(registry: registry, ledger: SQLiteDecisionLedger(database: database), sites: sites, identityHasher: hasher,
                            issuer: TokenIssuer(signingKey: signing), clock: Now(), random: SystemRandomSource(),
                            // No phone is on file in this registry: the outbox is never written.
                            possession: PossessionCheck(ledger: SQLitePossessionLedger(database: database),
                                                        notifier: OutboxNotifier(path: NSTemporaryDirectory() + "/idca-bench-outbox.log"),
                                                        sealer: DataSealer(key: SecretKey.generate())),
                            budgets: Budgets(history: SQLiteApplicationHistory(database: database)), auditLog: SQLiteAuditLog(database: database)),
        settings: .init(issuerURL: "https://idca.bench"))
    let verification = VerificationService(
        verifier: TokenVerifier(keys: [signing.publicKey], issuer: "https://idca.bench"), ledger: SQLiteTokenLedger(database: database),
        auditLog: SQLiteAuditLog(database: database), pseudonyms: PseudonymGenerator(key: SecretKey.generate()), clock: Now())

    let tokens = Mutex<[String]>([])
    let claimList = claims
    let applyRate = try await measureConcurrently(seconds: seconds, concurrency: concurrency) { worker, iteration in
        let claim = claimList[(worker * 7919 + iteration) % claimList.count]
        let result = try await certification.apply(.individual(claim, site: nil))
        if let token = result.token { tokens.withLock { $0.append(token) } }
    }
    print("service: apply (approved, durable)     \(Int(applyRate)) /s with \(concurrency) concurrent callers")

    let issued = tokens.withLock { $0 }
    let next = Atomic<Int>(0)
    let verifyRate = try await measureConcurrently(seconds: seconds, concurrency: concurrency) { _, _ in
        let index = next.add(1, ordering: .relaxed).newValue - 1
        guard index < issued.count else { return }
        _ = try await verification.verify(issued[index], for: site)
    }
    print("service: verify (redeemed, durable)    \(Int(min(verifyRate, Double(issued.count) / Double(seconds)))) /s (\(issued.count) tokens available)")

    let signRate = measureSerially(seconds: 1) { _ = TokenIssuer(signingKey: signing).issue(CertificationClaims(
        issuer: "https://idca.bench", tokenID: "x", issuedAt: 1, notBefore: 1, expiresAt: 2, subjectType: "individual", assurance: "registry")) }
    let verifier = TokenVerifier(keys: [signing.publicKey], issuer: "https://idca.bench")
    let sample = issued.first ?? ""
    let verifyOnly = measureSerially(seconds: 1) { _ = verifier.verify(sample, now: 1_795_900_000, siteID: site.id.rawValue) }
    print("one core: sign \(Int(signRate)) /s, strict verify \(Int(verifyOnly)) /s")
    try database.pool.close()
}

private func measureConcurrently(seconds: Int, concurrency: Int,
                                 _ body: @escaping @Sendable (Int, Int) async throws -> Void) async throws -> Double {
    let deadline = ContinuousClock.now + .seconds(seconds)
    let start = ContinuousClock.now
    let total = try await withThrowingTaskGroup(of: Int.self) { group in
        for worker in 0..<concurrency {
            group.addTask {
                var count = 0
                while ContinuousClock.now < deadline {
                    try await body(worker, count)
                    count += 1
                }
                return count
            }
        }
        return try await group.reduce(0, +)
    }
    let elapsed = ContinuousClock.now - start
    return Double(total) / (elapsed / .seconds(1))
}

private func measureSerially(seconds: Int, _ body: () -> Void) -> Double {
    let deadline = ContinuousClock.now + .seconds(seconds)
    var count = 0
    while ContinuousClock.now < deadline {
        body()
        count += 1
    }
    return Double(count) / Double(seconds)
}
