-- The vault. Values and data keys are stored only sealed (nonce and
-- ciphertext); the master key itself is never stored, only its fingerprint.
CREATE TABLE vault_meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One data key per organization, wrapped under the master key.
CREATE TABLE vault_data_keys (
    organization_id TEXT        PRIMARY KEY,
    nonce           BYTEA       NOT NULL,
    wrapped_key     BYTEA       NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);

-- `current_version` is taken under the row lock of the upsert, so
-- concurrent writers of one name get consecutive versions.
CREATE TABLE secrets (
    seq             BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id TEXT        NOT NULL,
    name            TEXT        NOT NULL,
    description     TEXT,
    current_version BIGINT      NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    created_by      TEXT,
    UNIQUE (organization_id, name)
);

CREATE TABLE secret_versions (
    secret_seq BIGINT      NOT NULL REFERENCES secrets (seq) ON DELETE CASCADE,
    version    BIGINT      NOT NULL,
    nonce      BYTEA       NOT NULL,
    ciphertext BYTEA       NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT,
    PRIMARY KEY (secret_seq, version)
);
