//! Revisions and the audit log. Revisions are written by the integration
//! writes themselves, in their transactions; this trait reads them and
//! rolls back. The audit log is append-only: events are added and, past the
//! retention period, purged, never changed.
use crate::StoreError;
use crate::audit::AuditContext;
use async_trait::async_trait;
use patchbay_domain::{
    Actor, AuditEvent, AuditFilter, Integration, OrganizationId, Revision, Role, StoredAuditEvent,
};
use time::OffsetDateTime;
use uuid::Uuid;

/// Who makes a change, and the revision the caller last saw. The revision
/// is compared under the row lock, in the write's own transaction, so of
/// several writers that saw the same revision exactly one wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// Recorded as the revision's actor.
    pub actor: Option<String>,
    /// The actor is an admin: the revision it writes is approved for
    /// secret values (see `Approval::of_new_revision`).
    pub by_admin: bool,
    /// `None`: any existing revision (no `If-Match`, or `If-Match: *`).
    pub expected_revision: Option<i64>,
    /// When set, the write commits its audit event in its own transaction
    /// (see `crate::audit`).
    pub audit: Option<AuditContext>,
}

impl Change {
    /// A non-admin's unaudited change that expects no revision.
    pub fn by(actor: Option<String>) -> Self {
        Self { actor, by_admin: false, expected_revision: None, audit: None }
    }

    /// An audited change by `actor` in request `request_id`, expecting
    /// `expected_revision` (if any).
    pub fn of(actor: &Actor, expected_revision: Option<i64>, request_id: Option<String>) -> Self {
        Self {
            actor: actor.user_id.clone(),
            by_admin: actor.role == Role::Admin,
            expected_revision,
            audit: Some(AuditContext::of(actor, request_id)),
        }
    }

    /// The same change with `key: value` added to its audit event's detail.
    pub fn with_detail(mut self, key: &str, value: serde_json::Value) -> Self {
        if let Some(audit) = &mut self.audit {
            audit.detail.insert(key.to_owned(), value);
        }
        self
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

    /// Records `change.actor`'s approval of revision `revision` (see
    /// `patchbay_domain::Approval`) and the change's `integration.approve`
    /// audit event, and returns the revision; a revision that is approved
    /// already keeps its approval. `NotFound` when the integration or that
    /// revision does not exist.
    async fn approve_revision(
        &self,
        org: &OrganizationId,
        id: Uuid,
        revision: i64,
        change: Change,
    ) -> Result<Revision, StoreError>;

    /// Makes the integration equal to revision `revision` again
    /// (`restore_patch`) and records that as a new `restore` revision, with
    /// the change's audit event, in one transaction. Nothing is written when
    /// it already is. `Conflict::IntegrationName` when the name is taken now;
    /// `NotFound` when the integration or that revision does not exist.
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
