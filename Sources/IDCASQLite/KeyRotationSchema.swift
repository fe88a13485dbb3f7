/// Migration `0005_key_rotation`: the token-signing keys' schedule (Docs/KEY-ROTATION.md).
///
/// It only extends `ca_keys`, so it does not depend on any other migration after `0003_ca_keys`.
/// Every token-signing key already recorded has been published and signing since it was recorded,
/// which is what instances did with it before: an upgraded CA goes on exactly as before.
enum KeyRotationSchema {
    static let sqlite = """
        -- When the key entered the JWKS, and when it started (or starts) to sign: published_at plus the
        -- pre-publication delay. NULL for the secret keys and the audit key, which are not scheduled.
        ALTER TABLE ca_keys ADD COLUMN published_at INTEGER;
        ALTER TABLE ca_keys ADD COLUMN activates_at INTEGER;
        -- When a successor took over (NULL while none is scheduled), and when the key leaves the JWKS:
        -- retired_at plus the longest token lifetime plus the verifier's clock leeway.
        ALTER TABLE ca_keys ADD COLUMN retired_at INTEGER;
        ALTER TABLE ca_keys ADD COLUMN drops_at INTEGER;
        -- When `idca keys revoke` revoked it (a key revoked by hand before 0005 has state 'revoked' and no date).
        ALTER TABLE ca_keys ADD COLUMN revoked_at INTEGER;
        UPDATE ca_keys SET published_at = created_at, activates_at = created_at WHERE purpose = 'token-signing';
        """
}
