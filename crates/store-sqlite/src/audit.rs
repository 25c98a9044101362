//! The audit log on SQLite: appended through the writer, read inline.
use crate::SqliteStore;
use crate::time_codec::{from_micros, micros};
use async_trait::async_trait;
use patchbay_domain::{AuditAction, AuditEvent, AuditFilter, AuditOutcome, OrganizationId, StoredAuditEvent};
use patchbay_store::{AuditStore, StoreError, failed};
use rusqlite::types::Value;
use rusqlite::{Connection, Row, params, params_from_iter};
use time::OffsetDateTime;

fn from_row(row: &Row<'_>) -> rusqlite::Result<StoredAuditEvent> {
    let organization: String = row.get(1)?;
    let action: String = row.get(5)?;
    let outcome: String = row.get(8)?;
    let bad = |what: &'static str, value: String| {
        rusqlite::Error::ToSqlConversionFailure(Box::new(StoreError::other(what, value)))
    };
    Ok(StoredAuditEvent {
        seq: row.get(0)?,
        event: AuditEvent {
            organization_id: OrganizationId::parse(&organization)
                .ok_or_else(|| bad("stored organization", organization.clone()))?,
            occurred_at: from_micros(row.get(2)?)?,
            actor: row.get(3)?,
            actor_role: row.get(4)?,
            action: AuditAction::parse(&action).ok_or_else(|| bad("stored audit action", action.clone()))?,
            resource_type: row.get(6)?,
            resource_id: row.get(7)?,
            outcome: AuditOutcome::parse(&outcome).ok_or_else(|| bad("stored outcome", outcome.clone()))?,
            request_id: row.get(9)?,
            detail: row.get(10)?,
        },
    })
}

fn list(
    conn: &Connection,
    org: &OrganizationId,
    filter: &AuditFilter,
) -> rusqlite::Result<Vec<StoredAuditEvent>> {
    let mut args: Vec<Value> = vec![Value::Text(org.as_str().to_owned())];
    let mut sql = String::from(
        "SELECT seq, organization_id, occurred_at, actor, actor_role, action, resource_type, \
         resource_id, outcome, request_id, detail FROM audit_events WHERE organization_id = ?1",
    );
    let mut and = |column: &str, op: &str, value: Value| {
        args.push(value);
        sql.push_str(&format!(" AND {column} {op} ?{}", args.len()));
    };
    if let Some(action) = filter.action {
        and("action", "=", Value::Text(action.as_str().to_owned()));
    }
    if let Some(resource) = &filter.resource_id {
        and("resource_id", "=", Value::Text(resource.clone()));
    }
    if let Some(actor) = &filter.actor {
        and("actor", "=", Value::Text(actor.clone()));
    }
    if let Some(since) = filter.since {
        and("occurred_at", ">=", Value::Integer(micros(since)));
    }
    if let Some(until) = filter.until {
        and("occurred_at", "<", Value::Integer(micros(until)));
    }
    if let Some(before) = filter.before_seq {
        and("seq", "<", Value::Integer(before));
    }
    args.push(Value::Integer(i64::from(filter.limit)));
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT ?{}", args.len()));
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map(params_from_iter(args), from_row)?;
    rows.collect()
}

/// Appends `event`: on its own, or inside a write's transaction (a
/// `Transaction` derefs to the connection), so the change and its record
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
        self.pool.read(|conn| list(conn, org, filter)).map_err(failed("listing audit events"))
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
