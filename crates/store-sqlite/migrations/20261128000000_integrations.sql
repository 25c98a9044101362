-- Custom integrations. `seq` orders rows of one creation instant and keys
-- the tag table; `id` is the public UUID.
CREATE TABLE custom_integrations (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT    NOT NULL UNIQUE,
    organization_id  TEXT    NOT NULL,
    name             TEXT    NOT NULL CHECK (name <> ''),
    integration_type TEXT    NOT NULL CHECK (integration_type <> ''),
    description      TEXT,
    status           TEXT    NOT NULL CHECK (status IN ('active', 'inactive', 'deleted')),
    config           TEXT    NOT NULL,   -- normalized JSON, as returned
    tags             TEXT    NOT NULL,   -- JSON array, as sent
    created_at       INTEGER NOT NULL,   -- microseconds since the epoch, UTC
    updated_at       INTEGER NOT NULL,
    created_by       TEXT
);

-- Names are unique among the organization's non-deleted integrations only,
-- so a soft-deleted name can be reused and concurrent creates cannot both win.
CREATE UNIQUE INDEX custom_integrations_live_name
    ON custom_integrations (organization_id, name) WHERE status <> 'deleted';

CREATE INDEX custom_integrations_org_created
    ON custom_integrations (organization_id, created_at DESC, seq DESC);

CREATE INDEX custom_integrations_org_type
    ON custom_integrations (organization_id, integration_type, created_at DESC, seq DESC);

-- One row per distinct tag, so a tag filter reads the tagged rows only.
CREATE TABLE custom_integration_tags (
    organization_id TEXT    NOT NULL,
    tag             TEXT    NOT NULL,
    integration_seq INTEGER NOT NULL REFERENCES custom_integrations (seq) ON DELETE CASCADE,
    PRIMARY KEY (organization_id, tag, integration_seq)
) WITHOUT ROWID;

CREATE INDEX custom_integration_tags_seq ON custom_integration_tags (integration_seq);
