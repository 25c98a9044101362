//! Revisions on PostgreSQL: written inside the integration writes'
//! transactions (`insert_revision`), read back, and rolled back to.
use crate::PostgresStore;
use crate::audit::insert_audit_if;
use crate::classify::failed;
use crate::integrations::{apply, fetch};
use crate::pool::client;
use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use patchbay_domain::{
    Approval, ApprovalKind, AuditAction, Integration, IntegrationPatch, IntegrationStatus, OrganizationId,
    Revision, RevisionKind, now_utc,
};
use patchbay_store::codec::{decode_config, decode_tags, encode_config, encode_tags};
use patchbay_store::{Change, HistoryStore, Missing, StoreError, approval_event, check_revision};
use tokio_postgres::Row;
use uuid::Uuid;

/// Records `integration` as it now is, as revision `integration.revision`.
pub(crate) async fn insert_revision(
    db: &impl GenericClient,
    seq: i64,
    integration: &Integration,
    kind: RevisionKind,
    change: &Change,
    restored_from: Option<i64>,
    approval: Option<&Approval>,
) -> Result<(), StoreError> {
    let statement = db
        .prepare_cached(
            "INSERT INTO integration_revisions (integration_seq, revision, kind, actor, recorded_at, \
             restored_from, name, integration_type, description, status, config, tags, created_at, \
             updated_at, created_by, approval_kind, approved_revision, approved_by, approved_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $5, $14, $15, $16, $17, $18)",
        )
        .await
        .map_err(failed("preparing a revision write"))?;
    db.execute(
        &statement,
        &[
            &seq,
            &integration.revision,
            &kind.as_str(),
            &change.actor,
            &integration.updated_at,
            &restored_from,
            &integration.name,
            &integration.integration_type,
            &integration.description,
            &integration.status.as_str(),
            &encode_config(&integration.config),
            &encode_tags(&integration.tags),
            &integration.created_at,
            &integration.created_by,
            &approval.map(|a| a.kind.as_str()),
            &approval.map(|a| a.revision),
            &approval.and_then(|a| a.by.as_deref()),
            &approval.map(|a| a.at),
        ],
    )
    .await
    .map_err(failed("writing a revision"))?;
    Ok(())
}

const COLUMNS: &str = "revision, kind, actor, recorded_at, restored_from, name, integration_type, \
                       description, status, config, tags, created_at, updated_at, created_by, \
                       approval_kind, approved_revision, approved_by, approved_at";

/// The approval in the four approval columns starting at `first`.
fn approval_from_row(row: &Row, first: usize) -> Result<Option<Approval>, StoreError> {
    let Some(kind) = column::<Option<&str>>(row, first)? else { return Ok(None) };
    let kind = ApprovalKind::parse(kind)
        .ok_or_else(|| StoreError::other("stored approval kind", kind.to_owned()))?;
    Ok(Some(Approval {
        kind,
        revision: column(row, first + 1)?,
        by: column(row, first + 2)?,
        at: column(row, first + 3)?,
    }))
}

/// The approval revision `revision` was stored with (`None`: not approved).
pub(crate) async fn read_approval(
    db: &impl GenericClient,
    seq: i64,
    revision: i64,
) -> Result<Option<Approval>, StoreError> {
    let statement = db
        .prepare_cached(
            "SELECT approval_kind, approved_revision, approved_by, approved_at FROM integration_revisions \
             WHERE integration_seq = $1 AND revision = $2",
        )
        .await
        .map_err(failed("preparing an approval read"))?;
    let row = db.query_opt(&statement, &[&seq, &revision]).await.map_err(failed("reading an approval"))?;
    row.map_or(Ok(None), |row| approval_from_row(&row, 0))
}

fn column<'a, T: tokio_postgres::types::FromSql<'a>>(row: &'a Row, index: usize) -> Result<T, StoreError> {
    row.try_get(index).map_err(|e| StoreError::other("reading a revision column", e))
}

fn revision_from_row(id: Uuid, org: &OrganizationId, row: &Row) -> Result<Revision, StoreError> {
    let kind: &str = column(row, 1)?;
    let status: &str = column(row, 8)?;
    Ok(Revision {
        kind: RevisionKind::parse(kind)
            .ok_or_else(|| StoreError::other("stored revision kind", kind.to_owned()))?,
        actor: column(row, 2)?,
        created_at: column(row, 3)?,
        restored_from: column(row, 4)?,
        approval: approval_from_row(row, 14)?,
        snapshot: Integration {
            id,
            organization_id: org.clone(),
            name: column(row, 5)?,
            integration_type: column(row, 6)?,
            description: column(row, 7)?,
            status: IntegrationStatus::parse(status)
                .ok_or_else(|| StoreError::other("stored status", status.to_owned()))?,
            config: decode_config(column(row, 9)?)?,
            tags: decode_tags(column(row, 10)?)?,
            created_at: column(row, 11)?,
            updated_at: column(row, 12)?,
            created_by: column(row, 13)?,
            revision: column(row, 0)?,
        },
    })
}

