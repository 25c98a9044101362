//! `patchbay worker`: registers with the server, heartbeats, long-polls for
//! its organization's connection tests, runs each in a contained process
//! (`patchbay_runner`) and posts the result. It speaks HTTP only.
use crate::cli::{SandboxKind, WorkerArgs};
use crate::client_config::DEFAULT_SERVER;
use crate::worker_job::{result_request, test_job};
use anyhow::{Context, bail};
use patchbay_client::Client;
use patchbay_runner::{RunnerConfig, Sandbox, run_test};
use std::sync::Arc;
use std::time::Duration;

/// How long one claim request waits on the server for a job.
const CLAIM_WAIT_SECS: u64 = 20;
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
    pub async fn register(client: Client, name: &str, runner: RunnerConfig) -> anyhow::Result<Self> {
        let registered = client.register_worker(name).await.context("registering with the server")?;
        Ok(Self {
            client,
            id: registered.id,
            runner,
            heartbeat: Duration::from_secs(registered.heartbeat_interval_secs.max(1)),
            claim_wait_secs: CLAIM_WAIT_SECS,
            allowed_env: Vec::new(),
        })
    }

    pub fn with_allowed_env(mut self, names: Vec<String>) -> Self {
        self.allowed_env = names;
        self
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
            Err(error) => {
                let now = time::OffsetDateTime::now_utc();
                patchbay_runner::TestOutcome {
                    status: patchbay_runner::TestStatus::Error,
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

    async fn heartbeat_forever(self: Arc<Self>) {
        loop {
            tokio::time::sleep(self.heartbeat).await;
            if let Err(error) = self.client.heartbeat(&self.id).await {
                tracing::warn!(error = %error, "heartbeat failed");
            }
        }
    }

    async fn work_forever(self: Arc<Self>) {
        loop {
            if let Err(error) = self.try_run_one().await {
                tracing::warn!(error = format!("{error:#}"), "worker step failed; retrying");
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        }
    }
}

fn default_name() -> String {
    let host =
        std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_owned()).unwrap_or_default();
    let host = if host.is_empty() { "worker".to_owned() } else { host };
    format!("{host}-{}", std::process::id())
}

/// The sandbox asked for, said loudly when it is none or cannot work. An
/// unavailable sandbox does not stop the worker: it stays registered and
/// every test it claims ends as `error` with the fix, visible to whoever ran
/// the test rather than only in this log.
fn sandbox(kind: SandboxKind, bwrap: Option<&std::path::Path>) -> Sandbox {
    let sandbox = match (kind, bwrap) {
        (SandboxKind::None, _) => Sandbox::None,
        (SandboxKind::Bwrap, Some(path)) => Sandbox::bwrap_at(path),
        (SandboxKind::Bwrap, None) => Sandbox::bwrap(),
    };
    match &sandbox {
        Sandbox::None => tracing::warn!(
            "--sandbox none: for single-tenant installs only; every test then runs as this worker's \
             user, unconfined, and can read its files (and, next to the server, the server's keys)"
        ),
        Sandbox::Bwrap(path) => tracing::info!(bwrap = %path.display(), "tests run inside bubblewrap"),
        Sandbox::Unavailable(why) => tracing::error!("{why}"),
    }
    sandbox
}

pub fn run(args: WorkerArgs) -> anyhow::Result<()> {
    crate::serve::init_logging(args.log_format);
    let sandbox = sandbox(args.sandbox, args.bwrap.as_deref());
    let mut parent_gone = None;
    let client = match &args.embedded_credential {
        // The server's own child: it is told the server's address and never
        // reads a user's saved login.
        Some(credential) => {
            parent_gone = Some(crate::embedded_worker::parent_gone());
            let server = args.client.server.clone().unwrap_or_else(|| DEFAULT_SERVER.to_owned());
            Client::embedded_worker(&server, credential.clone())
        }
        None => match args.client.resolved()? {
            (server, Some(token)) => Client::new(&server, Some(token)),
            (_, None) => bail!("a worker needs a worker token: pass --token or set PATCHBAY_TOKEN"),
        },
    };
    // Without a sandbox, tests run under this binary's reaper, so that what
    // they start ends with them even if it left their process group.
    let reaper = match sandbox {
        Sandbox::None => Some(std::env::current_exe().context("finding this binary for the test reaper")?),
        _ => None,
    };
    let runner = RunnerConfig { sandbox, reaper, ..RunnerConfig::default() };
    let name = args.name.clone().unwrap_or_else(default_name);
    let allowed_env = args.allow_env.clone();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let worker = Arc::new(Worker::register(client, &name, runner).await?.with_allowed_env(allowed_env));
        tracing::info!(worker = %worker.id, name = %name, concurrency = args.concurrency, "worker registered");
        tokio::spawn(worker.clone().heartbeat_forever());
        for _ in 0..args.concurrency {
            tokio::spawn(worker.clone().work_forever());
        }
        match parent_gone {
            Some(gone) => tokio::select! {
                () = crate::serve::shutdown_signal() => {}
                _ = gone => tracing::info!("the server is gone; stopping"),
            },
            None => crate::serve::shutdown_signal().await,
        }
        anyhow::Ok(())
    })
    // Dropping the runtime drops every task: a test still running has its
    // process group killed and its home removed. Its job is handed to
    // another worker once the lease runs out.
}
