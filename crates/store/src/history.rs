//! Revisions and the audit log. Revisions are written by the integration
//! writes themselves, in their transactions; this trait reads them and
//! rolls back. The audit log is append-only: events are added and, past the
//! retention period, purged, never changed.
use crate::StoreError;
use async_trait::async_trait;
use patchbay_domain::{AuditEvent, AuditFilter, Integration, OrganizationId, Revision, StoredAuditEvent};
use time::OffsetDateTime;
use uuid::Uuid;

/// Who makes a change, and the revision the caller last saw. The revision
/// is compared under the row lock, in the write's own transaction, so of
/// several writers that saw the same revision exactly one wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// Recorded as the revision's actor.
    pub actor: Option<String>,
    /// `None`: any existing revision (no `If-Match`, or `If-Match: *`).
    pub expected_revision: Option<i64>,
}

impl Change {
    pub fn by(actor: Option<String>) -> Self {
        Self { actor, expected_revision: None }
    }
}

/// Fails with `StoreError::RevisionMismatch` when the change expected
/// another revision than the current one.
pub fn check_revision(change: &Change, current: i64) -> Result<(), StoreError> {
    match change.expected_revision {
        Some(expected) if expected != current => Err(StoreError::RevisionMismatch { current }),
        _ => Ok(()),
    }
}

#[async_trait]
pub trait HistoryStore: Send + Sync {
    /// Newest first; `NotFound` when the integration does not exist.
    async fn list_revisions(
        &self,
        org: &OrganizationId,
        id: Uuid,
        limit: Option<u32>,
        offset: u32,
    ) -> Result<Vec<Revision>, StoreError>;

    /// `NotFound` when the integration or that revision does not exist.
    async fn get_revision(
        &self,
        org: &OrganizationId,
        id: Uuid,
        revision: i64,
    ) -> Result<Revision, StoreError>;

    /// Makes the integration equal to revision `revision` again (name, type,
    /// description, status, config, tags) and records that as a new
    /// `restore` revision, in one transaction. Nothing is written when it
    /// already is. `Conflict::IntegrationName` when the name is taken now.
    async fn restore_revision(
        &self,
        org: &OrganizationId,
        id: Uuid,
        revision: i64,
        change: Change,
    ) -> Result<Integration, StoreError>;
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn append_audit_event(&self, event: AuditEvent) -> Result<(), StoreError>;

    /// The organization's events matching `filter`, newest first, at most
    /// `filter.limit`.
    async fn list_audit_events(
        &self,
        org: &OrganizationId,
        filter: &AuditFilter,
    ) -> Result<Vec<StoredAuditEvent>, StoreError>;

    /// Removes every event (of every organization) older than `before`;
    /// returns how many.
    async fn purge_audit_events(&self, before: OffsetDateTime) -> Result<u64, StoreError>;
}
