//! The audit log on PostgreSQL.
use crate::PostgresStore;
use crate::classify::failed;
use crate::pool::client;
use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use patchbay_domain::{AuditAction, AuditEvent, AuditFilter, AuditOutcome, OrganizationId, StoredAuditEvent};
use patchbay_store::{AuditStore, StoreError};
use time::OffsetDateTime;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

fn column<'a, T: tokio_postgres::types::FromSql<'a>>(row: &'a Row, index: usize) -> Result<T, StoreError> {
    row.try_get(index).map_err(|e| StoreError::other("reading an audit column", e))
}

fn from_row(row: &Row) -> Result<StoredAuditEvent, StoreError> {
    let organization: &str = column(row, 1)?;
    let action: &str = column(row, 5)?;
    let outcome: &str = column(row, 8)?;
    Ok(StoredAuditEvent {
        seq: column(row, 0)?,
        event: AuditEvent {
            organization_id: OrganizationId::parse(organization)
                .ok_or_else(|| StoreError::other("stored organization", "empty"))?,
            occurred_at: column(row, 2)?,
            actor: column(row, 3)?,
            actor_role: column(row, 4)?,
            action: AuditAction::parse(action)
                .ok_or_else(|| StoreError::other("stored audit action", action.to_owned()))?,
            resource_type: column(row, 6)?,
            resource_id: column(row, 7)?,
            outcome: AuditOutcome::parse(outcome)
                .ok_or_else(|| StoreError::other("stored outcome", outcome.to_owned()))?,
            request_id: column(row, 9)?,
            detail: column(row, 10)?,
        },
    })
}

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
        let db = client(&self.pool).await?;
        insert_audit(&db, &event).await
    }

    async fn list_audit_events(
        &self,
        org: &OrganizationId,
        filter: &AuditFilter,
    ) -> Result<Vec<StoredAuditEvent>, StoreError> {
        let mut args: Vec<Box<dyn ToSql + Sync + Send>> = vec![Box::new(org.as_str().to_owned())];
        let mut sql = String::from(
            "SELECT seq, organization_id, occurred_at, actor, actor_role, action, resource_type, \
             resource_id, outcome, request_id, detail FROM audit_events WHERE organization_id = $1",
        );
        let mut and = |column: &str, op: &str, value: Box<dyn ToSql + Sync + Send>| {
            args.push(value);
            sql.push_str(&format!(" AND {column} {op} ${}", args.len()));
        };
        if let Some(action) = filter.action {
            and("action", "=", Box::new(action.as_str()));
        }
        if let Some(resource) = &filter.resource_id {
            and("resource_id", "=", Box::new(resource.clone()));
        }
        if let Some(actor) = &filter.actor {
            and("actor", "=", Box::new(actor.clone()));
        }
        if let Some(since) = filter.since {
            and("occurred_at", ">=", Box::new(since));
        }
        if let Some(until) = filter.until {
            and("occurred_at", "<", Box::new(until));
        }
        if let Some(before) = filter.before_seq {
            and("seq", "<", Box::new(before));
        }
        args.push(Box::new(i64::from(filter.limit)));
        sql.push_str(&format!(" ORDER BY seq DESC LIMIT ${}", args.len()));
        let db = client(&self.pool).await?;
        let statement = db.prepare_cached(&sql).await.map_err(failed("preparing an audit list"))?;
        let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a.as_ref() as _).collect();
        let rows = db.query(&statement, &params).await.map_err(failed("listing audit events"))?;
        rows.iter().map(from_row).collect()
    }

    async fn purge_audit_events(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        let db = client(&self.pool).await?;
        db.execute("DELETE FROM audit_events WHERE occurred_at < $1", &[&before])
            .await
            .map_err(failed("purging audit events"))
    }
}
