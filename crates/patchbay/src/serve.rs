//! `patchbay serve`: pick the store, load keys, listen, stop gracefully.
use crate::cli::{LogFormat, ServeArgs};
use anyhow::Context;
use patchbay_server::AppState;
use patchbay_server::auth::{Authenticator, JwtSecret};
use patchbay_server::config::{SQLITE_FILE, redact_url, resolve_jwt_secret};
use patchbay_store::Store;
use std::sync::Arc;

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour only for a person at a terminal, never into files or collectors.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi);
    match format {
        LogFormat::Pretty => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn open_store(args: &ServeArgs) -> anyhow::Result<Arc<dyn Store>> {
    match args.database_url.as_deref() {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            tracing::info!(database = %redact_url(url), "using PostgreSQL");
            let store = patchbay_store_postgres::PostgresStore::connect(url)
                .await
                .with_context(|| format!("connecting to {}", redact_url(url)))?;
            Ok(Arc::new(store))
        }
        Some(url) => anyhow::bail!(
            "--database-url {}: only postgres:// URLs are supported; omit it for SQLite in the data directory",
            redact_url(url)
        ),
        None => {
            std::fs::create_dir_all(&args.keys.data_dir)
                .with_context(|| format!("creating the data directory {}", args.keys.data_dir.display()))?;
            let path = args.keys.data_dir.join(SQLITE_FILE);
            tracing::info!(path = %path.display(), "using SQLite");
            let store = patchbay_store_sqlite::SqliteStore::open(&path)
                .with_context(|| format!("opening {}", path.display()))?;
            Ok(Arc::new(store))
        }
    }
}

fn authenticator(args: &ServeArgs) -> anyhow::Result<Authenticator> {
    let configured = args.keys.jwt_secret.clone().map(JwtSecret::new);
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
    Ok(Authenticator::new(&[secret], &public_keys)?)
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing the SIGTERM handler");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down: finishing in-flight requests");
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logging(args.log_format);
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let auth = authenticator(&args)?;
        let store = open_store(&args).await?;
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        tracing::info!(listen = %listener.local_addr()?, backend = store.backend(), "patchbay is serving");
        let state = AppState { store, auth: Arc::new(auth) };
        patchbay_server::serve(listener, state, shutdown_signal()).await.context("serving")
    })
}
