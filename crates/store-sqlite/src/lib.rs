//! SQLite backend: the embedded default. One writer connection (SQLite
//! serializes writers anyway) used on a blocking thread, and a few reader
//! connections used inline, since WAL lets reads run beside the writer and a
//! short indexed read costs less than a hop to the blocking pool (DESIGN.md §8).
#![forbid(unsafe_code)]

mod audit;
mod history;
mod integrations;
mod jobs;
mod migrate;
mod pool;
mod secrets;
mod time_codec;

use async_trait::async_trait;
use patchbay_store::{PoolStats, Store, StoreError};
use pool::Pool;
use std::path::Path;

pub struct SqliteStore {
    pool: Pool,
    path: std::path::PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies migrations.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let pool = Pool::open(path)?;
        pool.write_blocking(migrate::run)?;
        Ok(Self { pool, path: path.to_owned() })
    }
}

#[async_trait]
impl Store for SqliteStore {
    /// Open connections keep working on a file that was deleted or whose
    /// disk went away, so readiness also checks that the file is still
    /// there and that its schema can be read.
    async fn ping(&self) -> Result<(), StoreError> {
        std::fs::metadata(&self.path).map_err(|e| StoreError::other("sqlite database file", e))?;
        self.pool
            .read(|conn| conn.query_row("SELECT count(*) FROM custom_integrations WHERE 0", [], |_| Ok(())))
            .map_err(|e| StoreError::other("sqlite ping", e))
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn pool_stats(&self) -> Option<PoolStats> {
        Some(self.pool.stats())
    }
}
