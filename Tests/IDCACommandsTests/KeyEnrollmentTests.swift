import Foundation
@testable import IDCACommands
import Testing

/// Every instance on one database must hold the same index, pseudonym and data keys; the database
/// records their fingerprints on first use and refuses any other key (the same code runs for
/// SQLite and PostgreSQL).
@Suite("Key enrollment")
struct KeyEnrollmentTests {
    @Test func anInstanceWithAnotherIndexKeyRefusesToStart() throws {
        let directory = NSTemporaryDirectory() + "idca-enroll-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = ["--database", directory + "/idca.sqlite"]
        #expect(try Idca.run(["keys", "generate", "--keys", directory + "/keys"] + database).status == 0)
        #expect(try Idca.run(["sites", "add", "--name", "S", "--license", "京ICP证000000号", "--keys", directory + "/keys"] + database).status == 0)

        // The same key files work again (and on a second instance with copies of them).
        try FileManager.default.copyItem(atPath: directory + "/keys", toPath: directory + "/copied")
        #expect(try Idca.run(["sites", "list", "--keys", directory + "/copied"] + database).status == 0)

        // A node that generated its own keys instead of copying them is refused, naming the file.
        #expect(try Idca.run(["keys", "generate", "--keys", directory + "/other", "--database", directory + "/scratch.sqlite"]).status == 0)
        let refused = try Idca.run(["sites", "list", "--keys", directory + "/other"] + database)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("index.key is not the key"), "\(refused.stderr)")

        // Only the data key differs: still refused, by that file's name.
        try FileManager.default.removeItem(atPath: directory + "/copied/data.key")
        try FileManager.default.copyItem(atPath: directory + "/other/data.key", toPath: directory + "/copied/data.key")
        let mixed = try Idca.run(["sites", "list", "--keys", directory + "/copied"] + database)
        #expect(mixed.status == 1)
        #expect(mixed.stderr.contains("data.key is not the key"), "\(mixed.stderr)")
    }

    @Test func aRevokedSigningKeyIsRefusedAndANewOneAccepted() throws {
        let directory = NSTemporaryDirectory() + "idca-enroll-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let options = ["--database", directory + "/idca.sqlite", "--keys", directory + "/keys"]
        let generated = try Idca.run(["keys", "generate", "--json"] + options)
        #expect(generated.status == 0)
        let keyID = try #require((try JSONSerialization.jsonObject(with: Data(generated.stdout)) as? [String: Any])?["signing_key_id"] as? String)
        #expect(try Idca.run(["sites", "list"] + options).status == 0)

        // The operator revokes the signing key in the database (a node's key file was exposed).
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [directory + "/idca.sqlite", "UPDATE ca_keys SET state = 'revoked' WHERE key_id = '\(keyID)'"]
        try sqlite.run()
        sqlite.waitUntilExit()
        #expect(sqlite.terminationStatus == 0)
        let refused = try Idca.run(["sites", "list"] + options)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("token-signing key \(keyID)") && refused.stderr.contains("is revoked"), "\(refused.stderr)")

        // A new signing key is enrolled and accepted; the revoked one stays recorded, not trusted.
        try FileManager.default.removeItem(atPath: directory + "/keys/token-signing.pem")
        #expect(try Idca.run(["keys", "generate"] + options).status == 0)
        #expect(try Idca.run(["sites", "list"] + options).status == 0)
    }

    @Test func instancesPublishAndTrustEveryActiveSigningKeyOfTheDatabase() async throws {
        let directory = NSTemporaryDirectory() + "idca-enroll-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Node B has node A's secret keys but a signing key of its own.
        _ = try KeyDirectory(path: directory + "/a").generateMissing()
        try FileManager.default.createDirectory(atPath: directory + "/b", withIntermediateDirectories: true)
        for file in [KeyDirectory.indexKeyFile, KeyDirectory.pseudonymKeyFile, KeyDirectory.dataKeyFile, KeyDirectory.auditKeyFile] {
            try FileManager.default.copyItem(atPath: directory + "/a/" + file, toPath: directory + "/b/" + file)
        }
        _ = try KeyDirectory(path: directory + "/b").generateMissing()
        func open(_ node: String) async throws -> Wiring {
            try await Wiring.open(storage: try StorageOptions.parse(["--database", directory + "/db.sqlite", "--keys", directory + "/" + node]))
        }
        let a = try await open("a")
        let signingA = a.keys.signing.keyID
        #expect(a.keyRing.snapshot().published.map(\.keyID) == [signingA])
        await a.close()
        let b = try await open("b")
        let signingB = b.keys.signing.keyID
        #expect(b.keyRing.snapshot().published.map(\.keyID) == [signingB, signingA], "B publishes and trusts A's key too")
        await b.close()
        let again = try await open("a")
        #expect(Set(again.keyRing.snapshot().published.map(\.keyID)) == [signingA, signingB], "and A, restarted, B's")
        await again.close()

        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [directory + "/db.sqlite", "UPDATE ca_keys SET state = 'revoked' WHERE key_id = '\(signingA)'"]
        try sqlite.run()
        sqlite.waitUntilExit()
        let afterRevocation = try await open("b")
        #expect(afterRevocation.keyRing.snapshot().published.map(\.keyID) == [signingB], "a revoked key is neither published nor trusted")
        await afterRevocation.close()
    }

    @Test func oneAuditKeyPerDatabaseUnlessDeliberatelyReplaced() throws {
        let directory = NSTemporaryDirectory() + "idca-enroll-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = ["--database", directory + "/idca.sqlite"]
        #expect(try Idca.run(["keys", "generate", "--keys", directory + "/a"] + database).status == 0)
        #expect(try Idca.run(["sites", "list", "--keys", directory + "/a"] + database).status == 0)
        // Node B: A's secret keys, but an audit key of its own — its checkpoints would not verify.
        try FileManager.default.createDirectory(atPath: directory + "/b", withIntermediateDirectories: true)
        for file in ["index.key", "pseudonym.key", "data.key", "token-signing.pem"] {
            try FileManager.default.copyItem(atPath: directory + "/a/" + file, toPath: directory + "/b/" + file)
        }
        #expect(try Idca.run(["keys", "generate", "--keys", directory + "/b", "--database", directory + "/scratch.sqlite"]).status == 0)
        let refused = try Idca.run(["sites", "list", "--keys", directory + "/b"] + database)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("audit-signing.pem is not the audit key"), "\(refused.stderr)")

        // Replacing A's audit key deliberately (keys generate --force-new-keys) retires the old one.
        #expect(try Idca.run(["audit", "checkpoint", "--keys", directory + "/a"] + database).status == 0)
        try FileManager.default.removeItem(atPath: directory + "/a/audit-signing.pem")
        #expect(try Idca.run(["keys", "generate", "--keys", directory + "/a"] + database).status == 1, "refused: checkpoints exist")
        #expect(try Idca.run(["keys", "generate", "--force-new-keys", "--keys", directory + "/a"] + database).status == 0)
        #expect(try Idca.run(["sites", "list", "--keys", directory + "/a"] + database).status == 0)
    }
}
