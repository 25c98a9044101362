//! Conformance cases for webhooks: their storage per organization, the
//! fan-out from the audit log (each matching event queued once, however
//! many callers), and deliveries claimed once, fairly, and finished.
use super::integrations::org;
use crate::{
    AuditContext, ClaimLimits, DELIVERY_CLAIM, Delivery, DeliveryOutcome, DeliveryState, Missing, SealedBlob,
    Store, StoreError, Webhook, delivery_body,
};
use patchbay_domain::{
    AuditAction, AuditEvent, AuditFilter, AuditOutcome, OrganizationId, StoredAuditEvent, now_utc,
};
use serde_json::Value;
use std::collections::HashSet;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

fn webhook(org: &OrganizationId, events: &[AuditAction], created_at: OffsetDateTime) -> Webhook {
    Webhook {
        id: Uuid::new_v4(),
        organization_id: org.clone(),
        url: "https://hooks.example.com/in".into(),
        events: events.to_vec(),
        description: Some("ops".into()),
        secret: SealedBlob { nonce: vec![7; 24], ciphertext: vec![9; 48] },
        created_at,
        created_by: Some("ada".into()),
    }
}

fn audited() -> Option<AuditContext> {
    Some(AuditContext {
        actor_role: Some("admin".into()),
        request_id: Some("req-1".into()),
        ..Default::default()
    })
}

/// Appends an event of `action` that happened at `at`.
async fn event(
    store: &Arc<dyn Store>,
    org: &OrganizationId,
    action: AuditAction,
    outcome: AuditOutcome,
    at: OffsetDateTime,
) {
    let event = AuditEvent {
        organization_id: org.clone(),
        occurred_at: at,
        actor: Some("ada".into()),
        actor_role: Some("admin".into()),
        action,
        resource_type: "integration".into(),
        resource_id: Some(Uuid::new_v4().to_string()),
        outcome,
        request_id: None,
        detail: r#"{"name":"pg"}"#.into(),
    };
    store.append_audit_event(event).await.unwrap();
}

async fn events_of(
    store: &Arc<dyn Store>,
    org: &OrganizationId,
    action: AuditAction,
) -> Vec<StoredAuditEvent> {
    let filter = AuditFilter { action: Some(action), limit: 100, ..Default::default() };
    store.list_audit_events(org, &filter).await.unwrap()
}

fn limits(total: u32, per_organization: u32) -> ClaimLimits {
    ClaimLimits { total, per_organization, skip: Vec::new() }
}

fn ids(deliveries: &[Delivery]) -> HashSet<Uuid> {
    deliveries.iter().map(|delivery| delivery.id).collect()
}

pub async fn webhooks_are_stored_per_organization_and_deleted_with_their_deliveries(store: Arc<dyn Store>) {
    let (acme, globex) = (org("acme"), org("globex"));
    let now = now_utc();
    let first = webhook(&acme, &[AuditAction::IntegrationCreate, AuditAction::SecretWrite], now);
    let second = webhook(&acme, &[AuditAction::LeaseRevoke], now + Duration::seconds(1));
    let theirs = webhook(&globex, &[AuditAction::IntegrationCreate], now);
    for hook in [&first, &second, &theirs] {
        store.create_webhook(hook, audited()).await.unwrap();
    }
    assert_eq!(store.get_webhook(&acme, first.id).await.unwrap(), first, "read back as written");
    assert_eq!(store.list_webhooks(&acme).await.unwrap(), [first.clone(), second.clone()], "oldest first");
    assert!(matches!(
        store.get_webhook(&globex, first.id).await,
        Err(StoreError::NotFound(Missing::Webhook))
    ));
    assert!(matches!(
        store.delete_webhook(&globex, first.id, None, audited()).await,
        Err(StoreError::NotFound(Missing::Webhook))
    ));
    assert!(matches!(
        store.list_deliveries(&globex, first.id, 10).await,
        Err(StoreError::NotFound(Missing::Webhook))
    ));

    let created = events_of(&store, &acme, AuditAction::WebhookCreate).await;
    assert_eq!(created.len(), 2);
    let detail: Value = serde_json::from_str(&created[1].event.detail).unwrap();
    assert_eq!(detail["events"], serde_json::json!(["integration.create", "secret.write"]));
    assert_eq!(detail["host"], "hooks.example.com");
    assert_eq!(created[1].event.resource_id, Some(first.id.to_string()));

    event(&store, &acme, AuditAction::IntegrationCreate, AuditOutcome::Success, now + Duration::seconds(2))
        .await;
    assert_eq!(store.queue_deliveries(now - Duration::minutes(1), now, 100).await.unwrap(), 1);
    assert_eq!(store.list_deliveries(&acme, first.id, 10).await.unwrap().len(), 1);

    store.delete_webhook(&acme, first.id, Some("ada".into()), audited()).await.unwrap();
    assert!(matches!(store.get_webhook(&acme, first.id).await, Err(StoreError::NotFound(Missing::Webhook))));
    assert_eq!(store.list_webhooks(&acme).await.unwrap(), [second]);
    assert!(store.claim_deliveries(now + Duration::minutes(1), &limits(10, 10)).await.unwrap().is_empty());
    let deleted = events_of(&store, &acme, AuditAction::WebhookDelete).await;
    assert_eq!((deleted.len(), deleted[0].event.actor.as_deref()), (1, Some("ada")));
    assert_eq!(store.list_webhooks(&globex).await.unwrap(), [theirs]);
}

