import IDCACore
import PostgresNIO

/// The CA's recorded keys (migration 0003) and the token-signing keys' schedule (0005).
public struct PostgresKeyRegister: KeyRegister {
    let database: PostgresBackend

    public init(database: PostgresBackend) {
        self.database = database
    }

    static let tokenSigning = "token-signing"

    /// Migration `0005_key_rotation`, as SQLite's: it only extends `ca_keys`, so it depends on no
    /// migration after `0003_ca_keys`; recorded token-signing keys become published and signing since
    /// they were recorded, which is what instances did with them before.
    /// The columns are described with SQLite's copy (`KeyRotationSchema`) and in Docs/KEY-ROTATION.md.
    static let migration = """
        ALTER TABLE ca_keys ADD COLUMN published_at BIGINT;
        ALTER TABLE ca_keys ADD COLUMN activates_at BIGINT;
        ALTER TABLE ca_keys ADD COLUMN retired_at BIGINT;
        ALTER TABLE ca_keys ADD COLUMN drops_at BIGINT;
        ALTER TABLE ca_keys ADD COLUMN revoked_at BIGINT;
        UPDATE ca_keys SET published_at = created_at, activates_at = created_at WHERE purpose = 'token-signing';
        """

    public func enroll(_ keys: [RecordedKey]) async throws -> [RecordedKey] {
        try await database.read { client in
            // Autocommit inserts: DO NOTHING also covers a second secret key, or a second active audit
            // key (the partial unique indexes), so two instances enrolling at once leave one of each.
            // A token-signing key enrolled here signs from the moment it is recorded (a CA's first key,
            // or an emergency replacement); planned changes go through `idca keys rotate`.
            for key in keys {
                let since: Int64? = key.purpose == Self.tokenSigning ? key.createdAt : nil
                try await client.query("""
                    INSERT INTO ca_keys (purpose, key_id, public_key, created_at, published_at, activates_at)
                    VALUES (\(key.purpose), \(key.keyID), \(key.publicKey), \(key.createdAt), \(since), \(since)) ON CONFLICT DO NOTHING
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

    public func signingSchedule() async throws -> [ScheduledKey] {
        try await database.read { client in
            try await Self.schedule(try await client.query(Self.scheduleQuery, logger: database.logger))
        }
    }

    static var scheduleQuery: PostgresQuery {
        """
        SELECT key_id, public_key, created_at, published_at, activates_at, retired_at, drops_at, revoked_at, state
        FROM ca_keys WHERE purpose = \(tokenSigning) ORDER BY activates_at, created_at, key_id
        """
    }

    static func schedule(_ rows: PostgresRowSequence) async throws -> [ScheduledKey] {
        var keys: [ScheduledKey] = []
        let decoded = rows.decode((String, String?, Int64, Int64?, Int64?, Int64?, Int64?, Int64?, String).self)
        for try await (keyID, publicKey, created, published, activates, retired, drops, revoked, state) in decoded {
            keys.append(ScheduledKey(
                keyID: keyID, publicKey: publicKey ?? "", createdAt: created, publishedAt: published ?? created,
                activatesAt: activates ?? created, retiredAt: retired, dropsAt: drops, revokedAt: revoked, isRevoked: state != "active"))
        }
        return keys
    }

    public func scheduleRotation(_ next: ScheduledKey, now: Int64, retiredKeysDropAt: Int64, audit: AuditEvent) async throws -> RotationOutcome {
        try await database.write { connection, batch in
            // Instances and operators on other machines share the table: the lock makes check-then-insert
            // atomic across them (a second rotation waits, then sees the first one's key as next).
            try await connection.query("LOCK TABLE ca_keys IN SHARE ROW EXCLUSIVE MODE", logger: database.logger)
            let schedule = try await Self.schedule(try await connection.query(Self.scheduleQuery, logger: database.logger))
            if let pending = schedule.first(where: { [.pending, .next].contains($0.state(at: now)) }) {
                return .alreadyPending(pending)
            }
            let retiring = schedule.filter { !$0.isRevoked && $0.retiredAt == nil }.map(\.keyID).sorted()
            try await connection.query("""
                UPDATE ca_keys SET retired_at = \(next.activatesAt), drops_at = \(retiredKeysDropAt)
                WHERE purpose = \(Self.tokenSigning) AND state = 'active' AND retired_at IS NULL
                """, logger: database.logger)
            try await connection.query("""
                INSERT INTO ca_keys (purpose, key_id, public_key, created_at, published_at, activates_at)
                VALUES (\(Self.tokenSigning), \(next.keyID), \(next.publicKey), \(next.createdAt), \(next.publishedAt), \(next.activatesAt))
                """, logger: database.logger)
            batch.append([audit])
            return .scheduled(retiring: retiring)
        }
    }

    public func revoke(keyID: String, at time: Int64, audit: AuditEvent) async throws -> Bool {
        try await database.write { connection, batch in
            let rows = try await connection.query("""
                UPDATE ca_keys SET state = 'revoked', revoked_at = \(time)
                WHERE key_id = \(keyID) AND purpose = \(Self.tokenSigning) AND state = 'active' RETURNING key_id
                """, logger: database.logger)
            guard try await rows.collect().count == 1 else { return false }
            batch.append([audit])
            return true
        }
    }
}
