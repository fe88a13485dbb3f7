extension PostgresMigrations {
    /// Migration 0004 (Docs/LIFECYCLE.md): the tables of SQLite's `0004_lifecycle`, and
    /// `idca_redeem` again, now refusing a token whose certification was revoked.
    static let lifecycleSchema = """
        -- A subject's certifications issued at or before revoked_at are withdrawn; later ones are new.
        CREATE TABLE revocations (
            seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            subject_ref  TEXT NOT NULL,
            subject_type TEXT NOT NULL,
            reason       TEXT NOT NULL,
            revoked_at   BIGINT NOT NULL,
            actor        TEXT NOT NULL
        );
        CREATE INDEX revocations_subject ON revocations (subject_ref, revoked_at);
        CREATE TRIGGER revocations_append_only BEFORE UPDATE OR DELETE ON revocations
            FOR EACH ROW EXECUTE FUNCTION idca_append_only();
        CREATE TRIGGER revocations_no_truncate BEFORE TRUNCATE ON revocations
            FOR EACH STATEMENT EXECUTE FUNCTION idca_append_only();

        ALTER TABLE site_accounts ADD COLUMN pseudonym TEXT;
        ALTER TABLE site_accounts ADD COLUMN certified_at BIGINT;
        ALTER TABLE site_accounts ADD COLUMN subject_type TEXT;
        CREATE UNIQUE INDEX site_accounts_pseudonym ON site_accounts (site_id, pseudonym);

        ALTER TABLE applications ADD COLUMN operator_ref TEXT;
        ALTER TABLE applications ADD COLUMN source_ref TEXT;
        CREATE INDEX applications_subject ON applications (subject_ref, decided_at);
        CREATE INDEX applications_operator ON applications (operator_ref, decided_at) WHERE operator_ref IS NOT NULL;
        CREATE INDEX applications_decided ON applications (decided_at);

        CREATE TABLE possession_challenges (
            application_id    TEXT PRIMARY KEY,
            subject_type      TEXT NOT NULL,
            subject_ref       TEXT NOT NULL,
            region_code       BIGINT,
            site_id           TEXT,
            organization_name TEXT,
            operator_ref      TEXT,
            source_ref        TEXT,
            code_hash         TEXT NOT NULL,
            destination       TEXT NOT NULL,
            created_at        BIGINT NOT NULL,
            expires_at        BIGINT NOT NULL,
            attempts_left     BIGINT NOT NULL,
            state             TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'decided')),
            -- The resident whose phone received the code (the applicant, or the organization's operator).
            recipient_ref     TEXT NOT NULL
        );
        CREATE INDEX possession_challenges_recipient ON possession_challenges (recipient_ref, created_at);

        CREATE TABLE disclosure_requests (
            id           TEXT PRIMARY KEY,
            site_id      TEXT NOT NULL,
            pseudonym    TEXT NOT NULL,
            subject_ref  TEXT NOT NULL,
            subject_type TEXT NOT NULL,
            case_ref     TEXT NOT NULL,
            requested_by TEXT NOT NULL,
            requested_at BIGINT NOT NULL,
            expires_at   BIGINT NOT NULL,
            approved_by  TEXT,
            approved_at  BIGINT,
            CHECK (approved_by IS NULL OR approved_by <> requested_by)
        );

        -- As in 0001, plus: a revocation at or after the token's issue refuses it (checked before the
        -- account row is locked, under the chain lock every write batch holds, so a revocation and a
        -- redemption are always in one order).
        CREATE OR REPLACE FUNCTION idca_redeem(p_token TEXT, p_digest TEXT, p_site TEXT, p_max BIGINT, p_at BIGINT)
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
                IF EXISTS (SELECT 1 FROM revocations v WHERE v.subject_ref = t.subject_ref AND v.revoked_at >= t.issued_at) THEN
                    RETURN QUERY SELECT 'certification_revoked'::TEXT, 0::BIGINT, t.id, t.digest, t.issued_at, t.expires_at, t.audience,
                                        t.assurance, t.subject_type, t.subject_ref, t.organization_name;
                    RETURN;
                END IF;
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
        """
}
