//! The audit log on SQLite: appended through the writer, read inline.
use crate::SqliteStore;
use crate::sql::{DIALECT, all};
use crate::time_codec::micros;
use async_trait::async_trait;
use patchbay_domain::{AuditEvent, AuditFilter, OrganizationId, StoredAuditEvent};
use patchbay_store::sql::{audit_event_from_row, audit_events};
use patchbay_store::{AuditStore, StoreError, failed};
use rusqlite::{Connection, params};
use time::OffsetDateTime;

fn list(
    conn: &Connection,
    org: &OrganizationId,
    filter: &AuditFilter,
) -> rusqlite::Result<Vec<StoredAuditEvent>> {
    all(conn, &audit_events(DIALECT, org, filter), audit_event_from_row)
}

/// Appends `event`: on its own, or inside a write's transaction (a
/// `Savepoint` derefs to the connection), so the change and its record
/// commit together.
pub(crate) fn insert_audit(conn: &Connection, event: &AuditEvent) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO audit_events (organization_id, occurred_at, actor, actor_role, action, \
         resource_type, resource_id, outcome, request_id, detail) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .and_then(|mut insert| {
        insert.execute(params![
            event.organization_id.as_str(),
            micros(event.occurred_at),
            event.actor,
            event.actor_role,
            event.action.as_str(),
            event.resource_type,
            event.resource_id,
            event.outcome.as_str(),
            event.request_id,
            event.detail,
        ])
    })
    .map(drop)
    .map_err(failed("writing an audit event"))
}

/// `insert_audit` for a write's optional event.
pub(crate) fn insert_audit_if(conn: &Connection, event: Option<AuditEvent>) -> Result<(), StoreError> {
    event.map_or(Ok(()), |event| insert_audit(conn, &event))
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit_event(&self, event: AuditEvent) -> Result<(), StoreError> {
        self.pool.write(move |conn| insert_audit(conn, &event)).await
    }

    async fn list_audit_events(
        &self,
        org: &OrganizationId,
        filter: &AuditFilter,
    ) -> Result<Vec<StoredAuditEvent>, StoreError> {
        let (org, filter) = (org.clone(), filter.clone());
        self.pool.scan(move |conn| list(conn, &org, &filter).map_err(failed("listing audit events"))).await
    }

    async fn purge_audit_events(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        self.pool
            .write(move |conn| {
                conn.execute("DELETE FROM audit_events WHERE occurred_at < ?1", [micros(before)])
                    .map(|removed| removed as u64)
                    .map_err(failed("purging audit events"))
            })
            .await
    }
}
