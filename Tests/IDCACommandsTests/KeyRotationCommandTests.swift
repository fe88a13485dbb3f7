import Foundation
@testable import IDCACommands
import IDCACore
import IDCATokens
import Logging
import Synchronization
import Testing

/// Time the tests move by hand (the in-process nodes share it, as instances share a synchronized clock).
final class SteppedClock: IDCACore.Clock {
    private let seconds: Mutex<Int64>
    init(_ start: Int64) { seconds = Mutex(start) }
    func now() -> Int64 { seconds.withLock { $0 } }
    func advance(by delta: Int64) { seconds.withLock { $0 += delta } }
}

/// `idca keys rotate`, `list` and `revoke`, and several nodes following one schedule.
@Suite("Key rotation commands")
struct KeyRotationCommandTests {
    /// A fresh CA: a key directory and a SQLite database, with its keys enrolled.
    struct CA {
        let directory: String
        var options: [String] { ["--database", directory + "/idca.sqlite", "--keys", directory + "/keys"] }

        init() throws {
            directory = NSTemporaryDirectory() + "idca-rotate-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let generated = try Idca.run(["keys", "generate"] + options)
            #expect(generated.status == 0, "\(generated)")
        }

        func run(_ arguments: [String]) throws -> Idca.Run { try Idca.run(arguments + options) }

