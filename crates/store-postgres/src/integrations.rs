use crate::PostgresStore;
use crate::audit::insert_audit_if;
use crate::classify::{failed, write_error};
use crate::history::insert_revision;
use crate::pool::{client, shared_read};
use crate::sql::{DIALECT, all, each, read};
use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use patchbay_domain::{
    AuditAction, Integration, IntegrationPatch, ListFilter, NewIntegration, OrganizationId,
};
use patchbay_store::codec::{distinct_tags, encode_config, encode_tags};
use patchbay_store::sql::{
    CURRENT_COLUMNS, CURRENT_FROM, INTEGRATION_COLUMNS, current_from_row, integration_from_row, integrations,
    integrations_by_ids, integrations_by_names, stored_integration_from_row, stored_row_from_row,
};
use patchbay_store::{
    AuditContext, Change, Current, DeleteMode, IntegrationStore, IntegrationWrite, Missing, RowWriter,
    StoreError, StoredIntegration, StoredRow, check_revision, plan_create, plan_update, replacement,
    soft_delete,
};
use tokio_postgres::types::ToSql;
use uuid::Uuid;

/// One integration of the organization and its `seq`; `lock` holds the row
/// until the caller's transaction ends, so concurrent updates serialize.
pub(crate) async fn fetch(
    db: &impl GenericClient,
    org: &OrganizationId,
    id: Uuid,
    lock: bool,
) -> Result<(i64, Integration), StoreError> {
    let (seq, stored) = fetch_stored(db, org, id, lock).await?;
    Ok((seq, stored.decode()?))
}

async fn fetch_stored(
    db: &impl GenericClient,
    org: &OrganizationId,
    id: Uuid,
    lock: bool,
) -> Result<(i64, StoredIntegration), StoreError> {
    let statement = db.prepare_cached(&stored_query(lock)).await.map_err(failed("preparing a read"))?;
    let row =
        db.query_opt(&statement, &[&id, &org.as_str()]).await.map_err(failed("reading an integration"))?;
    stored_found(row)
}

/// One integration by its id ($1) and organization ($2).
fn stored_query(lock: bool) -> String {
    format!(
        "SELECT {INTEGRATION_COLUMNS} FROM custom_integrations WHERE id = $1 AND organization_id = $2{}",
        if lock { " FOR UPDATE" } else { "" }
    )
}

/// The row `stored_query` read, or the integration is not found.
fn stored_found(row: Option<tokio_postgres::Row>) -> Result<(i64, StoredIntegration), StoreError> {
    read(&row.ok_or(StoreError::NotFound(Missing::Integration))?, stored_integration_from_row)
}

/// Replaces the tag rows of one integration: one row per distinct tag.
async fn write_tags(
    db: &impl GenericClient,
    org: &OrganizationId,
    seq: i64,
    tags: &[String],
) -> Result<(), tokio_postgres::Error> {
    let delete = db.prepare_cached("DELETE FROM custom_integration_tags WHERE integration_seq = $1").await?;
    db.execute(&delete, &[&seq]).await?;
    let insert = db
        .prepare_cached(
            // The row's creation instant, in the tag row's key: the tag
            // list's order.
            "INSERT INTO custom_integration_tags (organization_id, tag, created_at, integration_seq) \
             SELECT $1, tag, created_at, seq FROM custom_integrations, unnest($3::text[]) AS tag \
             WHERE seq = $2",
        )
        .await?;
    db.execute(&insert, &[&org.as_str(), &seq, &distinct_tags(tags)]).await?;
    Ok(())
}

/// The row, its tag rows, its first revision and its audit event (when the
/// create is audited: `$20`, the action, is not null) in one statement:
/// atomic without a transaction, and one round trip.
const INSERT: &str = "WITH created AS ( \
        INSERT INTO custom_integrations (id, organization_id, name, integration_type, \
            description, status, config, tags, created_at, updated_at, created_by, revision) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11) \
        RETURNING seq \
    ), tagged AS ( \
        INSERT INTO custom_integration_tags (organization_id, tag, created_at, integration_seq) \
        SELECT $2, tag, $9, seq FROM created, unnest($12::text[]) AS tag \
    ), audited AS ( \
        INSERT INTO audit_events (organization_id, occurred_at, actor, actor_role, action, \
            resource_type, resource_id, outcome, request_id, detail) \
        SELECT $2, $17, $18, $19, $20, $21, $22, $23, $24, $25 FROM created WHERE $20::text IS NOT NULL \
    ) \
    INSERT INTO integration_revisions (integration_seq, revision, kind, actor, recorded_at, \
        restored_from, name, integration_type, description, status, config, tags, created_at, \
        updated_at, created_by, approval_kind, approved_revision, approved_by, approved_at) \
    SELECT seq, $11, $26, $27, $9, NULL, $3, $4, $5, $6, $7, $8, $9, $9, $10, $13, $14, $15, $16 \
    FROM created";

