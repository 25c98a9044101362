//! Webhooks and their deliveries on PostgreSQL, where several replicas fan
//! out and deliver at once: the fan-out's inserts are `ON CONFLICT (webhook_id,
//! event_id) DO NOTHING`, so a pair two replicas both found is queued once;
//! a claim locks the due rows it takes with `FOR UPDATE SKIP LOCKED` and
//! marks them `delivering` in the same statement, so each attempt goes to
//! one replica and nobody waits for another's rows.
use crate::PostgresStore;
use crate::audit::insert_audit_if;
use crate::classify::failed;
use crate::pool::client;
use crate::sql::{DIALECT, all, read};
use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use patchbay_domain::{AuditAction, OrganizationId};
use patchbay_store::sql::{
    DELIVERY_COLUMNS, WEBHOOK_COLUMNS, candidate_from_row, delivery_from_row, fan_out_candidates,
    webhook_from_row,
};
use patchbay_store::{
    AuditContext, ClaimLimits, DELIVERY_CLAIM, Delivery, DeliveryOutcome, Missing, StoreError, Webhook,
    WebhookStore, delivery_body, encode_events, webhook_event,
};
use time::OffsetDateTime;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

/// How many due deliveries one claim looks at (and locks) before choosing
/// among their organizations.
const CLAIM_SCAN: i64 = 500;

async fn webhook_by_id(
    db: &impl GenericClient,
    org: &OrganizationId,
    id: Uuid,
) -> Result<Option<Webhook>, StoreError> {
    let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1 AND organization_id = $2");
    let statement = db.prepare_cached(&sql).await.map_err(failed("preparing a webhook read"))?;
    let row = db.query_opt(&statement, &[&id, &org.as_str()]).await.map_err(failed("reading a webhook"))?;
    row.map(|row| read(&row, webhook_from_row)).transpose()
}

async fn deliveries(
    db: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    context: &'static str,
) -> Result<Vec<Delivery>, StoreError> {
    let statement = db.prepare_cached(sql).await.map_err(failed("preparing a delivery statement"))?;
    let rows = db.query(&statement, params).await.map_err(failed(context))?;
    rows.iter().map(|row| read(row, delivery_from_row)).collect()
}

/// A count kept in a signed column.
fn signed(value: u32) -> i64 {
    i64::from(value)
}

#[async_trait]
impl WebhookStore for PostgresStore {
    async fn create_webhook(&self, webhook: &Webhook, audit: Option<AuditContext>) -> Result<(), StoreError> {
        let mut db = client(&self.pool).await?;
        let tx = db.transaction().await.map_err(failed("starting a webhook write"))?;
        let sql =
            format!("INSERT INTO webhooks ({WEBHOOK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
        let statement = tx.prepare_cached(&sql).await.map_err(failed("preparing a webhook write"))?;
        tx.execute(
            &statement,
            &[
                &webhook.id,
                &webhook.organization_id.as_str(),
                &webhook.url,
                &encode_events(&webhook.events),
                &webhook.description,
                &webhook.secret.nonce,
                &webhook.secret.ciphertext,
                &webhook.created_at,
                &webhook.created_by,
            ],
        )
        .await
        .map_err(failed("storing a webhook"))?;
        let statement = tx
            .prepare_cached("INSERT INTO webhook_events (webhook_id, action) VALUES ($1, $2)")
            .await
            .map_err(failed("preparing a webhook's events"))?;
        for action in &webhook.events {
            tx.execute(&statement, &[&webhook.id, &action.as_str()])
                .await
                .map_err(failed("storing a webhook's events"))?;
        }
        let event =
            webhook_event(webhook, AuditAction::WebhookCreate, webhook.created_by.clone(), audit.as_ref());
        insert_audit_if(&tx, event).await?;
        tx.commit().await.map_err(failed("committing a webhook"))
    }

    async fn get_webhook(&self, org: &OrganizationId, id: Uuid) -> Result<Webhook, StoreError> {
        let db = client(&self.pool).await?;
        webhook_by_id(&db, org, id).await?.ok_or(StoreError::NotFound(Missing::Webhook))
    }

    async fn list_webhooks(&self, org: &OrganizationId) -> Result<Vec<Webhook>, StoreError> {
        let db = client(&self.pool).await?;
        let sql = format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE organization_id = $1 ORDER BY created_at, id"
        );
        let statement = db.prepare_cached(&sql).await.map_err(failed("preparing a webhook list"))?;
        let rows = db.query(&statement, &[&org.as_str()]).await.map_err(failed("listing webhooks"))?;
        rows.iter().map(|row| read(row, webhook_from_row)).collect()
    }

    async fn delete_webhook(
        &self,
        org: &OrganizationId,
        id: Uuid,
        actor: Option<String>,
        audit: Option<AuditContext>,
    ) -> Result<(), StoreError> {
        let mut db = client(&self.pool).await?;
        let tx = db.transaction().await.map_err(failed("starting a webhook delete"))?;
        let sql = format!(
            "DELETE FROM webhooks WHERE id = $1 AND organization_id = $2 RETURNING {WEBHOOK_COLUMNS}"
        );
        let statement = tx.prepare_cached(&sql).await.map_err(failed("preparing a webhook delete"))?;
        // Its events and deliveries go with it (ON DELETE CASCADE).
        let removed =
            tx.query_opt(&statement, &[&id, &org.as_str()]).await.map_err(failed("deleting a webhook"))?;
        let webhook = read(&removed.ok_or(StoreError::NotFound(Missing::Webhook))?, webhook_from_row)?;
        insert_audit_if(&tx, webhook_event(&webhook, AuditAction::WebhookDelete, actor, audit.as_ref()))
            .await?;
        tx.commit().await.map_err(failed("committing a webhook delete"))
    }

