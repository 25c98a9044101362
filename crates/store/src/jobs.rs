//! Connection-test jobs and the workers that run them.
//!
//! A job snapshots the integration it tests (name, type, config, revision)
//! when it is queued, so what runs is what was asked for even if the
//! integration changes meanwhile. The config never holds secret values:
//! those are resolved from the vault when a worker claims the job.
//!
//! A claim is a lease: the worker's heartbeats extend it, and a running job
//! whose lease ran out (its worker stopped heartbeating) may be claimed again
//! by another worker, up to `MAX_ATTEMPTS` attempts, after which it ends as
//! `error`.
use crate::{AuditContext, Conflict, Missing, StoreError};
use async_trait::async_trait;
use patchbay_domain::{Integration, IntegrationConfig, OrganizationId, now_utc};
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

/// Attempts before a job whose workers keep disappearing ends as `error`.
pub const MAX_ATTEMPTS: i32 = 3;

/// The output of a job that ran out of attempts.
pub const ATTEMPTS_EXHAUSTED: &str =
    "the job was claimed 3 times and each worker stopped heartbeating before it reported a result";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Queued,
    Running,
    Passed,
    Failed,
    Timeout,
    Error,
}

impl JobStatus {
    pub const ALL: [Self; 6] =
        [Self::Queued, Self::Running, Self::Passed, Self::Failed, Self::Timeout, Self::Error];

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == value)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Timeout => "timeout",
            Self::Error => "error",
        }
    }

    /// A result has been recorded; nothing changes the job any more.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Queued | Self::Running)
    }
}

/// One connection test, queued, running or done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: Uuid,
    pub organization_id: OrganizationId,
    pub integration_id: Uuid,
    pub integration_name: String,
    pub integration_type: String,
    /// The integration's revision when the test was asked for.
    pub revision: i64,
    /// The integration's config at that revision (no secret values).
    pub config: IntegrationConfig,
    pub status: JobStatus,
    /// Claims so far (1 once a worker took it).
    pub attempts: i32,
    /// The worker of the latest claim.
    pub worker_id: Option<Uuid>,
    pub exit_code: Option<i32>,
    pub duration_ms: Option<i64>,
    pub output: Option<String>,
    pub created_at: OffsetDateTime,
    pub created_by: Option<String>,
    pub started_at: Option<OffsetDateTime>,
    pub finished_at: Option<OffsetDateTime>,
}

impl Job {
    /// A test of `integration` as it is now (its revision and config),
    /// asked for by `created_by`: the row a backend queues.
    pub fn queued(org: &OrganizationId, integration: &Integration, created_by: Option<String>) -> Self {
        Self {
            id: Uuid::new_v4(),
            organization_id: org.clone(),
            integration_id: integration.id,
            integration_name: integration.name.clone(),
            integration_type: integration.integration_type.clone(),
            revision: integration.revision,
            config: integration.config.clone(),
            status: JobStatus::Queued,
            attempts: 0,
            worker_id: None,
            exit_code: None,
            duration_ms: None,
            output: None,
            created_at: now_utc(),
            created_by,
            started_at: None,
            finished_at: None,
        }
    }

    /// The integration as the job snapshotted it, for resolution.
    pub fn integration(&self) -> Integration {
        Integration {
            id: self.integration_id,
            organization_id: self.organization_id.clone(),
            name: self.integration_name.clone(),
            integration_type: self.integration_type.clone(),
            description: None,
            status: patchbay_domain::IntegrationStatus::Active,
            config: self.config.clone(),
            tags: Vec::new(),
            created_at: self.created_at,
            updated_at: self.created_at,
            created_by: self.created_by.clone(),
            revision: self.revision,
        }
    }
}

/// What a worker reports when a job has run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobResult {
    /// `Passed`, `Failed`, `Timeout` or `Error`.
    pub status: JobStatus,
    pub exit_code: Option<i32>,
    pub duration_ms: i64,
    pub output: String,
    pub started_at: OffsetDateTime,
    pub finished_at: OffsetDateTime,
}

/// Whose jobs a worker runs: one organization's (a `patchbay worker` with a
/// worker token), or every organization's (the server's embedded worker,
/// which authenticates with a credential only the server knows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerScope {
    Organization(OrganizationId),
    Embedded,
}

impl WorkerScope {
    pub fn organization(&self) -> Option<&OrganizationId> {
        match self {
            Self::Organization(org) => Some(org),
            Self::Embedded => None,
        }
    }

    /// The organization column of the scope's rows: NULL for the embedded
    /// worker's.
    pub fn organization_id(&self) -> Option<&str> {
        self.organization().map(OrganizationId::as_str)
    }
}

/// When a lease taken or extended at `now` for `lease` runs out; a lease
/// past the calendar's range counts as a day.
pub fn lease_end(now: OffsetDateTime, lease: Duration) -> OffsetDateTime {
    time::Duration::try_from(lease)
        .ok()
        .and_then(|lease| now.checked_add(lease))
        .unwrap_or(now + time::Duration::DAY)
}

