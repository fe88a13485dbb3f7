import Foundation
import IDCACore
import IDCATokens
import Testing

/// The key register's schedule (migration 0005_key_rotation), part of the storage contract: the same
/// cases on SQLite and PostgreSQL.
extension StorageContractTests {
    static func signingKey(_ key: TokenSigningKey, at time: Int64) -> RecordedKey {
        RecordedKey(purpose: "token-signing", keyID: key.keyID, publicKey: key.publicKey.pemRepresentation, createdAt: time)
    }

    static func next(_ key: TokenSigningKey, at time: Int64, delay: Int64) -> ScheduledKey {
        ScheduledKey(keyID: key.keyID, publicKey: key.publicKey.pemRepresentation, createdAt: time, publishedAt: time,
                     activatesAt: time + delay)
    }

    static func keyEvent(_ keyID: String, time: Int64) -> AuditEvent {
        AuditEvent(.keyGenerated, time: time, actor: .operator("test"), outcome: "generated", object: keyID)
    }

    @Test(arguments: backends)
    func anEnrolledSigningKeySignsFromItsRecordingAndOthersAreNotScheduled(backend: Backend) async throws {
        let store = try await backend.make()
        defer { store.cleanup() }
        let first = TokenSigningKey.generate()
        _ = try await store.keys.enroll([
            Self.signingKey(first, at: 1000),
            RecordedKey(purpose: "index", keyID: "fingerprint", publicKey: nil, createdAt: 1000),
        ])
        let schedule = try await store.keys.signingSchedule()
        #expect(schedule.map(\.keyID) == [first.keyID], "only token-signing keys have a schedule")
        let key = try #require(schedule.first)
        #expect(key.publishedAt == 1000 && key.activatesAt == 1000 && key.retiredAt == nil && key.dropsAt == nil && !key.isRevoked)
        #expect(key.publicKey == first.publicKey.pemRepresentation)
        #expect(key.state(at: 999) == .pending && key.state(at: 1000) == .signing)
    }

    @Test(arguments: backends)
    func aRotationPublishesTheNextKeyAndRetiresTheSigningOnesAtItsActivation(backend: Backend) async throws {
        let store = try await backend.make()
        defer { store.cleanup() }
        let first = TokenSigningKey.generate(), second = TokenSigningKey.generate()
        _ = try await store.keys.enroll([Self.signingKey(first, at: 1000)])
        let outcome = try await store.keys.scheduleRotation(Self.next(second, at: 2000, delay: 600), now: 2000, retiredKeysDropAt: 2600 + 3660,
                                                            audit: Self.keyEvent(second.keyID, time: 2000))
        #expect(outcome == .scheduled(retiring: [first.keyID]))
        let schedule = try await store.keys.signingSchedule()
        #expect(schedule.map(\.keyID) == [first.keyID, second.keyID], "in order of activation")
        #expect(schedule[0].retiredAt == 2600 && schedule[0].dropsAt == 2600 + 3660)
        #expect(schedule[1].publishedAt == 2000 && schedule[1].activatesAt == 2600 && schedule[1].retiredAt == nil)
        #expect(schedule.map { $0.state(at: 2000) } == [.signing, .next])
        #expect(schedule.map { $0.state(at: 2600) } == [.retired, .signing])
        #expect(schedule.map { $0.state(at: 2600 + 3660) } == [.expired, .signing])
        // The rotation is in the audit log, in the same transaction.
        let entries = try await store.audit.entries(after: 0, limit: 10)
        #expect(entries.map(\.object) == [second.keyID])
    }

