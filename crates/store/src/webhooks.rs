//! Webhooks: an organization's receivers of its audit events, and the
//! deliveries queued for them.
//!
//! Deliveries are made from the audit log, apart from every write path:
//! each server's fan-out (`queue_deliveries`) inserts one delivery per
//! webhook and matching event, keyed by both, so replicas and overlapping
//! passes never queue one twice. A delivery's body is built once, there,
//! and every attempt sends (and signs) the same bytes. Sending happens
//! outside the database, so the store hands each due delivery out once
//! (`claim_deliveries`, with a claim that lapses if its server dies) and
//! `finish_delivery` records how the attempt went.
use crate::{AuditContext, SealedBlob, StoreError};
use async_trait::async_trait;
use patchbay_domain::{AuditAction, AuditEvent, OrganizationId, StoredAuditEvent, format_timestamp};
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// How long a server holds a delivery it is sending before another may
/// presume it gone and send it again: well past an attempt's timeout.
pub const DELIVERY_CLAIM: Duration = Duration::seconds(60);

/// Attempts before a delivery is `failed` for good.
pub const DELIVERY_ATTEMPTS: u32 = 6;

/// When to try again after failed attempt number `attempts` (the first is
/// 1), with `base` the first wait: the wait triples, up to 30 × `base`.
/// With the production base of 10 s: 10 s, 30 s, 1 min 30, 4 min 30, 5 min,
/// six attempts over about 11 minutes. `None` once every attempt is spent.
pub fn delivery_retry_at(attempts: u32, now: OffsetDateTime, base: Duration) -> Option<OffsetDateTime> {
    if attempts >= DELIVERY_ATTEMPTS {
        return None;
    }
    let factor = 3_i32.pow(attempts.saturating_sub(1).min(10)).min(30);
    Some(now + base * factor)
}

/// A receiver of an organization's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: Uuid,
    pub organization_id: OrganizationId,
    pub url: String,
    /// The audit actions it receives (their successful events only).
    pub events: Vec<AuditAction>,
    pub description: Option<String>,
    /// The signing secret, sealed by the vault under the organization's data
    /// key: receivers need it back to verify, a database dump must not show it.
    pub secret: SealedBlob,
    pub created_at: OffsetDateTime,
    pub created_by: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Waiting for its next attempt (`next_attempt_at`).
    Pending,
    /// A server is sending it (until `claimed_until`).
    Delivering,
    /// A receiver answered 2xx.
    Delivered,
    /// Every attempt failed.
    Failed,
}

impl DeliveryState {
    pub const ALL: [Self; 4] = [Self::Pending, Self::Delivering, Self::Delivered, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivering => "delivering",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == value)
    }
}

/// One event on its way to one webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub organization_id: OrganizationId,
    /// The audit event's `seq`.
    pub event_id: i64,
    pub event_type: AuditAction,
    /// The JSON sent, exactly.
    pub body: String,
    pub state: DeliveryState,
    /// Attempts begun (counted when claimed, so a server dying mid-attempt
    /// still spends one).
    pub attempts: u32,
    /// While `pending`: when the next attempt is due.
    pub next_attempt_at: Option<OffsetDateTime>,
    /// While `delivering`: when the claim lapses.
    pub claimed_until: Option<OffsetDateTime>,
    /// The receiver's status code at the last attempt, when it answered.
    pub last_status: Option<u16>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
    pub last_attempt_at: Option<OffsetDateTime>,
    pub delivered_at: Option<OffsetDateTime>,
}

/// How an attempt ended, for `finish_delivery`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered {
        status: u16,
    },
    /// A non-2xx answer (`status`) or none (`error` says why); tried again
    /// at `retry_at`, or `failed` for good when it is `None`.
    Failed {
        status: Option<u16>,
        error: String,
        retry_at: Option<OffsetDateTime>,
    },
}

/// What one claim may take.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimLimits {
    /// At most this many deliveries in all.
    pub total: u32,
    /// At most this many of one organization, so one organization's backlog
    /// cannot fill a pass.
    pub per_organization: u32,
    /// Organizations to skip (their receivers already have all they may).
    pub skip: Vec<OrganizationId>,
}

