import GRDB
import IDCACore

/// The CA's recorded keys (migration 0003) and the token-signing keys' schedule (0005).
public struct SQLiteKeyRegister: KeyRegister {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func enroll(_ keys: [RecordedKey]) async throws -> [RecordedKey] {
        try await database.write { db in
            // OR IGNORE also covers a second secret key, or a second active audit key (the partial unique indexes).
            // A token-signing key enrolled here (a node's token-signing.pem) signs from the moment it is
            // recorded: the first key of a CA, or an operator's emergency replacement. Planned changes go
            // through `idca keys rotate`, which publishes before use.
            for key in keys {
                let since: Int64? = key.purpose == SQLiteKeyRegister.tokenSigning ? key.createdAt : nil
                try db.execute(sql: """
                    INSERT OR IGNORE INTO ca_keys (purpose, key_id, public_key, created_at, published_at, activates_at) VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [key.purpose, key.keyID, key.publicKey, key.createdAt, since, since])
            }
            return try Row.fetchAll(db, sql: "SELECT purpose, key_id, public_key, created_at, state FROM ca_keys ORDER BY created_at, purpose, key_id")
                .map { RecordedKey(purpose: $0["purpose"], keyID: $0["key_id"], publicKey: $0["public_key"], createdAt: $0["created_at"],
                                   isRevoked: ($0["state"] as String) != "active") }
        }
    }

    public func revoke(purpose: String, except keyID: String) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE ca_keys SET state = 'revoked' WHERE purpose = ? AND key_id <> ? AND state = 'active'",
                           arguments: [purpose, keyID])
        }
    }

    static let tokenSigning = "token-signing"

    public func signingSchedule() async throws -> [ScheduledKey] {
        try await database.read { db in try SQLiteKeyRegister.schedule(db) }
    }

    static func schedule(_ db: Database) throws -> [ScheduledKey] {
        try Row.fetchAll(db, sql: """
            SELECT key_id, public_key, created_at, published_at, activates_at, retired_at, drops_at, revoked_at, state
            FROM ca_keys WHERE purpose = ? ORDER BY activates_at, created_at, key_id
            """, arguments: [tokenSigning])
            .map { row in
                // Rows from before 0005 were given their dates by the migration; a row without
                // them cannot be scheduled and is treated as published and signing since it was recorded.
                let created: Int64 = row["created_at"]
                return ScheduledKey(
                    keyID: row["key_id"], publicKey: row["public_key"] ?? "", createdAt: created,
                    publishedAt: row["published_at"] ?? created, activatesAt: row["activates_at"] ?? created,
                    retiredAt: row["retired_at"], dropsAt: row["drops_at"], revokedAt: row["revoked_at"],
                    isRevoked: (row["state"] as String) != "active")
            }
    }

    public func scheduleRotation(_ next: ScheduledKey, now: Int64, retiredKeysDropAt: Int64, audit: AuditEvent) async throws -> RotationOutcome {
        try await database.write { db in
            // The single writer makes check-then-insert atomic: two rotations cannot both pass.
            if let pending = try SQLiteKeyRegister.schedule(db).first(where: { [.pending, .next].contains($0.state(at: now)) }) {
                return .alreadyPending(pending)
            }
            let retiring = try String.fetchAll(db, sql: """
                SELECT key_id FROM ca_keys WHERE purpose = ? AND state = 'active' AND retired_at IS NULL ORDER BY key_id
                """, arguments: [SQLiteKeyRegister.tokenSigning])
            try db.execute(sql: """
                UPDATE ca_keys SET retired_at = ?, drops_at = ? WHERE purpose = ? AND state = 'active' AND retired_at IS NULL
                """, arguments: [next.activatesAt, retiredKeysDropAt, SQLiteKeyRegister.tokenSigning])
            try db.execute(sql: """
                INSERT INTO ca_keys (purpose, key_id, public_key, created_at, published_at, activates_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [SQLiteKeyRegister.tokenSigning, next.keyID, next.publicKey, next.createdAt, next.publishedAt, next.activatesAt])
            try SQLiteAuditLog.append([audit], in: db)
            return .scheduled(retiring: retiring)
        }
    }

    public func revoke(keyID: String, at time: Int64, audit: AuditEvent) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: """
                UPDATE ca_keys SET state = 'revoked', revoked_at = ?
                WHERE key_id = ? AND purpose = ? AND state = 'active'
                """, arguments: [time, keyID, SQLiteKeyRegister.tokenSigning])
            guard db.changesCount == 1 else { return false }
            try SQLiteAuditLog.append([audit], in: db)
            return true
        }
    }
}
