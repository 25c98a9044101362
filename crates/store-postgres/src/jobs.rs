//! Connection-test jobs and workers on PostgreSQL. Several replicas and
//! workers claim at once: the claim locks the oldest claimable row with
//! `FOR UPDATE SKIP LOCKED`, so each row goes to exactly one claimer and
//! nobody waits for another's row.
use crate::PostgresStore;
use crate::audit::insert_audit_if;
use crate::classify::failed;
use crate::health::record_result;
use crate::pool::client;
use crate::sql::read;
use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use patchbay_domain::{Integration, OrganizationId, now_utc};
use patchbay_store::codec::encode_config;
use patchbay_store::sql::{JOB_COLUMNS, WORKER_COLUMNS, job_from_row, worker_from_row};
use patchbay_store::{
    ATTEMPTS_EXHAUSTED, AuditContext, Job, JobResult, JobStore, MAX_ATTEMPTS, Missing, StoreError, Worker,
    WorkerScope, lease_end, not_held, test_event,
};
use std::time::Duration;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

async fn query_opt(
    db: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    context: &'static str,
) -> Result<Option<Row>, StoreError> {
    let statement = db.prepare_cached(sql).await.map_err(failed("preparing a job statement"))?;
    db.query_opt(&statement, params).await.map_err(failed(context))
}

async fn query(
    db: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    context: &'static str,
) -> Result<Vec<Row>, StoreError> {
    let statement = db.prepare_cached(sql).await.map_err(failed("preparing a job statement"))?;
    db.query(&statement, params).await.map_err(failed(context))
}

#[async_trait]
impl JobStore for PostgresStore {
    async fn enqueue_job_with(
        &self,
        org: &OrganizationId,
        integration: &Integration,
        created_by: Option<String>,
        audit: Option<AuditContext>,
    ) -> Result<Job, StoreError> {
        let mut db = client(&self.pool).await?;
        let tx = db.transaction().await.map_err(failed("starting to queue a job"))?;
        let job = Job::queued(org, integration, created_by);
        query(
            &tx,
            "INSERT INTO connection_tests (id, organization_id, integration_id, integration_name, \
                 integration_type, revision, config, status, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $9)",
            &[
                &job.id,
                &org.as_str(),
                &job.integration_id,
                &job.integration_name,
                &job.integration_type,
                &job.revision,
                &encode_config(&job.config),
                &job.created_at,
                &job.created_by,
            ],
            "queueing a job",
        )
        .await?;
        insert_audit_if(&tx, test_event(audit.as_ref(), &job)).await?;
        tx.commit().await.map_err(failed("committing a queued job"))?;
        Ok(job)
    }

    async fn get_job(&self, org: &OrganizationId, id: Uuid) -> Result<Job, StoreError> {
        let db = client(&self.pool).await?;
        let sql =
            format!("SELECT {JOB_COLUMNS} FROM connection_tests WHERE id = $1 AND organization_id = $2");
        let row = query_opt(&db, &sql, &[&id, &org.as_str()], "reading a job").await?;
        read(&row.ok_or(StoreError::NotFound(Missing::Job))?, job_from_row)
    }

    async fn open_job_counts(&self) -> Result<(i64, i64), StoreError> {
        let db = client(&self.pool).await?;
        let statement = db
            .prepare_cached(
                "SELECT COUNT(*) FILTER (WHERE status = 'queued'), COUNT(*) FILTER (WHERE status = 'running') \
                 FROM connection_tests WHERE status IN ('queued', 'running')",
            )
            .await
            .map_err(|e| StoreError::other("preparing a job count", e))?;
        let row =
            db.query_one(&statement, &[]).await.map_err(|e| StoreError::other("counting open jobs", e))?;
        Ok((row.get(0), row.get(1)))
    }

