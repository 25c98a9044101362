-- Custom integrations. `seq` orders rows of one creation instant and keys
-- the tag table; `id` is the public UUID.
CREATE TABLE custom_integrations (
    seq              BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               UUID        NOT NULL UNIQUE,
    organization_id  TEXT        NOT NULL,
    name             TEXT        NOT NULL CHECK (name <> ''),
    integration_type TEXT        NOT NULL CHECK (integration_type <> ''),
    description      TEXT,
    status           TEXT        NOT NULL CHECK (status IN ('active', 'inactive', 'deleted')),
    -- Normalized JSON exactly as returned. TEXT, not JSONB: JSONB would
    -- reorder object keys, and env var order is the client's.
    config           TEXT        NOT NULL,
    tags             TEXT        NOT NULL,   -- JSON array, as sent
    created_at       TIMESTAMPTZ NOT NULL,   -- microseconds, like the domain's clock
    updated_at       TIMESTAMPTZ NOT NULL,
    created_by       TEXT
);

-- Names are unique among the organization's non-deleted integrations only,
-- so a soft-deleted name can be reused and concurrent creates cannot both win.
-- The store maps a violation of this index, by name, to a name conflict.
CREATE UNIQUE INDEX custom_integrations_live_name
    ON custom_integrations (organization_id, name) WHERE status <> 'deleted';

CREATE INDEX custom_integrations_org_created
    ON custom_integrations (organization_id, created_at DESC, seq DESC);

CREATE INDEX custom_integrations_org_type
    ON custom_integrations (organization_id, integration_type, created_at DESC, seq DESC);

-- One row per distinct tag, so a tag filter reads the tagged rows only.
CREATE TABLE custom_integration_tags (
    organization_id TEXT   NOT NULL,
    tag             TEXT   NOT NULL,
    integration_seq BIGINT NOT NULL REFERENCES custom_integrations (seq) ON DELETE CASCADE,
    PRIMARY KEY (organization_id, tag, integration_seq)
);

CREATE INDEX custom_integration_tags_seq ON custom_integration_tags (integration_seq);
