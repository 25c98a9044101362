//! A Patchbay worker: registers with the server, heartbeats, long-polls for
//! its organization's connection tests, runs each in a contained process
//! (`patchbay_runner`) and posts the result. It speaks HTTP only.
//!
//! `patchbay worker` runs it forever; tests call [`Worker::try_run_one`]
//! instead, one step at a time, so they drain the queue deterministically
//! with the same code the binary runs.
#![forbid(unsafe_code)]

pub mod env_guard;
pub mod job;

use anyhow::Context;
use job::{result_request, test_job};
use patchbay_client::Client;
use patchbay_runner::{RunnerConfig, TestOutcome, TestStatus, run_test};
use std::sync::Arc;
use std::time::Duration;

/// How long one claim request waits on the server for a job.
pub const CLAIM_WAIT_SECS: u64 = 20;
/// Pause after a failed request, so an unreachable server is not hammered.
const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Ran,
    QueueEmpty,
}

pub struct Worker {
    client: Client,
    id: String,
    runner: RunnerConfig,
    heartbeat: Duration,
    claim_wait_secs: u64,
    /// Variables the operator accepts in a bundle (`--allow-env`).
    allowed_env: Vec<String>,
}

impl Worker {
    pub async fn register(
        client: Client,
        name: &str,
        runner: RunnerConfig,
        allowed_env: Vec<String>,
    ) -> anyhow::Result<Self> {
        let registered = client.register_worker(name).await.context("registering with the server")?;
        Ok(Self {
            client,
            id: registered.id,
            runner,
            heartbeat: Duration::from_secs(registered.heartbeat_interval_secs.max(1)),
            claim_wait_secs: CLAIM_WAIT_SECS,
            allowed_env,
        })
    }

    /// How long each claim waits on the server for a job; tests use 0 to
    /// see at once whether the queue holds anything for this worker.
    pub fn with_claim_wait(mut self, secs: u64) -> Self {
        self.claim_wait_secs = secs;
        self
    }

    /// The id the server gave at registration.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Claims one job (waiting up to the claim wait), runs it, reports it.
    pub async fn try_run_one(&self) -> anyhow::Result<Step> {
        let Some(claimed) =
            self.client.claim_job(&self.id, self.claim_wait_secs).await.context("claiming a job")?
        else {
            return Ok(Step::QueueEmpty);
        };
        let outcome = match test_job(&claimed, &self.allowed_env) {
            Ok(job) => run_test(&job, &self.runner).await,
            // A job refused before it ran still gets a result, so whoever
            // started the test reads why.
            Err(error) => {
                let now = time::OffsetDateTime::now_utc();
                TestOutcome {
                    status: TestStatus::Error,
                    exit_code: None,
                    duration: Duration::ZERO,
                    output: error.to_string(),
                    started_at: now,
                    finished_at: now,
                }
            }
        };
        tracing::info!(
            job = %claimed.job_id, integration = %claimed.integration_name, status = outcome.status.as_str(),
            duration_ms = outcome.duration.as_millis() as u64, "connection test ran"
        );
        let request = result_request(claimed.attempt, &outcome);
        self.client.post_job_result(&self.id, &claimed.job_id, &request).await.context("posting a result")?;
        Ok(Step::Ran)
    }

    pub async fn heartbeat_forever(self: Arc<Self>) {
        loop {
            tokio::time::sleep(self.heartbeat).await;
            if let Err(error) = self.client.heartbeat(&self.id).await {
                tracing::warn!(error = %error, "heartbeat failed");
            }
        }
    }

    pub async fn work_forever(self: Arc<Self>) {
        loop {
            if let Err(error) = self.try_run_one().await {
                tracing::warn!(error = format!("{error:#}"), "worker step failed; retrying");
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        }
    }
}
