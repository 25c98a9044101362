//! Integration health and the test schedule on PostgreSQL.
use crate::PostgresStore;
use crate::audit::{insert_audit, insert_audit_if};
use crate::classify::failed;
use crate::pool::client;
use crate::sql::read;
use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use patchbay_domain::{OrganizationId, now_utc};
use patchbay_store::sql::{HEALTH_COLUMNS, due_test_from_row, health_from_row};
use patchbay_store::{
    DueTest, HealthCounts, HealthStore, IntegrationHealth, Job, StoreError, next_health, test_result_event,
};
use time::OffsetDateTime;
use uuid::Uuid;

/// Records a job's final result inside its transaction: the
/// `integration.test_result` event, the integration's health and, when the
/// health moved, `integration.health_changed`. Two results of one
/// integration are taken in turn (a transaction-scoped advisory lock on
/// it), so neither reads a health the other is about to move.
pub(crate) async fn record_result(
    db: &impl GenericClient,
    job: &Job,
    reported_by: Option<Uuid>,
) -> Result<(), StoreError> {
    insert_audit(db, &test_result_event(job, reported_by)).await?;
    let integration = job.integration_id;
    let lock = db
        .prepare_cached("SELECT pg_advisory_xact_lock(hashtextextended($1::uuid::text, 0))")
        .await
        .map_err(failed("preparing a health lock"))?;
    db.execute(&lock, &[&integration]).await.map_err(failed("locking an integration's health"))?;
    let select = db
        .prepare_cached(&format!("SELECT {HEALTH_COLUMNS} FROM integration_health WHERE integration_id = $1"))
        .await
        .map_err(failed("preparing a health read"))?;
    let previous = db
        .query_opt(&select, &[&integration])
        .await
        .map_err(failed("reading an integration's health"))?
        .map(|row| read(&row, health_from_row))
        .transpose()?;
    let (health, moved) = next_health(previous.as_ref(), job, now_utc());
    let upsert = db
        .prepare_cached(
            "INSERT INTO integration_health (integration_id, organization_id, state, since, \
                 consecutive_failures, last_job_id, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (integration_id) DO UPDATE SET state = excluded.state, since = excluded.since, \
                 consecutive_failures = excluded.consecutive_failures, last_job_id = excluded.last_job_id, \
                 updated_at = excluded.updated_at",
        )
        .await
        .map_err(failed("preparing a health write"))?;
    db.execute(
        &upsert,
        &[
            &health.integration_id,
            &health.organization_id.as_str(),
            &health.state.as_str(),
            &health.since,
            &health.consecutive_failures,
            &health.last_job_id,
            &health.updated_at,
        ],
    )
    .await
    .map_err(failed("recording an integration's health"))?;
    insert_audit_if(db, moved).await
}

/// The schedule's claim, one statement: due integrations (never run, or
/// their next run passed) get their next run moved on. A replica claiming
/// the same row at once waits for this one's update, then finds the row
/// not due and moves nothing: the rows returned are this replica's.
///
/// Scheduled integrations are found as `interval >= 1` (every interval is
/// at least 1 s), a range the partial index `custom_integrations_scheduled`
/// serves. Asked as `IS NOT NULL`, PostgreSQL guessed nearly every row
/// scheduled and read them all, running the interval's regular expression
/// on each config: 100 ms of database time each second at 11,000
/// integrations.
const CLAIM_DUE: &str = "\
    WITH due AS ( \
        SELECT i.id, i.organization_id, patchbay_test_interval(i.config) AS every \
        FROM custom_integrations i LEFT JOIN test_schedules s ON s.integration_id = i.id \
        WHERE patchbay_test_interval(i.config) >= 1 \
          AND i.status = 'active' \
          AND (s.next_run_at IS NULL OR s.next_run_at <= $1) \
        ORDER BY s.next_run_at NULLS FIRST LIMIT $2 \
    ) \
    INSERT INTO test_schedules (integration_id, organization_id, next_run_at) \
    SELECT id, organization_id, $1 + make_interval(secs => every) FROM due \
    ON CONFLICT (integration_id) DO UPDATE SET next_run_at = excluded.next_run_at \
        WHERE test_schedules.next_run_at <= $1 \
    RETURNING organization_id, integration_id, EXISTS ( \
        SELECT 1 FROM connection_tests c WHERE c.organization_id = test_schedules.organization_id \
            AND c.integration_id = test_schedules.integration_id \
            AND c.status IN ('queued', 'running'))::int::bigint";

