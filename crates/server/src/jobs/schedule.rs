//! Scheduled connection tests: every server looks once a second for
//! integrations whose `connection_test.interval_seconds` has passed and
//! queues their test. The store hands each interval to one server
//! (`claim_due_tests`), so replicas on one database queue one test per
//! interval between them. An interval whose previous test is still queued
//! or running is skipped, and a test that would carry secret values runs
//! only on an approved revision, as when a member asks for it.
use super::approved_for_secrets;
use crate::state::AppState;
use patchbay_domain::{IntegrationStatus, now_utc};
use patchbay_store::{AuditContext, DueTest, StoreError};
use serde_json::{Map, json};
use std::time::Duration;

/// How often the scheduler looks: an interval starts within this of its due
/// time.
pub const SCHEDULE_EVERY: Duration = Duration::from_secs(1);

/// The most integrations one pass takes; the next pass takes the rest.
const BATCH: u32 = 64;

/// What became of one due interval, for the log and `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheduled {
    Queued,
    /// The previous test is still queued or running.
    Busy,
    /// The revision carries secret values and no admin wrote or approved it.
    NeedsApproval,
    /// Deleted, deactivated or its test disabled since it was claimed.
    Gone,
}

impl Scheduled {
    fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Busy => "skipped_busy",
            Self::NeedsApproval => "skipped_needs_approval",
            Self::Gone => "skipped_gone",
        }
    }
}

/// One pass: queues the test of every integration due now; returns how
/// many intervals it took.
pub async fn schedule_due(state: &AppState) -> usize {
    if !state.jobs.settings.enabled {
        return 0;
    }
    let due = match state.store.claim_due_tests(now_utc(), BATCH).await {
        Ok(due) => due,
        Err(error) => {
            tracing::warn!(%error, "looking for scheduled tests failed; trying again shortly");
            return 0;
        }
    };
    for test in &due {
        let outcome = match queue(state, test).await {
            Ok(outcome) => outcome,
            Err(error) => {
                tracing::warn!(integration = %test.integration_id, %error, "queuing a scheduled test failed");
                continue;
            }
        };
        let help = "Scheduled connection tests, by what became of them";
        state.metrics.counter("patchbay_scheduled_tests_total", help, &[("outcome", outcome.as_str())]).inc();
    }
    if !due.is_empty() {
        state.jobs.queued.notify_waiters();
    }
    due.len()
}

async fn queue(state: &AppState, test: &DueTest) -> Result<Scheduled, StoreError> {
    let org = &test.organization_id;
    let integration = match state.store.get_integration(org, test.integration_id).await {
        Ok(integration) => integration,
        Err(StoreError::NotFound(_)) => return Ok(Scheduled::Gone),
        Err(other) => return Err(other),
    };
    let runnable = integration.status == IntegrationStatus::Active
        && integration.config.connection_test.as_ref().is_some_and(|test| test.enabled);
    if !runnable {
        return Ok(Scheduled::Gone);
    }
    if test.busy {
        tracing::info!(integration = %integration.name, "scheduled test skipped: the previous one has not finished");
        return Ok(Scheduled::Busy);
    }
    let revision = state.store.get_revision(org, integration.id, integration.revision).await?;
    if let Err(refused) = approved_for_secrets(&integration, revision.approval.as_ref()) {
        tracing::warn!(integration = %integration.name, %refused, "scheduled test skipped");
        return Ok(Scheduled::NeedsApproval);
    }
    let detail = Map::from_iter([("scheduled".to_owned(), json!(true))]);
    let audit = AuditContext { actor_role: Some("server".into()), request_id: None, detail };
    let job = state.store.enqueue_job_with(org, &integration, Some("patchbay".into()), Some(audit)).await?;
    tracing::info!(job = %job.id, integration = %integration.name, "scheduled connection test queued");
    Ok(Scheduled::Queued)
}

/// Runs `schedule_due` every `SCHEDULE_EVERY`, for the life of the server.
pub fn spawn_scheduler(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SCHEDULE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // A full batch means more may be due: go again at once.
            while schedule_due(&state).await == BATCH as usize {}
        }
    })
}