async fn read_revision(
    db: &impl GenericClient,
    org: &OrganizationId,
    id: Uuid,
    seq: i64,
    revision: i64,
) -> Result<Revision, StoreError> {
    let sql =
        format!("SELECT {COLUMNS} FROM integration_revisions WHERE integration_seq = $1 AND revision = $2");
    let statement = db.prepare_cached(&sql).await.map_err(failed("preparing a revision read"))?;
    let row = db
        .query_opt(&statement, &[&seq, &revision])
        .await
        .map_err(failed("reading a revision"))?
        .ok_or(StoreError::NotFound(Missing::Revision(revision)))?;
    revision_from_row(id, org, &row)
}

#[async_trait]
impl HistoryStore for PostgresStore {
    async fn list_revisions(
        &self,
        org: &OrganizationId,
        id: Uuid,
        limit: Option<u32>,
        offset: u32,
    ) -> Result<Vec<Revision>, StoreError> {
        let db = client(&self.pool).await?;
        let (seq, _) = fetch(&db, org, id, false).await?;
        // LIMIT NULL is no limit.
        let sql = format!(
            "SELECT {COLUMNS} FROM integration_revisions WHERE integration_seq = $1 \
             ORDER BY revision DESC LIMIT $2 OFFSET $3"
        );
        let statement = db.prepare_cached(&sql).await.map_err(failed("preparing a revision list"))?;
        let rows = db
            .query(&statement, &[&seq, &limit.map(i64::from), &i64::from(offset)])
            .await
            .map_err(failed("listing revisions"))?;
        rows.iter().map(|row| revision_from_row(id, org, row)).collect()
    }

    async fn get_revision(
        &self,
        org: &OrganizationId,
        id: Uuid,
        revision: i64,
    ) -> Result<Revision, StoreError> {
        let db = client(&self.pool).await?;
        let (seq, _) = fetch(&db, org, id, false).await?;
        read_revision(&db, org, id, seq, revision).await
    }

    async fn approve_revision(
        &self,
        org: &OrganizationId,
        id: Uuid,
        revision: i64,
        change: Change,
    ) -> Result<Revision, StoreError> {
        let mut db = client(&self.pool).await?;
        let tx = db.transaction().await.map_err(failed("starting an approval"))?;
        let (seq, _) = fetch(&tx, org, id, true).await?;
        let statement = tx
            .prepare_cached(
                "UPDATE integration_revisions SET approval_kind = 'approved', approved_revision = revision, \
                 approved_by = $3, approved_at = $4 \
                 WHERE integration_seq = $1 AND revision = $2 AND approval_kind IS NULL",
            )
            .await
            .map_err(failed("preparing an approval"))?;
        tx.execute(&statement, &[&seq, &revision, &change.actor, &now_utc()])
            .await
            .map_err(failed("approving a revision"))?;
        let approved = read_revision(&tx, org, id, seq, revision).await?;
        insert_audit_if(&tx, approval_event(&change, &approved)).await?;
        tx.commit().await.map_err(failed("committing an approval"))?;
        Ok(approved)
    }

    async fn restore_revision(
        &self,
        org: &OrganizationId,
        id: Uuid,
        revision: i64,
        change: Change,
    ) -> Result<Integration, StoreError> {
        let mut db = client(&self.pool).await?;
        let tx = db.transaction().await.map_err(failed("starting a restore"))?;
        let (seq, current) = fetch(&tx, org, id, true).await?;
        check_revision(&change, current.revision)?;
        let target = read_revision(&tx, org, id, seq, revision).await?.snapshot;
        let patch = IntegrationPatch {
            name: Some(target.name),
            integration_type: Some(target.integration_type),
            clear_description: target.description.is_none(),
            description: target.description,
            config: Some(target.config),
            status: Some(target.status),
            tags: Some(target.tags),
        };
        let (restored, kind) = apply(&tx, org, seq, current, patch, &change, Some(revision)).await?;
        let event = change.integration_event(&restored, kind, AuditAction::IntegrationRestore);
        insert_audit_if(&tx, event).await?;
        tx.commit().await.map_err(failed("committing a restore"))?;
        Ok(restored)
    }
}