#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Stores a new webhook with its `webhook.create` event (when `audit`
    /// is given) in the same transaction.
    async fn create_webhook(&self, webhook: &Webhook, audit: Option<AuditContext>) -> Result<(), StoreError>;

    /// `NotFound(Missing::Webhook)` when the organization has none of that id.
    async fn get_webhook(&self, org: &OrganizationId, id: Uuid) -> Result<Webhook, StoreError>;

    /// Oldest first.
    async fn list_webhooks(&self, org: &OrganizationId) -> Result<Vec<Webhook>, StoreError>;

    /// Removes the webhook and its deliveries, with its `webhook.delete` event.
    async fn delete_webhook(
        &self,
        org: &OrganizationId,
        id: Uuid,
        actor: Option<String>,
        audit: Option<AuditContext>,
    ) -> Result<(), StoreError>;

    /// The webhook's deliveries, newest first, at most `limit`;
    /// `NotFound(Missing::Webhook)` when the organization has no such webhook.
    async fn list_deliveries(
        &self,
        org: &OrganizationId,
        webhook: Uuid,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError>;

    /// The fan-out, over every organization: queues a delivery (due at
    /// `now`) for each successful audit event that occurred at or after
    /// `since` and after its webhook was created, whose action the webhook
    /// receives and that it has none for yet; at most `limit` per call.
    /// Returns how many it queued. Concurrent callers queue each pair once.
    async fn queue_deliveries(
        &self,
        since: OffsetDateTime,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<u64, StoreError>;

    /// Takes the deliveries due at `now` (`pending` past `next_attempt_at`,
    /// `delivering` past its claim), oldest first, within `limits`: each
    /// becomes `delivering` until `now + DELIVERY_CLAIM`, counts an attempt,
    /// and goes to exactly one caller however many servers ask at once.
    async fn claim_deliveries(
        &self,
        now: OffsetDateTime,
        limits: &ClaimLimits,
    ) -> Result<Vec<Delivery>, StoreError>;

    /// Records how an attempt at a delivery this caller holds ended. A
    /// delivery no longer `delivering` (taken over after a lapsed claim and
    /// finished, or its webhook deleted) is left as it is; `None` when it
    /// is gone.
    async fn finish_delivery(
        &self,
        org: &OrganizationId,
        id: Uuid,
        outcome: DeliveryOutcome,
        now: OffsetDateTime,
    ) -> Result<Option<Delivery>, StoreError>;
}

/// The body a webhook receives for `event`: the event's own id (the same
/// for every webhook and attempt, so receivers can drop repeats), its type,
/// organization and time, and as `data` its detail (names and ids, never a
/// value) with what it was about and who did it.
pub fn delivery_body(event: &StoredAuditEvent) -> String {
    let stored = &event.event;
    let mut data: Map<String, Value> = serde_json::from_str(&stored.detail).unwrap_or_default();
    data.insert("resource_type".into(), json!(stored.resource_type));
    data.insert("resource_id".into(), json!(stored.resource_id));
    data.insert("actor".into(), json!(stored.actor));
    json!({
        "id": format!("evt_{}", event.seq),
        "type": stored.action.as_str(),
        "organization": stored.organization_id.as_str(),
        "created_at": format_timestamp(stored.occurred_at),
        "data": data,
    })
    .to_string()
}

/// The audit event of a webhook's creation or deletion: the events it
/// receives and its URL's host, never the whole URL (receivers often carry
/// a token in the path) nor the secret.
pub fn webhook_event(
    webhook: &Webhook,
    action: AuditAction,
    actor: Option<String>,
    audit: Option<&AuditContext>,
) -> Option<AuditEvent> {
    let mut detail = Map::new();
    let host = url_host(&webhook.url);
    detail.insert("host".into(), json!(host));
    let events: Vec<&str> = webhook.events.iter().map(|event| event.as_str()).collect();
    detail.insert("events".into(), json!(events));
    let org = &webhook.organization_id;
    Some(audit?.event(org, actor, action, "webhook", Some(webhook.id.to_string()), detail))
}

/// The host (and port) of an `http(s)://` URL, without what comes before
/// `@` or after the authority.
fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority.rsplit_once('@').map_or(authority, |(_, host)| host)
}

