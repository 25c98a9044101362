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
use patchbay_store::{Store, StoreError};
use pool::Pool;
use std::path::Path;

pub struct SqliteStore {
    pool: Pool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies migrations.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let pool = Pool::open(path)?;
        pool.write_blocking(migrate::run)?;
        Ok(Self { pool })
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.pool
            .read(|conn| conn.query_row("SELECT 1", [], |_| Ok(())))
            .map_err(|e| StoreError::other("sqlite ping", e))
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }
}