    async fn list_jobs(
        &self,
        org: &OrganizationId,
        integration_id: Uuid,
        limit: u32,
    ) -> Result<Vec<Job>, StoreError> {
        let db = client(&self.pool).await?;
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM connection_tests \
             WHERE organization_id = $1 AND integration_id = $2 ORDER BY seq DESC LIMIT $3"
        );
        let rows =
            query(&db, &sql, &[&org.as_str(), &integration_id, &i64::from(limit)], "listing jobs").await?;
        rows.iter().map(|row| read(row, job_from_row)).collect()
    }

    async fn register_worker(&self, scope: &WorkerScope, name: &str) -> Result<Worker, StoreError> {
        let worker = Worker::registered(scope, name);
        let db = client(&self.pool).await?;
        query(
            &db,
            "INSERT INTO workers (id, organization_id, name, registered_at, last_heartbeat_at) \
             VALUES ($1, $2, $3, $4, $4)",
            &[&worker.id, &scope.organization_id(), &name, &worker.registered_at],
            "registering a worker",
        )
        .await?;
        Ok(worker)
    }

    async fn heartbeat_worker(
        &self,
        scope: &WorkerScope,
        id: Uuid,
        lease: Duration,
    ) -> Result<Worker, StoreError> {
        let now = now_utc();
        let mut db = client(&self.pool).await?;
        let tx = db.transaction().await.map_err(failed("starting a heartbeat"))?;
        let sql = format!(
            "UPDATE workers SET last_heartbeat_at = $1 \
             WHERE id = $2 AND organization_id IS NOT DISTINCT FROM $3 RETURNING {WORKER_COLUMNS}"
        );
        let row = query_opt(&tx, &sql, &[&now, &id, &scope.organization_id()], "recording a heartbeat")
            .await?
            .ok_or(StoreError::NotFound(Missing::Worker))?;
        let worker = read(&row, worker_from_row)?;
        query(
            &tx,
            "UPDATE connection_tests SET lease_until = $1 WHERE worker_id = $2 AND status = 'running'",
            &[&lease_end(now, lease), &id],
            "extending leases",
        )
        .await?;
        tx.commit().await.map_err(failed("committing a heartbeat"))?;
        Ok(worker)
    }

    async fn retire_worker(&self, scope: &WorkerScope, id: Uuid) -> Result<(), StoreError> {
        let mut db = client(&self.pool).await?;
        let tx = db.transaction().await.map_err(failed("starting to retire a worker"))?;
        let removed = query(
            &tx,
            "DELETE FROM workers WHERE id = $1 AND organization_id IS NOT DISTINCT FROM $2 RETURNING id",
            &[&id, &scope.organization_id()],
            "retiring a worker",
        )
        .await?;
        if removed.is_empty() {
            return Err(StoreError::NotFound(Missing::Worker));
        }
        query(
            &tx,
            "UPDATE connection_tests SET lease_until = $1 WHERE worker_id = $2 AND status = 'running'",
            &[&now_utc(), &id],
            "ending a retired worker's leases",
        )
        .await?;
        tx.commit().await.map_err(failed("committing a retired worker"))
    }

    async fn get_worker(&self, scope: &WorkerScope, id: Uuid) -> Result<Worker, StoreError> {
        let db = client(&self.pool).await?;
        let sql = format!(
            "SELECT {WORKER_COLUMNS} FROM workers WHERE id = $1 AND organization_id IS NOT DISTINCT FROM $2"
        );
        let row = query_opt(&db, &sql, &[&id, &scope.organization_id()], "reading a worker").await?;
        read(&row.ok_or(StoreError::NotFound(Missing::Worker))?, worker_from_row)
    }

    async fn list_workers(&self, org: &OrganizationId) -> Result<Vec<Worker>, StoreError> {
        let db = client(&self.pool).await?;
        let sql = format!(
            "SELECT {WORKER_COLUMNS} FROM workers WHERE organization_id = $1 OR organization_id IS NULL \
             ORDER BY last_heartbeat_at DESC"
        );
        let rows = query(&db, &sql, &[&org.as_str()], "listing workers").await?;
        rows.iter().map(|row| read(row, worker_from_row)).collect()
    }

    async fn claim_job(
        &self,
        scope: &WorkerScope,
        worker: Uuid,
        lease: Duration,
    ) -> Result<Option<Job>, StoreError> {
        let now = now_utc();
        let org = scope.organization_id();
        let mut db = client(&self.pool).await?;
        let tx = db.transaction().await.map_err(failed("starting a claim"))?;
        let exhausted = query(
            &tx,
            &format!(
                "UPDATE connection_tests SET status = 'error', output = $3, finished_at = $1, lease_until = NULL \
                 WHERE seq IN (SELECT seq FROM connection_tests \
                     WHERE status = 'running' AND lease_until < $1 AND attempts >= $4 \
                       AND ($2::text IS NULL OR organization_id = $2) FOR UPDATE SKIP LOCKED) \
                 RETURNING {JOB_COLUMNS}"
            ),
            &[&now, &org, &ATTEMPTS_EXHAUSTED, &MAX_ATTEMPTS],
            "ending exhausted jobs",
        )
        .await?;
        for row in &exhausted {
            record_result(&tx, &read(row, job_from_row)?, None).await?;
        }
        let sql = format!(
            "UPDATE connection_tests SET status = 'running', attempts = attempts + 1, worker_id = $3, \
                 lease_until = $4, started_at = $1 \
             WHERE seq = (SELECT seq FROM connection_tests \
                 WHERE (status = 'queued' OR (status = 'running' AND lease_until < $1)) \
                   AND attempts < $5 AND ($2::text IS NULL OR organization_id = $2) \
                 ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED) \
             RETURNING {JOB_COLUMNS}"
        );
        let row = query_opt(
            &tx,
            &sql,
            &[&now, &org, &worker, &lease_end(now, lease), &MAX_ATTEMPTS],
            "claiming a job",
        )
        .await?;
        tx.commit().await.map_err(failed("committing a claim"))?;
        row.map(|row| read(&row, job_from_row)).transpose()
    }

    async fn finish_job(
        &self,
        scope: &WorkerScope,
        worker: Uuid,
        job: Uuid,
        attempt: i32,
        result: JobResult,
    ) -> Result<Job, StoreError> {
        let org = scope.organization_id();
        let mut db = client(&self.pool).await?;
        // The result and its audit event commit together.
        let tx = db.transaction().await.map_err(failed("starting a job result"))?;
        let sql = format!(
            "UPDATE connection_tests SET status = $5, exit_code = $6, duration_ms = $7, output = $8, \
                 started_at = $9, finished_at = $10, lease_until = NULL \
             WHERE id = $1 AND ($2::text IS NULL OR organization_id = $2) AND status = 'running' \
               AND worker_id = $3 AND attempts = $4 \
             RETURNING {JOB_COLUMNS}"
        );
        let row = query_opt(
            &tx,
            &sql,
            &[
                &job,
                &org,
                &worker,
                &attempt,
                &result.status.as_str(),
                &result.exit_code,
                &result.duration_ms,
                &result.output,
                &result.started_at,
                &result.finished_at,
            ],
            "recording a job result",
        )
        .await?;
        if let Some(row) = row {
            let finished = read(&row, job_from_row)?;
            record_result(&tx, &finished, Some(worker)).await?;
            tx.commit().await.map_err(failed("committing a job result"))?;
            return Ok(finished);
        }
        // Not held: a job this scope cannot see is not found; one it can
        // see has finished or moved on.
        let visible = query_opt(
            &tx,
            "SELECT 1 FROM connection_tests WHERE id = $1 AND ($2::text IS NULL OR organization_id = $2)",
            &[&job, &org],
            "reading a job",
        )
        .await?;
        Err(not_held(visible.is_some()))
    }
}
