use crate::PostgresStore;
use crate::audit::insert_audit_if;
use crate::classify::failed;
use crate::history::{insert_revision, read_approval};
use crate::pool::client;
use crate::rows::{COLUMNS, from_row, write_error};
use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use patchbay_domain::{
    AuditAction, Integration, IntegrationPatch, IntegrationStatus, ListFilter, NewIntegration,
    OrganizationId, RevisionKind,
};
use patchbay_store::codec::{contains_pattern, distinct_tags, encode_config, encode_tags};
use patchbay_store::{
    AuditContext, Change, DeleteMode, IntegrationStore, Missing, StoreError, check_revision,
    new_revision_approval, plan_update, replacement,
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
    let sql = format!(
        "SELECT {COLUMNS} FROM custom_integrations WHERE id = $1 AND organization_id = $2{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    let statement = db.prepare_cached(&sql).await.map_err(failed("preparing a read"))?;
    let row = db
        .query_opt(&statement, &[&id, &org.as_str()])
        .await
        .map_err(failed("reading an integration"))?
        .ok_or(StoreError::NotFound(Missing::Integration))?;
    from_row(&row)
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
            "INSERT INTO custom_integration_tags (organization_id, tag, integration_seq) \
             SELECT $1, tag, $2 FROM unnest($3::text[]) AS tag",
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
        INSERT INTO custom_integration_tags (organization_id, tag, integration_seq) \
        SELECT $2, tag, seq FROM created, unnest($12::text[]) AS tag \
    ), audited AS ( \
        INSERT INTO audit_events (organization_id, occurred_at, actor, actor_role, action, \
            resource_type, resource_id, outcome, request_id, detail) \
        SELECT $2, $17, $18, $19, $20, $21, $22, $23, $24, $25 FROM created WHERE $20::text IS NOT NULL \
    ) \
    INSERT INTO integration_revisions (integration_seq, revision, kind, actor, recorded_at, \
        restored_from, name, integration_type, description, status, config, tags, created_at, \
        updated_at, created_by, approval_kind, approved_revision, approved_by, approved_at) \
    SELECT seq, $11, 'create', $10, $9, NULL, $3, $4, $5, $6, $7, $8, $9, $9, $10, $13, $14, $15, $16 \
    FROM created";

async fn create(
    store: &PostgresStore,
    org: &OrganizationId,
    new: NewIntegration,
    audit: Option<AuditContext>,
) -> Result<Integration, StoreError> {
    let db = client(&store.pool).await?;
    insert_new(&db, org, new, audit).await
}

/// The row, its tags, its first revision and its audit event: `INSERT`, one
/// statement, on its own or inside a transaction.
async fn insert_new(
    db: &impl GenericClient,
    org: &OrganizationId,
    new: NewIntegration,
    audit: Option<AuditContext>,
) -> Result<Integration, StoreError> {
    let by_admin = new.created_by_admin;
    let integration = new.into_integration(org.clone());
    let now = integration.created_at;
    let change = Change { actor: integration.created_by.clone(), by_admin, expected_revision: None, audit };
    let approval = new_revision_approval(&change, &integration, None);
    let event =
        change.integration_event(&integration, Some(RevisionKind::Create), AuditAction::IntegrationCreate);
    let event = event.as_ref();
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
            &now,
            &integration.created_by,
            &integration.revision,
            &distinct_tags(&integration.tags),
            &approval.as_ref().map(|a| a.kind.as_str()),
            &approval.as_ref().map(|a| a.revision),
            &approval.as_ref().and_then(|a| a.by.as_deref()),
            &approval.as_ref().map(|a| a.at),
            &event.map(|e| e.occurred_at),
            &event.and_then(|e| e.actor.as_deref()),
            &event.and_then(|e| e.actor_role.as_deref()),
            &event.map(|e| e.action.as_str()),
            &event.map(|e| e.resource_type.as_str()),
            &event.and_then(|e| e.resource_id.as_deref()),
            &event.map(|e| e.outcome.as_str()),
            &event.and_then(|e| e.request_id.as_deref()),
            &event.map(|e| e.detail.as_str()),
        ],
    )
    .await
    .map_err(write_error(&integration.name, "inserting an integration"))?;
    Ok(integration)
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
    let sql = format!(
        "SELECT {COLUMNS} FROM custom_integrations \
         WHERE organization_id = $1 AND name = $2 AND status <> 'deleted' FOR UPDATE"
    );
    let statement = tx.prepare_cached(&sql).await.map_err(failed("preparing a read by name"))?;
    let current = tx
        .query_opt(&statement, &[&org.as_str(), &new.name])
        .await
        .map_err(failed("reading an integration by name"))?;
    let written = match current {
        Some(row) => {
            let (seq, current) = from_row(&row)?;
            let (updated, kind) = apply(&tx, org, seq, current, replacement(&new), change, None).await?;
            let event = change.integration_event(&updated, kind, AuditAction::IntegrationUpdate);
            insert_audit_if(&tx, event).await?;
            (updated, false)
        }
        None => (insert_new(&tx, org, new, change.audit.clone()).await?, true),
    };
    tx.commit().await.map_err(failed("committing an upsert"))?;
    Ok(written)
}

/// `unchanged`: the audit action when the patch changes nothing.
async fn update(
    store: &PostgresStore,
    org: &OrganizationId,
    id: Uuid,
    patch: IntegrationPatch,
    change: &Change,
    unchanged: AuditAction,
) -> Result<Integration, StoreError> {
    let mut db = client(&store.pool).await?;
    let tx = db.transaction().await.map_err(failed("starting an update"))?;
    let (seq, integration) = fetch(&tx, org, id, true).await?;
    // Under the row lock: of writers that saw one revision, one wins.
    check_revision(change, integration.revision)?;
    let (updated, kind) = apply(&tx, org, seq, integration, patch, change, None).await?;
    insert_audit_if(&tx, change.integration_event(&updated, kind, unchanged)).await?;
    tx.commit().await.map_err(failed("committing an update"))?;
    Ok(updated)
}

