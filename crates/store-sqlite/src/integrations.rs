use crate::SqliteStore;
use crate::audit::insert_audit_if;
use crate::history::{insert_revision, read_approval};
use crate::sql::{DIALECT, all, read};
use crate::time_codec::micros;
use async_trait::async_trait;
use patchbay_domain::{
    AuditAction, Integration, IntegrationPatch, IntegrationStatus, ListFilter, NewIntegration,
    OrganizationId, RevisionKind,
};
use patchbay_store::codec::{distinct_tags, encode_config, encode_tags};
use patchbay_store::sql::{INTEGRATION_COLUMNS, integration_from_row, integrations};
use patchbay_store::{
    AuditContext, Change, Conflict, DeleteMode, IntegrationStore, Missing, StoreError, check_revision,
    new_revision_approval, plan_update, replacement,
};
use rusqlite::{Connection, ErrorCode, OptionalExtension, Transaction, params};
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
    let read = || {
        conn.prepare_cached(&format!(
            "SELECT {INTEGRATION_COLUMNS} FROM custom_integrations WHERE id = ?1 AND organization_id = ?2"
        ))?
        .query_row(params![id.to_string(), org.as_str()], read(integration_from_row))
        .optional()
    };
    read()
        .map_err(|e| StoreError::other("reading an integration", e))?
        .ok_or(StoreError::NotFound(Missing::Integration))
}

fn write_tags(tx: &Transaction<'_>, org: &OrganizationId, seq: i64, tags: &[String]) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM custom_integration_tags WHERE integration_seq = ?1", [seq])?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO custom_integration_tags (organization_id, tag, integration_seq) VALUES (?1, ?2, ?3)",
    )?;
    for tag in distinct_tags(tags) {
        insert.execute(params![org.as_str(), tag, seq])?;
    }
    Ok(())
}

fn create(
    conn: &mut Connection,
    org: &OrganizationId,
    new: NewIntegration,
    audit: Option<AuditContext>,
) -> Result<Integration, StoreError> {
    let tx = conn.transaction().map_err(|e| StoreError::other("starting a create", e))?;
    let integration = insert_new(&tx, org, new, audit)?;
    tx.commit().map_err(|e| StoreError::other("committing a create", e))?;
    Ok(integration)
}

/// The row, its tags, its first revision and its audit event, in `tx`.
fn insert_new(
    tx: &Transaction<'_>,
    org: &OrganizationId,
    new: NewIntegration,
    audit: Option<AuditContext>,
) -> Result<Integration, StoreError> {
    let by_admin = new.created_by_admin;
    let integration = new.into_integration(org.clone());
    let now = integration.created_at;
    tx.execute(
        "INSERT INTO custom_integrations (id, organization_id, name, integration_type, description, \
         status, config, tags, created_at, updated_at, created_by) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)",
        params![
            integration.id.to_string(),
            org.as_str(),
            integration.name,
            integration.integration_type,
            integration.description,
            integration.status.as_str(),
            encode_config(&integration.config),
            encode_tags(&integration.tags),
            micros(now),
            integration.created_by,
        ],
    )
    .map_err(write_error(&integration.name, "inserting an integration"))?;
    let seq = tx.last_insert_rowid();
    write_tags(tx, org, seq, &integration.tags).map_err(|e| StoreError::other("writing tags", e))?;
    let change = Change { actor: integration.created_by.clone(), by_admin, expected_revision: None, audit };
    let approval = new_revision_approval(&change, &integration, None);
    insert_revision(tx, seq, &integration, RevisionKind::Create, &change, None, approval.as_ref())?;
    let kind = Some(RevisionKind::Create);
    insert_audit_if(tx, change.integration_event(&integration, kind, AuditAction::IntegrationCreate))?;
    Ok(integration)
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
    .map_err(|e| StoreError::other("reading an integration by name", e))
}

/// One transaction on the one writer: nothing can come between the lookup
/// and the write.
fn upsert_by_name(
    conn: &mut Connection,
    org: &OrganizationId,
    new: NewIntegration,
    change: &Change,
) -> Result<(Integration, bool), StoreError> {
    let tx = conn.transaction().map_err(|e| StoreError::other("starting an upsert", e))?;
    let written = match fetch_by_name(&tx, org, &new.name)? {
        Some((seq, current)) => {
            let (updated, kind) = apply(&tx, org, seq, current, replacement(&new), change, None)?;
            insert_audit_if(&tx, change.integration_event(&updated, kind, AuditAction::IntegrationUpdate))?;
            (updated, false)
        }
        None => (insert_new(&tx, org, new, change.audit.clone())?, true),
    };
    tx.commit().map_err(|e| StoreError::other("committing an upsert", e))?;
    Ok(written)
}