pub async fn the_fan_out_queues_each_matching_event_once(store: Arc<dyn Store>) {
    let (acme, globex) = (org("acme"), org("globex"));
    let start = now_utc() - Duration::minutes(10);
    let hook = webhook(&acme, &[AuditAction::IntegrationCreate, AuditAction::SecretWrite], start);
    store.create_webhook(&hook, None).await.unwrap();
    let at = |seconds| start + Duration::seconds(seconds);
    // Before the webhook existed, and before the window: neither is queued.
    event(&store, &acme, AuditAction::IntegrationCreate, AuditOutcome::Success, at(-5)).await;
    event(&store, &acme, AuditAction::SecretWrite, AuditOutcome::Success, at(10)).await;
    event(&store, &acme, AuditAction::IntegrationCreate, AuditOutcome::Success, at(100)).await;
    event(&store, &acme, AuditAction::SecretWrite, AuditOutcome::Success, at(101)).await;
    // Refused, of another action, of another organization: not queued.
    event(&store, &acme, AuditAction::SecretWrite, AuditOutcome::Denied, at(102)).await;
    event(&store, &acme, AuditAction::SecretDelete, AuditOutcome::Success, at(103)).await;
    event(&store, &globex, AuditAction::IntegrationCreate, AuditOutcome::Success, at(104)).await;

    let now = now_utc();
    assert_eq!(store.queue_deliveries(at(50), now, 1).await.unwrap(), 1, "at most the limit");
    assert_eq!(store.queue_deliveries(at(50), now, 100).await.unwrap(), 1);
    assert_eq!(store.queue_deliveries(at(50), now, 100).await.unwrap(), 0, "each once");
    let queued = store.list_deliveries(&acme, hook.id, 10).await.unwrap();
    let mut matching: Vec<StoredAuditEvent> = events_of(&store, &acme, AuditAction::IntegrationCreate).await;
    matching.extend(events_of(&store, &acme, AuditAction::SecretWrite).await);
    matching.retain(|e| e.event.occurred_at >= at(50) && e.event.outcome == AuditOutcome::Success);
    assert_eq!(matching.len(), 2);
    for expected in &matching {
        let delivery = queued.iter().find(|d| d.event_id == expected.seq).expect("queued");
        assert_eq!(delivery.body, delivery_body(expected), "the body is built from the event");
        assert_eq!((delivery.event_type, delivery.state), (expected.event.action, DeliveryState::Pending));
        assert_eq!((delivery.attempts, delivery.next_attempt_at), (0, Some(now)));
        assert_eq!((&delivery.organization_id, delivery.webhook_id), (&acme, hook.id));
    }
    // A wider window reaches the older event, still once; never one that
    // happened before the webhook existed.
    assert_eq!(store.queue_deliveries(start - Duration::hours(1), now, 100).await.unwrap(), 1);
    assert_eq!(store.list_deliveries(&acme, hook.id, 10).await.unwrap().len(), 3);

    // A second webhook of the organization gets its own copies.
    let other = webhook(&acme, &[AuditAction::SecretWrite], start);
    store.create_webhook(&other, None).await.unwrap();
    assert_eq!(store.queue_deliveries(start, now, 100).await.unwrap(), 2);
    assert_eq!(store.list_deliveries(&acme, hook.id, 2).await.unwrap().len(), 2, "at most the limit");
}

