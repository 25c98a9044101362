-- Connection-test jobs and the workers that run them. A job snapshots the
-- integration it tests (config without secret values, revision); a claim is
-- a lease that the worker's heartbeats extend. Claims take rows with
-- FOR UPDATE SKIP LOCKED, so replicas never hand one job out twice.
CREATE TABLE workers (
    id                UUID        PRIMARY KEY,
    -- NULL: the server's embedded worker, which serves every organization.
    organization_id   TEXT,
    name              TEXT        NOT NULL,
    registered_at     TIMESTAMPTZ NOT NULL,
    last_heartbeat_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX workers_by_organization ON workers (organization_id, last_heartbeat_at);

CREATE TABLE connection_tests (
    seq              BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               UUID        NOT NULL UNIQUE,
    organization_id  TEXT        NOT NULL,
    integration_id   UUID        NOT NULL,
    integration_name TEXT        NOT NULL,
    integration_type TEXT        NOT NULL,
    revision         BIGINT      NOT NULL,
    config           TEXT        NOT NULL,
    status           TEXT        NOT NULL
        CHECK (status IN ('queued', 'running', 'passed', 'failed', 'timeout', 'error')),
    attempts         INTEGER     NOT NULL DEFAULT 0,
    worker_id        UUID,
    lease_until      TIMESTAMPTZ,
    exit_code        INTEGER,
    duration_ms      BIGINT,
    output           TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    created_by       TEXT,
    started_at       TIMESTAMPTZ,
    finished_at      TIMESTAMPTZ
);

-- The claim's scan: only unfinished jobs, oldest first.
CREATE INDEX connection_tests_open ON connection_tests (seq) WHERE status IN ('queued', 'running');
-- An integration's history, newest first.
CREATE INDEX connection_tests_history ON connection_tests (organization_id, integration_id, seq);