async fn create(
    store: &PostgresStore,
    org: &OrganizationId,
    new: NewIntegration,
    audit: Option<AuditContext>,
) -> Result<Integration, StoreError> {
    let db = client(&store.pool).await?;
    insert_new(&db, org, plan_create(org, new, audit)).await
}

/// Persists a planned create: `INSERT`, one statement, on its own or inside
/// a transaction.
async fn insert_new(
    db: &impl GenericClient,
    org: &OrganizationId,
    write: IntegrationWrite,
) -> Result<Integration, StoreError> {
    let integration = &write.integration;
    let revision = write.revision.as_ref().ok_or_else(|| StoreError::other("a create", "no revision"))?;
    let (approval, event) = (revision.approval.as_ref(), write.event.as_ref());
    let statement = db.prepare_cached(INSERT).await.map_err(failed("preparing a create"))?;
    db.execute(
        &statement,
        &[
            &integration.id,
            &org.as_str(),
            &integration.name,
            &integration.integration_type,
            &integration.description,
            &integration.status.as_str(),
            &encode_config(&integration.config),
            &encode_tags(&integration.tags),
            &integration.created_at,
            &integration.created_by,
            &integration.revision,
            &distinct_tags(&integration.tags),
            &approval.map(|a| a.kind.as_str()),
            &approval.map(|a| a.revision),
            &approval.and_then(|a| a.by.as_deref()),
            &approval.map(|a| a.at),
            &event.map(|e| e.occurred_at),
            &event.and_then(|e| e.actor.as_deref()),
            &event.and_then(|e| e.actor_role.as_deref()),
            &event.map(|e| e.action.as_str()),
            &event.map(|e| e.resource_type.as_str()),
            &event.and_then(|e| e.resource_id.as_deref()),
            &event.map(|e| e.outcome.as_str()),
            &event.and_then(|e| e.request_id.as_deref()),
            &event.map(|e| e.detail.as_str()),
            &revision.kind.as_str(),
            &revision.actor,
        ],
    )
    .await
    .map_err(write_error(&integration.name, "inserting an integration"))?;
    Ok(write.integration)
}

