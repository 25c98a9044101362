use crate::SqliteStore;
use crate::audit::insert_audit_if;
use crate::history::insert_revision;
use crate::sql::{DIALECT, all, each, read};
use crate::time_codec::micros;
use async_trait::async_trait;
use patchbay_domain::{
    AuditAction, Integration, IntegrationPatch, ListFilter, NewIntegration, OrganizationId,
};
use patchbay_store::codec::{distinct_tags, encode_config, encode_tags};
use patchbay_store::sql::{
    CURRENT_COLUMNS, CURRENT_FROM, INTEGRATION_COLUMNS, current_from_row, integration_from_row, integrations,
    integrations_by_ids, integrations_by_names, stored_integration_from_row, stored_row_from_row,
};
use patchbay_store::{
    AuditContext, Change, Conflict, Current, DeleteMode, IntegrationStore, IntegrationWrite, Missing,
    RowWriter, StoreError, StoredIntegration, StoredRow, check_revision, failed, plan_create, plan_update,
    replacement, soft_delete,
};
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};
use uuid::Uuid;

/// A write that broke the live-name unique index is a name conflict;
/// anything else is the database failing.
fn write_error(name: &str, context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |e| match e.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) if e.to_string().contains(".name") => {
            StoreError::Conflict(Conflict::IntegrationName(name.to_owned()))
        }
        _ => StoreError::other(context, e),
    }
}

pub(crate) fn fetch(
    conn: &Connection,
    org: &OrganizationId,
    id: Uuid,
) -> Result<(i64, Integration), StoreError> {
    let (seq, stored) = fetch_stored(conn, org, id)?;
    Ok((seq, stored.decode()?))
}

fn fetch_stored(
    conn: &Connection,
    org: &OrganizationId,
    id: Uuid,
) -> Result<(i64, StoredIntegration), StoreError> {
    let read = || {
        conn.prepare_cached(&format!(
            "SELECT {INTEGRATION_COLUMNS} FROM custom_integrations WHERE id = ?1 AND organization_id = ?2"
        ))?
        .query_row(params![id.to_string(), org.as_str()], read(stored_integration_from_row))
        .optional()
    };
    read()
        .map_err(|e| StoreError::other("reading an integration", e))?
        .ok_or(StoreError::NotFound(Missing::Integration))
}

fn write_tags(tx: &Connection, org: &OrganizationId, seq: i64, tags: &[String]) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM custom_integration_tags WHERE integration_seq = ?1", [seq])?;
    // The row's creation instant, in the tag row's key: the tag list's order.
    let mut insert = tx.prepare_cached(
        "INSERT INTO custom_integration_tags (organization_id, tag, created_at, integration_seq) \
         SELECT ?1, ?2, created_at, seq FROM custom_integrations WHERE seq = ?3",
    )?;
    for tag in distinct_tags(tags) {
        insert.execute(params![org.as_str(), tag, seq])?;
    }
    Ok(())
}

/// The integration matching `condition` (on `i`), with its current
/// revision's approval: what a write decides from. The one writer
/// connection is held, so nothing changes between this read and the write.
fn current_where(
    conn: &Connection,
    condition: &str,
    args: impl rusqlite::Params,
) -> Result<Option<(i64, Current)>, StoreError> {
    conn.prepare_cached(&format!("SELECT {CURRENT_COLUMNS} FROM {CURRENT_FROM} WHERE {condition}"))
        .and_then(|mut s| s.query_row(args, read(current_from_row)).optional())
        .map_err(failed("reading an integration"))
}

pub(crate) fn fetch_current(
    conn: &Connection,
    org: &OrganizationId,
    id: Uuid,
) -> Result<(i64, Current), StoreError> {
    current_where(conn, "i.id = ?1 AND i.organization_id = ?2", params![id.to_string(), org.as_str()])?
        .ok_or(StoreError::NotFound(Missing::Integration))
}

fn create(
    conn: &mut Connection,
    org: &OrganizationId,
    new: NewIntegration,
    audit: Option<AuditContext>,
) -> Result<Integration, StoreError> {
    let tx = conn.savepoint().map_err(failed("starting a create"))?;
    let integration = insert_new(&tx, org, plan_create(org, new, audit))?;
    tx.commit().map_err(failed("committing a create"))?;
    Ok(integration)
}

