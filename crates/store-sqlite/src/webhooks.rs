//! Webhooks and their deliveries on SQLite. The fan-out and the claims run
//! on the one writer connection, so a claim — a single `UPDATE ...
//! RETURNING` — hands each delivery to exactly one caller by construction,
//! and the fan-out's look for what is missing and its inserts see no one
//! else's writes between them.
use crate::SqliteStore;
use crate::audit::insert_audit_if;
use crate::sql::{DIALECT, all, read};
use crate::time_codec::micros;
use async_trait::async_trait;
use patchbay_domain::{AuditAction, OrganizationId};
use patchbay_store::sql::{
    DELIVERY_COLUMNS, WEBHOOK_COLUMNS, candidate_from_row, delivery_from_row, fan_out_candidates,
    webhook_from_row,
};
use patchbay_store::{
    AuditContext, ClaimLimits, DELIVERY_CLAIM, Delivery, DeliveryOutcome, Missing, StoreError, Webhook,
    WebhookStore, delivery_body, encode_events, failed, webhook_event,
};
use rusqlite::{Connection, OptionalExtension, params};
use time::OffsetDateTime;
use uuid::Uuid;

fn webhook_by_id(conn: &Connection, org: &OrganizationId, id: Uuid) -> Result<Option<Webhook>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = ?1 AND organization_id = ?2"
    ))
    .and_then(|mut s| s.query_row(params![id.to_string(), org.as_str()], read(webhook_from_row)).optional())
    .map_err(failed("reading a webhook"))
}

