import IDCAAudit
import IDCACore
import Logging
import PostgresNIO

/// The audit log and its checkpoints, one hash chain for every instance on the database.
public struct PostgresAuditLog: AuditLog {
    let database: PostgresBackend

    public init(database: PostgresBackend) {
        self.database = database
    }

    /// "idca" in ASCII, then 2: the transaction-level lock that serializes appends to the chain.
    static let chainLock: Int64 = 0x6964_6361_0000_0002

    /// Takes the chain lock until the end of the transaction. It must be its own statement, before
    /// the head is read: under READ COMMITTED each statement sees what was committed when it began,
    /// so the head read after the lock is granted includes the previous holder's entries.
    static func lockChain(_ connection: PostgresConnection, logger: Logger) async throws {
        _ = try await connection.run(SQL.ChainLock.self, logger: logger)
    }

    public func append(_ events: [AuditEvent]) async throws {
        try await database.write { _, batch in batch.append(events) }
    }

    /// Links `events` after the current head; the caller holds the chain lock (`lockChain`).
    static func append(_ events: [AuditEvent], on connection: PostgresConnection, logger: Logger) async throws {
        guard !events.isEmpty else { return }
        var head = try await currentHead(connection, logger: logger)
        var columns = (seq: [Int64](), time: [Int64](), type: [String](), actor: [String](), subject: [String](), outcome: [String](),
                       reason: [String](), object: [String](), detail: [String](), prevHash: [String](), hash: [String]())
        for event in events {
            let entry = AuditChain.link(event, after: head)
            columns.seq.append(entry.sequence)
            columns.time.append(entry.time)
            columns.type.append(entry.type)
            columns.actor.append(entry.actor)
            columns.subject.append(entry.subject)
            columns.outcome.append(entry.outcome)
            columns.reason.append(entry.reason)
            columns.object.append(entry.object)
            columns.detail.append(entry.detail)
            columns.prevHash.append(entry.prevHash)
            columns.hash.append(entry.hash)
            head = AuditHead(sequence: entry.sequence, hash: entry.hash)
        }
        _ = try await connection.run(SQL.AppendAudit.self, logger: logger) { bindings in
            bindings.append(columns.seq)
            bindings.append(columns.time)
            for column in [columns.type, columns.actor, columns.subject, columns.outcome, columns.reason, columns.object, columns.detail,
                           columns.prevHash, columns.hash] {
                bindings.append(column)
            }
        }
    }

    static func currentHead(_ connection: PostgresConnection, logger: Logger) async throws -> AuditHead {
        guard let row = try await connection.run(SQL.ChainHead.self, logger: logger).first else { return .genesis }
        let (sequence, hash) = try row.decode((Int64, String).self)
        return AuditHead(sequence: sequence, hash: hash)
    }

    public func head() async throws -> AuditHead {
        try await database.read { client in
            try await client.withConnection { connection in try await Self.currentHead(connection, logger: database.logger) }
        }
    }

    public func entries(after sequence: Int64, limit: Int) async throws -> [AuditEntry] {
        try await database.read { client in
            var entries: [AuditEntry] = []
            let rows = try await client.query("""
                SELECT seq, time, type, actor, subject, outcome, reason, object, detail, prev_hash, hash
                FROM audit_log WHERE seq > \(sequence) ORDER BY seq LIMIT \(Int64(limit))
                """, logger: database.logger)
            for try await row in rows {
                entries.append(Self.entry(from: row))
            }
            return entries
        }
    }

    /// Reads an entry without trusting the table: the columns are typed, but a NULL or an
    /// undecodable value becomes an entry whose hash cannot match, so the verifier names it as a
    /// break instead of the process failing.
    static func entry(from row: PostgresRow) -> AuditEntry {
        let cells = row.makeRandomAccess()
        let integers = (0...1).map { try? cells[$0].decode(Int64.self) }
        let texts = (2...10).map { try? cells[$0].decode(String.self) }
        var entry = AuditEntry(
            sequence: integers[0] ?? 0, time: integers[1] ?? 0, type: texts[0] ?? "", actor: texts[1] ?? "", subject: texts[2] ?? "",
            outcome: texts[3] ?? "", reason: texts[4] ?? "", object: texts[5] ?? "", detail: texts[6] ?? "", prevHash: texts[7] ?? "",
            hash: texts[8] ?? "")
        if integers.contains(nil) || texts.contains(nil) { entry.hash = "damaged: a stored value has the wrong type" }
        return entry
    }

