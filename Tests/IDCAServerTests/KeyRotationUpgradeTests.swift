import Foundation
import GRDB
import IDCACore
@testable import IDCAPostgres
@testable import IDCASQLite
import IDCATokens
import Logging
import PostgresNIO
import Testing

/// Migration 0005_key_rotation upgrades a database made before it: recorded token-signing keys
/// become published and signing since they were recorded (what instances did with them before),
/// revoked ones stay revoked, and the other keys get no schedule.
@Suite("Key rotation schema upgrade")
struct KeyRotationUpgradeTests {
    static let active = TokenSigningKey.generate()
    static let revoked = TokenSigningKey.generate()

    /// The rows a CA at migration 0003 holds: (purpose, key_id, public_key, created_at, state).
    static var rows: [(String, String, String?, Int64, String)] {
        [("token-signing", active.keyID, active.publicKey.pemRepresentation, 1000, "active"),
         ("token-signing", revoked.keyID, revoked.publicKey.pemRepresentation, 500, "revoked"),
         ("audit-signing", "audit-kid", "pem", 1000, "active"),
         ("index", "fingerprint", nil, 1000, "active")]
    }

    static func check(_ register: any KeyRegister) async throws {
        let schedule = try await register.signingSchedule()
        #expect(Set(schedule.map(\.keyID)) == [active.keyID, revoked.keyID], "only token-signing keys are scheduled")
        let upgraded = try #require(schedule.first { $0.keyID == active.keyID })
        #expect(upgraded.publishedAt == 1000 && upgraded.activatesAt == 1000 && upgraded.retiredAt == nil && upgraded.dropsAt == nil)
        #expect(upgraded.state(at: 5000) == .signing)
        let stillRevoked = try #require(schedule.first { $0.keyID == revoked.keyID })
        #expect(stillRevoked.isRevoked && stillRevoked.revokedAt == nil && stillRevoked.state(at: 5000) == .revoked)
        // The upgraded database takes a rotation like a new one.
        let next = TokenSigningKey.generate()
        let outcome = try await register.scheduleRotation(
            ScheduledKey(keyID: next.keyID, publicKey: next.publicKey.pemRepresentation, createdAt: 5000, publishedAt: 5000, activatesAt: 5600),
            now: 5000, retiredKeysDropAt: 9260, audit: AuditEvent(.keyGenerated, time: 5000, actor: .operator("test"), outcome: "generated"))
        #expect(outcome == .scheduled(retiring: [active.keyID]))
    }

    @Test func anSQLiteDatabaseFromBeforeRotationUpgrades() async throws {
        let directory = NSTemporaryDirectory() + "idca-upgrade-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/old.sqlite"
        do {
            let old = try DatabasePool(path: path)
            try SQLiteDatabase.migrator.migrate(old, upTo: "0003_ca_keys")
            try await old.write { db in
                for (purpose, keyID, publicKey, createdAt, state) in Self.rows {
                    try db.execute(sql: "INSERT INTO ca_keys (purpose, key_id, public_key, created_at, state) VALUES (?, ?, ?, ?, ?)",
                                   arguments: [purpose, keyID, publicKey, createdAt, state])
                }
            }
            try old.close()
        }
        let database = try SQLiteDatabase(path: path)
        defer { try? database.pool.close() }
        let applied = try await database.pool.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(applied.contains("0005_key_rotation"))
        try await Self.check(SQLiteKeyRegister(database: database))
    }

    @Test(.enabled(if: PostgresForTests.isConfigured))
    func aPostgreSQLDatabaseFromBeforeRotationUpgrades() async throws {
        guard let url = PostgresForTests.url else { throw PostgresForTests.NotConfigured() }
        let name = "idca_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await PostgresForTests.admin(url, "CREATE DATABASE \(name)")
        defer { Task { try? await PostgresForTests.admin(url, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") } }
        let location = PostgresForTests.urlOfDatabase(name, on: url)

        // The schema as of 0003, made the way the migrator made it, with the keys it recorded.
        let client = PostgresClient(configuration: try PostgresLocation(url: location).configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            let logger = PostgresForTests.quietLogger
            try await client.query("CREATE TABLE idca_migrations (identifier TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                                   logger: logger)
            for migration in PostgresMigrations.migrations where migration.name <= "0003_ca_keys" {
                for statement in PostgresMigrations.statements(migration.sql) {
                    try await client.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await client.query("INSERT INTO idca_migrations (identifier) VALUES (\(migration.name))", logger: logger)
            }
            for (purpose, keyID, publicKey, createdAt, state) in Self.rows {
                try await client.query("""
                    INSERT INTO ca_keys (purpose, key_id, public_key, created_at, state) VALUES (\(purpose), \(keyID), \(publicKey), \(createdAt), \(state))
                    """, logger: logger)
            }
            group.cancelAll()
        }

        let database = try await PostgresBackend(url: location, logger: PostgresForTests.quietLogger)
        defer { Task { await database.close() } }
        try await Self.check(PostgresKeyRegister(database: database))
        #expect(PostgresMigrations.latest >= "0005_key_rotation")
    }
}
