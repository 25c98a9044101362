//! The one place that picks a storage backend.
use crate::cli::DatabaseArgs;
use anyhow::Context;
use patchbay_server::config::{SQLITE_FILE, redact_url};
use patchbay_store::Store;
use std::path::Path;
use std::sync::Arc;

/// PostgreSQL for a `postgres://` URL, else SQLite in the data directory.
pub async fn open(
    database: &DatabaseArgs,
    data_dir: &Path,
    wait: patchbay_store::WaitLimits,
    synchronous: patchbay_store_sqlite::Synchronous,
) -> anyhow::Result<Arc<dyn Store>> {
    match database.url()?.as_deref() {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            tracing::info!(database = %redact_url(url), "using PostgreSQL");
            let store = patchbay_store_postgres::PostgresStore::connect_with(url, wait)
                .await
                .with_context(|| format!("connecting to {}", redact_url(url)))?;
            Ok(Arc::new(store))
        }
        Some(url) => anyhow::bail!(
            "--database-url {}: only postgres:// URLs are supported; omit it for SQLite in the data directory",
            redact_url(url)
        ),
        None => {
            std::fs::create_dir_all(data_dir)
                .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
            let path = data_dir.join(SQLITE_FILE);
            crate::data_dir::create_private_file(&path)
                .with_context(|| format!("creating {}", path.display()))?;
            tracing::info!(path = %path.display(), "using SQLite");
            let store = patchbay_store_sqlite::SqliteStore::open_with(
                &path,
                patchbay_store_sqlite::SqliteOptions { synchronous, wait },
            )
            .with_context(|| format!("opening {}", path.display()))?;
            Ok(Arc::new(store))
        }
    }
}
