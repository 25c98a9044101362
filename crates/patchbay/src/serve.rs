//! `patchbay serve`: pick the store, load keys, listen, stop gracefully.
use crate::cli::{LogFormat, ServeArgs};
use crate::config_file::Setting;
use anyhow::Context;
use patchbay_server::AppState;
use patchbay_server::auth::{Authenticator, JwtSecret};
use patchbay_server::config::resolve_jwt_secret;
use std::sync::Arc;

pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour only for a person at a terminal, never into files or collectors.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi);
    match format {
        LogFormat::Pretty => builder.fmt_fields(crate::log_fields::EscapedFields).init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Scheduler ticks between two looks at the sockets and timers while
/// tasks are ready to run (tokio's default is 61).
///
/// With many busy connections, looking at the sockets every 61 tasks lets
/// connections found ready in the latest look run ahead of some that have
/// waited since an earlier one, so a few wait several rounds: at 1,000
/// connections the benchmark's p99 was 4 to 8 times its p50. Running about
/// one round of every ready connection before looking again serves them in
/// turn: on SQLite, p99 at 1,000 connections fell from 69-74 ms to 32 ms in
/// interleaved runs, and fewer looks (each a system call) left more of the
/// two cores to requests. With few connections the queue empties long
/// before, and the sockets are looked at then, as before. The cost: while
/// the queue is that long, a socket or timer that became ready waits for
/// the round (tens of milliseconds at most, at full load).
const EVENT_INTERVAL: u32 = 1000;

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().event_interval(EVENT_INTERVAL).build()
}

fn authenticator(args: &ServeArgs) -> anyhow::Result<Authenticator> {
    let configured = args.keys.jwt_secret()?.map(JwtSecret::new);
    let (secret, created) = resolve_jwt_secret(configured, &args.keys.data_dir)
        .with_context(|| format!("preparing the signing key in {}", args.keys.data_dir.display()))?;
    if created {
        let dir = args.keys.data_dir.display();
        println!("Created a token signing key in {dir}/{}.", patchbay_server::config::JWT_SECRET_FILE);
        println!(
            "Mint an admin token with:\n\n    patchbay token mint --data-dir {dir} --org <your-org> --role admin\n"
        );
    }
    let public_keys = match &args.jwt_public_key {
        Some(path) => vec![std::fs::read(path).with_context(|| format!("reading {}", path.display()))?],
        None => Vec::new(),
    };
    let max_lifetime = args.max_token_lifetime.map(std::time::Duration::from_secs);
    Ok(Authenticator::new(&[secret], &public_keys)?.with_max_lifetime(max_lifetime))
}

/// Whether anything lives in the data directory: the SQLite database, the
/// generated signing key or the default master key file.
fn uses_data_dir(args: &ServeArgs) -> anyhow::Result<bool> {
    let master_key_given = args.master.master_key.is_some() || args.master.master_key_file.is_some();
    Ok(args.database.url()?.is_none() || args.keys.jwt_secret()?.is_none() || !master_key_given)
}

/// Installs the SIGINT and SIGTERM handlers now and resolves on the first
/// of them. Installing at the call, not at the first poll, matters: a
/// signal between "serving" being logged and the server polling this
/// would otherwise end the process with the default action, skipping the
/// graceful stop. Call it inside the runtime, before announcing anything.
#[cfg(unix)]
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).expect("installing the SIGINT handler");
    let mut terminate = signal(SignalKind::terminate()).expect("installing the SIGTERM handler");
    async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        tracing::info!("shutting down: finishing in-flight requests");
    }
}

#[cfg(not(unix))]
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: finishing in-flight requests");
    }
}

pub fn run(args: ServeArgs, warnings: &[String], settings: &[Setting]) -> anyhow::Result<()> {
    if args.print_config {
        for warning in warnings {
            eprintln!("warning: {warning}");
        }
        // The flag alone does not say whether the embedded worker runs.
        let (embedded, why) = args.connection_tests.embedded_state(args.database.is_sqlite());
        print!("{}", crate::config_file::render(settings, &[("embedded_worker", embedded.to_string(), why)]));
        return Ok(());
    }
    init_logging(args.log_format);
    crate::data_dir::private_umask();
    // Secrets given as files are read first, so a wrong path fails before
    // anything is created in the data directory.
    args.database.url()?;
    args.keys.jwt_secret()?;
    for warning in warnings {
        tracing::warn!("{warning}");
    }
    if uses_data_dir(&args)? {
        crate::data_dir::prepare(&args.keys.data_dir)?;
    }
    let runtime = runtime().context("starting the async runtime")?;
    runtime.block_on(async {
        let signalled = shutdown_signal();
        // Listening comes before the signing key exists: `token mint` waits
        // for the key, so once a token is out a client's first request finds
        // the port open (it waits in the backlog until serving starts).
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        let auth = authenticator(&args)?;
        let store = crate::backend::open(
            &args.database,
            &args.keys.data_dir,
            args.store.wait(),
            args.store.synchronous(),
        )
        .await?;
        let (master, created) = crate::master_key::load(&args.master, &args.keys.data_dir)?;
        if created {
            println!(
                "Created the vault's master key in {}. Back it up: without it no secret can be read.",
                args.keys.data_dir.join(crate::master_key::FILE).display()
            );
        }
        let vault = patchbay_server::vault::Vault::open(master, store.clone()).await?;
        tracing::info!(fingerprint = vault.fingerprint(), "vault ready");
        tracing::info!(listen = %listener.local_addr()?, backend = store.backend(), "patchbay is serving");
        patchbay_server::audit::spawn_retention(store.clone(), args.audit.audit_retention);
        patchbay_server::spawn_session_purge(store.clone());
        let (jobs, embedded) = crate::serve_jobs::start(&args, listener.local_addr()?, store.clone());
        let state = AppState::new(store, Arc::new(auth), Arc::new(vault))
            .with_jobs(jobs)
            .with_limits(args.limits.limits())
            .with_webhooks(patchbay_server::webhooks::WebhookSettings {
                allow_private: args.webhook_allow_private,
                ..Default::default()
            })
            .with_metrics_token(args.metrics_token.clone().map(patchbay_server::auth::MetricsToken::new));
        let queue = state.jobs.clone();
        let stopping = embedded.stopper();
        let shutdown = async move {
            signalled.await;
            // Before in-flight requests are waited for: long polls end now.
            queue.close();
            stopping.stop();
        };
        let grace = args.limits.shutdown_grace;
        let served =
            patchbay_server::serve_with_grace(listener, state, shutdown, grace, args.connections.limits())
                .await
                .context("serving");
        embedded.stop().await;
        served?;
        tracing::info!("stopped");
        Ok(())
    })
}