/// `unchanged`: the audit action when the patch changes nothing.
fn update(
    conn: &mut Connection,
    org: &OrganizationId,
    id: Uuid,
    patch: IntegrationPatch,
    change: &Change,
    unchanged: AuditAction,
) -> Result<Integration, StoreError> {
    let tx = conn.transaction().map_err(|e| StoreError::other("starting an update", e))?;
    let (seq, integration) = fetch(&tx, org, id)?;
    // The one writer connection is held: nothing changes between the check and the write.
    check_revision(change, integration.revision)?;
    let (updated, kind) = apply(&tx, org, seq, integration, patch, change, None)?;
    insert_audit_if(&tx, change.integration_event(&updated, kind, unchanged))?;
    tx.commit().map_err(|e| StoreError::other("committing an update", e))?;
    Ok(updated)
}

/// Applies `patch` to the fetched row and, when that changes anything,
/// writes it and its revision (a `restore` one when `restored_from` is set);
/// returns the row and the kind of revision written (`None`: nothing was).
#[allow(clippy::too_many_arguments)]
pub(crate) fn apply(
    tx: &Transaction<'_>,
    org: &OrganizationId,
    seq: i64,
    integration: Integration,
    patch: IntegrationPatch,
    change: &Change,
    restored_from: Option<i64>,
) -> Result<(Integration, Option<RevisionKind>), StoreError> {
    let plan = match plan_update(integration, patch, restored_from) {
        Ok(plan) => plan,
        Err(unchanged) => return Ok((*unchanged, None)),
    };
    let integration = &plan.integration;
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
    if plan.tags_changed {
        write_tags(tx, org, seq, &integration.tags).map_err(|e| StoreError::other("writing tags", e))?;
    }
    let previous = match plan.needs_previous_approval(change) {
        true => Some(read_approval(tx, seq, plan.previous_revision)?),
        false => None,
    };
    let approval = plan.approval(change, previous);
    insert_revision(tx, seq, integration, plan.kind, change, restored_from, approval.as_ref())?;
    Ok((plan.integration, Some(plan.kind)))
}

fn hard_delete(
    conn: &mut Connection,
    org: &OrganizationId,
    id: Uuid,
    change: &Change,
) -> Result<(), StoreError> {
    let tx = conn.transaction().map_err(|e| StoreError::other("starting a delete", e))?;
    let (seq, integration) = fetch(&tx, org, id)?;
    check_revision(change, integration.revision)?;
    // Tag and revision rows go with the row (ON DELETE CASCADE).
    tx.execute("DELETE FROM custom_integrations WHERE seq = ?1", [seq])
        .map_err(|e| StoreError::other("deleting an integration", e))?;
    insert_audit_if(&tx, change.integration_event(&integration, None, AuditAction::IntegrationDelete))?;
    tx.commit().map_err(|e| StoreError::other("committing a delete", e))
}

fn list(conn: &Connection, org: &OrganizationId, filter: &ListFilter) -> rusqlite::Result<Vec<Integration>> {
    let rows = all(conn, &integrations(DIALECT, org, filter), integration_from_row)?;
    Ok(rows.into_iter().map(|(_, integration)| integration).collect())
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

    async fn get_integration(&self, org: &OrganizationId, id: Uuid) -> Result<Integration, StoreError> {
        self.pool.read(|conn| fetch(conn, org, id)).map(|(_, integration)| integration)
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

    async fn upsert_integration_by_name(
        &self,
        org: &OrganizationId,
        new: NewIntegration,
        change: Change,
    ) -> Result<(Integration, bool), StoreError> {
        let org = org.clone();
        self.pool.write(move |conn| upsert_by_name(conn, &org, new, &change)).await
    }

    async fn list_integrations(
        &self,
        org: &OrganizationId,
        filter: &ListFilter,
    ) -> Result<Vec<Integration>, StoreError> {
        self.pool
            .read(|conn| list(conn, org, filter))
            .map_err(|e| StoreError::other("listing integrations", e))
    }

    async fn update_integration_with(
        &self,
        org: &OrganizationId,
        id: Uuid,
        patch: IntegrationPatch,
        change: Change,
    ) -> Result<Integration, StoreError> {
        let org = org.clone();
        let unchanged = match patch.status {
            Some(IntegrationStatus::Deleted) => AuditAction::IntegrationDelete,
            _ => AuditAction::IntegrationUpdate,
        };
        self.pool.write(move |conn| update(conn, &org, id, patch, &change, unchanged)).await
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
                DeleteMode::Soft => {
                    let patch =
                        IntegrationPatch { status: Some(IntegrationStatus::Deleted), ..Default::default() };
                    update(conn, &org, id, patch, &change, AuditAction::IntegrationDelete).map(drop)
                }
                DeleteMode::Hard => hard_delete(conn, &org, id, &change),
            })
            .await
    }
}
