//! PostgreSQL backend: the production store, for several replicas sharing
//! one database. A deadpool pool of tokio-postgres connections, each caching
//! its prepared statements (DESIGN.md §8).
#![forbid(unsafe_code)]

mod audit;
mod history;
mod integrations;
mod jobs;
mod migrate;
mod pool;
mod rows;
mod secrets;
#[cfg(feature = "testing")]
pub mod testing;

use async_trait::async_trait;
use deadpool_postgres::Pool;
use patchbay_store::{PoolStats, Store, StoreError};

pub use pool::redacted;

pub struct PostgresStore {
    pool: Pool,
}

impl PostgresStore {
    /// Connects to the database at `url` (a `postgres://` URL or libpq
    /// `key=value` string) and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = pool::build(url)?;
        let mut client = pool::client(&pool).await?;
        migrate::run(&mut client).await?;
        Ok(Self { pool })
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn ping(&self) -> Result<(), StoreError> {
        let client = pool::client(&self.pool).await?;
        client.simple_query("SELECT 1").await.map_err(|e| StoreError::other("postgres ping", e))?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn pool_stats(&self) -> Option<PoolStats> {
        let status = self.pool.status();
        Some(PoolStats {
            in_use: status.size.saturating_sub(status.available),
            idle: status.available,
            max: status.max_size,
        })
    }
}
