import GRDB
import IDCAAudit
import IDCACore

/// The audit log and its checkpoints.
public struct SQLiteAuditLog: AuditLog {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func append(_ events: [AuditEvent]) async throws {
        try await database.write { db in try SQLiteAuditLog.append(events, in: db) }
    }

    /// Links `events` after the current head, inside the caller's transaction.
    ///
    /// SQLite has one writer at a time, so reading the head and inserting after it cannot
    /// interleave with another append: the chain stays linear. If the caller's savepoint rolls
    /// back, these entries go with it and the next append links to the head that remains.
    static func append(_ events: [AuditEvent], in db: Database) throws {
        guard !events.isEmpty else { return }
        var head = try currentHead(db)
        let insert = try db.cachedStatement(sql: """
            INSERT INTO audit_log (seq, time, type, actor, subject, outcome, reason, object, detail, prev_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for event in events {
            let entry = AuditChain.link(event, after: head)
            try insert.execute(arguments: [
                entry.sequence, entry.time, entry.type, entry.actor, entry.subject, entry.outcome, entry.reason, entry.object,
                entry.detail, entry.prevHash, entry.hash,
            ])
            head = AuditHead(sequence: entry.sequence, hash: entry.hash)
        }
    }

    static func currentHead(_ db: Database) throws -> AuditHead {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")) else {
            return .genesis
        }
        return AuditHead(sequence: row["seq"], hash: row["hash"])
    }

    public func head() async throws -> AuditHead {
        try await database.read { db in try SQLiteAuditLog.currentHead(db) }
    }

    public func entries(after sequence: Int64, limit: Int) async throws -> [AuditEntry] {
        try await database.read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?"),
                             arguments: [sequence, limit])
                .map(SQLiteAuditLog.entry(from:))
        }
    }

    /// Reads an entry without trusting the file: a value of the wrong type (someone edited the table
    /// by hand) becomes an entry whose hash cannot match, so the verifier names it as a break
    /// instead of the process trapping on a failed conversion.
    static func entry(from row: Row) -> AuditEntry {
        var damaged = false
        func text(_ column: String) -> String {
            if let value = String.fromDatabaseValue(row[column] as DatabaseValue) { return value }
            damaged = true
            return ""
        }
        func integer(_ column: String) -> Int64 {
            let value = row[column] as DatabaseValue
            if case .int64(let number) = value.storage { return number }
            damaged = true
            return 0
        }
        var entry = AuditEntry(
            sequence: integer("seq"), time: integer("time"), type: text("type"), actor: text("actor"), subject: text("subject"),
            outcome: text("outcome"), reason: text("reason"), object: text("object"), detail: text("detail"),
            prevHash: text("prev_hash"), hash: text("hash"))
        if damaged { entry.hash = "damaged: a stored value has the wrong type" }
        return entry
    }

    public func addCheckpoint(_ checkpoint: AuditCheckpoint) async throws {
        try await database.write { db in
            try db.execute(sql: """
                INSERT INTO audit_checkpoints (seq, hash, time, key_id, signature) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (seq, key_id) DO NOTHING
                """, arguments: [checkpoint.sequence, checkpoint.hash, checkpoint.time, checkpoint.keyID, checkpoint.signature])
        }
    }

    public func latestCheckpoint() async throws -> AuditCheckpoint? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM audit_checkpoints ORDER BY seq DESC, time DESC LIMIT 1").map(SQLiteAuditLog.checkpoint(from:))
        }
    }

    public func checkpoints() async throws -> [AuditCheckpoint] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_checkpoints ORDER BY seq, time").map(SQLiteAuditLog.checkpoint(from:))
        }
    }

    /// Like `entry(from:)`: a damaged checkpoint row reads as one whose signature cannot verify.
    static func checkpoint(from row: Row) -> AuditCheckpoint {
        func text(_ column: String) -> String { String.fromDatabaseValue(row[column] as DatabaseValue) ?? "" }
        func integer(_ column: String) -> Int64? {
            if case .int64(let number) = (row[column] as DatabaseValue).storage { return number }
            return nil
        }
        guard let sequence = integer("seq"), let time = integer("time") else {
            return AuditCheckpoint(sequence: integer("seq") ?? 0, hash: text("hash"), time: 0, keyID: text("key_id"), signature: "")
        }
        return AuditCheckpoint(sequence: sequence, hash: text("hash"), time: time, keyID: text("key_id"), signature: text("signature"))
    }
}

/// Auditors and their API key hashes.
public struct SQLiteAuditorDirectory: AuditorDirectory {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func add(_ auditor: Auditor, apiKeyHash: String, audit: AuditEvent) async throws {
        try await database.write { db in
            try db.execute(sql: "INSERT INTO auditors (id, name, created_at, api_key_hash) VALUES (?, ?, ?, ?)",
                           arguments: [auditor.id.rawValue, auditor.name, auditor.createdAt, apiKeyHash])
            try SQLiteAuditLog.append([audit], in: db)
        }
    }

    public func auditor(apiKeyHash: String) async throws -> Auditor? {
        try await database.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM auditors WHERE api_key_hash = ? AND revoked_at IS NULL"),
                             arguments: [apiKeyHash])
                .map(SQLiteAuditorDirectory.auditor(from:))
        }
    }

    public func auditors() async throws -> [Auditor] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM auditors ORDER BY created_at, id").map(SQLiteAuditorDirectory.auditor(from:))
        }
    }

    public func revoke(_ id: AuditorID, at time: Int64, audit: AuditEvent) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: "UPDATE auditors SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [time, id.rawValue])
            guard db.changesCount == 1 else { return false }
            try SQLiteAuditLog.append([audit], in: db)
            return true
        }
    }

    static func auditor(from row: Row) -> Auditor {
        Auditor(id: AuditorID(uncheckedRawValue: row["id"]), name: row["name"], createdAt: row["created_at"], revokedAt: row["revoked_at"])
    }
}
