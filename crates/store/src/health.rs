//! Integration health, from the results of its connection tests, and the
//! schedule that runs those tests on their own.
//!
//! Health is kept per integration (none yet: `unknown`) and moved by each
//! final result in the result's own transaction, so it never disagrees with
//! the results. A move between states is an `integration.health_changed`
//! audit event committed with it: what webhooks deliver.
use crate::{AuditContext, Job, JobStatus, StoreError};
use async_trait::async_trait;
use patchbay_domain::{AuditAction, AuditEvent, AuditOutcome, OrganizationId, format_timestamp};
use serde_json::{Map, json};
use time::OffsetDateTime;
use uuid::Uuid;

/// What the latest results say of an integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthState {
    /// The latest test passed.
    Healthy,
    /// The latest test failed, timed out or could not run.
    Failing,
}

impl HealthState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Failing => "failing",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Healthy, Self::Failing].into_iter().find(|state| state.as_str() == value)
    }

    /// The state a final result puts an integration in.
    pub fn of(status: JobStatus) -> Self {
        if status == JobStatus::Passed { Self::Healthy } else { Self::Failing }
    }
}

/// An integration's health once it has a result (before: `unknown`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrationHealth {
    pub organization_id: OrganizationId,
    pub integration_id: Uuid,
    pub state: HealthState,
    /// When the integration entered `state`: the first result of the streak.
    pub since: OffsetDateTime,
    /// Failed results in a row (0 when healthy).
    pub consecutive_failures: i64,
    /// The result that set this.
    pub last_job_id: Uuid,
    pub updated_at: OffsetDateTime,
}

/// The health after `job`'s final result, and the event to commit with it
/// when the state moved. Unknown to healthy is not a move worth an event
/// (every new integration makes it); unknown to failing is.
pub fn next_health(
    previous: Option<&IntegrationHealth>,
    job: &Job,
    now: OffsetDateTime,
) -> (IntegrationHealth, Option<AuditEvent>) {
    let state = HealthState::of(job.status);
    let at = job.finished_at.unwrap_or(now);
    let stays = previous.is_some_and(|previous| previous.state == state);
    let health = IntegrationHealth {
        organization_id: job.organization_id.clone(),
        integration_id: job.integration_id,
        state,
        since: match previous {
            Some(previous) if stays => previous.since,
            _ => at,
        },
        consecutive_failures: match (state, previous) {
            (HealthState::Healthy, _) => 0,
            (HealthState::Failing, Some(previous)) => previous.consecutive_failures + 1,
            (HealthState::Failing, None) => 1,
        },
        last_job_id: job.id,
        updated_at: now,
    };
    let from = previous.map(|previous| previous.state);
    let first_pass = from.is_none() && state == HealthState::Healthy;
    let moved = !stays && !first_pass;
    let event = moved.then(|| health_changed_event(from, &health, job));
    (health, event)
}

/// `integration.health_changed`: from, to, and the test that moved it.
fn health_changed_event(from: Option<HealthState>, health: &IntegrationHealth, job: &Job) -> AuditEvent {
    let mut detail = Map::new();
    detail.insert("name".into(), json!(job.integration_name));
    detail.insert("from".into(), json!(from.map_or("unknown", HealthState::as_str)));
    detail.insert("to".into(), json!(health.state.as_str()));
    detail.insert("consecutive_failures".into(), json!(health.consecutive_failures));
    detail.insert(
        "test".into(),
        json!({
            "job_id": job.id.to_string(),
            "status": job.status.as_str(),
            "exit_code": job.exit_code,
            "duration_ms": job.duration_ms,
            "revision": job.revision,
            "finished_at": job.finished_at.map(format_timestamp),
        }),
    );
    let audit = AuditContext { actor_role: Some("server".into()), ..AuditContext::default() };
    let id = Some(job.integration_id.to_string());
    let action = AuditAction::IntegrationHealthChanged;
    let mut event =
        audit.event(&job.organization_id, Some("patchbay".into()), action, "integration", id, detail);
    event.outcome = AuditOutcome::Success;
    event
}

/// Integrations by health, for `/metrics`: `unknown` are the active ones
/// without a result yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HealthCounts {
    pub healthy: i64,
    pub failing: i64,
    pub unknown: i64,
}

/// An integration whose scheduled test fell due, taken by this server for
/// this interval; `busy` when its previous test is still queued or running
/// (that interval is skipped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTest {
    pub organization_id: OrganizationId,
    pub integration_id: Uuid,
    pub busy: bool,
}

#[async_trait]
pub trait HealthStore: Send + Sync {
    async fn get_health(
        &self,
        org: &OrganizationId,
        integration: Uuid,
    ) -> Result<Option<IntegrationHealth>, StoreError>;

    /// The organization's integrations that have a health, any order.
    async fn list_health(&self, org: &OrganizationId) -> Result<Vec<IntegrationHealth>, StoreError>;

    /// Across every organization: the server's own count.
    async fn health_counts(&self) -> Result<HealthCounts, StoreError>;

    /// Takes up to `limit` active integrations whose
    /// `connection_test.interval_seconds` has passed since their last
    /// scheduled run (or that never ran), moving each one's next run to
    /// `now` + its interval in the same step: with several servers on one
    /// database, each interval is taken by exactly one of them.
    async fn claim_due_tests(&self, now: OffsetDateTime, limit: u32) -> Result<Vec<DueTest>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{acme, new_integration};

    fn result(status: JobStatus, minute: i64) -> Job {
        let integration = new_integration().into_integration(acme());
        let mut job = Job::queued(&acme(), &integration, None);
        job.status = status;
        job.finished_at = Some(OffsetDateTime::UNIX_EPOCH + time::Duration::minutes(minute));
        job
    }

    fn at(minute: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + time::Duration::minutes(minute)
    }

    fn detail(event: &AuditEvent) -> serde_json::Value {
        serde_json::from_str(&event.detail).unwrap()
    }

    #[test]
    fn a_first_pass_is_healthy_without_an_event() {
        let (health, event) = next_health(None, &result(JobStatus::Passed, 1), at(1));
        assert_eq!(
            (health.state, health.since, health.consecutive_failures),
            (HealthState::Healthy, at(1), 0)
        );
        assert!(event.is_none());
    }

    #[test]
    fn failures_count_up_and_keep_their_start() {
        let (first, event) = next_health(None, &result(JobStatus::Failed, 1), at(1));
        let event = event.expect("unknown to failing is a move");
        let moved = detail(&event);
        assert_eq!((moved["from"].clone(), moved["to"].clone()), (json!("unknown"), json!("failing")));
        assert_eq!(event.action, AuditAction::IntegrationHealthChanged);
        let (second, event) = next_health(Some(&first), &result(JobStatus::Timeout, 2), at(2));
        assert!(event.is_none(), "still failing");
        assert_eq!((second.since, second.consecutive_failures), (at(1), 2));
        let (third, event) = next_health(Some(&second), &result(JobStatus::Passed, 3), at(3));
        let moved = detail(&event.expect("failing to healthy is a move"));
        assert_eq!((moved["from"].clone(), moved["to"].clone()), (json!("failing"), json!("healthy")));
        assert_eq!(moved["test"]["status"], "passed");
        assert_eq!((third.state, third.since, third.consecutive_failures), (HealthState::Healthy, at(3), 0));
    }

    #[test]
    fn an_error_is_a_failure() {
        assert_eq!(HealthState::of(JobStatus::Error), HealthState::Failing);
        assert_eq!(HealthState::parse("healthy"), Some(HealthState::Healthy));
        assert_eq!(HealthState::parse("unknown"), None);
    }
}