/// Persists a planned create: the row, then what `record` adds.
fn insert_new(
    tx: &Connection,
    org: &OrganizationId,
    write: IntegrationWrite,
) -> Result<Integration, StoreError> {
    let integration = &write.integration;
    tx.execute(
        "INSERT INTO custom_integrations (id, organization_id, name, integration_type, description, \
         status, config, tags, created_at, updated_at, created_by, revision) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            integration.id.to_string(),
            org.as_str(),
            integration.name,
            integration.integration_type,
            integration.description,
            integration.status.as_str(),
            encode_config(&integration.config),
            encode_tags(&integration.tags),
            micros(integration.created_at),
            micros(integration.updated_at),
            integration.created_by,
            integration.revision,
        ],
    )
    .map_err(write_error(&integration.name, "inserting an integration"))?;
    record(tx, org, tx.last_insert_rowid(), write)
}

/// Persists a planned update of row `seq`: the row when it changes, then
/// what `record` adds.
pub(crate) fn persist(
    tx: &Connection,
    org: &OrganizationId,
    seq: i64,
    write: IntegrationWrite,
) -> Result<Integration, StoreError> {
    let integration = &write.integration;
    if write.revision.is_some() {
        tx.execute(
            "UPDATE custom_integrations SET name = ?2, integration_type = ?3, description = ?4, \
             status = ?5, config = ?6, tags = ?7, updated_at = ?8, revision = ?9 WHERE seq = ?1",
            params![
                seq,
                integration.name,
                integration.integration_type,
                integration.description,
                integration.status.as_str(),
                encode_config(&integration.config),
                encode_tags(&integration.tags),
                micros(integration.updated_at),
                integration.revision,
            ],
        )
        .map_err(write_error(&integration.name, "updating an integration"))?;
    }
    record(tx, org, seq, write)
}

/// What follows the row of a write: its tag rows when they changed, its
/// revision and its audit event.
fn record(
    tx: &Connection,
    org: &OrganizationId,
    seq: i64,
    write: IntegrationWrite,
) -> Result<Integration, StoreError> {
    if write.tags_changed {
        write_tags(tx, org, seq, &write.integration.tags).map_err(failed("writing tags"))?;
    }
    if let Some(revision) = &write.revision {
        insert_revision(tx, seq, revision)?;
    }
    insert_audit_if(tx, write.event)?;
    Ok(write.integration)
}

/// The live integration of that name, if any.
fn fetch_by_name(
    conn: &Connection,
    org: &OrganizationId,
    name: &str,
) -> Result<Option<(i64, Integration)>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {INTEGRATION_COLUMNS} FROM custom_integrations \
         WHERE organization_id = ?1 AND name = ?2 AND status <> 'deleted'"
    ))
    .and_then(|mut s| s.query_row(params![org.as_str(), name], read(integration_from_row)).optional())
    .map_err(failed("reading an integration by name"))
}

/// One transaction on the one writer: nothing can come between the lookup
/// and the write.
fn upsert_by_name(
    conn: &mut Connection,
    org: &OrganizationId,
    new: NewIntegration,
    change: &Change,
) -> Result<(Integration, bool), StoreError> {
    let tx = conn.savepoint().map_err(failed("starting an upsert"))?;
    let live = "i.organization_id = ?1 AND i.name = ?2 AND i.status <> 'deleted'";
    let written = match current_where(&tx, live, params![org.as_str(), new.name])? {
        Some((seq, current)) => {
            (persist(&tx, org, seq, plan_update(current, replacement(&new), change, None))?, false)
        }
        None => (insert_new(&tx, org, plan_create(org, new, change.audit.clone()))?, true),
    };
    tx.commit().map_err(failed("committing an upsert"))?;
    Ok(written)
}

fn update(
    conn: &mut Connection,
    org: &OrganizationId,
    id: Uuid,
    patch: IntegrationPatch,
    change: &Change,
) -> Result<Integration, StoreError> {
    let tx = conn.savepoint().map_err(failed("starting an update"))?;
    let (seq, current) = fetch_current(&tx, org, id)?;
    check_revision(change, current.integration.revision)?;
    let updated = persist(&tx, org, seq, plan_update(current, patch, change, None))?;
    tx.commit().map_err(failed("committing an update"))?;
    Ok(updated)
}

