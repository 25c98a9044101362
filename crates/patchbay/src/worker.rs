//! `patchbay worker`: the options, the sandbox and the client of a
//! `patchbay_worker::Worker`, run until a signal (or, for the embedded
//! worker, until the server is gone).
use crate::cli::{SandboxKind, WorkerArgs};
use crate::client_config::DEFAULT_SERVER;
use anyhow::{Context, bail};
use patchbay_client::Client;
use patchbay_runner::{RunnerConfig, Sandbox};
use patchbay_worker::Worker;
use std::sync::Arc;

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
        let signalled = crate::serve::shutdown_signal();
        let worker = Arc::new(Worker::register(client, &name, runner, allowed_env).await?);
        tracing::info!(worker = %worker.id(), name = %name, concurrency = args.concurrency, "worker registered");
        tokio::spawn(worker.clone().heartbeat_forever());
        for _ in 0..args.concurrency {
            tokio::spawn(worker.clone().work_forever());
        }
        match parent_gone {
            Some(gone) => tokio::select! {
                () = signalled => {}
                _ = gone => tracing::info!("the server is gone; stopping"),
            },
            None => signalled.await,
        }
        anyhow::Ok(())
    })
    // Dropping the runtime drops every task: a test still running has its
    // process group killed and its home removed. Its job is handed to
    // another worker once the lease runs out.
}
