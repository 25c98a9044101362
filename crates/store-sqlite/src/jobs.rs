//! Connection-test jobs and workers on SQLite. Every write runs on the one
//! writer connection, so a claim — a single `UPDATE ... RETURNING` choosing
//! the oldest claimable row — is atomic and exclusive by construction.
use crate::SqliteStore;
use crate::audit::insert_audit_if;
use crate::health::record_result;
use crate::sql::read;
use crate::time_codec::micros;
use async_trait::async_trait;
use patchbay_domain::{Integration, OrganizationId, now_utc};
use patchbay_store::codec::encode_config;
use patchbay_store::sql::{JOB_COLUMNS, WORKER_COLUMNS, job_from_row, worker_from_row};
use patchbay_store::{
    ATTEMPTS_EXHAUSTED, AuditContext, Job, JobResult, JobStore, MAX_ATTEMPTS, Missing, StoreError, Worker,
    WorkerScope, failed, lease_end, not_held, test_event,
};
use rusqlite::{Connection, OptionalExtension, params};
use std::time::Duration;
use uuid::Uuid;

fn claim(
    conn: &mut Connection,
    scope: &WorkerScope,
    worker: Uuid,
    lease: Duration,
) -> Result<Option<Job>, StoreError> {
    let at = now_utc();
    let (now, org) = (micros(at), scope.organization_id());
    let tx = conn.savepoint().map_err(failed("starting a claim"))?;
    let exhausted: Vec<Job> = tx
        .prepare_cached(&format!(
            "UPDATE connection_tests SET status = 'error', output = ?3, finished_at = ?1, lease_until = NULL \
             WHERE status = 'running' AND lease_until < ?1 AND attempts >= ?4 \
               AND (?2 IS NULL OR organization_id = ?2) \
             RETURNING {JOB_COLUMNS}"
        ))
        .and_then(|mut s| {
            s.query_map(params![now, org, ATTEMPTS_EXHAUSTED, MAX_ATTEMPTS], read(job_from_row))?.collect()
        })
        .map_err(failed("ending exhausted jobs"))?;
    for job in &exhausted {
        record_result(&tx, job, None)?;
    }
    let job = tx
        .prepare_cached(&format!(
            "UPDATE connection_tests SET status = 'running', attempts = attempts + 1, worker_id = ?3, \
                 lease_until = ?4, started_at = ?1 \
             WHERE seq = (SELECT seq FROM connection_tests \
                 WHERE (status = 'queued' OR (status = 'running' AND lease_until < ?1)) \
                   AND attempts < ?5 AND (?2 IS NULL OR organization_id = ?2) \
                 ORDER BY seq LIMIT 1) \
             RETURNING {JOB_COLUMNS}"
        ))
        .and_then(|mut s| {
            s.query_row(
                params![now, org, worker.to_string(), micros(lease_end(at, lease)), MAX_ATTEMPTS],
                read(job_from_row),
            )
            .optional()
        })
        .map_err(failed("claiming a job"))?;
    tx.commit().map_err(failed("committing a claim"))?;
    Ok(job)
}

fn finish(
    conn: &mut Connection,
    scope: &WorkerScope,
    worker: Uuid,
    job: Uuid,
    attempt: i32,
    result: JobResult,
) -> Result<Job, StoreError> {
    let org = scope.organization_id();
    // The result and its audit event commit together.
    let tx = conn.savepoint().map_err(failed("starting a job result"))?;
    let updated = tx
        .prepare_cached(&format!(
            "UPDATE connection_tests SET status = ?5, exit_code = ?6, duration_ms = ?7, output = ?8, \
                 started_at = ?9, finished_at = ?10, lease_until = NULL \
             WHERE id = ?1 AND (?2 IS NULL OR organization_id = ?2) AND status = 'running' \
               AND worker_id = ?3 AND attempts = ?4 \
             RETURNING {JOB_COLUMNS}"
        ))
        .and_then(|mut s| {
            s.query_row(
                params![
                    job.to_string(),
                    org,
                    worker.to_string(),
                    attempt,
                    result.status.as_str(),
                    result.exit_code,
                    result.duration_ms,
                    result.output,
                    micros(result.started_at),
                    micros(result.finished_at),
                ],
                read(job_from_row),
            )
            .optional()
        })
        .map_err(failed("recording a job result"))?;
    if let Some(job) = updated {
        record_result(&tx, &job, Some(worker))?;
        tx.commit().map_err(failed("committing a job result"))?;
        return Ok(job);
    }
    // Not held: a job this scope cannot see is not found; one it can see
    // has finished or moved on.
    let visible: bool = tx
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM connection_tests WHERE id = ?1 AND (?2 IS NULL OR organization_id = ?2))",
            params![job.to_string(), org],
            |row| row.get(0),
        )
        .map_err(failed("reading a job"))?;
    Err(not_held(visible))
}

