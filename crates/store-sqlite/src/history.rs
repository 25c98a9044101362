//! Revisions on SQLite: written inside the integration writes' transactions
//! (`insert_revision`), read back, and rolled back to.
use crate::SqliteStore;
use crate::integrations::{apply, fetch};
use crate::time_codec::{from_micros, micros};
use async_trait::async_trait;
use patchbay_domain::{
    Integration, IntegrationPatch, IntegrationStatus, OrganizationId, Revision, RevisionKind,
};
use patchbay_store::codec::{decode_config, decode_tags, encode_config, encode_tags};
use patchbay_store::{Change, HistoryStore, StoreError, check_revision, failed};
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
    actor: Option<&str>,
    restored_from: Option<i64>,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO integration_revisions (integration_seq, revision, kind, actor, recorded_at, \
         restored_from, name, integration_type, description, status, config, tags, created_at, \
         updated_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?5, ?14)",
    )
    .and_then(|mut insert| {
        insert.execute(params![
            seq,
            integration.revision,
            kind.as_str(),
            actor,
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
        ])
    })
    .map_err(failed("writing a revision"))?;
    Ok(())
}

const COLUMNS: &str = "r.revision, r.kind, r.actor, r.recorded_at, r.restored_from, r.name, \
                       r.integration_type, r.description, r.status, r.config, r.tags, r.created_at, \
                       r.updated_at, r.created_by";

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
    .ok_or(StoreError::NotFound)
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
    let restored = apply(&tx, org, seq, current, patch, change, Some(revision))?;
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
