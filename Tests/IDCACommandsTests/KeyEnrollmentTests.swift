import Foundation
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
}
