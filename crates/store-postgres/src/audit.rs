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

/// Appends `event` inside a write's transaction, so the change and its
/// record commit together.
pub(crate) async fn insert_audit(db: &impl GenericClient, event: &AuditEvent) -> Result<(), StoreError> {
    insert_audit_events(db, std::slice::from_ref(event)).await
}

/// Appends `events` with one statement, whatever their number: a write's
/// own event, or a batch of those appended on their own (`audit_batch`).
pub(crate) async fn insert_audit_events(
    db: &impl GenericClient,
    events: &[AuditEvent],
) -> Result<(), StoreError> {
    let statement = db
        .prepare_cached(
            "INSERT INTO audit_events (organization_id, occurred_at, actor, actor_role, action, \
             resource_type, resource_id, outcome, request_id, detail) \
             SELECT * FROM UNNEST($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], \
             $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])",
        )
        .await
        .map_err(failed("preparing an audit write"))?;
    let column = |value: fn(&AuditEvent) -> Option<&str>| events.iter().map(value).collect::<Vec<_>>();
    db.execute(
        &statement,
        &[
            &column(|e| Some(e.organization_id.as_str())),
            &events.iter().map(|e| e.occurred_at).collect::<Vec<_>>(),
            &column(|e| e.actor.as_deref()),
            &column(|e| e.actor_role.as_deref()),
            &column(|e| Some(e.action.as_str())),
            &column(|e| Some(e.resource_type.as_str())),
            &column(|e| e.resource_id.as_deref()),
            &column(|e| Some(e.outcome.as_str())),
            &column(|e| e.request_id.as_deref()),
            &column(|e| Some(e.detail.as_str())),
        ],
    )
    .await
    .map_err(failed("writing audit events"))?;
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