    @Test(arguments: backends)
    func aSecondRotationWhileOneIsPendingIsRefusedAndRecordsNothing(backend: Backend) async throws {
        let store = try await backend.make()
        defer { store.cleanup() }
        let first = TokenSigningKey.generate(), second = TokenSigningKey.generate(), third = TokenSigningKey.generate()
        _ = try await store.keys.enroll([Self.signingKey(first, at: 1000)])
        _ = try await store.keys.scheduleRotation(Self.next(second, at: 2000, delay: 600), now: 2000, retiredKeysDropAt: 6260,
                                                  audit: Self.keyEvent(second.keyID, time: 2000))
        let refused = try await store.keys.scheduleRotation(Self.next(third, at: 2599, delay: 600), now: 2599, retiredKeysDropAt: 9999,
                                                            audit: Self.keyEvent(third.keyID, time: 2599))
        guard case .alreadyPending(let pending) = refused else {
            Issue.record("a rotation while one is pending must be refused, got \(refused)")
            return
        }
        #expect(pending.keyID == second.keyID)
        let schedule = try await store.keys.signingSchedule()
        #expect(schedule.map(\.keyID) == [first.keyID, second.keyID])
        #expect(schedule[0].dropsAt == 6260, "the refused rotation changed no date")
        #expect(try await store.audit.entries(after: 0, limit: 10).count == 1, "and logged nothing")

        // Once the pending key signs, the next rotation is accepted and retires it.
        let accepted = try await store.keys.scheduleRotation(Self.next(third, at: 2600, delay: 600), now: 2600, retiredKeysDropAt: 7000,
                                                             audit: Self.keyEvent(third.keyID, time: 2600))
        #expect(accepted == .scheduled(retiring: [second.keyID]), "the key retired before is not retired again")
        let after = try await store.keys.signingSchedule()
        #expect(after.map(\.dropsAt) == [6260, 7000, nil])
    }

    @Test(arguments: backends)
    func concurrentRotationsScheduleOneKey(backend: Backend) async throws {
        let store = try await backend.make()
        defer { store.cleanup() }
        _ = try await store.keys.enroll([Self.signingKey(.generate(), at: 1000)])
        let keys = (0..<6).map { _ in TokenSigningKey.generate() }
        let outcomes = try await withThrowingTaskGroup(of: RotationOutcome.self) { group in
            for key in keys {
                group.addTask {
                    try await store.keys.scheduleRotation(Self.next(key, at: 2000, delay: 600), now: 2000, retiredKeysDropAt: 6260,
                                                          audit: Self.keyEvent(key.keyID, time: 2000))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { if case .scheduled = $0 { true } else { false } }.count == 1)
        #expect(try await store.keys.signingSchedule().count == 2)
    }

    @Test(arguments: backends)
    func revocationIsRecordedOnceAndOnlyForTokenSigningKeys(backend: Backend) async throws {
        let store = try await backend.make()
        defer { store.cleanup() }
        let first = TokenSigningKey.generate()
        _ = try await store.keys.enroll([
            Self.signingKey(first, at: 1000),
            RecordedKey(purpose: "audit-signing", keyID: "audit-kid", publicKey: "pem", createdAt: 1000),
        ])
        let event = AuditEvent(.keyRevoked, time: 1500, actor: .operator("test"), outcome: "revoked", object: first.keyID)
        #expect(try await store.keys.revoke(keyID: first.keyID, at: 1500, audit: event))
        #expect(try await store.keys.revoke(keyID: first.keyID, at: 1600, audit: event) == false, "already revoked")
        #expect(try await store.keys.revoke(keyID: "no-such-key", at: 1600, audit: event) == false)
        #expect(try await store.keys.revoke(keyID: "audit-kid", at: 1600, audit: event) == false, "the audit key is not revoked this way")
        let key = try #require(try await store.keys.signingSchedule().first)
        #expect(key.isRevoked && key.revokedAt == 1500 && key.state(at: 1000) == .revoked)
        #expect(try await store.audit.entries(after: 0, limit: 10).count == 1)
        #expect(try await store.keys.enroll([]).first { $0.keyID == first.keyID }?.isRevoked == true, "enrollment sees it revoked")
    }
}
