//! SQLite backend: the embedded default. One writer connection (SQLite
//! serializes writers anyway) used on a blocking thread, where concurrent
//! writes share a transaction and its fsync (group commit), and a few reader
//! connections used inline, since WAL lets reads run beside the writer and a
//! short indexed read costs less than a hop to the blocking pool.
#![forbid(unsafe_code)]

mod audit;
mod credentials;
mod group;
mod health;
mod history;
mod integrations;
mod jobs;
mod migrate;
mod pool;
mod secrets;
mod sessions;
mod sql;
mod time_codec;
mod webhooks;

use async_trait::async_trait;
use patchbay_store::{PoolStats, Store, StoreError};
use pool::Pool;
pub use pool::{SqliteOptions, Synchronous};
use std::path::Path;

pub struct SqliteStore {
    pool: Pool,
    path: std::path::PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies
    /// migrations, with the default options.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with(path, SqliteOptions::default())
    }

    pub fn open_with(path: &Path, options: SqliteOptions) -> Result<Self, StoreError> {
        let pool = Pool::open(path, options)?;
        pool.write_blocking(migrate::run)?;
        Ok(Self { pool, path: path.to_owned() })
    }

    /// Test support: while `full`, writes that would grow the database past
    /// its current size fail as they would on a full disk.
    #[cfg(feature = "testing")]
    pub fn simulate_full_disk(&self, full: bool) -> Result<(), StoreError> {
        self.pool.cap_size(full)
    }
}

/// Whether a write can happen: the checkpoint empties the write-ahead log,
/// so the probe's commit (64 KiB, more than a free page or two could hold)
/// has to claim new space, as real writes would. It leaves only free pages.
fn probe_write(conn: &mut rusqlite::Connection) -> Result<(), StoreError> {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .map_err(|e| StoreError::other("checkpointing for a write probe", e))?;
    conn.execute_batch(
        "DROP TABLE IF EXISTS readiness_probe; CREATE TABLE readiness_probe (x); \
         INSERT INTO readiness_probe VALUES (zeroblob(65536));",
    )
    .map_err(|e| StoreError::other("write probe", e))?;
    conn.execute_batch("DROP TABLE readiness_probe").map_err(|e| StoreError::other("ending a write probe", e))
}

#[async_trait]
impl Store for SqliteStore {
    /// Open connections keep working on a file that was deleted or whose
    /// disk went away, so readiness also checks that the file is still
    /// there and that its schema can be read; and, after a write failed on
    /// a full disk, that one can succeed.
    async fn ping(&self) -> Result<(), StoreError> {
        std::fs::metadata(&self.path).map_err(|e| StoreError::other("sqlite database file", e))?;
        self.pool
            .read(|conn| conn.query_row("SELECT count(*) FROM custom_integrations WHERE 0", [], |_| Ok(())))
            .map_err(|e| StoreError::other("sqlite ping", e))?;
        // Reads keep working on a full disk; after a write failed for lack
        // of space, ready only once a write can succeed again.
        if self.pool.ran_out_of_space() {
            self.pool.write_alone(probe_write).await?;
            self.pool.clear_full();
        }
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn pool_stats(&self) -> Option<PoolStats> {
        Some(self.pool.stats())
    }
}
