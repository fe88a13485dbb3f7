import Foundation
import GRDB
import IDCACore

/// The embedded SQLite database: one file, WAL journal, every commit synced.
///
/// `synchronous = FULL` makes each commit durable before it returns, which is what lets the
/// services acknowledge a decision or a redemption: a crash or power loss after the answer cannot
/// undo it. Throughput comes from grouping concurrent writes (`WriteBatcher`), never from a
/// weaker sync.
public final class SQLiteDatabase: Sendable {
    public let pool: DatabasePool
    /// Groups concurrent single-row writes into one synced transaction.
    let batcher: WriteBatcher

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    public init(path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        // Created private (0600) before SQLite opens it; SQLite gives its -wal and -shm files the
        // same mode. The registry's hashes are useless without the keys, but need not be world-readable.
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try SQLiteDatabase.migrator.migrate(pool)
        batcher = WriteBatcher(pool: pool)
    }

    /// Opens an existing database for reading only: no file is created, no migration runs, and
    /// nothing is written, so an auditor can check a copy without changing it (a read-only file
    /// works too). Throws `SQLiteDatabase.OutOfDate` when the schema lacks `requiredMigration`.
    public init(readingOnly path: String, requiredMigration: String = "0002_audit_statistics") throws {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        pool = try DatabasePool(path: path, configuration: configuration)
        batcher = WriteBatcher(pool: pool)
        let applied = try pool.read { db in
            try db.tableExists("grdb_migrations")
                && (try Bool.fetchOne(db, sql: "SELECT count(*) > 0 FROM grdb_migrations WHERE identifier = ?", arguments: [requiredMigration]) ?? false)
        }
        guard applied else {
            try? pool.close()
            throw OutOfDate(migration: requiredMigration)
        }
    }

    /// A database opened read-only whose schema is older than what the reader needs.
    public struct OutOfDate: Error, CustomStringConvertible {
        public let migration: String
        public var description: String {
            "the database's schema predates \(migration); any idca command that writes (idca serve, for one) upgrades it"
        }
    }

