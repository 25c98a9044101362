//! The one storage interface behind Patchbay. Every method takes the
//! organization: tenancy lives in the signature, so another organization's
//! row is simply not found.
#![forbid(unsafe_code)]

mod audit;
pub mod codec;
mod credentials;
mod error;
#[cfg(test)]
mod fixtures;
mod health;
mod history;
mod jobs;
mod plan;
mod secrets;
mod sessions;
pub mod sql;
mod stored;
#[cfg(feature = "testing")]
pub mod testing;
mod wait;
mod webhooks;

pub use audit::{AuditContext, approval_event, test_event, test_result_event};
pub use credentials::{
    CredentialStore, LeaseCounts, REVOCATION_CLAIM, RevocationOutcome, lease_event, not_renewed,
    provider_event, revocation_backoff, revocation_event,
};
pub use error::{Conflict, Missing, StoreError, Unavailable, failed};
pub use health::{DueTest, HealthCounts, HealthState, HealthStore, IntegrationHealth, next_health};
pub use history::{AuditStore, Change, HistoryStore, check_revision};
pub use jobs::{
    ATTEMPTS_EXHAUSTED, Job, JobResult, JobStatus, JobStore, MAX_ATTEMPTS, Worker, WorkerScope, lease_end,
    not_held,
};
pub use plan::{
    Current, IntegrationWrite, RevisionRecord, plan_create, plan_update, restore_patch, soft_delete,
};
pub use secrets::{Rewrap, Seal, SealedBlob, SecretStore, SecretWrite, check_fingerprint};
pub use sessions::{ConsoleSession, SessionStore};
pub use stored::{RowWriter, StoredIntegration, StoredRow};
pub use wait::{WaitGate, WaitLimits};
pub use webhooks::{
    ClaimLimits, DELIVERY_ATTEMPTS, DELIVERY_CLAIM, Delivery, DeliveryOutcome, DeliveryState, Webhook,
    WebhookStore, decode_events, delivery_body, delivery_retry_at, encode_events, webhook_event,
};

use async_trait::async_trait;
use patchbay_domain::{Integration, IntegrationPatch, ListFilter, NewIntegration, OrganizationId};
use uuid::Uuid;

/// What an upsert by name changes in an integration that exists: its type,
/// description, config and tags; its name, status and history stay.
pub fn replacement(new: &NewIntegration) -> IntegrationPatch {
    IntegrationPatch {
        integration_type: Some(new.integration_type.clone()),
        clear_description: new.description.is_none(),
        description: new.description.clone(),
        config: Some(new.config.clone()),
        tags: Some(new.tags.clone()),
        ..Default::default()
    }
}

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
    ) -> Result<Integration, StoreError> {
        self.create_integration_with(org, new, None).await
    }

    /// The create, committing its `integration.create` audit event (when
    /// `audit` is given) in the same transaction.
    async fn create_integration_with(
        &self,
        org: &OrganizationId,
        new: NewIntegration,
        audit: Option<AuditContext>,
    ) -> Result<Integration, StoreError>;

    async fn get_integration(&self, org: &OrganizationId, id: Uuid) -> Result<Integration, StoreError> {
        self.get_stored_integration(org, id).await?.decode()
    }

    /// `get_integration` with config and tags left as the stored JSON text,
    /// for the HTTP read, which copies that text into its body.
    async fn get_stored_integration(
        &self,
        org: &OrganizationId,
        id: Uuid,
    ) -> Result<StoredIntegration, StoreError>;

    /// The organization's non-deleted integration of that name.
    async fn get_integration_by_name(
        &self,
        org: &OrganizationId,
        name: &str,
    ) -> Result<Integration, StoreError>;

    /// What `get_integration` would return for each of `ids` (whatever the
    /// status, deleted too), in one statement and in no particular order;
    /// an id the organization does not have is simply absent.
    async fn get_integrations_by_ids(
        &self,
        org: &OrganizationId,
        ids: &[Uuid],
    ) -> Result<Vec<Integration>, StoreError>;

    /// What `get_integration_by_name` would return for each of `names` (the
    /// non-deleted integrations), in one statement and in no particular
    /// order; a name the organization does not use is simply absent.
    async fn get_integrations_by_names(
        &self,
        org: &OrganizationId,
        names: &[String],
    ) -> Result<Vec<Integration>, StoreError>;

    /// Newest first.
    async fn list_integrations(
        &self,
        org: &OrganizationId,
        filter: &ListFilter,
    ) -> Result<Vec<Integration>, StoreError> {
        let stored = self.list_stored_integrations(org, filter).await?;
        stored.into_iter().map(StoredIntegration::decode).collect()
    }

    /// `list_integrations` with config and tags left as the stored JSON
    /// text.
    async fn list_stored_integrations(
        &self,
        org: &OrganizationId,
        filter: &ListFilter,
    ) -> Result<Vec<StoredIntegration>, StoreError>;

    /// The same rows, in the same order, each handed to `writer` borrowed
    /// from the database's row: the HTTP list writes its body this way.
    async fn write_stored_integrations(
        &self,
        org: &OrganizationId,
        filter: &ListFilter,
        writer: RowWriter,
    ) -> Result<RowWriter, StoreError>;

    /// Applies the patch atomically; `updated_at` moves and `revision` counts
    /// up only when something changed.
    async fn update_integration(
        &self,
        org: &OrganizationId,
        id: Uuid,
        patch: IntegrationPatch,
    ) -> Result<Integration, StoreError> {
        self.update_integration_with(org, id, patch, Change::default()).await
    }

    async fn delete_integration(
        &self,
        org: &OrganizationId,
        id: Uuid,
        mode: DeleteMode,
    ) -> Result<(), StoreError> {
        self.delete_integration_with(org, id, mode, Change::default()).await
    }

    /// The update, recording `change.actor` in the revision it writes and
    /// the change's audit event (`integration.update`, `.delete` or
    /// `.restore`, after what was written), all in one transaction;
    /// `StoreError::RevisionMismatch` when `change.expected_revision` is not
    /// the current revision.
    async fn update_integration_with(
        &self,
        org: &OrganizationId,
        id: Uuid,
        patch: IntegrationPatch,
        change: Change,
    ) -> Result<Integration, StoreError>;

    /// `PUT /custom-integrations/by-name/{name}` as one atomic step: creates
    /// `new`, or, when a live integration of that name exists, replaces its
    /// type, description, config and tags (`replacement`). Concurrent upserts
    /// of one name make one integration and update it; none fails for the
    /// race. Returns the integration and whether it was created; commits the
    /// change's audit event (`integration.create` or `.update`) with it.
    async fn upsert_integration_by_name(
        &self,
        org: &OrganizationId,
        new: NewIntegration,
        change: Change,
    ) -> Result<(Integration, bool), StoreError>;

    /// A soft delete writes a `delete` revision; a hard delete removes the
    /// integration with all its revisions (the audit log keeps the record:
    /// the change's `integration.delete` event, in the same transaction).
    async fn delete_integration_with(
        &self,
        org: &OrganizationId,
        id: Uuid,
        mode: DeleteMode,
        change: Change,
    ) -> Result<(), StoreError>;
}

/// Everything a server needs from its database.
#[async_trait]
pub trait Store:
    IntegrationStore
    + SecretStore
    + HistoryStore
    + AuditStore
    + JobStore
    + SessionStore
    + CredentialStore
    + WebhookStore
    + HealthStore
{
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
