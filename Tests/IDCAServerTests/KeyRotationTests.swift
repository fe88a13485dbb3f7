import Foundation
import Hummingbird
import HummingbirdTesting
import IDCACore
import IDCAHTTP
import IDCAPostgres
import IDCASQLite
import IDCAServices
import IDCATokens
import Testing

/// A test CA whose services follow a `SigningKeyRing` over its key register, as `idca serve` wires
/// them: the issuer takes `current()` per application, the verifier and the JWKS follow the ring.
/// Time is the test's manual clock; nothing sleeps.
struct RotatingCA {
    let ca: TestCA
    let register: SQLiteKeyRegister
    let ring: SigningKeyRing
    let services: HTTPServices
    let lifetime: Int64
    var first: TokenSigningKey { ca.signingKey }
    var clock: ManualClock { ca.clock }

    init(lifetime: Int64 = 3600) async throws {
        ca = try await TestCA()
        self.lifetime = lifetime
        register = SQLiteKeyRegister(database: ca.database)
        _ = try await register.enroll([StorageContractTests.signingKey(ca.signingKey, at: TestCA.start)])
        let ring = SigningKeyRing(schedule: try await register.signingSchedule(), privateKeys: [ca.signingKey], clock: ca.clock)
        self.ring = ring
        var services = ca.services
        let database = ca.database
        var dependencies = ca.certificationDependencies
        dependencies.issuer = TokenIssuer(following: ring, tokenLifetime: lifetime)
        services.certification = CertificationService(dependencies: dependencies, settings: .init(issuerURL: TestCA.issuer, tokenLifetime: lifetime))
        services.verification = VerificationService(
            verifier: TokenVerifier(following: ring, issuer: TestCA.issuer), ledger: SQLiteTokenLedger(database: database),
            auditLog: SQLiteAuditLog(database: database), pseudonyms: PseudonymGenerator(key: SecretKey.generate()), clock: ca.clock)
        services.jwks = { ring.jwks }
        services.isHealthy = { ring.signing(tokenLifetime: lifetime).issuer != nil }
        self.services = services
    }

    /// `idca keys rotate` on this CA: `key` is published now and signs after `delay`.
    @discardableResult
    func rotate(to key: TokenSigningKey, delay: Int64, holding: [TokenSigningKey]) async throws -> RotationOutcome {
        let now = clock.now()
        let outcome = try await register.scheduleRotation(
            ScheduledKey(keyID: key.keyID, publicKey: key.publicKey.pemRepresentation, createdAt: now, publishedAt: now, activatesAt: now + delay),
            now: now, retiredKeysDropAt: KeyRotationPolicy.dropTime(retiredAt: now + delay, longestLifetime: lifetime, leeway: 60),
            audit: StorageContractTests.keyEvent(key.keyID, time: now))
        try await refresh(holding: holding)
        return outcome
    }

    /// What the refresher does every few seconds: re-read the register and the key files.
    func refresh(holding keys: [TokenSigningKey]) async throws {
        ring.update(schedule: try await register.signingSchedule(), privateKeys: keys)
    }

    var application: some ApplicationProtocol {
        buildApplication(services: services, settings: ServerSettings(host: "127.0.0.1", port: 0), metrics: ca.metrics, logger: ca.logger)
    }
}

/// The `kid` in a compact token's header.
func keyID(of token: String) -> String? {
    guard let header = token.split(separator: ".").first, let bytes = Base64URL.decode(header),
          let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
    else { return nil }
    return object["kid"] as? String
}

/// The `kid`s of a JWKS document, in order.
func keyIDs(ofJWKS text: String) -> [String] {
    guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
          let keys = object["keys"] as? [[String: Any]]
    else { return [] }
    return keys.compactMap { $0["kid"] as? String }
}

