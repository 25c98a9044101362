-- Webhooks: an organization's receivers of its audit events, and the
-- deliveries queued for them. A webhook's signing secret is sealed by the
-- vault (under the organization's data key), so a dump of this table holds
-- none. Deliveries are keyed by webhook and audit event: replicas fanning
-- out the same events queue each pair once (INSERT ... ON CONFLICT DO
-- NOTHING), and claims take due deliveries with FOR UPDATE SKIP LOCKED, so
-- each attempt goes to one replica.
CREATE TABLE webhooks (
    id                UUID        PRIMARY KEY,
    organization_id   TEXT        NOT NULL,
    url               TEXT        NOT NULL,
    events            TEXT        NOT NULL,   -- JSON array of audit actions, as given
    description       TEXT,
    secret_nonce      BYTEA       NOT NULL,
    secret_ciphertext BYTEA       NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    created_by        TEXT
);
CREATE INDEX webhooks_organization ON webhooks (organization_id, created_at);

-- The actions each webhook receives, one row each: what the fan-out joins on.
CREATE TABLE webhook_events (
    webhook_id UUID NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    action     TEXT NOT NULL,
    PRIMARY KEY (webhook_id, action)
);

CREATE TABLE webhook_deliveries (
    id              UUID        PRIMARY KEY,
    webhook_id      UUID        NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    organization_id TEXT        NOT NULL,
    event_id        BIGINT      NOT NULL,   -- audit_events.seq
    event_type      TEXT        NOT NULL,
    body            TEXT        NOT NULL,   -- the JSON sent, built once: every attempt signs these bytes
    state           TEXT        NOT NULL CHECK (state IN ('pending', 'delivering', 'delivered', 'failed')),
    attempts        INTEGER     NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ,            -- pending: when the next attempt is due
    claimed_until   TIMESTAMPTZ,            -- delivering: when the sender's claim lapses
    last_status     INTEGER,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    last_attempt_at TIMESTAMPTZ,
    delivered_at    TIMESTAMPTZ,
    UNIQUE (webhook_id, event_id)
);
-- A webhook's deliveries, newest first.
CREATE INDEX webhook_deliveries_newest ON webhook_deliveries (webhook_id, created_at DESC);
-- The claim's scans: what is due, and what a lapsed claim left.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_claimed ON webhook_deliveries (claimed_until) WHERE state = 'delivering';

-- The fan-out reads an organization's recent events by time.
CREATE INDEX audit_events_org_occurred ON audit_events (organization_id, occurred_at);
