//! Webhooks' and deliveries' columns, and their readers.
use super::{Columns, Dialect, Query, audit_event_from_row};
use crate::webhooks::decode_events;
use crate::{Delivery, DeliveryState, SealedBlob, StoreError, Webhook};
use patchbay_domain::{AuditAction, OrganizationId, StoredAuditEvent};
use time::OffsetDateTime;
use uuid::Uuid;

pub const WEBHOOK_COLUMNS: &str =
    "id, organization_id, url, events, description, secret_nonce, secret_ciphertext, created_at, created_by";

pub const DELIVERY_COLUMNS: &str = "id, webhook_id, organization_id, event_id, event_type, body, state, \
     attempts, next_attempt_at, claimed_until, last_status, last_error, created_at, last_attempt_at, \
     delivered_at";

fn organization(text: String) -> Result<OrganizationId, StoreError> {
    OrganizationId::parse(&text).ok_or_else(|| StoreError::other("stored organization", text))
}

/// A row selected as `WEBHOOK_COLUMNS`.
pub fn webhook_from_row(row: &dyn Columns) -> Result<Webhook, StoreError> {
    Ok(Webhook {
        id: row.uuid(0)?,
        organization_id: organization(row.text(1)?)?,
        url: row.text(2)?,
        events: decode_events(&row.text(3)?)?,
        description: row.text_opt(4)?,
        secret: SealedBlob { nonce: row.bytes(5)?, ciphertext: row.bytes(6)? },
        created_at: row.time(7)?,
        created_by: row.text_opt(8)?,
    })
}

/// A row selected as `DELIVERY_COLUMNS`.
pub fn delivery_from_row(row: &dyn Columns) -> Result<Delivery, StoreError> {
    let event_type = row.text(4)?;
    let state = row.text(6)?;
    let status = row.int32_opt(10)?;
    Ok(Delivery {
        id: row.uuid(0)?,
        webhook_id: row.uuid(1)?,
        organization_id: organization(row.text(2)?)?,
        event_id: row.int(3)?,
        event_type: AuditAction::parse(&event_type)
            .ok_or_else(|| StoreError::other("stored delivery event", event_type))?,
        body: row.text(5)?,
        state: DeliveryState::parse(&state)
            .ok_or_else(|| StoreError::other("stored delivery state", state))?,
        attempts: u32::try_from(row.int32(7)?)
            .map_err(|e| StoreError::other("stored delivery attempts", e))?,
        next_attempt_at: row.time_opt(8)?,
        claimed_until: row.time_opt(9)?,
        last_status: status
            .map(|code| u16::try_from(code).map_err(|e| StoreError::other("stored delivery status", e)))
            .transpose()?,
        last_error: row.text_opt(11)?,
        created_at: row.time(12)?,
        last_attempt_at: row.time_opt(13)?,
        delivered_at: row.time_opt(14)?,
    })
}

/// The fan-out's candidates: each successful event at or after `since`, in
/// an organization with a webhook that receives its action, that occurred
/// once the webhook existed and that the webhook has no delivery of yet,
/// oldest first, at most `limit`; as the event's `AUDIT_COLUMNS` then the
/// webhook's id (read with `candidate_from_row`). The join starts from the
/// few webhooks and reads each organization's recent events through
/// `audit_events (organization_id, occurred_at)`: `CROSS JOIN` holds SQLite
/// to that order (without statistics it would scan the whole log), and is
/// an inner join like any other to PostgreSQL's planner.
pub fn fan_out_candidates(dialect: Dialect, since: OffsetDateTime, limit: u32) -> Query {
    let mut q = Query::new(dialect);
    let since = q.bind(since);
    let limit = q.bind_count(i64::from(limit));
    q.push(&format!(
        "SELECT e.seq, e.organization_id, e.occurred_at, e.actor, e.actor_role, e.action, e.resource_type, \
             e.resource_id, e.outcome, e.request_id, e.detail, w.id \
         FROM webhooks w CROSS JOIN webhook_events s CROSS JOIN audit_events e \
         WHERE s.webhook_id = w.id AND e.organization_id = w.organization_id AND e.action = s.action \
           AND e.occurred_at >= {since} AND e.occurred_at >= w.created_at AND e.outcome = 'success' \
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.event_id = e.seq) \
         ORDER BY e.seq LIMIT {limit}"
    ));
    q
}

/// A row of `fan_out_candidates`: the event and the webhook to deliver it to.
pub fn candidate_from_row(row: &dyn Columns) -> Result<(StoredAuditEvent, Uuid), StoreError> {
    Ok((audit_event_from_row(row)?, row.uuid(11)?))
}