#[async_trait]
impl HealthStore for PostgresStore {
    async fn get_health(
        &self,
        org: &OrganizationId,
        integration: Uuid,
    ) -> Result<Option<IntegrationHealth>, StoreError> {
        let db = client(&self.pool).await?;
        let statement = db
            .prepare_cached(&format!(
                "SELECT {HEALTH_COLUMNS} FROM integration_health \
                 WHERE integration_id = $1 AND organization_id = $2"
            ))
            .await
            .map_err(failed("preparing a health read"))?;
        let row = db
            .query_opt(&statement, &[&integration, &org.as_str()])
            .await
            .map_err(failed("reading an integration's health"))?;
        row.map(|row| read(&row, health_from_row)).transpose()
    }

    async fn list_health(&self, org: &OrganizationId) -> Result<Vec<IntegrationHealth>, StoreError> {
        let db = client(&self.pool).await?;
        let statement = db
            .prepare_cached(&format!(
                "SELECT {HEALTH_COLUMNS} FROM integration_health WHERE organization_id = $1"
            ))
            .await
            .map_err(failed("preparing a health list"))?;
        let rows = db.query(&statement, &[&org.as_str()]).await.map_err(failed("listing health"))?;
        rows.iter().map(|row| read(row, health_from_row)).collect()
    }

    async fn health_counts(&self) -> Result<HealthCounts, StoreError> {
        let db = client(&self.pool).await?;
        let statement = db
            .prepare_cached(
                "SELECT count(*) FILTER (WHERE h.state = 'healthy'), count(*) FILTER (WHERE h.state = 'failing'), \
                     count(*) FILTER (WHERE h.state IS NULL) \
                 FROM custom_integrations i LEFT JOIN integration_health h ON h.integration_id = i.id \
                 WHERE i.status = 'active'",
            )
            .await
            .map_err(failed("preparing a health count"))?;
        let row = db.query_one(&statement, &[]).await.map_err(failed("counting health"))?;
        Ok(HealthCounts { healthy: row.get(0), failing: row.get(1), unknown: row.get(2) })
    }

    async fn claim_due_tests(&self, now: OffsetDateTime, limit: u32) -> Result<Vec<DueTest>, StoreError> {
        let db = client(&self.pool).await?;
        let statement = db.prepare_cached(CLAIM_DUE).await.map_err(failed("preparing a schedule claim"))?;
        let rows = db
            .query(&statement, &[&now, &i64::from(limit)])
            .await
            .map_err(failed("claiming scheduled tests"))?;
        rows.iter().map(|row| read(row, due_test_from_row)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestDatabase;

    /// The scheduler claims every second: it must read the scheduled
    /// integrations through their partial index, never every config.
    #[tokio::test]
    async fn the_claim_reads_only_scheduled_integrations() {
        let Some(database) = TestDatabase::from_env().await else { return };
        let store = PostgresStore::connect(database.url()).await.unwrap();
        let client = crate::pool::client(&store.pool).await.unwrap();
        let scheduled =
            r#"{"connection_test":{"enabled":true,"command":"true","timeout":5,"interval_seconds":60}}"#;
        client
            .execute(
                "INSERT INTO custom_integrations (id, organization_id, name, integration_type, description, \
                     status, config, tags, created_at, updated_at) \
                 SELECT gen_random_uuid(), 'acme', 'integration-' || g, 't', NULL, 'active', \
                     CASE WHEN g <= 3 THEN $1 ELSE '{}' END, '[]', now(), now() \
                 FROM generate_series(1, 5000) g",
                &[&scheduled],
            )
            .await
            .unwrap();
        client.batch_execute("ANALYZE custom_integrations").await.unwrap();
        let now = patchbay_domain::now_utc();
        let plan = crate::testing::explain(&client, CLAIM_DUE, &[&now, &64i64]).await;
        assert!(plan.contains("custom_integrations_scheduled"), "{plan}");
        assert!(!plan.contains("Seq Scan on custom_integrations"), "{plan}");
        let due = store.claim_due_tests(now, 64).await.unwrap();
        assert_eq!(due.len(), 3, "only the three scheduled integrations are due");
        assert!(store.claim_due_tests(now, 64).await.unwrap().is_empty(), "claimed once");
    }
}
