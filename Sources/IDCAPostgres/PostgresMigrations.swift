import Foundation
import Logging
import PostgresNIO

/// Versioned migrations. Names are shared with the SQLite backend, so that a schema version means
/// the same tables everywhere; the SQL is PostgreSQL's.
public enum PostgresMigrations {
    /// The newest migration this build knows.
    public static let latest = migrations.last!.name

    /// Any 64-bit number no other program on the server is likely to lock: "idca" in ASCII, then 1.
    static let migrationLock: Int64 = 0x6964_6361_0000_0001

    /// Applies the missing migrations, each in its own transaction, while holding a session-level
    /// advisory lock: a second instance starting at the same moment waits, then finds nothing to do.
    static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(migrationLock))", logger: logger)
            do {
                try await connection.query("""
                    CREATE TABLE IF NOT EXISTS idca_migrations (identifier TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                    """, logger: logger)
                var applied: Set<String> = []
                for try await name in try await connection.query("SELECT identifier FROM idca_migrations", logger: logger).decode(String.self) {
                    applied.insert(name)
                }
                for migration in migrations where !applied.contains(migration.name) {
                    logger.info("applying migration", metadata: ["migration": "\(migration.name)"])
                    // One transaction per migration: a failed one leaves nothing behind.
                    try await connection.transaction(logger: logger) { connection in
                        for statement in statements(migration.sql) {
                            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        try await connection.query("INSERT INTO idca_migrations (identifier) VALUES (\(migration.name))", logger: logger)
                    }
                }
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
                throw error
            }
            try await connection.query("SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
        }
    }

    /// A script's statements (the extended protocol takes one at a time): split at semicolons that
    /// end a line, except inside `$$`-quoted function bodies.
    static func statements(_ script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var inBody = false
        for line in script.split(separator: "\n", omittingEmptySubsequences: false) {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("--") && !inBody { continue }
            current += line + "\n"
            if line.components(separatedBy: "$$").count % 2 == 0 { inBody.toggle() }
            if !inBody && text.hasSuffix(";") {
                statements.append(current)
                current = ""
            }
        }
        if !current.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { statements.append(current) }
        return statements
    }

    /// The names of the migrations the database has, without changing anything.
    static func applied(_ client: PostgresClient, logger: Logger) async throws -> Set<String> {
        var applied: Set<String> = []
        let exists = try await client.query("SELECT to_regclass('idca_migrations') IS NOT NULL", logger: logger).decode(Bool.self)
        for try await present in exists where !present { return [] }
        for try await name in try await client.query("SELECT identifier FROM idca_migrations", logger: logger).decode(String.self) {
            applied.insert(name)
        }
        return applied
    }

    static let migrations: [(name: String, sql: String)] = [
        ("0001_certification", """
            CREATE TABLE residents (
                id_hash         TEXT PRIMARY KEY,
                name_hash       TEXT NOT NULL,
                status          TEXT NOT NULL,
                region_code     BIGINT NOT NULL,
                sealed_phone    BYTEA,
                sealed_identity BYTEA
            );

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
                max_accounts BIGINT NOT NULL,
                suspended    BOOLEAN NOT NULL DEFAULT false,
                created_at   BIGINT NOT NULL,
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
                region_code     BIGINT,
                subject_ref     TEXT,
                decided_at      BIGINT NOT NULL,
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
                issued_at         BIGINT NOT NULL,
                expires_at        BIGINT NOT NULL,
                redeemed_at       BIGINT,
                redeemed_by       TEXT
            );

            CREATE TABLE site_accounts (
                site_id     TEXT NOT NULL,
                subject_ref TEXT NOT NULL,
                accounts    BIGINT NOT NULL,
                PRIMARY KEY (site_id, subject_ref)
            );

            -- Redemption in one round trip. The account limit must hold across instances, so the
            -- subject's counter row at the site is locked before the decision; the decision itself is
            -- the one conditional UPDATE, whose row count is the answer (a second instance redeeming
            -- the same token waits for the first to commit, then finds redeemed_at set).
            CREATE FUNCTION idca_redeem(p_token TEXT, p_digest TEXT, p_site TEXT, p_max BIGINT, p_at BIGINT)
            RETURNS TABLE (outcome TEXT, accounts BIGINT, token_id TEXT, digest TEXT, issued_at BIGINT, expires_at BIGINT,
                           audience TEXT, assurance TEXT, subject_type TEXT, subject_ref TEXT, organization_name TEXT)
            LANGUAGE plpgsql AS $$
            #variable_conflict use_column
            DECLARE
                t tokens%ROWTYPE;
                n BIGINT;
            BEGIN
                SELECT * INTO t FROM tokens WHERE tokens.id = p_token;
                IF NOT FOUND OR t.digest <> p_digest THEN
                    RETURN QUERY SELECT 'unknown_token'::TEXT, 0::BIGINT, NULL::TEXT, NULL::TEXT, NULL::BIGINT, NULL::BIGINT,
                                        NULL::TEXT, NULL::TEXT, NULL::TEXT, NULL::TEXT, NULL::TEXT;
                    RETURN;
                END IF;
                IF t.redeemed_at IS NULL THEN
                    INSERT INTO site_accounts (site_id, subject_ref, accounts) VALUES (p_site, t.subject_ref, 0)
                        ON CONFLICT (site_id, subject_ref) DO NOTHING;
                    SELECT site_accounts.accounts INTO n FROM site_accounts
                        WHERE site_accounts.site_id = p_site AND site_accounts.subject_ref = t.subject_ref FOR UPDATE;
                    UPDATE tokens SET redeemed_at = p_at, redeemed_by = p_site
                        WHERE tokens.id = p_token AND tokens.digest = p_digest AND tokens.redeemed_at IS NULL AND n < p_max;
                    IF FOUND THEN
                        UPDATE site_accounts SET accounts = site_accounts.accounts + 1
                            WHERE site_accounts.site_id = p_site AND site_accounts.subject_ref = t.subject_ref
                            RETURNING site_accounts.accounts INTO n;
                        RETURN QUERY SELECT 'redeemed'::TEXT, n, t.id, t.digest, t.issued_at, t.expires_at, t.audience, t.assurance,
                                            t.subject_type, t.subject_ref, t.organization_name;
                        RETURN;
                    END IF;
                    SELECT * INTO t FROM tokens WHERE tokens.id = p_token;
                END IF;
                RETURN QUERY SELECT CASE WHEN t.redeemed_at IS NOT NULL THEN 'already_used' ELSE 'account_limit_reached' END,
                                    0::BIGINT, t.id, t.digest, t.issued_at, t.expires_at, t.audience, t.assurance,
                                    t.subject_type, t.subject_ref, t.organization_name;
            END
            $$;
            """),
        ("0002_audit_statistics", """
            CREATE TABLE audit_log (
                seq       BIGINT PRIMARY KEY,
                time      BIGINT NOT NULL,
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
            -- Append-only in the schema too. A superuser can drop these triggers; the signed
            -- checkpoints are what make a rewrite detectable.
            CREATE FUNCTION idca_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
            END
            $$;
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
                FOR EACH ROW EXECUTE FUNCTION idca_append_only();
            CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
                FOR EACH STATEMENT EXECUTE FUNCTION idca_append_only();

            CREATE TABLE audit_checkpoints (
                seq       BIGINT NOT NULL,
                hash      TEXT NOT NULL,
                time      BIGINT NOT NULL,
                key_id    TEXT NOT NULL,
                signature TEXT NOT NULL,
                PRIMARY KEY (seq, key_id)
            );
            CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
                FOR EACH ROW EXECUTE FUNCTION idca_append_only();
            CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
                FOR EACH STATEMENT EXECUTE FUNCTION idca_append_only();

            CREATE TABLE auditors (
                id           TEXT PRIMARY KEY,
                name         TEXT NOT NULL,
                created_at   BIGINT NOT NULL,
                revoked_at   BIGINT,
                api_key_hash TEXT NOT NULL UNIQUE
            );

            -- The statistics counters (Docs/STATISTICS.md, IDCACore's StatisticsTables).
            CREATE TABLE statistics_labels (
                id    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                kind  TEXT NOT NULL,
                value TEXT NOT NULL,
                UNIQUE (kind, value)
            );
            CREATE TABLE application_stats (
                day BIGINT NOT NULL, month BIGINT NOT NULL, subject_type BIGINT NOT NULL, reason BIGINT NOT NULL,
                province BIGINT NOT NULL, site BIGINT NOT NULL,
                applications BIGINT NOT NULL, approved BIGINT NOT NULL, rejected BIGINT NOT NULL,
                PRIMARY KEY (day, subject_type, reason, province, site)
            );
            CREATE TABLE application_stats_month (
                month BIGINT NOT NULL, subject_type BIGINT NOT NULL, reason BIGINT NOT NULL, province BIGINT NOT NULL,
                site BIGINT NOT NULL,
                applications BIGINT NOT NULL, approved BIGINT NOT NULL, rejected BIGINT NOT NULL,
                PRIMARY KEY (month, subject_type, reason, province, site)
            );
            CREATE TABLE application_stats_reason (
                day BIGINT NOT NULL, month BIGINT NOT NULL, subject_type BIGINT NOT NULL, reason BIGINT NOT NULL,
                applications BIGINT NOT NULL, approved BIGINT NOT NULL, rejected BIGINT NOT NULL,
                PRIMARY KEY (day, subject_type, reason)
            );
            CREATE TABLE application_stats_province (
                day BIGINT NOT NULL, month BIGINT NOT NULL, subject_type BIGINT NOT NULL, province BIGINT NOT NULL,
                applications BIGINT NOT NULL, approved BIGINT NOT NULL, rejected BIGINT NOT NULL,
                PRIMARY KEY (day, subject_type, province)
            );
            CREATE TABLE application_stats_site (
                day BIGINT NOT NULL, month BIGINT NOT NULL, subject_type BIGINT NOT NULL, site BIGINT NOT NULL,
                applications BIGINT NOT NULL, approved BIGINT NOT NULL, rejected BIGINT NOT NULL,
                PRIMARY KEY (day, subject_type, site)
            );
            """),
        ("0003_ca_keys", """
            CREATE TABLE ca_keys (
                purpose    TEXT NOT NULL,
                key_id     TEXT NOT NULL,
                public_key TEXT,
                created_at BIGINT NOT NULL,
                -- 'active' keys are published and trusted; an operator sets 'revoked' to stop that
                -- (a node whose own signing key is revoked refuses to start).
                state      TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'revoked')),
                PRIMARY KEY (purpose, key_id)
            );
            -- One index, pseudonym and data key per CA: a second could only orphan stored data.
            CREATE UNIQUE INDEX ca_keys_one_secret ON ca_keys (purpose) WHERE purpose IN ('index', 'pseudonym', 'data');
            -- And one active audit key: every checkpoint is checked with it.
            CREATE UNIQUE INDEX ca_keys_one_audit ON ca_keys (purpose) WHERE purpose = 'audit-signing' AND state = 'active';
            """),
        ("0004_lifecycle", lifecycleSchema),
        ("0005_key_rotation", PostgresKeyRegister.migration),
    ]
}