/// Applies `patch` to the locked row and, when that changes anything,
/// writes it and its revision (a `restore` one when `restored_from` is set);
/// returns the row and the kind of revision written (`None`: nothing was).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn apply(
    tx: &deadpool_postgres::Transaction<'_>,
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
    if plan.tags_changed {
        write_tags(tx, org, seq, &integration.tags).await.map_err(failed("writing tags"))?;
    }
    let previous = match plan.needs_previous_approval(change) {
        true => Some(read_approval(tx, seq, plan.previous_revision).await?),
        false => None,
    };
    let approval = plan.approval(change, previous);
    insert_revision(tx, seq, integration, plan.kind, change, restored_from, approval.as_ref()).await?;
    Ok((plan.integration, Some(plan.kind)))
}

/// SQL text and its numbered arguments, built together. Only the set of
/// filters shapes the text, so a handful of cached statements cover all lists.
struct Query {
    sql: String,
    args: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Query {
    /// Adds an argument and returns its placeholder.
    fn bind(&mut self, value: impl ToSql + Sync + Send + 'static) -> String {
        self.args.push(Box::new(value));
        format!("${}", self.args.len())
    }
}

fn list_query(org: &OrganizationId, filter: &ListFilter) -> Query {
    let mut q = Query { sql: String::new(), args: Vec::new() };
    let org_arg = q.bind(org.as_str().to_owned());
    q.sql = format!("SELECT {COLUMNS} FROM custom_integrations WHERE organization_id = {org_arg}");
    match filter.status {
        Some(status) => {
            let p = q.bind(status.as_str());
            q.sql.push_str(&format!(" AND status = {p}"));
        }
        None => q.sql.push_str(" AND status <> 'deleted'"),
    }
    if let Some(kind) = &filter.integration_type {
        let p = q.bind(kind.clone());
        q.sql.push_str(&format!(" AND integration_type = {p}"));
    }
    if let Some(query) = &filter.query {
        let p = q.bind(contains_pattern(query));
        q.sql.push_str(&format!(" AND (name ILIKE {p} ESCAPE '\\' OR description ILIKE {p} ESCAPE '\\')"));
    }
    if !filter.tags.is_empty() {
        let wanted: Vec<String> = distinct_tags(&filter.tags).into_iter().map(str::to_owned).collect();
        let count = q.bind(wanted.len() as i64);
        let tags = q.bind(wanted);
        q.sql.push_str(&format!(
            " AND seq IN (SELECT integration_seq FROM custom_integration_tags \
             WHERE organization_id = {org_arg} AND tag = ANY({tags}) \
             GROUP BY integration_seq HAVING COUNT(*) = {count})"
        ));
    }
    q.sql.push_str(" ORDER BY created_at DESC, seq DESC");
    // LIMIT NULL is no limit.
    let limit = q.bind(filter.limit.map(i64::from));
    let offset = q.bind(i64::from(filter.offset));
    q.sql.push_str(&format!(" LIMIT {limit} OFFSET {offset}"));
    q
}

async fn list(
    store: &PostgresStore,
    org: &OrganizationId,
    filter: &ListFilter,
) -> Result<Vec<Integration>, StoreError> {
    let q = list_query(org, filter);
    let db = client(&store.pool).await?;
    let statement = db.prepare_cached(&q.sql).await.map_err(failed("preparing a list"))?;
    let args: Vec<&(dyn ToSql + Sync)> = q.args.iter().map(|a| a.as_ref() as _).collect();
    let rows = db.query(&statement, &args).await.map_err(failed("listing integrations"))?;
    rows.iter().map(|row| from_row(row).map(|(_, integration)| integration)).collect()
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

    async fn get_integration(&self, org: &OrganizationId, id: Uuid) -> Result<Integration, StoreError> {
        let db = client(&self.pool).await?;
        fetch(&db, org, id, false).await.map(|(_, integration)| integration)
    }

    async fn get_integration_by_name(
        &self,
        org: &OrganizationId,
        name: &str,
    ) -> Result<Integration, StoreError> {
        let db = client(&self.pool).await?;
        // The live-name partial index answers this.
        let sql = format!(
            "SELECT {COLUMNS} FROM custom_integrations \
             WHERE organization_id = $1 AND name = $2 AND status <> 'deleted'"
        );
        let statement = db.prepare_cached(&sql).await.map_err(failed("preparing a read"))?;
        let row = db
            .query_opt(&statement, &[&org.as_str(), &name])
            .await
            .map_err(failed("reading an integration by name"))?
            .ok_or(StoreError::NotFound(Missing::Integration))?;
        from_row(&row).map(|(_, integration)| integration)
    }

    async fn list_integrations(
        &self,
        org: &OrganizationId,
        filter: &ListFilter,
    ) -> Result<Vec<Integration>, StoreError> {
        list(self, org, filter).await
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
        let unchanged = match patch.status {
            Some(IntegrationStatus::Deleted) => AuditAction::IntegrationDelete,
            _ => AuditAction::IntegrationUpdate,
        };
        update(self, org, id, patch, &change, unchanged).await
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
            DeleteMode::Soft => {
                let patch =
                    IntegrationPatch { status: Some(IntegrationStatus::Deleted), ..Default::default() };
                update(self, org, id, patch, &change, AuditAction::IntegrationDelete).await.map(drop)
            }
            DeleteMode::Hard => hard_delete(self, org, id, &change).await,
        }
    }
}
