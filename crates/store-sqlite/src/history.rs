//! Revisions on SQLite: written inside the integration writes' transactions
//! (`insert_revision`), read back, and rolled back to.
use crate::SqliteStore;
use crate::audit::insert_audit_if;
use crate::integrations::{fetch, fetch_current, persist};
use crate::sql::{DIALECT, all, read};
use crate::time_codec::micros;
use async_trait::async_trait;
use patchbay_domain::{Integration, OrganizationId, Revision, now_utc};
use patchbay_store::sql::{REVISION_COLUMNS, revision_from_row, revisions};
use patchbay_store::{
    Change, HistoryStore, Missing, RevisionRecord, StoreError, approval_event, check_revision, failed,
    plan_update, restore_patch,
};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

/// Records row `seq` as the write in progress left it, as its revision of
/// the row's own number: the snapshot is copied from the row, so it cannot
/// differ from what was written.
pub(crate) fn insert_revision(tx: &Connection, seq: i64, record: &RevisionRecord) -> Result<(), StoreError> {
    let approval = record.approval.as_ref();
    tx.prepare_cached(
        "INSERT INTO integration_revisions (integration_seq, revision, kind, actor, recorded_at, \
         restored_from, name, integration_type, description, status, config, tags, created_at, \
         updated_at, created_by, approval_kind, approved_revision, approved_by, approved_at) \
         SELECT seq, revision, ?2, ?3, updated_at, ?4, name, integration_type, description, status, \
         config, tags, created_at, updated_at, created_by, ?5, ?6, ?7, ?8 \
         FROM custom_integrations WHERE seq = ?1",
    )
    .and_then(|mut insert| {
        insert.execute(params![
            seq,
            record.kind.as_str(),
            record.actor,
            record.restored_from,
            approval.map(|a| a.kind.as_str()),
            approval.map(|a| a.revision),
            approval.and_then(|a| a.by.as_deref()),
            approval.map(|a| micros(a.at)),
        ])
    })
    .map_err(failed("writing a revision"))?;
    Ok(())
}

/// Marks revision `revision` approved by `change.actor`, unless it is
/// approved already, with the change's audit event.
fn approve(
    conn: &mut Connection,
    org: &OrganizationId,
    id: Uuid,
    revision: i64,
    change: &Change,
) -> Result<Revision, StoreError> {
    let tx = conn.savepoint().map_err(failed("starting an approval"))?;
    let (seq, _) = fetch(&tx, org, id)?;
    tx.execute(
        "UPDATE integration_revisions SET approval_kind = 'approved', approved_revision = revision, \
         approved_by = ?3, approved_at = ?4 \
         WHERE integration_seq = ?1 AND revision = ?2 AND approval_kind IS NULL",
        params![seq, revision, change.actor, micros(now_utc())],
    )
    .map_err(failed("approving a revision"))?;
    let approved = read_revision(&tx, org, id, seq, revision)?;
    insert_audit_if(&tx, approval_event(change, &approved))?;
    tx.commit().map_err(failed("committing an approval"))?;
    Ok(approved)
}

fn read_revision(
    conn: &Connection,
    org: &OrganizationId,
    id: Uuid,
    seq: i64,
    revision: i64,
) -> Result<Revision, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {REVISION_COLUMNS} FROM integration_revisions WHERE integration_seq = ?1 AND revision = ?2"
    ))
    .and_then(|mut s| {
        s.query_row(params![seq, revision], read(|row| revision_from_row(id, org, row))).optional()
    })
    .map_err(failed("reading a revision"))?
    .ok_or(StoreError::NotFound(Missing::Revision(revision)))
}

fn list(
    conn: &Connection,
    org: &OrganizationId,
    id: Uuid,
    limit: Option<u32>,
    offset: u32,
) -> Result<Vec<Revision>, StoreError> {
    let (seq, _) = fetch(conn, org, id)?;
    all(conn, &revisions(DIALECT, seq, limit, offset), |row| revision_from_row(id, org, row))
        .map_err(failed("listing revisions"))
}

fn restore(
    conn: &mut Connection,
    org: &OrganizationId,
    id: Uuid,
    revision: i64,
    change: &Change,
) -> Result<Integration, StoreError> {
    let tx = conn.savepoint().map_err(failed("starting a restore"))?;
    let (seq, current) = fetch_current(&tx, org, id)?;
    check_revision(change, current.integration.revision)?;
    let target = read_revision(&tx, org, id, seq, revision)?.snapshot;
    let write = plan_update(current, restore_patch(target), change, Some(revision));
    let restored = persist(&tx, org, seq, write)?;
    tx.commit().map_err(failed("committing a restore"))?;
    Ok(restored)
}

#[async_trait]
impl HistoryStore for SqliteStore {
    async fn list_revisions(
        &self,
        org: &OrganizationId,
        id: Uuid,
        limit: Option<u32>,
        offset: u32,
    ) -> Result<Vec<Revision>, StoreError> {
        let org = org.clone();
        self.pool.scan(move |conn| list(conn, &org, id, limit, offset)).await
    }

    async fn get_revision(
        &self,
        org: &OrganizationId,
        id: Uuid,
        revision: i64,
    ) -> Result<Revision, StoreError> {
        self.pool.read(|conn| {
            let (seq, _) = fetch(conn, org, id)?;
            read_revision(conn, org, id, seq, revision)
        })
    }

    async fn approve_revision(
        &self,
        org: &OrganizationId,
        id: Uuid,
        revision: i64,
        change: Change,
    ) -> Result<Revision, StoreError> {
        let org = org.clone();
        self.pool.write(move |conn| approve(conn, &org, id, revision, &change)).await
    }

    async fn restore_revision(
        &self,
        org: &OrganizationId,
        id: Uuid,
        revision: i64,
        change: Change,
    ) -> Result<Integration, StoreError> {
        let org = org.clone();
        self.pool.write(move |conn| restore(conn, &org, id, revision, &change)).await
    }
}