@Suite("Key rotation")
struct KeyRotationTests {
    @Test func theNextKeyIsPublishedBeforeItSignsAndTakesOverAtItsActivation() async throws {
        let rotating = try await RotatingCA()
        defer { rotating.ca.remove() }
        let second = TokenSigningKey.generate()
        try await rotating.application.test(.router) { client in
            // Before the rotation: one key, published and signing.
            #expect(keyIDs(ofJWKS: try await client.call(.get, "/.well-known/jwks.json").text) == [rotating.first.keyID])

            try await rotating.rotate(to: second, delay: 600, holding: [rotating.first, second])
            // Published at once, not signing during the delay (up to its last second).
            #expect(keyIDs(ofJWKS: try await client.call(.get, "/.well-known/jwks.json").text) == [rotating.first.keyID, second.keyID])
            let during = try await client.apply(Fixture.zhangSan)
            #expect(keyID(of: during.object["token"] as? String ?? "") == rotating.first.keyID)
            rotating.clock.advance(by: 599)
            #expect(keyID(of: try await client.apply(Fixture.zhangSan).object["token"] as? String ?? "") == rotating.first.keyID)

            // At the activation second it signs, with no refresh in between: the clock alone switches.
            rotating.clock.advance(by: 1)
            let after = try await client.apply(Fixture.zhangSan)
            #expect(after.status == .created)
            #expect(keyID(of: after.object["token"] as? String ?? "") == second.keyID)
            #expect(keyIDs(ofJWKS: try await client.call(.get, "/.well-known/jwks.json").text) == [second.keyID, rotating.first.keyID],
                    "the signing key first, then the retired one")
        }
        // The audit entries name the key that signed each token.
        let entries = try await rotating.ca.services.audit.entries(after: 0, limit: 100).filter { $0.type == "token.issued" }
        #expect(entries.count == 3)
        #expect(entries.last?.detail.contains(second.keyID) == true, "\(entries.last?.detail ?? "")")
    }

    @Test func aTokenOfTheRetiredKeyVerifiesWhilePublishedAndIsUnknownAfterDropOut() async throws {
        let rotating = try await RotatingCA()
        defer { rotating.ca.remove() }
        let (_, apiKey) = try await rotating.ca.addSite()
        let second = TokenSigningKey.generate()
        try await rotating.application.test(.router) { client in
            try await rotating.rotate(to: second, delay: 600, holding: [rotating.first, second])
            rotating.clock.advance(by: 599)
            let early = try #require(try await client.apply(Fixture.zhangSan).object["token"] as? String)
            let late = try #require(try await client.apply(Fixture.aili).object["token"] as? String)
            #expect(keyID(of: early) == rotating.first.keyID && keyID(of: late) == rotating.first.keyID)

            // Retired (the new key signs), still published: its token verifies.
            rotating.clock.advance(by: 2)
            #expect(try await client.verify(early, apiKey: apiKey).object["active"] as? Bool == true)

            // Dropped out at retirement + lifetime + leeway: the kid is unknown, not merely expired.
            rotating.clock.advance(by: 600 + 3600 + 60 - 601)
            #expect(!keyIDs(ofJWKS: try await client.call(.get, "/.well-known/jwks.json").text).contains(rotating.first.keyID))
            let dropped = try await client.verify(late, apiKey: apiKey)
            #expect(dropped.object["active"] as? Bool == false)
            #expect(dropped.object["reason"] as? String == "unknown_key")
        }
    }

    @Test func noTokenSignedByTheRetiredKeyOutlivesItsPublication() async throws {
        // Every token the old key signed expires (plus leeway) no later than the key drops out.
        let rotating = try await RotatingCA()
        defer { rotating.ca.remove() }
        let second = TokenSigningKey.generate()
        try await rotating.rotate(to: second, delay: 600, holding: [rotating.first, second])
        let schedule = try await rotating.register.signingSchedule()
        let old = try #require(schedule.first { $0.keyID == rotating.first.keyID })
        let lastSecondOfSigning = try #require(old.retiredAt) - 1
        #expect(lastSecondOfSigning + rotating.lifetime + 60 < (try #require(old.dropsAt)), "its last token expires before it drops out")
        #expect(old.canSign(at: lastSecondOfSigning, lifetime: rotating.lifetime, leeway: 60))
        #expect(!old.canSign(at: lastSecondOfSigning + 1, lifetime: rotating.lifetime, leeway: 60), "retired: no token would stay verifiable")
    }

    @Test func aRevokedKeyNeverVerifiesNorSigns() async throws {
        let rotating = try await RotatingCA()
        defer { rotating.ca.remove() }
        let (_, apiKey) = try await rotating.ca.addSite()
        try await rotating.application.test(.router) { client in
            let first = try #require(try await client.apply(Fixture.zhangSan).object["token"] as? String)
            let second = try #require(try await client.apply(Fixture.aili).object["token"] as? String)
            #expect(try await client.verify(first, apiKey: apiKey).object["active"] as? Bool == true, "accepted before revocation")

            let event = AuditEvent(.keyRevoked, time: rotating.clock.now(), actor: .operator("test"), outcome: "revoked",
                                   object: rotating.first.keyID)
            #expect(try await rotating.register.revoke(keyID: rotating.first.keyID, at: rotating.clock.now(), audit: event))
            try await rotating.refresh(holding: [rotating.first])
            let refused = try await client.verify(second, apiKey: apiKey)
            #expect(refused.object["active"] as? Bool == false && refused.object["reason"] as? String == "unknown_key")
            #expect(keyIDs(ofJWKS: try await client.call(.get, "/.well-known/jwks.json").text).isEmpty)
            // The node holds the revoked key's file, and still does not sign with it: 503, unhealthy.
            let application = try await client.apply(Fixture.zhangSan)
            #expect(application.status == .serviceUnavailable)
            #expect(application.object["error"] as? String == "signing_key_unavailable", "\(application.text)")
            #expect(try await client.call(.get, "/healthz").status == .serviceUnavailable)
        }
    }

    @Test func aRevokedNextKeyIsNeverPublishedNorUsed() async throws {
        let rotating = try await RotatingCA()
        defer { rotating.ca.remove() }
        let second = TokenSigningKey.generate()
        try await rotating.rotate(to: second, delay: 600, holding: [rotating.first, second])
        let event = AuditEvent(.keyRevoked, time: rotating.clock.now(), actor: .operator("test"), outcome: "revoked", object: second.keyID)
        #expect(try await rotating.register.revoke(keyID: second.keyID, at: rotating.clock.now(), audit: event))
        try await rotating.refresh(holding: [rotating.first, second])
        #expect(keyIDs(ofJWKS: rotating.ring.jwks) == [rotating.first.keyID])
        rotating.clock.advance(by: 600)
        // The old key's retirement stands (the schedule was recorded); with the next key revoked, the
        // old one signs only while its tokens still fit in its publication window.
        let signing = rotating.ring.signing(tokenLifetime: rotating.lifetime)
        #expect(signing.status == .unableToSign)
        #expect(throws: IDCAError.self) { try TokenIssuer(following: rotating.ring, tokenLifetime: rotating.lifetime).current() }
    }

    @Test func anUnknownKeyIDNeverVerifiesEvenWhenItsFileIsHeld() async throws {
        let rotating = try await RotatingCA()
        defer { rotating.ca.remove() }
        let (_, apiKey) = try await rotating.ca.addSite()
        let stray = TokenSigningKey.generate()
        // A key file the schedule does not name (from another CA, or a failed rotation) is never used.
        try await rotating.refresh(holding: [rotating.first, stray])
        #expect(keyIDs(ofJWKS: rotating.ring.jwks) == [rotating.first.keyID])
        try await rotating.application.test(.router) { client in
            let issued = try #require(try await client.apply(Fixture.zhangSan).object["token"] as? String)
            #expect(keyID(of: issued) == rotating.first.keyID)
            #expect(try await client.verify(issued, apiKey: apiKey).object["active"] as? Bool == true)

            let now = rotating.clock.now()
            let forged = TokenIssuer(signingKey: stray).issue(CertificationClaims(
                issuer: TestCA.issuer, tokenID: CertificationClaims.newTokenID(), issuedAt: now, notBefore: now, expiresAt: now + 3600,
                subjectType: "individual", assurance: "registry"))
            let refused = try await client.verify(forged, apiKey: apiKey)
            #expect(refused.object["reason"] as? String == "unknown_key")
        }
    }

    @Test func theJWKSCacheLifetimeIsShorterThanAnyPrePublicationDelay() async throws {
        let rotating = try await RotatingCA()
        defer { rotating.ca.remove() }
        try await rotating.application.test(.router) { client in
            let response = try await client.call(.get, "/.well-known/jwks.json")
            #expect(response.headers[.cacheControl] == "public, max-age=\(KeyRotationPolicy.cacheMaxAge)")
            #expect(response.headers[.contentType] == "application/jwk-set+json")
        }
        // A cache filled just before a rotation expires before the new key's first token, with margin.
        #expect(KeyRotationPolicy.cacheMaxAge <= KeyRotationPolicy.minimumDelay / 2)
        #expect(KeyRotationPolicy.cacheMaxAge == 300)
        #expect(KeyRotationPolicy.minimumDelay <= KeyRotationPolicy.defaultDelay && KeyRotationPolicy.defaultDelay <= KeyRotationPolicy.maximumDelay)
    }

    @Test func aNodeWithoutTheNextKeyFailsClosedAtActivationAndRecoversWhenTheFileArrives() async throws {
        let rotating = try await RotatingCA()
        defer { rotating.ca.remove() }
        let second = TokenSigningKey.generate()
        // The rotation was made on another node; this one still holds only the first key.
        try await rotating.rotate(to: second, delay: 600, holding: [rotating.first])
        try await rotating.application.test(.router) { client in
            let before = rotating.ring.signing(tokenLifetime: rotating.lifetime)
            #expect(before.status == .onSchedule(keyID: rotating.first.keyID))
            #expect(before.missing.map(\.keyID) == [second.keyID], "warned about before the activation")
            #expect(try await client.call(.get, "/healthz").status == .ok)

            rotating.clock.advance(by: 600)
            // It must not sign with the retired key (its tokens would outlive its publication).
            #expect(rotating.ring.signing(tokenLifetime: rotating.lifetime).status == .unableToSign)
            let refused = try await client.apply(Fixture.zhangSan)
            #expect(refused.status == .serviceUnavailable && refused.object["error"] as? String == "signing_key_unavailable")
            #expect(try await client.call(.get, "/healthz").status == .serviceUnavailable)
            // It still publishes the schedule's keys and verifies.
            #expect(keyIDs(ofJWKS: try await client.call(.get, "/.well-known/jwks.json").text) == [second.keyID, rotating.first.keyID])

            // The operator copies the file; the next refresh picks it up.
            try await rotating.refresh(holding: [rotating.first, second])
            let accepted = try await client.apply(Fixture.zhangSan)
            #expect(accepted.status == .created && keyID(of: accepted.object["token"] as? String ?? "") == second.keyID)
            #expect(try await client.call(.get, "/healthz").status == .ok)
        }
    }

    @Test func aNodeWithShorterTokensMaySignWithTheRetiredKeyOnlyWithinItsWindow() async throws {
        // Schedule recorded for 3600 s tokens; this node issues 600 s tokens.
        let rotating = try await RotatingCA(lifetime: 3600)
        defer { rotating.ca.remove() }
        let second = TokenSigningKey.generate()
        try await rotating.rotate(to: second, delay: 600, holding: [rotating.first])
        let activation = rotating.clock.now() + 600
        let drop = activation + 3600 + 60
        rotating.clock.advance(by: 600)
        let behind = rotating.ring.signing(tokenLifetime: 600)
        #expect(behind.status == .behindSchedule(signingWith: rotating.first.keyID, until: drop - 600 - 60 - 1))
        #expect(behind.issuer?.keyID == rotating.first.keyID)
        #expect(rotating.ring.signing(tokenLifetime: 3600).status == .unableToSign, "not for tokens as long as the schedule's")
        rotating.clock.advance(by: drop - 600 - 60 - 1 - activation)
        #expect(rotating.ring.signing(tokenLifetime: 600).issuer?.keyID == rotating.first.keyID, "its last second")
        rotating.clock.advance(by: 1)
        #expect(rotating.ring.signing(tokenLifetime: 600).status == .unableToSign)
    }

    @Test func anIssuerTakenOnceKeepsItsKeyAcrossTheSwitch() async throws {
        let rotating = try await RotatingCA()
        defer { rotating.ca.remove() }
        let second = TokenSigningKey.generate()
        try await rotating.rotate(to: second, delay: 600, holding: [rotating.first, second])
        let following = TokenIssuer(following: rotating.ring, tokenLifetime: 3600)
        rotating.clock.advance(by: 599)
        let taken = try following.current()
        rotating.clock.advance(by: 1)
        // The snapshot names and signs with one key, whatever the clock does meanwhile.
        #expect(taken.keyID == rotating.first.keyID)
        #expect(keyID(of: taken.issue(CertificationClaims(issuer: TestCA.issuer, tokenID: "t", issuedAt: 1, notBefore: 1, expiresAt: 2,
                                                            subjectType: "individual", assurance: "registry"))) == rotating.first.keyID)
        #expect(try following.current().keyID == second.keyID, "a new snapshot after the switch")
        // A fixed issuer is its own snapshot.
        let fixed = TokenIssuer(signingKey: second)
        #expect(try fixed.current().keyID == second.keyID)
    }

    @Test(arguments: [
        // (state at 0, state at 5, state at 10, state at 20, state at 30) for published 0, activates 10, retires 20, drops 30.
        (false, [ScheduledKey.State.next, .next, .signing, .retired, .expired]),
        (true, [ScheduledKey.State.revoked, .revoked, .revoked, .revoked, .revoked]),
    ])
    func statesFollowTheDates(revoked: Bool, expected: [ScheduledKey.State]) {
        let key = ScheduledKey(keyID: "k", publicKey: "", createdAt: 0, publishedAt: 0, activatesAt: 10, retiredAt: 20, dropsAt: 30,
                               revokedAt: revoked ? 1 : nil)
        #expect([0, 5, 10, 20, 30].map { key.state(at: $0) } == expected)
        #expect(key.state(at: -1) == (revoked ? .revoked : .pending))
        #expect(expected.map(\.isPublished) == expected.map { $0 == .next || $0 == .signing || $0 == .retired })
        #expect(key.nextChange(after: 5) == (revoked ? nil : 10))
    }
}

