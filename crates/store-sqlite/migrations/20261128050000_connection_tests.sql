-- Connection-test jobs and the workers that run them. A job snapshots the
-- integration it tests (config without secret values, revision); a claim is
-- a lease that the worker's heartbeats extend.
CREATE TABLE workers (
    id                TEXT    PRIMARY KEY,
    -- NULL: the server's embedded worker, which serves every organization.
    organization_id   TEXT,
    name              TEXT    NOT NULL,
    registered_at     INTEGER NOT NULL,
    last_heartbeat_at INTEGER NOT NULL
);

CREATE INDEX workers_by_organization ON workers (organization_id, last_heartbeat_at);

CREATE TABLE connection_tests (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT    NOT NULL UNIQUE,
    organization_id  TEXT    NOT NULL,
    integration_id   TEXT    NOT NULL,
    integration_name TEXT    NOT NULL,
    integration_type TEXT    NOT NULL,
    revision         INTEGER NOT NULL,
    config           TEXT    NOT NULL,
    status           TEXT    NOT NULL
        CHECK (status IN ('queued', 'running', 'passed', 'failed', 'timeout', 'error')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    worker_id        TEXT,
    lease_until      INTEGER,
    exit_code        INTEGER,
    duration_ms      INTEGER,
    output           TEXT,
    created_at       INTEGER NOT NULL,
    created_by       TEXT,
    started_at       INTEGER,
    finished_at      INTEGER
);

-- The claim's scan: only unfinished jobs, oldest first.
CREATE INDEX connection_tests_open ON connection_tests (seq) WHERE status IN ('queued', 'running');
-- An integration's history, newest first.
CREATE INDEX connection_tests_history ON connection_tests (organization_id, integration_id, seq);