    public func addCheckpoint(_ checkpoint: AuditCheckpoint) async throws {
        try await database.write { connection, _ in
            _ = try await connection.query("""
                INSERT INTO audit_checkpoints (seq, hash, time, key_id, signature)
                VALUES (\(checkpoint.sequence), \(checkpoint.hash), \(checkpoint.time), \(checkpoint.keyID), \(checkpoint.signature))
                ON CONFLICT (seq, key_id) DO NOTHING
                """, logger: database.logger)
        }
    }

    public func latestCheckpoint() async throws -> AuditCheckpoint? {
        try await checkpoints(sql: "SELECT seq, hash, time, key_id, signature FROM audit_checkpoints ORDER BY seq DESC, time DESC LIMIT 1").first
    }

    public func checkpoints() async throws -> [AuditCheckpoint] {
        try await checkpoints(sql: "SELECT seq, hash, time, key_id, signature FROM audit_checkpoints ORDER BY seq, time")
    }

    private func checkpoints(sql: String) async throws -> [AuditCheckpoint] {
        try await database.read { client in
            var checkpoints: [AuditCheckpoint] = []
            let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: database.logger)
            for try await (sequence, hash, time, keyID, signature) in rows.decode((Int64, String, Int64, String, String).self) {
                checkpoints.append(AuditCheckpoint(sequence: sequence, hash: hash, time: time, keyID: keyID, signature: signature))
            }
            return checkpoints
        }
    }
}

/// Auditors and their API key hashes.
public struct PostgresAuditorDirectory: AuditorDirectory {
    let database: PostgresBackend

    public init(database: PostgresBackend) {
        self.database = database
    }

    public func add(_ auditor: Auditor, apiKeyHash: String, audit: AuditEvent) async throws {
        try await database.write { connection, batch in
            try await connection.query("""
                INSERT INTO auditors (id, name, created_at, api_key_hash)
                VALUES (\(auditor.id.rawValue), \(auditor.name), \(auditor.createdAt), \(apiKeyHash))
                """, logger: database.logger)
            batch.append([audit])
        }
    }

    public func auditor(apiKeyHash: String) async throws -> Auditor? {
        try await auditors(PostgresQuery("""
            SELECT id, name, created_at, revoked_at FROM auditors WHERE api_key_hash = \(apiKeyHash) AND revoked_at IS NULL
            """)).first
    }

    public func auditors() async throws -> [Auditor] {
        try await auditors("SELECT id, name, created_at, revoked_at FROM auditors ORDER BY created_at, id")
    }

    private func auditors(_ query: PostgresQuery) async throws -> [Auditor] {
        try await database.read { client in
            var auditors: [Auditor] = []
            let rows = try await client.query(query, logger: database.logger)
            for try await (id, name, createdAt, revokedAt) in rows.decode((String, String, Int64, Int64?).self) {
                auditors.append(Auditor(id: AuditorID(uncheckedRawValue: id), name: name, createdAt: createdAt, revokedAt: revokedAt))
            }
            return auditors
        }
    }

    public func revoke(_ id: AuditorID, at time: Int64, audit: AuditEvent) async throws -> Bool {
        try await database.write { connection, batch in
            let rows = try await connection.query("""
                UPDATE auditors SET revoked_at = \(time) WHERE id = \(id.rawValue) AND revoked_at IS NULL RETURNING id
                """, logger: database.logger)
            guard try await rows.collect().count == 1 else { return false }
            batch.append([audit])
            return true
        }
    }
}