#[async_trait]
impl JobStore for SqliteStore {
    async fn enqueue_job_with(
        &self,
        org: &OrganizationId,
        integration: &Integration,
        created_by: Option<String>,
        audit: Option<AuditContext>,
    ) -> Result<Job, StoreError> {
        let job = Job::queued(org, integration, created_by);
        let row = job.clone();
        let event = test_event(audit.as_ref(), &job);
        self.pool
            .write(move |conn| {
                let tx = conn.savepoint().map_err(failed("starting to queue a job"))?;
                tx.prepare_cached(
                    "INSERT INTO connection_tests (id, organization_id, integration_id, integration_name, \
                         integration_type, revision, config, status, created_at, created_by) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', ?8, ?9)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        row.id.to_string(),
                        row.organization_id.as_str(),
                        row.integration_id.to_string(),
                        row.integration_name,
                        row.integration_type,
                        row.revision,
                        encode_config(&row.config),
                        micros(row.created_at),
                        row.created_by,
                    ])
                })
                .map_err(failed("queueing a job"))?;
                insert_audit_if(&tx, event)?;
                tx.commit().map_err(failed("committing a queued job"))
            })
            .await?;
        Ok(job)
    }

    async fn get_job(&self, org: &OrganizationId, id: Uuid) -> Result<Job, StoreError> {
        self.pool
            .read(|conn| {
                conn.prepare_cached(&format!(
                    "SELECT {JOB_COLUMNS} FROM connection_tests WHERE id = ?1 AND organization_id = ?2"
                ))?
                .query_row(params![id.to_string(), org.as_str()], read(job_from_row))
                .optional()
            })
            .map_err(failed("reading a job"))?
            .ok_or(StoreError::NotFound(Missing::Job))
    }

    async fn open_job_counts(&self) -> Result<(i64, i64), StoreError> {
        self.pool
            .read(|conn| {
                // Served by the partial index of open jobs.
                conn.prepare_cached(
                    "SELECT COALESCE(SUM(status = 'queued'), 0), COALESCE(SUM(status = 'running'), 0) \
                     FROM connection_tests WHERE status IN ('queued', 'running')",
                )?
                .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
            })
            .map_err(failed("counting open jobs"))
    }

    async fn list_jobs(
        &self,
        org: &OrganizationId,
        integration_id: Uuid,
        limit: u32,
    ) -> Result<Vec<Job>, StoreError> {
        self.pool
            .read(|conn| {
                conn.prepare_cached(&format!(
                    "SELECT {JOB_COLUMNS} FROM connection_tests \
                     WHERE organization_id = ?1 AND integration_id = ?2 ORDER BY seq DESC LIMIT (?3 + 0)"
                ))?
                .query_map(params![org.as_str(), integration_id.to_string(), limit], read(job_from_row))?
                .collect()
            })
            .map_err(failed("listing jobs"))
    }

    async fn register_worker(&self, scope: &WorkerScope, name: &str) -> Result<Worker, StoreError> {
        let worker = Worker::registered(scope, name);
        let row = worker.clone();
        self.pool
            .write(move |conn| {
                conn.execute(
                    "INSERT INTO workers (id, organization_id, name, registered_at, last_heartbeat_at) \
                     VALUES (?1, ?2, ?3, ?4, ?4)",
                    params![
                        row.id.to_string(),
                        row.scope.organization_id(),
                        row.name,
                        micros(row.registered_at)
                    ],
                )
                .map_err(failed("registering a worker"))
            })
            .await?;
        Ok(worker)
    }

    async fn retire_worker(&self, scope: &WorkerScope, id: Uuid) -> Result<(), StoreError> {
        let scope = scope.clone();
        self.pool
            .write(move |conn| {
                let tx = conn.savepoint().map_err(failed("starting to retire a worker"))?;
                let removed = tx
                    .execute(
                        "DELETE FROM workers WHERE id = ?1 AND organization_id IS ?2",
                        params![id.to_string(), scope.organization_id()],
                    )
                    .map_err(failed("retiring a worker"))?;
                if removed == 0 {
                    return Err(StoreError::NotFound(Missing::Worker));
                }
                tx.execute(
                    "UPDATE connection_tests SET lease_until = ?1 WHERE worker_id = ?2 AND status = 'running'",
                    params![micros(now_utc()), id.to_string()],
                )
                .map_err(failed("ending a retired worker's leases"))?;
                tx.commit().map_err(failed("committing a retired worker"))
            })
            .await
    }

    async fn heartbeat_worker(
        &self,
        scope: &WorkerScope,
        id: Uuid,
        lease: Duration,
    ) -> Result<Worker, StoreError> {
        let scope = scope.clone();
        self.pool
            .write(move |conn| {
                let at = now_utc();
                let now = micros(at);
                let tx = conn.savepoint().map_err(failed("starting a heartbeat"))?;
                let worker = tx
                    .prepare_cached(&format!(
                        "UPDATE workers SET last_heartbeat_at = ?1 \
                         WHERE id = ?2 AND organization_id IS ?3 RETURNING {WORKER_COLUMNS}"
                    ))
                    .and_then(|mut s| {
                        s.query_row(params![now, id.to_string(), scope.organization_id()], read(worker_from_row)).optional()
                    })
                    .map_err(failed("recording a heartbeat"))?
                    .ok_or(StoreError::NotFound(Missing::Worker))?;
                tx.prepare_cached(
                    "UPDATE connection_tests SET lease_until = ?1 WHERE worker_id = ?2 AND status = 'running'",
                )
                .and_then(|mut s| s.execute(params![micros(lease_end(at, lease)), id.to_string()]))
                .map_err(failed("extending leases"))?;
                tx.commit().map_err(failed("committing a heartbeat"))?;
                Ok(worker)
            })
            .await
    }

    async fn get_worker(&self, scope: &WorkerScope, id: Uuid) -> Result<Worker, StoreError> {
        self.pool
            .read(|conn| {
                conn.prepare_cached(&format!(
                    "SELECT {WORKER_COLUMNS} FROM workers WHERE id = ?1 AND organization_id IS ?2"
                ))?
                .query_row(params![id.to_string(), scope.organization_id()], read(worker_from_row))
                .optional()
            })
            .map_err(failed("reading a worker"))?
            .ok_or(StoreError::NotFound(Missing::Worker))
    }

    async fn list_workers(&self, org: &OrganizationId) -> Result<Vec<Worker>, StoreError> {
        self.pool
            .read(|conn| {
                conn.prepare_cached(&format!(
                    "SELECT {WORKER_COLUMNS} FROM workers WHERE organization_id = ?1 OR organization_id IS NULL \
                     ORDER BY last_heartbeat_at DESC"
                ))?
                .query_map([org.as_str()], read(worker_from_row))?
                .collect()
            })
            .map_err(failed("listing workers"))
    }

    async fn claim_job(
        &self,
        scope: &WorkerScope,
        worker: Uuid,
        lease: Duration,
    ) -> Result<Option<Job>, StoreError> {
        // Idle workers long-poll several times a second: look on a reader
        // first, so an empty queue costs no write on the one writer.
        let now = micros(now_utc());
        let claimable: bool = self
            .pool
            .read(|conn| {
                conn.prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM connection_tests \
                     WHERE status IN ('queued', 'running') AND (status = 'queued' OR lease_until < ?1) \
                       AND (?2 IS NULL OR organization_id = ?2))",
                )?
                .query_row(params![now, scope.organization_id()], |row| row.get(0))
            })
            .map_err(failed("looking for claimable jobs"))?;
        if !claimable {
            return Ok(None);
        }
        let scope = scope.clone();
        self.pool.write(move |conn| claim(conn, &scope, worker, lease)).await
    }

    async fn finish_job(
        &self,
        scope: &WorkerScope,
        worker: Uuid,
        job: Uuid,
        attempt: i32,
        result: JobResult,
    ) -> Result<Job, StoreError> {
        let scope = scope.clone();
        self.pool.write(move |conn| finish(conn, &scope, worker, job, attempt, result)).await
    }
}