/// The audit events encoded as their spellings, for a column.
pub fn encode_events(events: &[AuditAction]) -> String {
    let names: Vec<&str> = events.iter().map(|event| event.as_str()).collect();
    serde_json::to_string(&names).expect("strings always serialize")
}

pub fn decode_events(text: &str) -> Result<Vec<AuditAction>, StoreError> {
    let names: Vec<String> = serde_json::from_str(text)
        .map_err(|e| StoreError::other("stored webhook events are unreadable", e))?;
    names
        .into_iter()
        .map(|name| AuditAction::parse(&name).ok_or_else(|| StoreError::other("stored webhook event", name)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::acme;
    use patchbay_domain::{AuditOutcome, now_utc};

    #[test]
    fn retries_triple_from_the_base_and_stop_after_the_last_attempt() {
        let now = now_utc();
        let base = Duration::seconds(10);
        let waits: Vec<i64> = (1..DELIVERY_ATTEMPTS)
            .map(|attempts| (delivery_retry_at(attempts, now, base).unwrap() - now).whole_seconds())
            .collect();
        assert_eq!(waits, [10, 30, 90, 270, 300]);
        assert_eq!(waits.iter().sum::<i64>(), 700, "about ten minutes in all");
        assert_eq!(delivery_retry_at(DELIVERY_ATTEMPTS, now, base), None);
        let fast = delivery_retry_at(2, now, Duration::seconds(1)).unwrap();
        assert_eq!((fast - now).whole_seconds(), 3);
    }

    fn event(detail: &str) -> StoredAuditEvent {
        StoredAuditEvent {
            seq: 42,
            event: AuditEvent {
                organization_id: acme(),
                occurred_at: time::macros::datetime!(2026-01-02 03:04:05.000006 UTC),
                actor: Some("ada".into()),
                actor_role: Some("admin".into()),
                action: AuditAction::IntegrationHealthChanged,
                resource_type: "integration".into(),
                resource_id: Some("i-1".into()),
                outcome: AuditOutcome::Success,
                request_id: None,
                detail: detail.into(),
            },
        }
    }

    #[test]
    fn a_body_carries_the_event_and_its_detail() {
        let body: Value =
            serde_json::from_str(&delivery_body(&event(r#"{"from":"healthy","to":"failing"}"#))).unwrap();
        assert_eq!(
            body,
            json!({"id": "evt_42", "type": "integration.health_changed", "organization": "acme",
                   "created_at": "2026-01-02T03:04:05.000006+00:00",
                   "data": {"from": "healthy", "to": "failing", "resource_type": "integration",
                            "resource_id": "i-1", "actor": "ada"}})
        );
        let bare: Value = serde_json::from_str(&delivery_body(&event("not json"))).unwrap();
        assert_eq!(
            bare["data"],
            json!({"resource_type": "integration", "resource_id": "i-1", "actor": "ada"})
        );
    }

    #[test]
    fn the_audit_event_names_the_host_only() {
        let webhook = Webhook {
            id: Uuid::nil(),
            organization_id: acme(),
            url: "https://user:pw@hooks.example.com:8443/T0KEN/x?k=v".into(),
            events: vec![AuditAction::SecretWrite, AuditAction::LeaseRevoke],
            description: None,
            secret: SealedBlob { nonce: vec![1], ciphertext: vec![2] },
            created_at: now_utc(),
            created_by: None,
        };
        let audit = AuditContext::default();
        let event = webhook_event(&webhook, AuditAction::WebhookCreate, None, Some(&audit)).unwrap();
        let detail: Value = serde_json::from_str(&event.detail).unwrap();
        assert_eq!(
            detail,
            json!({"host": "hooks.example.com:8443", "events": ["secret.write", "lease.revoke"]})
        );
        assert!(webhook_event(&webhook, AuditAction::WebhookDelete, None, None).is_none());
    }

    #[test]
    fn events_round_trip_through_their_column() {
        let events = [AuditAction::IntegrationCreate, AuditAction::IntegrationHealthChanged];
        assert_eq!(decode_events(&encode_events(&events)).unwrap(), events);
        assert!(decode_events(r#"["nope"]"#).is_err());
    }
}
