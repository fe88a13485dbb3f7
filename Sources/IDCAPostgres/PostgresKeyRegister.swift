import IDCACore
import PostgresNIO

/// The CA's recorded keys (migration 0003).
public struct PostgresKeyRegister: KeyRegister {
    let database: PostgresBackend

    public init(database: PostgresBackend) {
        self.database = database
    }

    public func enroll(_ keys: [RecordedKey]) async throws -> [RecordedKey] {
        try await database.read { client in
            // Autocommit inserts: DO NOTHING also covers a second secret key, or a second active audit
            // key (the partial unique indexes), so two instances enrolling at once leave one of each.
            for key in keys {
                try await client.query("""
                    INSERT INTO ca_keys (purpose, key_id, public_key, created_at)
                    VALUES (\(key.purpose), \(key.keyID), \(key.publicKey), \(key.createdAt)) ON CONFLICT DO NOTHING
                    """, logger: database.logger)
            }
            var recorded: [RecordedKey] = []
            let rows = try await client.query("""
                SELECT purpose, key_id, public_key, created_at, state FROM ca_keys ORDER BY created_at, purpose, key_id
                """, logger: database.logger)
            for try await (purpose, keyID, publicKey, createdAt, state) in rows.decode((String, String, String?, Int64, String).self) {
                recorded.append(RecordedKey(purpose: purpose, keyID: keyID, publicKey: publicKey, createdAt: createdAt,
                                            isRevoked: state != "active"))
            }
            return recorded
        }
    }

    public func revoke(purpose: String, except keyID: String) async throws {
        try await database.read { client in
            try await client.query("""
                UPDATE ca_keys SET state = 'revoked' WHERE purpose = \(purpose) AND key_id <> \(keyID) AND state = 'active'
                """, logger: database.logger)
        }
    }
}
