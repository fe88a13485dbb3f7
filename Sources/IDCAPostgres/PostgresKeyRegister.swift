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
            // Autocommit inserts: DO NOTHING also covers a second secret key for a purpose (the
            // partial unique index), so two instances enrolling at once leave one key per purpose.
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
}