/// Why a result for a job the worker does not hold is refused: a job the
/// scope cannot see is not found; one it can see has finished or was
/// handed on.
pub fn not_held(visible: bool) -> StoreError {
    match visible {
        true => StoreError::Conflict(Conflict::JobNotHeld),
        false => StoreError::NotFound(Missing::Job),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    pub id: Uuid,
    pub scope: WorkerScope,
    pub name: String,
    pub registered_at: OffsetDateTime,
    pub last_heartbeat_at: OffsetDateTime,
}

impl Worker {
    /// A new worker of `scope`, its first heartbeat now.
    pub fn registered(scope: &WorkerScope, name: &str) -> Self {
        let now = now_utc();
        Self {
            id: Uuid::new_v4(),
            scope: scope.clone(),
            name: name.to_owned(),
            registered_at: now,
            last_heartbeat_at: now,
        }
    }
}

#[async_trait]
pub trait JobStore: Send + Sync {
    /// Queues a test of `integration` as it is now (its revision and config).
    async fn enqueue_job(
        &self,
        org: &OrganizationId,
        integration: &Integration,
        created_by: Option<String>,
    ) -> Result<Job, StoreError> {
        self.enqueue_job_with(org, integration, created_by, None).await
    }

    /// The same, committing the `integration.test` audit event (when
    /// `audit` is given) in the same transaction.
    async fn enqueue_job_with(
        &self,
        org: &OrganizationId,
        integration: &Integration,
        created_by: Option<String>,
        audit: Option<AuditContext>,
    ) -> Result<Job, StoreError>;

    async fn get_job(&self, org: &OrganizationId, id: Uuid) -> Result<Job, StoreError>;

    /// Jobs not finished yet, across every organization, as (queued,
    /// running): the queue depth `/metrics` reports.
    async fn open_job_counts(&self) -> Result<(i64, i64), StoreError>;

    /// The integration's tests, newest first, at most `limit`.
    async fn list_jobs(
        &self,
        org: &OrganizationId,
        integration_id: Uuid,
        limit: u32,
    ) -> Result<Vec<Job>, StoreError>;

    async fn register_worker(&self, scope: &WorkerScope, name: &str) -> Result<Worker, StoreError>;

    /// Records a heartbeat and extends the lease of the worker's running
    /// jobs to `lease` from now. `NotFound` for a worker outside `scope`.
    async fn heartbeat_worker(
        &self,
        scope: &WorkerScope,
        id: Uuid,
        lease: Duration,
    ) -> Result<Worker, StoreError>;

    async fn get_worker(&self, scope: &WorkerScope, id: Uuid) -> Result<Worker, StoreError>;

    /// Forgets a worker known to be gone (the embedded worker's process
    /// exited): it is no longer listed, and the jobs it was running are
    /// claimable by another worker at once instead of when their lease runs
    /// out. `NotFound` for a worker outside `scope`.
    async fn retire_worker(&self, scope: &WorkerScope, id: Uuid) -> Result<(), StoreError>;

    /// The organization's workers and the embedded ones, newest heartbeat first.
    async fn list_workers(&self, org: &OrganizationId) -> Result<Vec<Worker>, StoreError>;

    /// Takes the oldest claimable job in `scope` for `worker`, exclusively:
    /// a queued one, or a running one whose lease ran out. First ends, as
    /// `error`, the jobs in scope whose lease ran out on their last attempt.
    async fn claim_job(
        &self,
        scope: &WorkerScope,
        worker: Uuid,
        lease: Duration,
    ) -> Result<Option<Job>, StoreError>;

    /// Records the result of `attempt` of a job `worker` holds. Refused with
    /// `Conflict::JobNotHeld` when the job finished or was handed on.
    async fn finish_job(
        &self,
        scope: &WorkerScope,
        worker: Uuid,
        job: Uuid,
        attempt: i32,
        result: JobResult,
    ) -> Result<Job, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queued_job_snapshots_the_integration() {
        let org = crate::fixtures::acme();
        let mut integration = crate::fixtures::new_integration().into_integration(org.clone());
        integration.revision = 4;
        let job = Job::queued(&org, &integration, Some("ada".into()));
        assert_eq!((job.status, job.attempts, job.revision, job.worker_id), (JobStatus::Queued, 0, 4, None));
        assert_eq!(
            job.integration(),
            Integration {
                created_at: job.created_at,
                updated_at: job.created_at,
                created_by: Some("ada".into()),
                ..integration
            }
        );
    }

    #[test]
    fn leases_end_after_their_length() {
        let now = now_utc();
        assert_eq!(lease_end(now, Duration::from_secs(30)), now + time::Duration::seconds(30));
        assert_eq!(lease_end(now, Duration::MAX), now + time::Duration::DAY);
    }

    #[test]
    fn a_result_for_a_job_not_held() {
        assert!(matches!(not_held(true), StoreError::Conflict(Conflict::JobNotHeld)));
        assert!(matches!(not_held(false), StoreError::NotFound(Missing::Job)));
    }

    #[test]
    fn the_embedded_scope_has_no_organization_column() {
        assert_eq!(WorkerScope::Organization(crate::fixtures::acme()).organization_id(), Some("acme"));
        assert_eq!(WorkerScope::Embedded.organization_id(), None);
    }
}
