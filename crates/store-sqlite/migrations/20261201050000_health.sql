-- Integration health and scheduled connection tests. A health row is moved
-- by each final test result, in the result's transaction; no row is
-- `unknown`. A schedule row holds when an integration's next scheduled test
-- falls due; claiming it moves that time on, so each interval is taken once.
CREATE TABLE integration_health (
    integration_id       TEXT    PRIMARY KEY,
    organization_id      TEXT    NOT NULL,
    state                TEXT    NOT NULL CHECK (state IN ('healthy', 'failing')),
    since                INTEGER NOT NULL,
    consecutive_failures INTEGER NOT NULL,
    last_job_id          TEXT    NOT NULL,
    updated_at           INTEGER NOT NULL
);

CREATE INDEX integration_health_by_organization ON integration_health (organization_id);

CREATE TABLE test_schedules (
    integration_id  TEXT    PRIMARY KEY,
    organization_id TEXT    NOT NULL,
    next_run_at     INTEGER NOT NULL
);

-- Only integrations with a schedule: the scheduler's scan stays small
-- however many integrations there are.
CREATE INDEX custom_integrations_scheduled
    ON custom_integrations (json_extract(config, '$.connection_test.interval_seconds'))
    WHERE json_extract(config, '$.connection_test.interval_seconds') IS NOT NULL;
