extension SQLiteDatabase {
    /// Migration 0004 (Docs/LIFECYCLE.md): revocations, the site accounts' pseudonyms, the facts the
    /// anti-enumeration budgets and the impersonation report count, possession challenges and
    /// disclosure requests. PostgreSQL's `0004_lifecycle` is the same tables.
    static let lifecycleSchema = """
        -- A subject's certifications issued at or before revoked_at are withdrawn; later ones are new.
        -- Append-only: a revocation is a fact, like an audit entry.
        CREATE TABLE revocations (
            seq          INTEGER PRIMARY KEY AUTOINCREMENT,
            subject_ref  TEXT NOT NULL,
            subject_type TEXT NOT NULL,
            reason       TEXT NOT NULL,
            revoked_at   INTEGER NOT NULL,
            actor        TEXT NOT NULL
        );
        CREATE INDEX revocations_subject ON revocations (subject_ref, revoked_at);
        CREATE TRIGGER revocations_append_only_update BEFORE UPDATE ON revocations
            BEGIN SELECT RAISE(ABORT, 'revocations are append-only'); END;
        CREATE TRIGGER revocations_append_only_delete BEFORE DELETE ON revocations
            BEGIN SELECT RAISE(ABORT, 'revocations are append-only'); END;

        -- The pseudonym the site knows the subject by (so that a site can ask about it, and a lawful
        -- request can name it), and when the subject's newest certification redeemed there was issued.
        ALTER TABLE site_accounts ADD COLUMN pseudonym TEXT;
        ALTER TABLE site_accounts ADD COLUMN certified_at INTEGER;
        ALTER TABLE site_accounts ADD COLUMN subject_type TEXT;
        CREATE UNIQUE INDEX site_accounts_pseudonym ON site_accounts (site_id, pseudonym);

        -- Keyed hashes only: the operator's resident ID (organization applications) and the client address.
        ALTER TABLE applications ADD COLUMN operator_ref TEXT;
        ALTER TABLE applications ADD COLUMN source_ref TEXT;
        CREATE INDEX applications_subject ON applications (subject_ref, decided_at);
        CREATE INDEX applications_operator ON applications (operator_ref, decided_at) WHERE operator_ref IS NOT NULL;
        CREATE INDEX applications_decided ON applications (decided_at);

        -- An application whose registry check passed, waiting for the code sent to the phone on file.
        CREATE TABLE possession_challenges (
            application_id    TEXT PRIMARY KEY,
            subject_type      TEXT NOT NULL,
            subject_ref       TEXT NOT NULL,
            region_code       INTEGER,
            site_id           TEXT,
            organization_name TEXT,
            operator_ref      TEXT,
            source_ref        TEXT,
            code_hash         TEXT NOT NULL,
            destination       TEXT NOT NULL,
            created_at        INTEGER NOT NULL,
            expires_at        INTEGER NOT NULL,
            attempts_left     INTEGER NOT NULL,
            state             TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'decided')),
            -- The resident whose phone received the code (the applicant, or the organization's operator).
            recipient_ref     TEXT NOT NULL
        );
        CREATE INDEX possession_challenges_recipient ON possession_challenges (recipient_ref, created_at);

        -- Lawful disclosure: requested by one auditor, approved by another, then shown.
        CREATE TABLE disclosure_requests (
            id           TEXT PRIMARY KEY,
            site_id      TEXT NOT NULL,
            pseudonym    TEXT NOT NULL,
            subject_ref  TEXT NOT NULL,
            subject_type TEXT NOT NULL,
            case_ref     TEXT NOT NULL,
            requested_by TEXT NOT NULL,
            requested_at INTEGER NOT NULL,
            expires_at   INTEGER NOT NULL,
            approved_by  TEXT,
            approved_at  INTEGER,
            CHECK (approved_by IS NULL OR approved_by <> requested_by)
        );
        """
}
