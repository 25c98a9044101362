//! `patchbay serve`'s connection-test options, in their own
//! group so the rest of the serve configuration can evolve apart.
use clap::{Args, ValueEnum};
use patchbay_server::jobs::{EmbeddedCredential, JobSettings};
use std::time::Duration;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Feature {
    Enabled,
    Disabled,
}

#[derive(Args)]
pub struct ConnectionTestArgs {
    /// `disabled` turns connection tests off: asking for one is a 409.
    #[arg(long, env = "PATCHBAY_CONNECTION_TESTS", value_enum, default_value = "enabled")]
    pub connection_tests: Feature,
    /// Run a worker for every organization as a child process of the server
    /// (default: on with the SQLite default, off with --database-url).
    #[arg(long, env = "PATCHBAY_EMBEDDED_WORKER", overrides_with = "no_embedded_worker")]
    pub embedded_worker: bool,
    /// Do not start the embedded worker.
    #[arg(long, overrides_with = "embedded_worker")]
    pub no_embedded_worker: bool,
    /// Tests the embedded worker runs at once.
    #[arg(long, env = "PATCHBAY_EMBEDDED_WORKER_CONCURRENCY", default_value_t = 2,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub embedded_worker_concurrency: u16,
    /// How the embedded worker contains each test command (`none`: single-tenant installs only).
    #[arg(long, env = "PATCHBAY_SANDBOX", value_enum, default_value = "bwrap")]
    pub sandbox: crate::cli::SandboxKind,
    /// Seconds a claimed job survives without a heartbeat from its worker
    /// before it is handed to another worker.
    #[arg(long, env = "PATCHBAY_JOB_LEASE_SECS", default_value_t = 15,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub job_lease_secs: u64,
}

impl ConnectionTestArgs {
    /// Whether to start the embedded worker: asked for, or by default on
    /// the embedded SQLite setup; never with tests disabled.
    pub fn embedded(&self, sqlite: bool) -> bool {
        self.embedded_state(sqlite).0
    }

    /// Whether the embedded worker runs, and why, as `--print-config` says it.
    pub fn embedded_state(&self, sqlite: bool) -> (bool, &'static str) {
        if self.connection_tests == Feature::Disabled {
            (false, "off: connection tests are disabled")
        } else if self.no_embedded_worker {
            (false, "off: --no-embedded-worker")
        } else if self.embedded_worker {
            (true, "on: asked for")
        } else if sqlite {
            (true, "on: the default with SQLite")
        } else {
            (false, "off: the default with a database URL")
        }
    }

    pub fn settings(&self, embedded: Option<EmbeddedCredential>) -> JobSettings {
        JobSettings {
            enabled: self.connection_tests == Feature::Enabled,
            lease: Duration::from_secs(self.job_lease_secs),
            embedded,
        }
    }
}

/// The embedded worker's supervisor, stopped when the server stops.
pub struct EmbeddedHandle(Option<(tokio::sync::watch::Sender<bool>, tokio::task::JoinHandle<()>)>);

/// Tells the embedded worker's supervisor to stop, from the shutdown future.
pub struct Stopper(Option<tokio::sync::watch::Sender<bool>>);

impl Stopper {
    pub fn stop(&self) {
        if let Some(stop) = &self.0 {
            let _ = stop.send(true);
        }
    }
}

impl EmbeddedHandle {
    pub fn stopper(&self) -> Stopper {
        Stopper(self.0.as_ref().map(|(stop, _)| stop.clone()))
    }

    pub async fn stop(self) {
        if let Some((stop, task)) = self.0 {
            let _ = stop.send(true);
            let _ = task.await;
        }
    }
}

/// The job queue the server runs with, and the embedded worker when it is on.
pub fn start(
    args: &crate::cli::ServeArgs,
    listening: std::net::SocketAddr,
    store: std::sync::Arc<dyn patchbay_store::Store>,
) -> (std::sync::Arc<patchbay_server::jobs::JobQueue>, EmbeddedHandle) {
    let options = &args.connection_tests;
    let sqlite = args.database.is_sqlite();
    if !options.embedded(sqlite) {
        let queue = patchbay_server::jobs::JobQueue::new(options.settings(None));
        return (std::sync::Arc::new(queue), EmbeddedHandle(None));
    }
    if !listening.ip().is_loopback() && !listening.ip().is_unspecified() {
        tracing::warn!(%listening, "the embedded worker reaches the server over loopback only; listen on 127.0.0.1 or 0.0.0.0, or run `patchbay worker`");
    }
    let credential = EmbeddedCredential::generate();
    let queue =
        std::sync::Arc::new(patchbay_server::jobs::JobQueue::new(options.settings(Some(credential.clone()))));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let child = crate::embedded_worker::ChildOptions {
        concurrency: options.embedded_worker_concurrency,
        sandbox: options.sandbox,
    };
    let gone = crate::embedded_worker::Retire { queue: queue.clone(), store };
    let task = tokio::spawn(crate::embedded_worker::supervise(listening, credential, child, gone, stopped));
    (queue, EmbeddedHandle(Some((stop, task))))
}
