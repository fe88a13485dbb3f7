import GRDB
import IDCACore

/// The CA's recorded keys (migration 0003).
public struct SQLiteKeyRegister: KeyRegister {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func enroll(_ keys: [RecordedKey]) async throws -> [RecordedKey] {
        try await database.write { db in
            // OR IGNORE also covers a second secret key, or a second active audit key (the partial unique indexes).
            for key in keys {
                try db.execute(sql: "INSERT OR IGNORE INTO ca_keys (purpose, key_id, public_key, created_at) VALUES (?, ?, ?, ?)",
                               arguments: [key.purpose, key.keyID, key.publicKey, key.createdAt])
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
}
