-- Dynamic credentials: an organization's credential providers (an admin
-- connection, by the name of the vault secret holding it, and the roles it
-- makes users for) and the leases made from them, one database user each.
-- A lease keeps what its revocation needs, so it outlives its provider's
-- replacement; a provider is deleted only once none of its leases is live.
CREATE TABLE credential_providers (
    organization_id     TEXT    NOT NULL,
    name                TEXT    NOT NULL,
    kind                TEXT    NOT NULL CHECK (kind IN ('postgres', 'mysql', 'redis')),
    connection_secret   TEXT    NOT NULL,
    default_ttl_seconds INTEGER NOT NULL,
    max_ttl_seconds     INTEGER NOT NULL,
    roles               TEXT    NOT NULL,   -- JSON object, role name to role, in written order
    created_at          INTEGER NOT NULL,   -- microseconds since the epoch, UTC
    updated_at          INTEGER NOT NULL,
    created_by          TEXT,
    updated_by          TEXT,
    PRIMARY KEY (organization_id, name)
);

CREATE TABLE credential_leases (
    id                TEXT    PRIMARY KEY,
    organization_id   TEXT    NOT NULL,
    provider          TEXT    NOT NULL,
    role              TEXT    NOT NULL,
    kind              TEXT    NOT NULL CHECK (kind IN ('postgres', 'mysql', 'redis')),
    connection_secret TEXT    NOT NULL,
    revocation        TEXT    NOT NULL,   -- JSON array of statements; empty: the kind's default
    username          TEXT    NOT NULL,
    integration_id    TEXT,
    integration_name  TEXT,
    job_id            TEXT,
    state             TEXT    NOT NULL
        CHECK (state IN ('active', 'revoking', 'revoked', 'revoke_failed')),
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    max_expires_at    INTEGER NOT NULL,
    revoked_at        INTEGER,
    revoke_attempts   INTEGER NOT NULL DEFAULT 0,
    -- revoke_failed: the next attempt; revoking: when the holder's claim lapses.
    next_attempt_at   INTEGER,
    last_error        TEXT,
    created_by        TEXT
);

-- A provider's live leases (the delete's check) and the live count.
CREATE INDEX credential_leases_live ON credential_leases (organization_id, provider)
    WHERE state <> 'revoked';
-- The revocation claim's scans: active leases by expiry, the others by
-- their next attempt.
CREATE INDEX credential_leases_expiry ON credential_leases (state, expires_at);
CREATE INDEX credential_leases_next_attempt ON credential_leases (state, next_attempt_at);
-- A connection test's leases, revoked when it ends.
CREATE INDEX credential_leases_job ON credential_leases (organization_id, job_id);
-- The list, newest first.
CREATE INDEX credential_leases_newest ON credential_leases (organization_id, created_at DESC);