        func json(_ arguments: [String]) throws -> [String: Any] {
            let run = try run(arguments + ["--json"])
            #expect(run.status == 0, "\(run)")
            return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout)) as? [String: Any])
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    @Test func rotateWritesThePrivateKeySchedulesItAndListShowsEveryState() throws {
        let ca = try CA()
        defer { ca.remove() }
        let first = try #require((try ca.json(["keys", "list"])["keys"] as? [[String: Any]])?.first)
        #expect(first["purpose"] as? String == "token-signing" && first["state"] as? String == "signing")
        #expect(first["held_here"] as? Bool == true && first["retired_at"] == nil)

        let rotated = try ca.json(["keys", "rotate", "--delay", "2h", "--token-lifetime", "600"])
        let keyID = try #require(rotated["key_id"] as? String)
        let file = ca.directory + "/keys/token-signing-\(keyID).pem"
        #expect(rotated["file"] as? String == "token-signing-\(keyID).pem")
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
        #expect(mode & 0o777 == 0o600)
        let published = try #require((rotated["published_at"] as? String).flatMap(unixSeconds))
        let activates = try #require((rotated["activates_at"] as? String).flatMap(unixSeconds))
        #expect(activates - published == 7200)
        #expect(rotated["retiring"] as? [String] == [first["key_id"] as? String ?? ""])
        let drops = try #require((rotated["retired_keys_drop_at"] as? String).flatMap(unixSeconds))
        #expect(drops == activates + 600 + 60, "retired keys stay published for the longest lifetime plus the leeway")

        let listed = try #require(try ca.json(["keys", "list"])["keys"] as? [[String: Any]])
        let signing = listed.filter { $0["purpose"] as? String == "token-signing" }
        #expect(signing.map { $0["state"] as? String } == ["signing", "next"])
        #expect(signing[0]["retired_at"] as? String == rotated["activates_at"] as? String)
        #expect(signing[1]["key_id"] as? String == keyID && signing[1]["held_here"] as? Bool == true)
        #expect(Set(listed.map { $0["purpose"] as? String ?? "" }) == ["token-signing", "audit-signing", "index", "pseudonym", "data"])

        // The text listing names states and dates, and a key file missing here.
        try FileManager.default.removeItem(atPath: file)
        let text = try ca.run(["keys", "list"])
        #expect(text.status == 0)
        #expect(text.output.contains("next") && text.output.contains("(file missing here)") && text.output.contains("signs "), "\(text.output)")
    }

    @Test func aSecondRotationWhileOneIsPendingIsRefusedUntilThePendingKeyIsRevoked() throws {
        let ca = try CA()
        defer { ca.remove() }
        let pending = try #require(try ca.json(["keys", "rotate", "--delay", "1h"])["key_id"] as? String)
        let files = try FileManager.default.contentsOfDirectory(atPath: ca.directory + "/keys")

        let refused = try ca.run(["keys", "rotate", "--delay", "1h"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("a rotation is already pending: key \(pending)"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: ca.directory + "/keys") == files, "no key file was left behind")

        // Revoking the pending key is how an operator replaces it; the revocation is audited.
        let revoked = try ca.json(["keys", "revoke", pending])
        #expect(revoked["revoked"] as? Bool == true)
        #expect(try ca.run(["keys", "revoke", pending]).status == 1, "an already revoked key")
        #expect(try ca.run(["keys", "revoke", "no-such-key"]).status == 1)
        let next = try #require(try ca.json(["keys", "rotate", "--delay", "1h"])["key_id"] as? String)
        #expect(next != pending)
        let states = try #require(try ca.json(["keys", "list"])["keys"] as? [[String: Any]])
            .filter { $0["purpose"] as? String == "token-signing" }.map { ($0["key_id"] as? String ?? "", $0["state"] as? String ?? "") }
        #expect(states.first { $0.0 == pending }?.1 == "revoked")
        #expect(states.first { $0.0 == next }?.1 == "next")
        #expect(try ca.run(["audit", "verify"]).status == 0)
    }

    @Test(arguments: [
        // accepted delays, in seconds
        ("10m", Int64(600)), ("600", 600), ("24h", 86_400), ("7d", 604_800), ("30d", 2_592_000), ("3600s", 3600),
    ])
    func sensibleDelaysAreAccepted(text: String, seconds: Int64) throws {
        #expect(try KeysCommand.Rotate.parse(["--delay", text]).resolvedDelay() == seconds)
    }

    @Test(arguments: [
        "-5m",       // negative
        "0",         // no pre-publication without --emergency
        "599",       // shorter than twice the JWKS cache lifetime
        "9m",
        "31d",       // absurd
        "99999999999",
        "1y", "abc", "", "10 m", "1.5h", "+10m", "１０m",
    ])
    func nonsenseDelaysAreRefusedWithExitStatus2(text: String) throws {
        #expect(throws: (any Error).self) { try KeysCommand.Rotate.parse(["--delay", text]).resolvedDelay() }
        let ca = try CA()
        defer { ca.remove() }
        let run = try ca.run(["keys", "rotate", "--delay", text])
        #expect(run.status == 2, "\(run)")
        #expect(!((try? FileManager.default.contentsOfDirectory(atPath: ca.directory + "/keys")) ?? []).contains { $0.hasPrefix("token-signing-") })
    }

    @Test func theDefaultDelayIsADayAndTheEnvironmentOrEmergencyChangesIt() throws {
        #expect(try KeysCommand.Rotate.parse([]).resolvedDelay() == 86_400)
        #expect(try KeysCommand.Rotate.parse(["--emergency"]).resolvedDelay() == 0)
        #expect(throws: (any Error).self) { try KeysCommand.Rotate.parse(["--emergency", "--delay", "1h"]).resolvedDelay() }
        #expect(throws: (any Error).self) { try KeysCommand.Rotate.parse(["--token-lifetime", "59"]).resolvedLifetime() }
        let ca = try CA()
        defer { ca.remove() }
        let process = try Idca.run(["keys", "rotate", "--json"] + ca.options, environment: ["IDCA_KEY_PUBLICATION_DELAY": "45m"])
        #expect(process.status == 0, "\(process)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(process.stdout)) as? [String: Any])
        let published = try #require((object["published_at"] as? String).flatMap(unixSeconds))
        let activates = try #require((object["activates_at"] as? String).flatMap(unixSeconds))
        #expect(activates - published == 2700)
        let refused = try Idca.run(["keys", "rotate"] + ca.options, environment: ["IDCA_KEY_PUBLICATION_DELAY": "1m"])
        #expect(refused.status == 2)
    }

    /// Two nodes on one database, each with its own copy of keys/, follow one schedule; the node
    /// that never received the new key file fails closed at the activation, and recovers when the
    /// file arrives, without a restart.
    @Test func twoNodesFollowOneSchedule() async throws {
        let directory = NSTemporaryDirectory() + "idca-nodes-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try KeyDirectory(path: directory + "/a").generateMissing()
        try FileManager.default.copyItem(atPath: directory + "/a", toPath: directory + "/b")
        let clock = SteppedClock(1_795_900_000)
        func open(_ node: String) async throws -> Wiring {
            try await Wiring.open(storage: try StorageOptions.parse(["--database", directory + "/db.sqlite", "--keys", directory + "/" + node]),
                                  clock: clock)
        }
        let a = try await open("a"), b = try await open("b")
        let first = a.keys.signing.keyID
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let refreshers = [a.signingKeyRefresher(keysDirectory: directory + "/a", tokenLifetime: 3600, logger: logger),
                          b.signingKeyRefresher(keysDirectory: directory + "/b", tokenLifetime: 3600, logger: logger)]
        let issuers = [a, b].map { TokenIssuer(following: $0.keyRing, tokenLifetime: 3600) }
        let verifiers = [a, b].map { TokenVerifier(following: $0.keyRing, issuer: "https://idca.test") }
        func claims() -> CertificationClaims {
            let now = clock.now()
            return CertificationClaims(issuer: "https://idca.test", tokenID: CertificationClaims.newTokenID(), issuedAt: now, notBefore: now,
                                       expiresAt: now + 3600, subjectType: "individual", assurance: "registry")
        }

        // Node A rotates (the operator ran `idca keys rotate` there); B does not have the file.
        let rotation = try await KeyRotation(wiring: a, keysDirectory: directory + "/a").rotate(delay: 600, longestLifetime: 3600)
        let second = rotation.key.keyID
        for refresher in refreshers { try await refresher.refresh() }
        #expect(a.keyRing.jwks == b.keyRing.jwks, "one JWKS on every node")
        #expect(keyIDsOf(a.keyRing.jwks) == [first, second])
        #expect(try issuers.map { try $0.current().keyID } == [first, first], "both still sign with the first key")
        #expect(b.keyRing.signing(tokenLifetime: 3600).missing.map(\.keyID) == [second], "B is warned before the activation")
        #expect(await b.healthCheck(tokenLifetime: 3600)())

        clock.advance(by: 600)
        #expect(try issuers[0].current().keyID == second, "A switches at the scheduled second")
        #expect(throws: IDCAError.self) { try issuers[1].current() }
        #expect(await a.healthCheck(tokenLifetime: 3600)())
        #expect(await !b.healthCheck(tokenLifetime: 3600)(), "B fails closed")
        // B still verifies A's new tokens (the key is published everywhere), and A verifies B's older ones.
        let fromA = try issuers[0].current().issue(claims())
        #expect(verifiers.map { (try? $0.verify(fromA, now: clock.now(), siteID: "s").get()) != nil } == [true, true])

        // The operator copies keys/ to B; its next refresh picks the file up, with no restart.
        try FileManager.default.copyItem(atPath: directory + "/a/" + rotation.file, toPath: directory + "/b/" + rotation.file)
        try await refreshers[1].refresh()
        #expect(try issuers[1].current().keyID == second)
        #expect(await b.healthCheck(tokenLifetime: 3600)())

        // After drop-out both nodes forget the first key together.
        let fromOld = TokenIssuer(signingKey: a.keys.signing).issue(claims())
        #expect(verifiers.map { (try? $0.verify(fromOld, now: clock.now(), siteID: "s").get()) != nil } == [true, true], "retired, still published")
        clock.advance(by: 3600 + 60)
        #expect(keyIDsOf(a.keyRing.jwks) == [second] && a.keyRing.jwks == b.keyRing.jwks)
        #expect(verifiers.map { $0.verify(fromOld, now: clock.now(), siteID: "s") } == [.failure(.unknownKey), .failure(.unknownKey)])
        await a.close()
        await b.close()
    }

    @Test func aKeyFileUnderAnotherKeysNameIsIgnoredAndReported() throws {
        let directory = NSTemporaryDirectory() + "idca-keyfiles-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keys = KeyDirectory(path: directory)
        _ = try keys.generateMissing()
        let rotated = TokenSigningKey.generate()
        #expect(try keys.writeRotatedSigningKey(rotated) == "token-signing-\(rotated.keyID).pem")
        #expect(throws: (any Error).self) { try keys.writeRotatedSigningKey(rotated) }  // never replaces a file
        let impostor = TokenSigningKey.generate()
        try KeyFile.write(impostor.pemRepresentation, to: directory + "/token-signing-\(TokenSigningKey.generate().keyID).pem")
        let found = keys.signingKeys()
        #expect(Set(found.keys.map(\.keyID)) == [try keys.load().signing.keyID, rotated.keyID])
        #expect(found.problems.count == 1 && found.problems[0].contains("not the one its name says"), "\(found.problems)")
    }

    /// Seconds since the epoch of an RFC 3339 time as the commands print it.
    func unixSeconds(_ text: String) -> Int64? {
        ISO8601DateFormatter().date(from: text).map { Int64($0.timeIntervalSince1970) }
    }

    func keyIDsOf(_ jwks: String) -> [String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(jwks.utf8)) as? [String: Any],
              let keys = object["keys"] as? [[String: Any]]
        else { return [] }
        return keys.compactMap { $0["kid"] as? String }
    }
}
