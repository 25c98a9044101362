//! A worker inside the test process: the real client and runner, one step
//! at a time, so a test drains the queue deterministically.
use patchbay_api_types::ClaimedJob;
use patchbay_client::Client;
use patchbay_domain::format_timestamp;
use patchbay_runner::{FileToWrite, RunnerConfig, TestJob, run_test};
use std::time::Duration;

pub struct TestWorker {
    pub client: Client,
    pub id: String,
}

fn test_job(claimed: &ClaimedJob) -> TestJob {
    TestJob {
        command: claimed.command.clone(),
        timeout: Duration::from_secs(claimed.timeout_secs),
        env: claimed.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        files: claimed
            .files
            .iter()
            .map(|f| FileToWrite {
                path: f.path.clone(),
                content: f.content.clone().into_bytes(),
                mode: u32::from_str_radix(&f.mode, 8).unwrap(),
            })
            .collect(),
        secrets: claimed.secrets.clone(),
    }
}

impl TestWorker {
    pub async fn register(client: Client) -> Self {
        let id = client.register_worker("test-worker").await.unwrap().id;
        Self { client, id }
    }

    /// Claims (waiting up to `wait` seconds), runs and reports one job;
    /// `false` when the queue was empty.
    pub async fn try_run_one(&self, wait: u64) -> bool {
        let Some(claimed) = self.client.claim_job(&self.id, wait).await.unwrap() else { return false };
        let outcome = run_test(&test_job(&claimed), &RunnerConfig::default()).await;
        let request = patchbay_api_types::JobResultRequest {
            attempt: claimed.attempt,
            status: outcome.status.as_str().to_owned(),
            exit_code: outcome.exit_code,
            duration_ms: outcome.duration.as_millis() as i64,
            output: outcome.output,
            started_at: format_timestamp(outcome.started_at),
            finished_at: format_timestamp(outcome.finished_at),
        };
        self.client.post_job_result(&self.id, &claimed.job_id, &request).await.unwrap();
        true
    }
}
