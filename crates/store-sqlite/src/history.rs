//! Revisions on SQLite: written inside the integration writes' transactions
//! (`insert_revision`), read back, and rolled back to.
use crate::SqliteStore;
use crate::audit::insert_audit_if;
use crate::integrations::{apply, fetch};
use crate::time_codec::{from_micros, micros};
use async_trait::async_trait;
use patchbay_domain::{
    Approval, ApprovalKind, AuditAction, Integration, IntegrationPatch, IntegrationStatus, OrganizationId,
    Revision, RevisionKind, now_utc,
};
use patchbay_store::codec::{decode_config, decode_tags, encode_config, encode_tags};
use patchbay_store::{Change, HistoryStore, Missing, StoreError, approval_event, check_revision, failed};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use uuid::Uuid;

fn conversion(e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

/// Records `integration` as it now is, as revision `integration.revision`.
pub(crate) fn insert_revision(
    tx: &Transaction<'_>,
    seq: i64,
    integration: &Integration,
    kind: RevisionKind,
    change: &Change,
    restored_from: Option<i64>,
    approval: Option<&Approval>,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO integration_revisions (integration_seq, revision, kind, actor, recorded_at, \
         restored_from, name, integration_type, description, status, config, tags, created_at, \
         updated_at, created_by, approval_kind, approved_revision, approved_by, approved_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?5, ?14, ?15, ?16, ?17, ?18)",
    )
    .and_then(|mut insert| {
        insert.execute(params![
            seq,
            integration.revision,
            kind.as_str(),
            change.actor,
            micros(integration.updated_at),
            restored_from,
            integration.name,
            integration.integration_type,
            integration.description,
            integration.status.as_str(),
            encode_config(&integration.config),
            encode_tags(&integration.tags),
            micros(integration.created_at),
            integration.created_by,
            approval.map(|a| a.kind.as_str()),
            approval.map(|a| a.revision),
            approval.and_then(|a| a.by.as_deref()),
            approval.map(|a| micros(a.at)),
        ])
    })
    .map_err(failed("writing a revision"))?;
    Ok(())
}

const COLUMNS: &str = "r.revision, r.kind, r.actor, r.recorded_at, r.restored_from, r.name, \
                       r.integration_type, r.description, r.status, r.config, r.tags, r.created_at, \
                       r.updated_at, r.created_by, r.approval_kind, r.approved_revision, r.approved_by, \
                       r.approved_at";

/// The approval in the four approval columns starting at `first`.
fn approval_from_row(row: &Row<'_>, first: usize) -> rusqlite::Result<Option<Approval>> {
    let Some(kind) = row.get::<_, Option<String>>(first)? else { return Ok(None) };
    let kind = ApprovalKind::parse(&kind)
        .ok_or_else(|| conversion(StoreError::other("stored approval kind", kind.clone())))?;
    Ok(Some(Approval {
        kind,
        revision: row.get(first + 1)?,
        by: row.get(first + 2)?,
        at: from_micros(row.get(first + 3)?)?,
    }))
}

fn revision_from_row(id: Uuid, org: &OrganizationId, row: &Row<'_>) -> rusqlite::Result<Revision> {
    let kind: String = row.get(1)?;
    let status: String = row.get(8)?;
    let config: String = row.get(9)?;
    let tags: String = row.get(10)?;
    let bad = |what: &'static str, value: String| conversion(StoreError::other(what, value));
    Ok(Revision {
        kind: RevisionKind::parse(&kind).ok_or_else(|| bad("stored revision kind", kind.clone()))?,
        actor: row.get(2)?,
        created_at: from_micros(row.get(3)?)?,
        restored_from: row.get(4)?,
        approval: approval_from_row(row, 14)?,
        snapshot: Integration {
            id,
            organization_id: org.clone(),
            name: row.get(5)?,
            integration_type: row.get(6)?,
            description: row.get(7)?,
            status: IntegrationStatus::parse(&status).ok_or_else(|| bad("stored status", status.clone()))?,
            config: decode_config(&config).map_err(conversion)?,
            tags: decode_tags(&tags).map_err(conversion)?,
            created_at: from_micros(row.get(11)?)?,
            updated_at: from_micros(row.get(12)?)?,
            created_by: row.get(13)?,
            revision: row.get(0)?,
        },
    })
}

/// The approval revision `revision` was stored with (`None`: not approved).
pub(crate) fn read_approval(
    conn: &Connection,
    seq: i64,
    revision: i64,
) -> Result<Option<Approval>, StoreError> {
    conn.prepare_cached(
        "SELECT approval_kind, approved_revision, approved_by, approved_at FROM integration_revisions \
         WHERE integration_seq = ?1 AND revision = ?2",
    )
    .and_then(|mut s| s.query_row(params![seq, revision], |row| approval_from_row(row, 0)).optional())
    .map_err(failed("reading an approval"))
    .map(Option::flatten)
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
    let tx = conn.transaction().map_err(failed("starting an approval"))?;
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
        "SELECT {COLUMNS} FROM integration_revisions r WHERE r.integration_seq = ?1 AND r.revision = ?2"
    ))
    .and_then(|mut s| s.query_row(params![seq, revision], |row| revision_from_row(id, org, row)).optional())
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
    let read = || -> rusqlite::Result<Vec<Revision>> {
        let mut statement = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM integration_revisions r WHERE r.integration_seq = ?1 \
             ORDER BY r.revision DESC LIMIT ?2 OFFSET ?3"
        ))?;
        let limit = limit.map_or(-1, i64::from);
        let rows = statement.query_map(params![seq, limit, offset], |row| revision_from_row(id, org, row))?;
        rows.collect()
    };
    read().map_err(failed("listing revisions"))
}

fn restore(
    conn: &mut Connection,
    org: &OrganizationId,
    id: Uuid,
    revision: i64,
    change: &Change,
) -> Result<Integration, StoreError> {
    let tx = conn.transaction().map_err(failed("starting a restore"))?;
    let (seq, current) = fetch(&tx, org, id)?;
    check_revision(change, current.revision)?;
    let target = read_revision(&tx, org, id, seq, revision)?.snapshot;
    let patch = IntegrationPatch {
        name: Some(target.name),
        integration_type: Some(target.integration_type),
        clear_description: target.description.is_none(),
        description: target.description,
        config: Some(target.config),
        status: Some(target.status),
        tags: Some(target.tags),
    };
    let (restored, kind) = apply(&tx, org, seq, current, patch, change, Some(revision))?;
    insert_audit_if(&tx, change.integration_event(&restored, kind, AuditAction::IntegrationRestore))?;
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
        self.pool.read(|conn| list(conn, org, id, limit, offset))
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