/// Two instances on one PostgreSQL database, each with its own backend and ring (as two `idca serve`
/// processes have), follow one schedule: one JWKS, one switch second, and a revocation made through
/// one instance reaches the other at its next refresh.
@Suite("Key rotation across PostgreSQL instances", .enabled(if: PostgresForTests.isConfigured))
struct PostgresKeyRotationTests {
    @Test func twoInstancesSwitchAtTheSameSecondAndShareRevocations() async throws {
        let database = try await PostgresForTests.makeDatabase()
        let second = try await PostgresBackend(url: PostgresForTests.urlOfDatabase(database.name, on: database.adminURL),
                                               logger: PostgresForTests.quietLogger)
        defer { database.drop(); Task { await second.close() } }
        let registers = [PostgresKeyRegister(database: database.database), PostgresKeyRegister(database: second)]
        let clock = ManualClock(TestCA.start)
        let first = TokenSigningKey.generate(), next = TokenSigningKey.generate()
        // Both instances enroll the shared token-signing.pem at once.
        _ = try await registers[0].enroll([StorageContractTests.signingKey(first, at: TestCA.start)])
        _ = try await registers[1].enroll([StorageContractTests.signingKey(first, at: TestCA.start)])
        let rings = [SigningKeyRing(schedule: [], privateKeys: [], clock: clock), SigningKeyRing(schedule: [], privateKeys: [], clock: clock)]
        func refresh() async throws {
            for (ring, register) in zip(rings, registers) {
                ring.update(schedule: try await register.signingSchedule(), privateKeys: [first, next])
            }
        }

        // The operator rotates through instance 1.
        let now = clock.now()
        let outcome = try await registers[0].scheduleRotation(
            ScheduledKey(keyID: next.keyID, publicKey: next.publicKey.pemRepresentation, createdAt: now, publishedAt: now, activatesAt: now + 600),
            now: now, retiredKeysDropAt: now + 600 + 3660, audit: StorageContractTests.keyEvent(next.keyID, time: now))
        #expect(outcome == .scheduled(retiring: [first.keyID]))
        try await refresh()
        #expect(rings[0].jwks == rings[1].jwks)
        #expect(keyIDs(ofJWKS: rings[1].jwks) == [first.keyID, next.keyID])
        clock.advance(by: 599)
        #expect(rings.map { $0.signing(tokenLifetime: 3600).issuer?.keyID } == [first.keyID, first.keyID])
        clock.advance(by: 1)
        #expect(rings.map { $0.signing(tokenLifetime: 3600).issuer?.keyID } == [next.keyID, next.keyID], "the same second on both")

        // A second rotation through instance 2 while none is pending is accepted; one through
        // instance 1 right after is refused: the pending key is seen across instances.
        let third = TokenSigningKey.generate(), fourth = TokenSigningKey.generate()
        let later = clock.now()
        #expect(try await registers[1].scheduleRotation(
            ScheduledKey(keyID: third.keyID, publicKey: third.publicKey.pemRepresentation, createdAt: later, publishedAt: later, activatesAt: later + 600),
            now: later, retiredKeysDropAt: later + 600 + 3660, audit: StorageContractTests.keyEvent(third.keyID, time: later))
            == .scheduled(retiring: [next.keyID]))
        guard case .alreadyPending(let pending) = try await registers[0].scheduleRotation(
            ScheduledKey(keyID: fourth.keyID, publicKey: fourth.publicKey.pemRepresentation, createdAt: later, publishedAt: later, activatesAt: later + 600),
            now: later, retiredKeysDropAt: later + 600 + 3660, audit: StorageContractTests.keyEvent(fourth.keyID, time: later))
        else {
            Issue.record("a rotation while another instance's is pending must be refused")
            return
        }
        #expect(pending.keyID == third.keyID)

        // Revoked through instance 2: instance 1 stops publishing and trusting it at its next refresh.
        let event = AuditEvent(.keyRevoked, time: later, actor: .operator("test"), outcome: "revoked", object: next.keyID)
        #expect(try await registers[1].revoke(keyID: next.keyID, at: later, audit: event))
        try await refresh()
        #expect(!keyIDs(ofJWKS: rings[0].jwks).contains(next.keyID))
        let verifier = TokenVerifier(following: rings[0], issuer: TestCA.issuer)
        let token = TokenIssuer(signingKey: next).issue(CertificationClaims(
            issuer: TestCA.issuer, tokenID: "t", issuedAt: later, notBefore: later, expiresAt: later + 3600, subjectType: "individual",
            assurance: "registry"))
        #expect(verifier.verify(token, now: later, siteID: "s") == .failure(.unknownKey))
    }
}