    async fn list_deliveries(
        &self,
        org: &OrganizationId,
        webhook: Uuid,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        let db = client(&self.pool).await?;
        webhook_by_id(&db, org, webhook).await?.ok_or(StoreError::NotFound(Missing::Webhook))?;
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries \
             WHERE webhook_id = $1 AND organization_id = $2 ORDER BY created_at DESC, event_id DESC LIMIT $3"
        );
        deliveries(&db, &sql, &[&webhook, &org.as_str(), &signed(limit)], "listing deliveries").await
    }

    async fn queue_deliveries(
        &self,
        since: OffsetDateTime,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<u64, StoreError> {
        let mut db = client(&self.pool).await?;
        let tx = db.transaction().await.map_err(failed("starting a fan-out"))?;
        let candidates = all(
            &tx,
            &fan_out_candidates(DIALECT, since, limit),
            "finding events to deliver",
            candidate_from_row,
        )
        .await?;
        let statement = tx
            .prepare_cached(
                "INSERT INTO webhook_deliveries (id, webhook_id, organization_id, event_id, event_type, body, \
                     state, attempts, next_attempt_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7) \
                 ON CONFLICT (webhook_id, event_id) DO NOTHING",
            )
            .await
            .map_err(failed("preparing a delivery"))?;
        let mut queued = 0;
        for (event, webhook) in &candidates {
            queued += tx
                .execute(
                    &statement,
                    &[
                        &Uuid::new_v4(),
                        webhook,
                        &event.event.organization_id.as_str(),
                        &event.seq,
                        &event.event.action.as_str(),
                        &delivery_body(event),
                        &now,
                    ],
                )
                .await
                .map_err(failed("queueing a delivery"))?;
        }
        tx.commit().await.map_err(failed("committing a fan-out"))?;
        Ok(queued)
    }

    async fn claim_deliveries(
        &self,
        now: OffsetDateTime,
        limits: &ClaimLimits,
    ) -> Result<Vec<Delivery>, StoreError> {
        let db = client(&self.pool).await?;
        // The innermost select locks up to CLAIM_SCAN due rows, skipping
        // those another claim holds; the window keeps at most
        // `per_organization` of each organization; the outer condition
        // re-checks that a row taken is still due. The ids are gathered
        // into an array, a subquery run once (see `claim_revocations`).
        let due = "((state = 'pending' AND next_attempt_at <= $1) \
                    OR (state = 'delivering' AND claimed_until <= $1))";
        let sql = format!(
            "UPDATE webhook_deliveries \
             SET state = 'delivering', claimed_until = $2, attempts = attempts + 1, last_attempt_at = $1 \
             WHERE id = ANY(ARRAY( \
                 SELECT id FROM ( \
                     SELECT id, due_at, row_number() OVER (PARTITION BY organization_id ORDER BY due_at, id) AS n \
                     FROM (SELECT id, organization_id, \
                                  CASE state WHEN 'pending' THEN next_attempt_at ELSE claimed_until END AS due_at \
                           FROM webhook_deliveries \
                           WHERE {due} AND NOT (organization_id = ANY($5)) \
                           ORDER BY due_at LIMIT $6 FOR UPDATE SKIP LOCKED) locked) ranked \
                 WHERE n <= $4 ORDER BY due_at LIMIT $3)) \
               AND {due} \
             RETURNING {DELIVERY_COLUMNS}"
        );
        let skip: Vec<&str> = limits.skip.iter().map(OrganizationId::as_str).collect();
        let params: [&(dyn ToSql + Sync); 6] = [
            &now,
            &(now + DELIVERY_CLAIM),
            &signed(limits.total),
            &signed(limits.per_organization),
            &skip,
            &CLAIM_SCAN,
        ];
        deliveries(&db, &sql, &params, "claiming deliveries").await
    }

    async fn finish_delivery(
        &self,
        org: &OrganizationId,
        id: Uuid,
        outcome: DeliveryOutcome,
        now: OffsetDateTime,
    ) -> Result<Option<Delivery>, StoreError> {
        let db = client(&self.pool).await?;
        let finished = match &outcome {
            DeliveryOutcome::Delivered { status } => {
                let sql = format!(
                    "UPDATE webhook_deliveries SET state = 'delivered', delivered_at = $3, last_status = $4, \
                         last_error = NULL, next_attempt_at = NULL, claimed_until = NULL \
                     WHERE id = $1 AND organization_id = $2 AND state = 'delivering' \
                     RETURNING {DELIVERY_COLUMNS}"
                );
                let params: [&(dyn ToSql + Sync); 4] = [&id, &org.as_str(), &now, &i32::from(*status)];
                deliveries(&db, &sql, &params, "recording a delivery").await?
            }
            DeliveryOutcome::Failed { status, error, retry_at } => {
                let sql = format!(
                    "UPDATE webhook_deliveries \
                     SET state = CASE WHEN $3::timestamptz IS NULL THEN 'failed' ELSE 'pending' END, \
                         next_attempt_at = $3, last_status = $4, last_error = $5, claimed_until = NULL \
                     WHERE id = $1 AND organization_id = $2 AND state = 'delivering' \
                     RETURNING {DELIVERY_COLUMNS}"
                );
                let status = status.map(i32::from);
                let params: [&(dyn ToSql + Sync); 5] = [&id, &org.as_str(), retry_at, &status, error];
                deliveries(&db, &sql, &params, "recording a failed delivery").await?
            }
        };
        if let Some(delivery) = finished.into_iter().next() {
            return Ok(Some(delivery));
        }
        // Taken over and finished by another caller, or its webhook is gone.
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1 AND organization_id = $2"
        );
        Ok(deliveries(&db, &sql, &[&id, &org.as_str()], "reading a delivery").await?.into_iter().next())
    }
}
