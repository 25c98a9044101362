//! Integration health and the test schedule on SQLite. Results and claims
//! run on the one writer connection, so a health row is never moved by two
//! results at once and a due schedule is taken by one caller.
use crate::SqliteStore;
use crate::audit::{insert_audit, insert_audit_if};
use crate::sql::read;
use crate::time_codec::micros;
use async_trait::async_trait;
use patchbay_domain::{OrganizationId, now_utc};
use patchbay_store::sql::{HEALTH_COLUMNS, due_test_from_row, health_from_row};
use patchbay_store::{
    DueTest, HealthCounts, HealthStore, IntegrationHealth, Job, StoreError, failed, next_health,
    test_result_event,
};
use rusqlite::{Connection, OptionalExtension, params};
use time::OffsetDateTime;
use uuid::Uuid;

fn health_of(conn: &Connection, integration: Uuid) -> Result<Option<IntegrationHealth>, StoreError> {
    conn.prepare_cached(&format!("SELECT {HEALTH_COLUMNS} FROM integration_health WHERE integration_id = ?1"))
        .and_then(|mut s| s.query_row([integration.to_string()], read(health_from_row)).optional())
        .map_err(failed("reading an integration's health"))
}

/// Records a job's final result inside its transaction: the
/// `integration.test_result` event, the integration's health and, when the
/// health moved, `integration.health_changed`.
pub(crate) fn record_result(
    conn: &Connection,
    job: &Job,
    reported_by: Option<Uuid>,
) -> Result<(), StoreError> {
    insert_audit(conn, &test_result_event(job, reported_by))?;
    let previous = health_of(conn, job.integration_id)?;
    let (health, moved) = next_health(previous.as_ref(), job, now_utc());
    conn.prepare_cached(
        "INSERT INTO integration_health (integration_id, organization_id, state, since, \
             consecutive_failures, last_job_id, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
         ON CONFLICT (integration_id) DO UPDATE SET state = excluded.state, since = excluded.since, \
             consecutive_failures = excluded.consecutive_failures, last_job_id = excluded.last_job_id, \
             updated_at = excluded.updated_at",
    )
    .and_then(|mut s| {
        s.execute(params![
            health.integration_id.to_string(),
            health.organization_id.as_str(),
            health.state.as_str(),
            micros(health.since),
            health.consecutive_failures,
            health.last_job_id.to_string(),
            micros(health.updated_at),
        ])
    })
    .map_err(failed("recording an integration's health"))?;
    insert_audit_if(conn, moved)
}

/// The schedule's claim: due integrations (never run, or their next run
/// passed) get their next run moved on; the rows moved are the claim.
const CLAIM_DUE: &str = "\
    WITH due AS ( \
        SELECT i.id AS id, i.organization_id AS organization_id, \
               json_extract(i.config, '$.connection_test.interval_seconds') AS every \
        FROM custom_integrations i LEFT JOIN test_schedules s ON s.integration_id = i.id \
        WHERE json_extract(i.config, '$.connection_test.interval_seconds') IS NOT NULL \
          AND i.status = 'active' \
          AND json_extract(i.config, '$.connection_test.enabled') IS NOT 0 \
          AND (s.next_run_at IS NULL OR s.next_run_at <= ?1) \
        ORDER BY s.next_run_at LIMIT (?2 + 0) \
    ) \
    INSERT INTO test_schedules (integration_id, organization_id, next_run_at) \
    SELECT id, organization_id, ?1 + every * 1000000 FROM due WHERE true \
    ON CONFLICT (integration_id) DO UPDATE SET next_run_at = excluded.next_run_at \
        WHERE test_schedules.next_run_at <= ?1 \
    RETURNING organization_id, integration_id, EXISTS ( \
        SELECT 1 FROM connection_tests c WHERE c.organization_id = test_schedules.organization_id \
            AND c.integration_id = test_schedules.integration_id AND c.status IN ('queued', 'running'))";

fn claim_due(conn: &mut Connection, now: OffsetDateTime, limit: u32) -> Result<Vec<DueTest>, StoreError> {
    let tx = conn.savepoint().map_err(failed("starting a schedule claim"))?;
    let due = tx
        .prepare_cached(CLAIM_DUE)
        .and_then(|mut s| s.query_map(params![micros(now), limit], read(due_test_from_row))?.collect())
        .map_err(failed("claiming scheduled tests"))?;
    tx.commit().map_err(failed("committing a schedule claim"))?;
    Ok(due)
}

#[async_trait]
impl HealthStore for SqliteStore {
    async fn get_health(
        &self,
        org: &OrganizationId,
        integration: Uuid,
    ) -> Result<Option<IntegrationHealth>, StoreError> {
        let health = self.pool.read(|conn| health_of(conn, integration))?;
        Ok(health.filter(|health| &health.organization_id == org))
    }

    async fn list_health(&self, org: &OrganizationId) -> Result<Vec<IntegrationHealth>, StoreError> {
        self.pool
            .read(|conn| {
                conn.prepare_cached(&format!(
                    "SELECT {HEALTH_COLUMNS} FROM integration_health WHERE organization_id = ?1"
                ))?
                .query_map([org.as_str()], read(health_from_row))?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(failed("listing health"))
    }

    async fn health_counts(&self) -> Result<HealthCounts, StoreError> {
        self.pool
            .read(|conn| {
                conn.prepare_cached(
                    "SELECT COALESCE(SUM(h.state = 'healthy'), 0), COALESCE(SUM(h.state = 'failing'), 0), \
                         COALESCE(SUM(h.state IS NULL), 0) \
                     FROM custom_integrations i LEFT JOIN integration_health h ON h.integration_id = i.id \
                     WHERE i.status = 'active'",
                )?
                .query_row([], |row| {
                    Ok(HealthCounts { healthy: row.get(0)?, failing: row.get(1)?, unknown: row.get(2)? })
                })
            })
            .map_err(failed("counting health"))
    }

    async fn claim_due_tests(&self, now: OffsetDateTime, limit: u32) -> Result<Vec<DueTest>, StoreError> {
        self.pool.write(move |conn| claim_due(conn, now, limit)).await
    }
}