pub async fn concurrent_fan_outs_queue_each_event_once(store: Arc<dyn Store>) {
    let start = now_utc() - Duration::minutes(1);
    let mut hooks = Vec::new();
    for name in ["acme", "globex"] {
        let hook = webhook(&org(name), &[AuditAction::IntegrationUpdate], start);
        store.create_webhook(&hook, None).await.unwrap();
        hooks.push(hook);
        for n in 0..15 {
            let at = start + Duration::seconds(n);
            event(&store, &org(name), AuditAction::IntegrationUpdate, AuditOutcome::Success, at).await;
        }
    }
    let now = now_utc();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut queued = 0;
                loop {
                    let batch = store.queue_deliveries(start, now, 4).await.unwrap();
                    if batch == 0 {
                        return queued;
                    }
                    queued += batch;
                }
            })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    assert_eq!(total, 30, "every insert that counted made a new delivery");
    for hook in &hooks {
        let deliveries = store.list_deliveries(&hook.organization_id, hook.id, 100).await.unwrap();
        let events: HashSet<i64> = deliveries.iter().map(|d| d.event_id).collect();
        assert_eq!((deliveries.len(), events.len()), (15, 15));
    }
}

/// Queues `count` deliveries for `org`'s new webhook; they are due at `now`.
async fn queued(store: &Arc<dyn Store>, org: &OrganizationId, count: i64, now: OffsetDateTime) -> Webhook {
    let start = now - Duration::minutes(1);
    let hook = webhook(org, &[AuditAction::LeaseRevoke], start);
    store.create_webhook(&hook, None).await.unwrap();
    for n in 0..count {
        event(store, org, AuditAction::LeaseRevoke, AuditOutcome::Success, start + Duration::seconds(n))
            .await;
    }
    assert_eq!(store.queue_deliveries(start, now, 1000).await.unwrap(), count as u64);
    hook
}

