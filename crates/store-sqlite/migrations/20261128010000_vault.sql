-- The vault. Values and data keys are stored only sealed (nonce and
-- ciphertext); the master key itself is never stored, only its fingerprint.
CREATE TABLE vault_meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One data key per organization, wrapped under the master key.
CREATE TABLE vault_data_keys (
    organization_id TEXT    PRIMARY KEY,
    nonce           BLOB    NOT NULL,
    wrapped_key     BLOB    NOT NULL,
    created_at      INTEGER NOT NULL
);

CREATE TABLE secrets (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    description     TEXT,
    current_version INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    created_by      TEXT,
    UNIQUE (organization_id, name)
);

CREATE TABLE secret_versions (
    secret_seq INTEGER NOT NULL REFERENCES secrets (seq) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    nonce      BLOB    NOT NULL,
    ciphertext BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT,
    PRIMARY KEY (secret_seq, version)
);
