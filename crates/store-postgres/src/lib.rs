//! PostgreSQL backend: the production store, for several replicas sharing
//! one database. A deadpool pool of tokio-postgres connections, each caching
//! its prepared statements.
#![forbid(unsafe_code)]

mod audit;
mod audit_batch;
mod classify;
mod credentials;
mod health;
mod history;
mod integrations;
mod jobs;
mod migrate;
mod pool;
mod secrets;
mod sessions;
mod sql;
#[cfg(feature = "testing")]
pub mod testing;
mod webhooks;

use async_trait::async_trait;
use patchbay_store::{PoolStats, Store, StoreError, WaitLimits};
use std::sync::Arc;

pub use pool::redacted;

pub struct PostgresStore {
    pool: Arc<pool::Db>,
    /// Audit events appended on their own, written in batches.
    audit: Arc<audit_batch::AuditBatcher>,
}

impl PostgresStore {
    /// Connects to the database at `url` (a `postgres://` URL or libpq
    /// `key=value` string) and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, WaitLimits::default()).await
    }

    /// As `connect`; requests wait for a connection within `wait`.
    pub async fn connect_with(url: &str, wait: WaitLimits) -> Result<Self, StoreError> {
        let pool = pool::build(url, wait)?;
        // Start-up waits as long as connecting may take, not as requests do.
        let mut client = pool.pool.get().await.map_err(classify::failed("connecting to postgres"))?;
        migrate::run(&mut client).await?;
        drop(client);
        Ok(Self { pool: Arc::new(pool), audit: Arc::default() })
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn ping(&self) -> Result<(), StoreError> {
        let client = pool::client(&self.pool).await?;
        client.simple_query("SELECT 1").await.map_err(classify::failed("postgres ping"))?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn pool_stats(&self) -> Option<PoolStats> {
        let status = self.pool.pool.status();
        Some(PoolStats {
            in_use: status.size.saturating_sub(status.available),
            idle: status.available,
            max: status.max_size,
        })
    }
}