/// The integration matching `condition` (on `i`), locked until the
/// transaction ends (so of writers that saw one revision, one wins), with
/// its current revision's approval: what a write decides from.
async fn current_where(
    db: &impl GenericClient,
    condition: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<Option<(i64, Current)>, StoreError> {
    let sql = format!("SELECT {CURRENT_COLUMNS} FROM {CURRENT_FROM} WHERE {condition} FOR UPDATE OF i");
    let statement = db.prepare_cached(&sql).await.map_err(failed("preparing a read"))?;
    let row = db.query_opt(&statement, args).await.map_err(failed("reading an integration"))?;
    row.map(|row| read(&row, current_from_row)).transpose()
}

pub(crate) async fn fetch_current(
    db: &impl GenericClient,
    org: &OrganizationId,
    id: Uuid,
) -> Result<(i64, Current), StoreError> {
    current_where(db, "i.id = $1 AND i.organization_id = $2", &[&id, &org.as_str()])
        .await?
        .ok_or(StoreError::NotFound(Missing::Integration))
}

/// Creates or replaces the live integration of `new.name` in one
/// transaction. A transaction-scoped advisory lock on the organization and
/// name serializes upserts of one name (a row lock cannot: before the first
/// create there is no row to lock), so of concurrent upserts one creates and
/// the others update, and none fails for the race.
async fn upsert_by_name(
    store: &PostgresStore,
    org: &OrganizationId,
    new: NewIntegration,
    change: &Change,
) -> Result<(Integration, bool), StoreError> {
    let mut db = client(&store.pool).await?;
    let tx = db.transaction().await.map_err(failed("starting an upsert"))?;
    let lock = tx
        .prepare_cached("SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0))")
        .await
        .map_err(failed("preparing an upsert lock"))?;
    tx.execute(&lock, &[&org.as_str(), &new.name]).await.map_err(failed("locking an upsert"))?;
    let live = "i.organization_id = $1 AND i.name = $2 AND i.status <> 'deleted'";
    let written = match current_where(&tx, live, &[&org.as_str(), &new.name]).await? {
        Some((seq, current)) => {
            let write = plan_update(current, replacement(&new), change, None);
            (persist(&tx, org, seq, write).await?, false)
        }
        None => (insert_new(&tx, org, plan_create(org, new, change.audit.clone())).await?, true),
    };
    tx.commit().await.map_err(failed("committing an upsert"))?;
    Ok(written)
}

async fn update(
    store: &PostgresStore,
    org: &OrganizationId,
    id: Uuid,
    patch: IntegrationPatch,
    change: &Change,
) -> Result<Integration, StoreError> {
    let mut db = client(&store.pool).await?;
    let tx = db.transaction().await.map_err(failed("starting an update"))?;
    let (seq, current) = fetch_current(&tx, org, id).await?;
    check_revision(change, current.integration.revision)?;
    let updated = persist(&tx, org, seq, plan_update(current, patch, change, None)).await?;
    tx.commit().await.map_err(failed("committing an update"))?;
    Ok(updated)
}

/// Persists a planned update of the locked row `seq`: the row, its tag
/// rows when they changed and its revision, when anything changes; then its
/// audit event.
pub(crate) async fn persist(
    tx: &deadpool_postgres::Transaction<'_>,
    org: &OrganizationId,
    seq: i64,
    write: IntegrationWrite,
) -> Result<Integration, StoreError> {
    let integration = &write.integration;
    if let Some(revision) = &write.revision {
        let statement = tx
            .prepare_cached(
                "UPDATE custom_integrations SET name = $2, integration_type = $3, description = $4, \
                 status = $5, config = $6, tags = $7, updated_at = $8, revision = $9 WHERE seq = $1",
            )
            .await
            .map_err(failed("preparing an update"))?;
        tx.execute(
            &statement,
            &[
                &seq,
                &integration.name,
                &integration.integration_type,
                &integration.description,
                &integration.status.as_str(),
                &encode_config(&integration.config),
                &encode_tags(&integration.tags),
                &integration.updated_at,
                &integration.revision,
            ],
        )
        .await
        .map_err(write_error(&integration.name, "updating an integration"))?;
        if write.tags_changed {
            write_tags(tx, org, seq, &integration.tags).await.map_err(failed("writing tags"))?;
        }
        insert_revision(tx, seq, revision).await?;
    }
    insert_audit_if(tx, write.event).await?;
    Ok(write.integration)
}

/// Hands each listed row to `visit`, borrowed from the driver's row.
async fn each_listed(
    store: &PostgresStore,
    org: &OrganizationId,
    filter: &ListFilter,
    mut visit: impl FnMut(&StoredRow<'_>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let db = client(&store.pool).await?;
    let query = integrations(DIALECT, org, filter);
    each(&db, &query, "listing integrations", |row| visit(&stored_row_from_row(row)?.1)).await
}

async fn hard_delete(
    store: &PostgresStore,
    org: &OrganizationId,
    id: Uuid,
    change: &Change,
) -> Result<(), StoreError> {
    let mut db = client(&store.pool).await?;
    let tx = db.transaction().await.map_err(failed("starting a delete"))?;
    let (seq, integration) = fetch(&tx, org, id, true).await?;
    check_revision(change, integration.revision)?;
    // Tag and revision rows go with the row (ON DELETE CASCADE).
    let statement = tx
        .prepare_cached("DELETE FROM custom_integrations WHERE seq = $1")
        .await
        .map_err(failed("preparing a delete"))?;
    tx.execute(&statement, &[&seq]).await.map_err(failed("deleting an integration"))?;
    insert_audit_if(&tx, change.integration_event(&integration, None, AuditAction::IntegrationDelete))
        .await?;
    tx.commit().await.map_err(failed("committing a delete"))
}

#[async_trait]
impl IntegrationStore for PostgresStore {
    async fn create_integration_with(
        &self,
        org: &OrganizationId,
        new: NewIntegration,
        audit: Option<AuditContext>,
    ) -> Result<Integration, StoreError> {
        create(self, org, new, audit).await
    }

    async fn get_stored_integration(
        &self,
        org: &OrganizationId,
        id: Uuid,
    ) -> Result<StoredIntegration, StoreError> {
        // The busiest read: a key lookup, so it goes on a shared connection.
        let query = stored_query(false);
        let row = shared_read(&self.pool, |db| async move {
            let statement = db.prepare_cached(&query).await.map_err(failed("preparing a read"))?;
            db.query_opt(&statement, &[&id, &org.as_str()]).await.map_err(failed("reading an integration"))
        })
        .await?;
        stored_found(row).map(|(_, integration)| integration)
    }

    async fn get_integration_by_name(
        &self,
        org: &OrganizationId,
        name: &str,
    ) -> Result<Integration, StoreError> {
        let db = client(&self.pool).await?;
        // The live-name partial index answers this.
        let sql = format!(
            "SELECT {INTEGRATION_COLUMNS} FROM custom_integrations \
             WHERE organization_id = $1 AND name = $2 AND status <> 'deleted'"
        );
        let statement = db.prepare_cached(&sql).await.map_err(failed("preparing a read"))?;
        let row = db
            .query_opt(&statement, &[&org.as_str(), &name])
            .await
            .map_err(failed("reading an integration by name"))?
            .ok_or(StoreError::NotFound(Missing::Integration))?;
        read(&row, integration_from_row).map(|(_, integration)| integration)
    }

    async fn get_integrations_by_ids(
        &self,
        org: &OrganizationId,
        ids: &[Uuid],
    ) -> Result<Vec<Integration>, StoreError> {
        let Some(query) = integrations_by_ids(DIALECT, org, ids) else {
            return Ok(Vec::new());
        };
        let db = client(&self.pool).await?;
        let rows = all(&db, &query, "reading integrations by id", integration_from_row).await?;
        Ok(rows.into_iter().map(|(_, integration)| integration).collect())
    }

    async fn get_integrations_by_names(
        &self,
        org: &OrganizationId,
        names: &[String],
    ) -> Result<Vec<Integration>, StoreError> {
        let Some(query) = integrations_by_names(DIALECT, org, names) else {
            return Ok(Vec::new());
        };
        let db = client(&self.pool).await?;
        let rows = all(&db, &query, "reading integrations by name", integration_from_row).await?;
        Ok(rows.into_iter().map(|(_, integration)| integration).collect())
    }

    async fn list_stored_integrations(
        &self,
        org: &OrganizationId,
        filter: &ListFilter,
    ) -> Result<Vec<StoredIntegration>, StoreError> {
        let mut listed = Vec::new();
        each_listed(self, org, filter, |row| {
            listed.push(row.to_owned()?);
            Ok(())
        })
        .await?;
        Ok(listed)
    }

    async fn write_stored_integrations(
        &self,
        org: &OrganizationId,
        filter: &ListFilter,
        mut writer: RowWriter,
    ) -> Result<RowWriter, StoreError> {
        each_listed(self, org, filter, |row| {
            writer.row(row);
            Ok(())
        })
        .await?;
        Ok(writer)
    }

    async fn upsert_integration_by_name(
        &self,
        org: &OrganizationId,
        new: NewIntegration,
        change: Change,
    ) -> Result<(Integration, bool), StoreError> {
        upsert_by_name(self, org, new, &change).await
    }

    async fn update_integration_with(
        &self,
        org: &OrganizationId,
        id: Uuid,
        patch: IntegrationPatch,
        change: Change,
    ) -> Result<Integration, StoreError> {
        update(self, org, id, patch, &change).await
    }

    async fn delete_integration_with(
        &self,
        org: &OrganizationId,
        id: Uuid,
        mode: DeleteMode,
        change: Change,
    ) -> Result<(), StoreError> {
        match mode {
            // Through the update path, so it locks, checks and stamps alike.
            DeleteMode::Soft => update(self, org, id, soft_delete(), &change).await.map(drop),
            DeleteMode::Hard => hard_delete(self, org, id, &change).await,
        }
    }
}
