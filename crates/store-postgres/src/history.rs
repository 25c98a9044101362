//! Revisions on PostgreSQL: written inside the integration writes'
//! transactions (`insert_revision`), read back, and rolled back to.
use crate::PostgresStore;
use crate::audit::insert_audit_if;
use crate::classify::failed;
use crate::integrations::{fetch, fetch_current, persist};
use crate::pool::client;
use crate::sql::{DIALECT, all, read};
use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use patchbay_domain::{Integration, OrganizationId, Revision, now_utc};
use patchbay_store::sql::{REVISION_COLUMNS, revision_from_row, revisions};
use patchbay_store::{
    Change, HistoryStore, Missing, RevisionRecord, StoreError, approval_event, check_revision, plan_update,
    restore_patch,
};
use uuid::Uuid;

/// Records row `seq` as the write in progress left it, as its revision of
/// the row's own number: the snapshot is copied from the row, so it cannot
/// differ from what was written.
pub(crate) async fn insert_revision(
    db: &impl GenericClient,
    seq: i64,
    record: &RevisionRecord,
) -> Result<(), StoreError> {
    let statement = db
        .prepare_cached(
            "INSERT INTO integration_revisions (integration_seq, revision, kind, actor, recorded_at, \
             restored_from, name, integration_type, description, status, config, tags, created_at, \
             updated_at, created_by, approval_kind, approved_revision, approved_by, approved_at) \
             SELECT seq, revision, $2, $3, updated_at, $4, name, integration_type, description, status, \
             config, tags, created_at, updated_at, created_by, $5, $6, $7, $8 \
             FROM custom_integrations WHERE seq = $1",
        )
        .await
        .map_err(failed("preparing a revision write"))?;
    let approval = record.approval.as_ref();
    db.execute(
        &statement,
        &[
            &seq,
            &record.kind.as_str(),
            &record.actor,
            &record.restored_from,
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

async fn read_revision(
    db: &impl GenericClient,
    org: &OrganizationId,
    id: Uuid,
    seq: i64,
    revision: i64,
) -> Result<Revision, StoreError> {
    let sql = format!(
        "SELECT {REVISION_COLUMNS} FROM integration_revisions WHERE integration_seq = $1 AND revision = $2"
    );
    let statement = db.prepare_cached(&sql).await.map_err(failed("preparing a revision read"))?;
    let row = db
        .query_opt(&statement, &[&seq, &revision])
        .await
        .map_err(failed("reading a revision"))?
        .ok_or(StoreError::NotFound(Missing::Revision(revision)))?;
    read(&row, |row| revision_from_row(id, org, row))
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
        let query = revisions(DIALECT, seq, limit, offset);
        all(&db, &query, "listing revisions", |row| revision_from_row(id, org, row)).await
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
        let (seq, current) = fetch_current(&tx, org, id).await?;
        check_revision(&change, current.integration.revision)?;
        let target = read_revision(&tx, org, id, seq, revision).await?.snapshot;
        let write = plan_update(current, restore_patch(target), &change, Some(revision));
        let restored = persist(&tx, org, seq, write).await?;
        tx.commit().await.map_err(failed("committing a restore"))?;
        Ok(restored)
    }
}