fn create(conn: &mut Connection, webhook: &Webhook, audit: Option<AuditContext>) -> Result<(), StoreError> {
    let tx = conn.savepoint().map_err(failed("starting a webhook write"))?;
    tx.prepare_cached(&format!(
        "INSERT INTO webhooks ({WEBHOOK_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    ))
    .and_then(|mut s| {
        s.execute(params![
            webhook.id.to_string(),
            webhook.organization_id.as_str(),
            webhook.url,
            encode_events(&webhook.events),
            webhook.description,
            webhook.secret.nonce,
            webhook.secret.ciphertext,
            micros(webhook.created_at),
            webhook.created_by,
        ])
    })
    .map_err(failed("storing a webhook"))?;
    for action in &webhook.events {
        tx.prepare_cached("INSERT INTO webhook_events (webhook_id, action) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![webhook.id.to_string(), action.as_str()]))
            .map_err(failed("storing a webhook's events"))?;
    }
    let event =
        webhook_event(webhook, AuditAction::WebhookCreate, webhook.created_by.clone(), audit.as_ref());
    insert_audit_if(&tx, event)?;
    tx.commit().map_err(failed("committing a webhook"))
}

fn delete(
    conn: &mut Connection,
    org: &OrganizationId,
    id: Uuid,
    actor: Option<String>,
    audit: Option<AuditContext>,
) -> Result<(), StoreError> {
    let tx = conn.savepoint().map_err(failed("starting a webhook delete"))?;
    let webhook = webhook_by_id(&tx, org, id)?.ok_or(StoreError::NotFound(Missing::Webhook))?;
    // Its events and deliveries go with it (ON DELETE CASCADE).
    tx.execute("DELETE FROM webhooks WHERE id = ?1", params![id.to_string()])
        .map_err(failed("deleting a webhook"))?;
    insert_audit_if(&tx, webhook_event(&webhook, AuditAction::WebhookDelete, actor, audit.as_ref()))?;
    tx.commit().map_err(failed("committing a webhook delete"))
}

fn queue(
    conn: &mut Connection,
    since: OffsetDateTime,
    now: OffsetDateTime,
    limit: u32,
) -> Result<u64, StoreError> {
    let tx = conn.savepoint().map_err(failed("starting a fan-out"))?;
    let candidates = all(&tx, &fan_out_candidates(DIALECT, since, limit), candidate_from_row)
        .map_err(failed("finding events to deliver"))?;
    let mut queued = 0;
    for (event, webhook) in &candidates {
        queued += tx
            .prepare_cached(
                "INSERT INTO webhook_deliveries (id, webhook_id, organization_id, event_id, event_type, body, \
                     state, attempts, next_attempt_at, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 0, ?7, ?7) \
                 ON CONFLICT (webhook_id, event_id) DO NOTHING",
            )
            .and_then(|mut s| {
                s.execute(params![
                    Uuid::new_v4().to_string(),
                    webhook.to_string(),
                    event.event.organization_id.as_str(),
                    event.seq,
                    event.event.action.as_str(),
                    delivery_body(event),
                    micros(now),
                ])
            })
            .map_err(failed("queueing a delivery"))? as u64;
    }
    tx.commit().map_err(failed("committing a fan-out"))?;
    Ok(queued)
}

fn claim(
    conn: &mut Connection,
    now: OffsetDateTime,
    limits: &ClaimLimits,
) -> Result<Vec<Delivery>, StoreError> {
    let skip: Vec<&str> = limits.skip.iter().map(OrganizationId::as_str).collect();
    let skip = serde_json::to_string(&skip).map_err(|e| StoreError::other("encoding organizations", e))?;
    // Oldest due first, at most `per_organization` of each organization.
    conn.prepare_cached(&format!(
        "UPDATE webhook_deliveries \
         SET state = 'delivering', claimed_until = ?2, attempts = attempts + 1, last_attempt_at = ?1 \
         WHERE id IN (SELECT id FROM ( \
             SELECT id, due_at, ROW_NUMBER() OVER (PARTITION BY organization_id ORDER BY due_at, id) AS n \
             FROM (SELECT id, organization_id, \
                          CASE state WHEN 'pending' THEN next_attempt_at ELSE claimed_until END AS due_at \
                   FROM webhook_deliveries \
                   WHERE ((state = 'pending' AND next_attempt_at <= ?1) \
                          OR (state = 'delivering' AND claimed_until <= ?1)) \
                     AND organization_id NOT IN (SELECT value FROM json_each(?5)))) \
             WHERE n <= ?4 ORDER BY due_at LIMIT (?3 + 0)) \
         RETURNING {DELIVERY_COLUMNS}"
    ))
    .and_then(|mut s| {
        s.query_map(
            params![micros(now), micros(now + DELIVERY_CLAIM), limits.total, limits.per_organization, skip],
            read(delivery_from_row),
        )?
        .collect()
    })
    .map_err(failed("claiming deliveries"))
}

fn finish(
    conn: &mut Connection,
    org: &OrganizationId,
    id: Uuid,
    outcome: &DeliveryOutcome,
    now: OffsetDateTime,
) -> Result<Option<Delivery>, StoreError> {
    let (id, org) = (id.to_string(), org.as_str());
    let finished = match outcome {
        DeliveryOutcome::Delivered { status } => conn
            .prepare_cached(&format!(
                "UPDATE webhook_deliveries SET state = 'delivered', delivered_at = ?3, last_status = ?4, \
                     last_error = NULL, next_attempt_at = NULL, claimed_until = NULL \
                 WHERE id = ?1 AND organization_id = ?2 AND state = 'delivering' \
                 RETURNING {DELIVERY_COLUMNS}"
            ))
            .and_then(|mut s| {
                s.query_row(params![id, org, micros(now), status], read(delivery_from_row)).optional()
            }),
        DeliveryOutcome::Failed { status, error, retry_at } => conn
            .prepare_cached(&format!(
                "UPDATE webhook_deliveries SET state = CASE WHEN ?3 IS NULL THEN 'failed' ELSE 'pending' END, \
                     next_attempt_at = ?3, last_status = ?4, last_error = ?5, claimed_until = NULL \
                 WHERE id = ?1 AND organization_id = ?2 AND state = 'delivering' \
                 RETURNING {DELIVERY_COLUMNS}"
            ))
            .and_then(|mut s| {
                s.query_row(params![id, org, retry_at.map(micros), status, error], read(delivery_from_row))
                    .optional()
            }),
    }
    .map_err(failed("recording a delivery attempt"))?;
    if finished.is_some() {
        return Ok(finished);
    }
    // Taken over and finished by another caller, or its webhook is gone.
    conn.prepare_cached(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = ?1 AND organization_id = ?2"
    ))
    .and_then(|mut s| s.query_row(params![id, org], read(delivery_from_row)).optional())
    .map_err(failed("reading a delivery"))
}

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn create_webhook(&self, webhook: &Webhook, audit: Option<AuditContext>) -> Result<(), StoreError> {
        let webhook = webhook.clone();
        self.pool.write(move |conn| create(conn, &webhook, audit)).await
    }

    async fn get_webhook(&self, org: &OrganizationId, id: Uuid) -> Result<Webhook, StoreError> {
        self.pool.read(|conn| webhook_by_id(conn, org, id))?.ok_or(StoreError::NotFound(Missing::Webhook))
    }

    async fn list_webhooks(&self, org: &OrganizationId) -> Result<Vec<Webhook>, StoreError> {
        self.pool
            .read(|conn| {
                conn.prepare_cached(&format!(
                    "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE organization_id = ?1 ORDER BY created_at, id"
                ))?
                .query_map([org.as_str()], read(webhook_from_row))?
                .collect()
            })
            .map_err(failed("listing webhooks"))
    }

    async fn delete_webhook(
        &self,
        org: &OrganizationId,
        id: Uuid,
        actor: Option<String>,
        audit: Option<AuditContext>,
    ) -> Result<(), StoreError> {
        let org = org.clone();
        self.pool.write(move |conn| delete(conn, &org, id, actor, audit)).await
    }

    async fn list_deliveries(
        &self,
        org: &OrganizationId,
        webhook: Uuid,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        self.pool.read(|conn| {
            webhook_by_id(conn, org, webhook)?.ok_or(StoreError::NotFound(Missing::Webhook))?;
            conn.prepare_cached(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries \
                 WHERE webhook_id = ?1 AND organization_id = ?2 ORDER BY created_at DESC, event_id DESC LIMIT (?3 + 0)"
            ))
            .and_then(|mut s| {
                s.query_map(params![webhook.to_string(), org.as_str(), limit], read(delivery_from_row))?.collect()
            })
            .map_err(failed("listing deliveries"))
        })
    }

    async fn queue_deliveries(
        &self,
        since: OffsetDateTime,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<u64, StoreError> {
        self.pool.write(move |conn| queue(conn, since, now, limit)).await
    }

    async fn claim_deliveries(
        &self,
        now: OffsetDateTime,
        limits: &ClaimLimits,
    ) -> Result<Vec<Delivery>, StoreError> {
        let limits = limits.clone();
        self.pool.write(move |conn| claim(conn, now, &limits)).await
    }

    async fn finish_delivery(
        &self,
        org: &OrganizationId,
        id: Uuid,
        outcome: DeliveryOutcome,
        now: OffsetDateTime,
    ) -> Result<Option<Delivery>, StoreError> {
        let org = org.clone();
        self.pool.write(move |conn| finish(conn, &org, id, &outcome, now)).await
    }
}