    /// A read whose database failures reach callers as `IDCAError.storage` (503), not as a bare 500.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.read(body) } catch let error as DatabaseError { throw IDCAError.storage(error) }
    }

    /// A batched, synced write, with failures mapped like `read`.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await write { db, _ in try body(db) }
    }

    /// A batched write that can leave decisions to be counted at the end of its batch.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database, WriteBatcher.Batch) throws -> T) async throws -> T {
        do { return try await batcher.write(body) } catch let error as DatabaseError { throw IDCAError.storage(error) }
    }

    /// Whether the file answers queries: used by the health check.
    public func isHealthy() async -> Bool {
        (try? await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1
    }

    /// Versioned migrations; names are shared with other backends so that a schema version means
    /// the same thing everywhere.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("0001_certification") { db in
            try db.execute(sql: """
                CREATE TABLE residents (
                    id_hash      TEXT PRIMARY KEY,
                    name_hash    TEXT NOT NULL,
                    status       TEXT NOT NULL,
                    region_code  INTEGER NOT NULL,
                    sealed_phone BLOB,
                    sealed_identity BLOB
                ) WITHOUT ROWID;

                CREATE TABLE organizations (
                    organization_code    TEXT PRIMARY KEY,
                    credit_code          TEXT UNIQUE,
                    name                 TEXT NOT NULL,
                    legal_representative TEXT NOT NULL,
                    status               TEXT NOT NULL
                );

                CREATE TABLE sites (
                    id           TEXT PRIMARY KEY,
                    name         TEXT NOT NULL,
                    licence      TEXT NOT NULL,
                    max_accounts INTEGER NOT NULL,
                    suspended    INTEGER NOT NULL DEFAULT 0,
                    created_at   INTEGER NOT NULL,
                    api_key_hash TEXT NOT NULL UNIQUE
                );

                CREATE TABLE applications (
                    id              TEXT PRIMARY KEY,
                    subject_type    TEXT NOT NULL,
                    status          TEXT NOT NULL,
                    reason          TEXT,
                    internal_reason TEXT,
                    field           TEXT,
                    message         TEXT,
                    site_id         TEXT,
                    region_code     INTEGER,
                    subject_ref     TEXT,
                    decided_at      INTEGER NOT NULL,
                    token_id        TEXT
                );

                CREATE TABLE tokens (
                    id                TEXT PRIMARY KEY,
                    digest            TEXT NOT NULL,
                    application_id    TEXT NOT NULL REFERENCES applications(id),
                    subject_type      TEXT NOT NULL,
                    subject_ref       TEXT NOT NULL,
                    audience          TEXT,
                    assurance         TEXT NOT NULL,
                    organization_name TEXT,
                    issued_at         INTEGER NOT NULL,
                    expires_at        INTEGER NOT NULL,
                    redeemed_at       INTEGER,
                    redeemed_by       TEXT
                );

                CREATE TABLE site_accounts (
                    site_id     TEXT NOT NULL,
                    subject_ref TEXT NOT NULL,
                    accounts    INTEGER NOT NULL,
                    PRIMARY KEY (site_id, subject_ref)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("0002_audit_statistics") { db in
            try db.execute(sql: """
                CREATE TABLE audit_log (
                    seq       INTEGER PRIMARY KEY,
                    time      INTEGER NOT NULL,
                    type      TEXT NOT NULL,
                    actor     TEXT NOT NULL,
                    subject   TEXT NOT NULL,
                    outcome   TEXT NOT NULL,
                    reason    TEXT NOT NULL,
                    object    TEXT NOT NULL,
                    detail    TEXT NOT NULL,
                    prev_hash TEXT NOT NULL,
                    hash      TEXT NOT NULL
                );
                -- Append-only in the schema too. Someone with the file can drop these triggers; the
                -- signed checkpoints are what make that rewrite detectable.
                CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

                CREATE TABLE audit_checkpoints (
                    seq       INTEGER NOT NULL,
                    hash      TEXT NOT NULL,
                    time      INTEGER NOT NULL,
                    key_id    TEXT NOT NULL,
                    signature TEXT NOT NULL,
                    PRIMARY KEY (seq, key_id)
                ) WITHOUT ROWID;
                CREATE TRIGGER audit_checkpoints_append_only_update BEFORE UPDATE ON audit_checkpoints
                    BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
                CREATE TRIGGER audit_checkpoints_append_only_delete BEFORE DELETE ON audit_checkpoints
                    BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;

                CREATE TABLE auditors (
                    id           TEXT PRIMARY KEY,
                    name         TEXT NOT NULL,
                    created_at   INTEGER NOT NULL,
                    revoked_at   INTEGER,
                    api_key_hash TEXT NOT NULL UNIQUE
                );

                -- The statistics counters (Docs/STATISTICS.md). Keys are integers: the subject type
                -- (1 individual, 2 organization), the province's division code (0 unknown), and
                -- reason and site as ids in statistics_labels (0 for none), so that rows are small
                -- and compare fast. The full breakdown by day and by month, and three narrow ones by
                -- day, so that every report reads a small table.
                CREATE TABLE statistics_labels (
                    id    INTEGER PRIMARY KEY,
                    kind  TEXT NOT NULL,
                    value TEXT NOT NULL,
                    UNIQUE (kind, value)
                );
                CREATE TABLE application_stats (
                    day INTEGER NOT NULL, month INTEGER NOT NULL, subject_type INTEGER NOT NULL, reason INTEGER NOT NULL,
                    province INTEGER NOT NULL, site INTEGER NOT NULL,
                    applications INTEGER NOT NULL, approved INTEGER NOT NULL, rejected INTEGER NOT NULL,
                    PRIMARY KEY (day, subject_type, reason, province, site)
                ) WITHOUT ROWID;
                CREATE TABLE application_stats_month (
                    month INTEGER NOT NULL, subject_type INTEGER NOT NULL, reason INTEGER NOT NULL, province INTEGER NOT NULL,
                    site INTEGER NOT NULL,
                    applications INTEGER NOT NULL, approved INTEGER NOT NULL, rejected INTEGER NOT NULL,
                    PRIMARY KEY (month, subject_type, reason, province, site)
                ) WITHOUT ROWID;
                CREATE TABLE application_stats_reason (
                    day INTEGER NOT NULL, month INTEGER NOT NULL, subject_type INTEGER NOT NULL, reason INTEGER NOT NULL,
                    applications INTEGER NOT NULL, approved INTEGER NOT NULL, rejected INTEGER NOT NULL,
                    PRIMARY KEY (day, subject_type, reason)
                ) WITHOUT ROWID;
                CREATE TABLE application_stats_province (
                    day INTEGER NOT NULL, month INTEGER NOT NULL, subject_type INTEGER NOT NULL, province INTEGER NOT NULL,
                    applications INTEGER NOT NULL, approved INTEGER NOT NULL, rejected INTEGER NOT NULL,
                    PRIMARY KEY (day, subject_type, province)
                ) WITHOUT ROWID;
                CREATE TABLE application_stats_site (
                    day INTEGER NOT NULL, month INTEGER NOT NULL, subject_type INTEGER NOT NULL, site INTEGER NOT NULL,
                    applications INTEGER NOT NULL, approved INTEGER NOT NULL, rejected INTEGER NOT NULL,
                    PRIMARY KEY (day, subject_type, site)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("0003_ca_keys") { db in
            try db.execute(sql: """
                CREATE TABLE ca_keys (
                    purpose    TEXT NOT NULL,
                    key_id     TEXT NOT NULL,
                    public_key TEXT,
                    created_at INTEGER NOT NULL,
                    -- 'active' keys are published and trusted; an operator sets 'revoked' to stop that
                    -- (a node whose own signing key is revoked refuses to start).
                    state      TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'revoked')),
                    PRIMARY KEY (purpose, key_id)
                ) WITHOUT ROWID;
                -- One index, pseudonym and data key per CA: a second could only orphan stored data.
                CREATE UNIQUE INDEX ca_keys_one_secret ON ca_keys (purpose) WHERE purpose IN ('index', 'pseudonym', 'data');
                -- And one active audit key: every checkpoint is checked with it.
                CREATE UNIQUE INDEX ca_keys_one_audit ON ca_keys (purpose) WHERE purpose = 'audit-signing' AND state = 'active';
                """)
        }
        migrator.registerMigration("0004_lifecycle") { db in
            try db.execute(sql: SQLiteDatabase.lifecycleSchema)
        }
        migrator.registerMigration("0005_key_rotation") { db in
            try db.execute(sql: KeyRotationSchema.sqlite)
        }
        return migrator
    }
}

extension IDCAError {
    /// A storage failure: internal detail for the log, nothing for the client.
    static func storage(_ error: any Error) -> IDCAError {
        // Only the result code: a DatabaseError's description holds the statement's arguments.
        .storageUnavailable(detail: (error as? DatabaseError).map { "SQLite \($0.extendedResultCode)" } ?? String(describing: type(of: error)))
    }
}