fn hard_delete(
    conn: &mut Connection,
    org: &OrganizationId,
    id: Uuid,
    change: &Change,
) -> Result<(), StoreError> {
    let tx = conn.savepoint().map_err(failed("starting a delete"))?;
    let (seq, integration) = fetch(&tx, org, id)?;
    check_revision(change, integration.revision)?;
    // Tag and revision rows go with the row (ON DELETE CASCADE).
    tx.execute("DELETE FROM custom_integrations WHERE seq = ?1", [seq])
        .map_err(failed("deleting an integration"))?;
    insert_audit_if(&tx, change.integration_event(&integration, None, AuditAction::IntegrationDelete))?;
    tx.commit().map_err(failed("committing a delete"))
}

/// Hands each listed row to `visit`, borrowed from the statement.
fn each_listed(
    conn: &Connection,
    org: &OrganizationId,
    filter: &ListFilter,
    mut visit: impl FnMut(&StoredRow<'_>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    each(conn, &integrations(DIALECT, org, filter), |row| visit(&stored_row_from_row(row)?.1))
        .map_err(|e| StoreError::other("listing integrations", e))
}

#[async_trait]
impl IntegrationStore for SqliteStore {
    async fn create_integration_with(
        &self,
        org: &OrganizationId,
        new: NewIntegration,
        audit: Option<AuditContext>,
    ) -> Result<Integration, StoreError> {
        let org = org.clone();
        self.pool.write(move |conn| create(conn, &org, new, audit)).await
    }

    async fn get_stored_integration(
        &self,
        org: &OrganizationId,
        id: Uuid,
    ) -> Result<StoredIntegration, StoreError> {
        self.pool.read(|conn| fetch_stored(conn, org, id)).map(|(_, integration)| integration)
    }

    async fn get_integration_by_name(
        &self,
        org: &OrganizationId,
        name: &str,
    ) -> Result<Integration, StoreError> {
        self.pool
            .read(|conn| fetch_by_name(conn, org, name))?
            .map(|(_, integration)| integration)
            .ok_or(StoreError::NotFound(Missing::Integration))
    }

    async fn get_integrations_by_ids(
        &self,
        org: &OrganizationId,
        ids: &[Uuid],
    ) -> Result<Vec<Integration>, StoreError> {
        let Some(query) = integrations_by_ids(DIALECT, org, ids) else {
            return Ok(Vec::new());
        };
        let rows = self
            .pool
            .read(|conn| all(conn, &query, integration_from_row))
            .map_err(failed("reading integrations by id"))?;
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
        let rows = self
            .pool
            .read(|conn| all(conn, &query, integration_from_row))
            .map_err(failed("reading integrations by name"))?;
        Ok(rows.into_iter().map(|(_, integration)| integration).collect())
    }

    async fn upsert_integration_by_name(
        &self,
        org: &OrganizationId,
        new: NewIntegration,
        change: Change,
    ) -> Result<(Integration, bool), StoreError> {
        let org = org.clone();
        self.pool.write(move |conn| upsert_by_name(conn, &org, new, &change)).await
    }

    async fn list_stored_integrations(
        &self,
        org: &OrganizationId,
        filter: &ListFilter,
    ) -> Result<Vec<StoredIntegration>, StoreError> {
        let (org, filter) = (org.clone(), filter.clone());
        self.pool
            .scan(move |conn| {
                let mut listed = Vec::new();
                each_listed(conn, &org, &filter, |row| {
                    listed.push(row.to_owned()?);
                    Ok(())
                })?;
                Ok(listed)
            })
            .await
    }

    async fn write_stored_integrations(
        &self,
        org: &OrganizationId,
        filter: &ListFilter,
        mut writer: RowWriter,
    ) -> Result<RowWriter, StoreError> {
        let (org, filter) = (org.clone(), filter.clone());
        self.pool
            .scan(move |conn| {
                each_listed(conn, &org, &filter, |row| {
                    writer.row(row);
                    Ok(())
                })?;
                Ok(writer)
            })
            .await
    }

    async fn update_integration_with(
        &self,
        org: &OrganizationId,
        id: Uuid,
        patch: IntegrationPatch,
        change: Change,
    ) -> Result<Integration, StoreError> {
        let org = org.clone();
        self.pool.write(move |conn| update(conn, &org, id, patch, &change)).await
    }

    async fn delete_integration_with(
        &self,
        org: &OrganizationId,
        id: Uuid,
        mode: DeleteMode,
        change: Change,
    ) -> Result<(), StoreError> {
        let org = org.clone();
        self.pool
            .write(move |conn| match mode {
                DeleteMode::Soft => update(conn, &org, id, soft_delete(), &change).map(drop),
                DeleteMode::Hard => hard_delete(conn, &org, id, &change),
            })
            .await
    }
}
