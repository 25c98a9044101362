-- Web console sessions, in the database so that they outlive a restart and
-- every process on this database honours them. A row gives its reader
-- neither the session id nor a usable token: `id_hash` is SHA-256 of the id
-- (the browser's cookie), and the token is sealed under a key derived from
-- the id, which only the browser holds.
CREATE TABLE console_sessions (
    id_hash          BLOB    PRIMARY KEY,
    token_nonce      BLOB    NOT NULL,
    token_ciphertext BLOB    NOT NULL,
    created_at       INTEGER NOT NULL,   -- microseconds since the epoch, UTC
    expires_at       INTEGER NOT NULL    -- the token's expiry, likewise
);
CREATE INDEX console_sessions_expires_at ON console_sessions (expires_at);
