//! Between the API's job bodies and the runner's types.
use anyhow::anyhow;
use patchbay_api_types::{ClaimedJob, JobResultRequest};
use patchbay_domain::{FileMode, format_timestamp};
use patchbay_runner::{FileToWrite, TestJob, TestOutcome};
use std::time::Duration;

/// One file as the runner writes it; the server sends its mode as octal text.
pub fn file_to_write(path: &str, content: &str, mode: &str) -> anyhow::Result<FileToWrite> {
    let bits = FileMode::parse(mode)
        .map_err(|_| anyhow!("the server sent {path:?} with an invalid mode {mode:?}"))?
        .bits();
    Ok(FileToWrite { path: path.to_owned(), content: content.as_bytes().to_vec(), mode: bits })
}

/// The runner's job; a file with an invalid mode, or a variable the
/// operator did not accept (`allowed_env`), is an error naming it.
pub fn test_job(claimed: &ClaimedJob, allowed_env: &[String]) -> anyhow::Result<TestJob> {
    // A job carries one integration's bundle: that integration set every variable.
    crate::env_guard::refuse(claimed.env.keys().map(String::as_str), allowed_env, &mut |_| {
        format!("integration {:?}", claimed.integration_name)
    })?;
    let files = claimed
        .files
        .iter()
        .map(|file| file_to_write(&file.path, &file.content, &file.mode))
        .collect::<anyhow::Result<_>>()?;
    Ok(TestJob {
        command: claimed.command.clone(),
        timeout: Duration::from_secs(claimed.timeout_secs.max(1)),
        env: claimed.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        files,
        secrets: claimed.secrets.clone(),
    })
}

pub fn result_request(attempt: i32, outcome: &TestOutcome) -> JobResultRequest {
    JobResultRequest {
        attempt,
        status: outcome.status.as_str().to_owned(),
        exit_code: outcome.exit_code,
        duration_ms: i64::try_from(outcome.duration.as_millis()).unwrap_or(i64::MAX),
        output: outcome.output.clone(),
        started_at: format_timestamp(outcome.started_at),
        finished_at: format_timestamp(outcome.finished_at),
    }
}
