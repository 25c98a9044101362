-- Integration health and scheduled connection tests. A health row is moved
-- by each final test result, in the result's transaction; no row is
-- `unknown`. A schedule row holds when an integration's next scheduled test
-- falls due; claiming it (an upsert whose update is conditional on the
-- time having come) moves that time on, so each interval is taken by one
-- replica: a concurrent claim waits on the row and then finds it not due.
CREATE TABLE integration_health (
    integration_id       UUID        PRIMARY KEY,
    organization_id      TEXT        NOT NULL,
    state                TEXT        NOT NULL CHECK (state IN ('healthy', 'failing')),
    since                TIMESTAMPTZ NOT NULL,
    consecutive_failures BIGINT      NOT NULL,
    last_job_id          UUID        NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL
);

CREATE INDEX integration_health_by_organization ON integration_health (organization_id);

CREATE TABLE test_schedules (
    integration_id  UUID        PRIMARY KEY,
    organization_id TEXT        NOT NULL,
    next_run_at     TIMESTAMPTZ NOT NULL
);

-- An enabled test's interval, read from the config's stored text: the
-- store writes it compactly in the domain's field order (`enabled`,
-- `command`, `timeout`, `interval_seconds`), and a quote inside a string is
-- always escaped, so only the real key matches. Not `config::jsonb`: JSONB
-- cannot hold the \u0000 a config string may carry, and the cast would fail
-- the write of such an integration.
CREATE FUNCTION patchbay_test_interval(config TEXT) RETURNS BIGINT
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT (regexp_match(config,
        '"connection_test":\{"enabled":true,"command":"(?:[^"\\]|\\.)*","timeout":[0-9]+,"interval_seconds":([0-9]+)\}'
    ))[1]::bigint
$$;

-- Only integrations with a schedule: the scheduler's scan stays small
-- however many integrations there are.
CREATE INDEX custom_integrations_scheduled
    ON custom_integrations (patchbay_test_interval(config))
    WHERE patchbay_test_interval(config) IS NOT NULL;
