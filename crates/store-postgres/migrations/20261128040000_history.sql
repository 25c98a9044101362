-- Revisions: one immutable row per change of an integration, written in the
-- change's transaction. A full copy of the integration's columns as of that
-- revision; they go with the integration on a hard delete.
CREATE TABLE integration_revisions (
    integration_seq  BIGINT      NOT NULL REFERENCES custom_integrations (seq) ON DELETE CASCADE,
    revision         BIGINT      NOT NULL,
    kind             TEXT        NOT NULL CHECK (kind IN ('create', 'update', 'delete', 'restore')),
    actor            TEXT,
    recorded_at      TIMESTAMPTZ NOT NULL,
    restored_from    BIGINT,
    name             TEXT        NOT NULL,
    integration_type TEXT        NOT NULL,
    description      TEXT,
    status           TEXT        NOT NULL,
    config           TEXT        NOT NULL,
    tags             TEXT        NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    created_by       TEXT,
    PRIMARY KEY (integration_seq, revision)
);

-- Integrations from before history: their current state is their one revision.
INSERT INTO integration_revisions (integration_seq, revision, kind, actor, recorded_at, restored_from,
    name, integration_type, description, status, config, tags, created_at, updated_at, created_by)
SELECT seq, revision, CASE WHEN revision = 1 THEN 'create' ELSE 'update' END,
       CASE WHEN revision = 1 THEN created_by END, updated_at, NULL,
       name, integration_type, description, status, config, tags, created_at, updated_at, created_by
FROM custom_integrations;

-- The audit log: append-only; purged past the retention period. `detail`
-- holds names and ids, never a value.
CREATE TABLE audit_events (
    seq             BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id TEXT        NOT NULL,
    occurred_at     TIMESTAMPTZ NOT NULL,
    actor           TEXT,
    actor_role      TEXT,
    action          TEXT        NOT NULL,
    resource_type   TEXT        NOT NULL,
    resource_id     TEXT,
    outcome         TEXT        NOT NULL CHECK (outcome IN ('success', 'denied', 'failed')),
    request_id      TEXT,
    detail          TEXT        NOT NULL
);

CREATE INDEX audit_events_org_seq ON audit_events (organization_id, seq DESC);
CREATE INDEX audit_events_org_resource ON audit_events (organization_id, resource_id, seq DESC);
CREATE INDEX audit_events_occurred ON audit_events (occurred_at);
