//! The one storage interface behind Patchbay. Every method takes the
//! organization: tenancy lives in the signature, so another organization's
//! row is simply not found.
#![forbid(unsafe_code)]

pub mod codec;
mod error;
mod secrets;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::{Conflict, StoreError};
pub use secrets::{Rewrap, Seal, SealedBlob, SecretStore, SecretWrite};

use async_trait::async_trait;
use patchbay_domain::{Integration, IntegrationPatch, ListFilter, NewIntegration, OrganizationId};
use uuid::Uuid;

/// Soft delete keeps the row with status `deleted`; hard delete removes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteMode {
    Soft,
    Hard,
}

#[async_trait]
pub trait IntegrationStore: Send + Sync {
    /// Fails with `Conflict::IntegrationName` when a non-deleted integration
    /// of the organization already has the name (enforced by the database).
    async fn create_integration(
        &self,
        org: &OrganizationId,
        new: NewIntegration,
    ) -> Result<Integration, StoreError>;

    async fn get_integration(&self, org: &OrganizationId, id: Uuid) -> Result<Integration, StoreError>;

    /// The organization's non-deleted integration of that name.
    async fn get_integration_by_name(
        &self,
        org: &OrganizationId,
        name: &str,
    ) -> Result<Integration, StoreError>;

    /// Newest first.
    async fn list_integrations(
        &self,
        org: &OrganizationId,
        filter: &ListFilter,
    ) -> Result<Vec<Integration>, StoreError>;

    /// Applies the patch atomically; `updated_at` moves and `revision` counts
    /// up only when something changed.
    async fn update_integration(
        &self,
        org: &OrganizationId,
        id: Uuid,
        patch: IntegrationPatch,
    ) -> Result<Integration, StoreError>;

    async fn delete_integration(
        &self,
        org: &OrganizationId,
        id: Uuid,
        mode: DeleteMode,
    ) -> Result<(), StoreError>;
}

/// Everything a server needs from its database.
#[async_trait]
pub trait Store: IntegrationStore + SecretStore {
    /// A round trip to the database, for `/ready`.
    async fn ping(&self) -> Result<(), StoreError>;

    /// The backend's name for logs ("sqlite", "postgres").
    fn backend(&self) -> &'static str;

    /// Database connections in use and idle, for `/metrics`; `None` where
    /// the backend cannot tell.
    fn pool_stats(&self) -> Option<PoolStats> {
        None
    }
}

/// A snapshot of a backend's connection pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    pub in_use: usize,
    pub idle: usize,
    pub max: usize,
}
