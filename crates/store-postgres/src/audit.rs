//! The audit log on PostgreSQL.
use crate::PostgresStore;
use crate::classify::failed;
use crate::pool::client;
use crate::sql::{DIALECT, all};
use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use patchbay_domain::{AuditEvent, AuditFilter, OrganizationId, StoredAuditEvent};
use patchbay_store::sql::{audit_event_from_row, audit_events};
use patchbay_store::{AuditStore, StoreError};
use time::OffsetDateTime;

/// Appends `event`: on its own, or inside a write's transaction, so the
/// change and its record commit together.
pub(crate) async fn insert_audit(db: &impl GenericClient, event: &AuditEvent) -> Result<(), StoreError> {
    let statement = db
        .prepare_cached(
            "INSERT INTO audit_events (organization_id, occurred_at, actor, actor_role, action, \
             resource_type, resource_id, outcome, request_id, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .await
        .map_err(failed("preparing an audit write"))?;
    db.execute(
        &statement,
        &[
            &event.organization_id.as_str(),
            &event.occurred_at,
            &event.actor,
            &event.actor_role,
            &event.action.as_str(),
            &event.resource_type,
            &event.resource_id,
            &event.outcome.as_str(),
            &event.request_id,
            &event.detail,
        ],
    )
    .await
    .map_err(failed("writing an audit event"))?;
    Ok(())
}

/// `insert_audit` for a write's optional event.
pub(crate) async fn insert_audit_if(
    db: &impl GenericClient,
    event: Option<AuditEvent>,
) -> Result<(), StoreError> {
    match event {
        Some(event) => insert_audit(db, &event).await,
        None => Ok(()),
    }
}

#[async_trait]
impl AuditStore for PostgresStore {
    async fn append_audit_event(&self, event: AuditEvent) -> Result<(), StoreError> {
        self.audit.append(&self.pool, event).await
    }

    async fn list_audit_events(
        &self,
        org: &OrganizationId,
        filter: &AuditFilter,
    ) -> Result<Vec<StoredAuditEvent>, StoreError> {
        let db = client(&self.pool).await?;
        all(&db, &audit_events(DIALECT, org, filter), "listing audit events", audit_event_from_row).await
    }

    async fn purge_audit_events(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        let db = client(&self.pool).await?;
        db.execute("DELETE FROM audit_events WHERE occurred_at < $1", &[&before])
            .await
            .map_err(failed("purging audit events"))
    }
}
