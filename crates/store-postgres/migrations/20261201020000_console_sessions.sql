-- Web console sessions, in the database so that they outlive a restart and
-- every replica honours them. A row gives its reader neither the session id
-- nor a usable token: `id_hash` is SHA-256 of the id (the browser's
-- cookie), and the token is sealed under a key derived from the id, which
-- only the browser holds.
CREATE TABLE console_sessions (
    id_hash          BYTEA       PRIMARY KEY,
    token_nonce      BYTEA       NOT NULL,
    token_ciphertext BYTEA       NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    expires_at       TIMESTAMPTZ NOT NULL   -- the token's expiry
);
CREATE INDEX console_sessions_expires_at ON console_sessions (expires_at);