pub async fn deliveries_are_claimed_fairly_and_finished(store: Arc<dyn Store>) {
    let (acme, globex, initech) = (org("acme"), org("globex"), org("initech"));
    let now = now_utc();
    let acme_hook = queued(&store, &acme, 6, now).await;
    queued(&store, &globex, 2, now).await;
    queued(&store, &initech, 1, now).await;
    assert!(
        store.claim_deliveries(now - Duration::seconds(1), &limits(10, 10)).await.unwrap().is_empty(),
        "not due yet"
    );

    // At most two of each organization, none of a skipped one.
    let skip_initech = ClaimLimits { skip: vec![initech.clone()], ..limits(10, 2) };
    let first = store.claim_deliveries(now, &skip_initech).await.unwrap();
    let count = |org: &OrganizationId| first.iter().filter(|d| &d.organization_id == org).count();
    assert_eq!((count(&acme), count(&globex), count(&initech)), (2, 2, 0));
    for delivery in &first {
        assert_eq!(delivery.state, DeliveryState::Delivering);
        assert_eq!((delivery.attempts, delivery.claimed_until), (1, Some(now + DELIVERY_CLAIM)));
        assert_eq!(delivery.last_attempt_at, Some(now));
    }
    let second = store.claim_deliveries(now, &limits(3, 10)).await.unwrap();
    assert_eq!(second.len(), 3, "at most the total");
    assert!(ids(&first).is_disjoint(&ids(&second)), "held ones are not handed out again");
    let rest = store.claim_deliveries(now, &limits(10, 10)).await.unwrap();
    assert_eq!(rest.len(), 2);
    assert!(store.claim_deliveries(now, &limits(10, 10)).await.unwrap().is_empty(), "all held now");

    // Delivered: done. Failed with a retry: pending until then. Failed
    // without: failed for good.
    let (done, retried, given_up) = (&first[0], &first[1], &first[2]);
    let later = now + Duration::seconds(5);
    let delivered = store
        .finish_delivery(&done.organization_id, done.id, DeliveryOutcome::Delivered { status: 204 }, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (delivered.state, delivered.last_status, delivered.delivered_at),
        (DeliveryState::Delivered, Some(204), Some(later))
    );
    assert_eq!((delivered.claimed_until, delivered.next_attempt_at), (None, None));
    let retry_at = now + Duration::seconds(30);
    let outcome =
        DeliveryOutcome::Failed { status: Some(500), error: "HTTP 500".into(), retry_at: Some(retry_at) };
    let pending =
        store.finish_delivery(&retried.organization_id, retried.id, outcome, later).await.unwrap().unwrap();
    assert_eq!((pending.state, pending.next_attempt_at), (DeliveryState::Pending, Some(retry_at)));
    assert_eq!(
        (pending.last_status, pending.last_error.as_deref(), pending.claimed_until),
        (Some(500), Some("HTTP 500"), None)
    );
    let outcome = DeliveryOutcome::Failed { status: None, error: "timed out".into(), retry_at: None };
    let failed =
        store.finish_delivery(&given_up.organization_id, given_up.id, outcome, later).await.unwrap().unwrap();
    assert_eq!(
        (failed.state, failed.last_status, failed.next_attempt_at),
        (DeliveryState::Failed, None, None)
    );

    // Finishing again, or from another organization, changes nothing.
    let again = DeliveryOutcome::Failed { status: Some(502), error: "late".into(), retry_at: Some(later) };
    let unchanged =
        store.finish_delivery(&done.organization_id, done.id, again.clone(), later).await.unwrap();
    assert_eq!(unchanged.map(|d| d.state), Some(DeliveryState::Delivered));
    let stranger = if done.organization_id == acme { &globex } else { &acme };
    assert_eq!(store.finish_delivery(stranger, done.id, again, later).await.unwrap(), None);

    // The retry is due at its time, with its attempt counted; lapsed
    // claims (their servers presumed gone) are taken over.
    let due = store.claim_deliveries(retry_at, &limits(100, 100)).await.unwrap();
    assert!(ids(&due).contains(&retried.id));
    assert_eq!(due.iter().find(|d| d.id == retried.id).unwrap().attempts, 2);
    assert!(!ids(&due).contains(&done.id) && !ids(&due).contains(&given_up.id));
    let lapsed = store.claim_deliveries(now + DELIVERY_CLAIM, &limits(100, 100)).await.unwrap();
    assert_eq!(lapsed.len(), 6, "every claim of the first passes but the finished ones and the retried one");
    assert!(lapsed.iter().all(|d| d.attempts == 2));
    let listed = store.list_deliveries(&acme, acme_hook.id, 100).await.unwrap();
    assert_eq!(listed.len(), 6);
}

pub async fn concurrent_delivery_claims_hand_out_each_delivery_once(store: Arc<dyn Store>) {
    let now = now_utc();
    let mut all_ids = HashSet::new();
    for name in ["acme", "globex", "initech"] {
        let hook = queued(&store, &org(name), 8, now).await;
        all_ids.extend(store.list_deliveries(&org(name), hook.id, 100).await.unwrap().iter().map(|d| d.id));
    }
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut got = Vec::new();
                loop {
                    let batch = store.claim_deliveries(now, &limits(3, 2)).await.unwrap();
                    if batch.is_empty() {
                        return got;
                    }
                    got.extend(batch.into_iter().map(|delivery| delivery.id));
                }
            })
        })
        .collect();
    let mut got = Vec::new();
    for task in tasks {
        got.extend(task.await.unwrap());
    }
    let distinct: HashSet<Uuid> = got.iter().copied().collect();
    assert_eq!((got.len(), &distinct), (24, &all_ids));
}
