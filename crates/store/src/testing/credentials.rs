//! Conformance cases for credential providers and their leases: the
//! provider's upsert and guarded delete, a lease's life (renewal,
//! revocation taken once, how it ended) and the audit events it leaves.
use super::integrations::org;
use crate::{AuditContext, Conflict, Missing, REVOCATION_CLAIM, RevocationOutcome, Store, StoreError};
use patchbay_domain::{
    AuditAction, AuditFilter, AuditOutcome, Lease, LeaseFilter, LeaseState, NewProvider, OrganizationId,
    ProviderKind, ProviderName, ProviderRole, SecretName, StoredAuditEvent, now_utc,
};
use std::collections::HashSet;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

fn name(text: &str) -> ProviderName {
    ProviderName::parse(text).unwrap()
}

/// A provider with `roles` in that order, each with its own statements.
fn provider(provider: &str, roles: &[&str], by: &str) -> NewProvider {
    NewProvider {
        name: name(provider),
        kind: ProviderKind::Postgres,
        connection_secret: SecretName::parse("PG_ADMIN_URL").unwrap(),
        default_ttl_seconds: 600,
        max_ttl_seconds: 3600,
        roles: roles
            .iter()
            .map(|role| {
                let statements = ProviderRole {
                    creation: vec![format!("CREATE ROLE \"{{{{name}}}}\" IN ROLE {role}")],
                    revocation: vec!["DROP ROLE \"{{name}}\"".into()],
                    rules: None,
                };
                (name(role), statements)
            })
            .collect(),
        written_by: Some(by.to_owned()),
    }
}

/// An active lease of `org`'s `provider`, made at `created_at`, expiring
/// five minutes later.
fn lease(org: &OrganizationId, provider: &str, created_at: OffsetDateTime) -> Lease {
    let id = Uuid::new_v4();
    Lease {
        id,
        organization_id: org.clone(),
        provider: name(provider),
        role: name("readonly"),
        kind: ProviderKind::Postgres,
        connection_secret: SecretName::parse("PG_ADMIN_URL").unwrap(),
        revocation: vec![
            "REVOKE ALL ON SCHEMA public FROM \"{{name}}\"".into(),
            "DROP ROLE \"{{name}}\"".into(),
        ],
        username: format!("pb_readonly_{}", id.simple()),
        integration_id: Some(Uuid::new_v4()),
        integration_name: Some("warehouse".into()),
        job_id: None,
        state: LeaseState::Active,
        created_at,
        expires_at: created_at + Duration::minutes(5),
        max_expires_at: created_at + Duration::hours(1),
        revoked_at: None,
        revoke_attempts: 0,
        next_attempt_at: None,
        last_error: None,
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

fn failed(error: &str, retry_at: OffsetDateTime) -> RevocationOutcome {
    RevocationOutcome::Failed { error: error.to_owned(), retry_at }
}

fn is_lease_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::NotFound(Missing::Lease)))
}

fn not_active_state<T: std::fmt::Debug>(result: Result<T, StoreError>) -> String {
    match result {
        Err(StoreError::Conflict(Conflict::LeaseNotActive { state })) => state,
        other => panic!("expected LeaseNotActive, got {other:?}"),
    }
}

async fn events(store: &Arc<dyn Store>, org: &OrganizationId, action: AuditAction) -> Vec<StoredAuditEvent> {
    let filter = AuditFilter { action: Some(action), limit: 100, ..Default::default() };
    store.list_audit_events(org, &filter).await.unwrap()
}

fn detail(event: &StoredAuditEvent) -> serde_json::Map<String, serde_json::Value> {
    serde_json::from_str(&event.event.detail).unwrap()
}

pub async fn providers_are_upserted_listed_and_deleted(store: Arc<dyn Store>) {
    let (acme, globex) = (org("acme"), org("globex"));
    let (written, created) = store
        .put_provider(&acme, provider("warehouse", &["zeta", "alpha", "mid"], "ada"), audited())
        .await
        .unwrap();
    assert!(created);
    let roles: Vec<&str> = written.roles.keys().map(ProviderName::as_str).collect();
    assert_eq!(roles, ["zeta", "alpha", "mid"], "roles keep the order they were written in");
    assert_eq!((written.organization_id.as_str(), written.name.as_str()), ("acme", "warehouse"));
    assert_eq!((written.default_ttl_seconds, written.max_ttl_seconds), (600, 3600));
    assert_eq!((written.created_by.as_deref(), written.updated_by.as_deref()), (Some("ada"), Some("ada")));
    assert_eq!(store.get_provider(&acme, &name("warehouse")).await.unwrap(), written);

    let mut replacement = provider("warehouse", &["only"], "grace");
    replacement.kind = ProviderKind::Redis;
    replacement.roles[0] = ProviderRole { rules: Some("+@read ~*".into()), ..Default::default() };
    replacement.max_ttl_seconds = 7200;
    let (replaced, created) = store.put_provider(&acme, replacement, audited()).await.unwrap();
    assert!(!created);
    assert_eq!((replaced.kind, replaced.max_ttl_seconds), (ProviderKind::Redis, 7200));
    assert_eq!(replaced.roles.keys().map(ProviderName::as_str).collect::<Vec<_>>(), ["only"]);
    assert_eq!(replaced.roles[0].rules.as_deref(), Some("+@read ~*"));
    assert_eq!((replaced.created_at, replaced.created_by.as_deref()), (written.created_at, Some("ada")));
    assert_eq!(replaced.updated_by.as_deref(), Some("grace"));
    assert!(replaced.updated_at >= written.updated_at);
    assert_eq!(store.get_provider(&acme, &name("warehouse")).await.unwrap(), replaced);

    store.put_provider(&acme, provider("analytics", &["readonly"], "ada"), None).await.unwrap();
    let listed: Vec<String> =
        store.list_providers(&acme).await.unwrap().into_iter().map(|p| p.name.to_string()).collect();
    assert_eq!(listed, ["analytics", "warehouse"], "by name");

    // Another organization sees none of them, and its writes are its own.
    assert!(store.list_providers(&globex).await.unwrap().is_empty());
    let theirs = store.get_provider(&globex, &name("warehouse")).await;
    assert!(
        matches!(&theirs, Err(StoreError::NotFound(Missing::Provider(n))) if n == "warehouse"),
        "{theirs:?}"
    );
    let deleted = store.delete_provider(&globex, &name("warehouse"), None, None).await;
    assert!(matches!(deleted, Err(StoreError::NotFound(Missing::Provider(_)))), "{deleted:?}");
    let (_, created) = store.put_provider(&globex, provider("warehouse", &["x"], "eve"), None).await.unwrap();
    assert!(created, "one name in two organizations is two providers");

    store.delete_provider(&acme, &name("warehouse"), Some("grace".into()), audited()).await.unwrap();
    let gone = store.get_provider(&acme, &name("warehouse")).await;
    assert!(matches!(gone, Err(StoreError::NotFound(Missing::Provider(_)))), "{gone:?}");
    let again = store.delete_provider(&acme, &name("warehouse"), None, None).await;
    assert!(matches!(again, Err(StoreError::NotFound(Missing::Provider(_)))), "{again:?}");
    assert_eq!(
        store.get_provider(&globex, &name("warehouse")).await.unwrap().created_by.as_deref(),
        Some("eve")
    );

    // Audited writes leave their events; unaudited ones (None) none.
    let writes = events(&store, &acme, AuditAction::ProviderWrite).await;
    let created: Vec<bool> = writes.iter().rev().map(|e| detail(e)["created"].as_bool().unwrap()).collect();
    assert_eq!(created, [true, false]);
    assert_eq!(detail(&writes[0])["roles"], serde_json::json!(["only"]));
    assert_eq!(detail(&writes[0])["connection_secret"], "PG_ADMIN_URL");
    let deletes = events(&store, &acme, AuditAction::ProviderDelete).await;
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0].event.actor.as_deref(), Some("grace"));
    assert_eq!(deletes[0].event.resource_id.as_deref(), Some("warehouse"));
    assert!(events(&store, &globex, AuditAction::ProviderWrite).await.is_empty());
}

/// A provider stays while any of its leases may still have a user in the
/// database: active, being revoked, or failing to be.
pub async fn a_provider_with_live_leases_is_not_deleted(store: Arc<dyn Store>) {
    let acme = org("acme");
    store.put_provider(&acme, provider("warehouse", &["readonly"], "ada"), None).await.unwrap();
    let now = now_utc();
    let first = lease(&acme, "warehouse", now);
    let second = lease(&acme, "warehouse", now);
    store.create_lease(&first, None).await.unwrap();
    store.create_lease(&second, None).await.unwrap();
    // Another provider's live lease does not count.
    store.create_lease(&lease(&acme, "other", now), None).await.unwrap();
    let refused = |count: u64| {
        move |result: Result<(), StoreError>| match result {
            Err(StoreError::Conflict(Conflict::LiveLeases { provider, count: found })) => {
                assert_eq!((provider.as_str(), found), ("warehouse", count));
            }
            other => panic!("expected LiveLeases, got {other:?}"),
        }
    };
    refused(2)(store.delete_provider(&acme, &name("warehouse"), None, audited()).await);

    store.begin_revocation(&acme, second.id, now).await.unwrap().unwrap();
    store.finish_revocation(&acme, second.id, RevocationOutcome::Revoked, now, None, None).await.unwrap();
    refused(1)(store.delete_provider(&acme, &name("warehouse"), None, None).await);
    store.begin_revocation(&acme, first.id, now).await.unwrap().unwrap();
    refused(1)(store.delete_provider(&acme, &name("warehouse"), None, None).await);
    store.finish_revocation(&acme, first.id, failed("timeout", now), now, None, None).await.unwrap();
    refused(1)(store.delete_provider(&acme, &name("warehouse"), None, None).await);
    // A refused delete changed nothing and recorded nothing.
    assert!(store.get_provider(&acme, &name("warehouse")).await.is_ok());
    assert!(events(&store, &acme, AuditAction::ProviderDelete).await.is_empty());

    store.begin_revocation(&acme, first.id, now).await.unwrap().unwrap();
    store.finish_revocation(&acme, first.id, RevocationOutcome::Revoked, now, None, None).await.unwrap();
    store.delete_provider(&acme, &name("warehouse"), None, audited()).await.unwrap();
    assert_eq!(events(&store, &acme, AuditAction::ProviderDelete).await.len(), 1);
    // The revoked leases stay, for the record.
    let kept = LeaseFilter { provider: Some(name("warehouse")), ..Default::default() };
    assert_eq!(store.list_leases(&acme, &kept).await.unwrap().len(), 2);
}

pub async fn leases_are_stored_listed_and_filtered(store: Arc<dyn Store>) {
    let (acme, globex) = (org("acme"), org("globex"));
    let start = now_utc() - Duration::minutes(1);
    let mut made = Vec::new();
    for n in 0..5 {
        let mut lease =
            lease(&acme, if n % 2 == 0 { "warehouse" } else { "analytics" }, start + Duration::seconds(n));
        if n == 3 {
            lease.integration_id = None;
            lease.integration_name = None;
            lease.job_id = Some(Uuid::new_v4());
        }
        store.create_lease(&lease, None).await.unwrap();
        made.push(lease);
    }
    for lease in &made {
        assert_eq!(&store.get_lease(&acme, lease.id).await.unwrap(), lease, "every field round-trips");
    }
    assert!(is_lease_not_found(store.get_lease(&globex, made[0].id).await));
    assert!(is_lease_not_found(store.get_lease(&acme, Uuid::new_v4()).await));
    assert!(store.list_leases(&globex, &LeaseFilter::default()).await.unwrap().is_empty());

    store.begin_revocation(&acme, made[4].id, now_utc()).await.unwrap().unwrap();
    let ids = |leases: Vec<Lease>| leases.into_iter().map(|lease| lease.id).collect::<Vec<_>>();
    let list = |filter: LeaseFilter| {
        let (store, acme) = (store.clone(), acme.clone());
        async move { ids(store.list_leases(&acme, &filter).await.unwrap()) }
    };
    let newest_first: Vec<Uuid> = made.iter().rev().map(|lease| lease.id).collect();
    assert_eq!(list(LeaseFilter::default()).await, newest_first);
    assert_eq!(list(LeaseFilter { limit: Some(2), ..Default::default() }).await, newest_first[..2]);
    let warehouse = LeaseFilter { provider: Some(name("warehouse")), ..Default::default() };
    assert_eq!(list(warehouse).await, [made[4].id, made[2].id, made[0].id]);
    let by_integration = LeaseFilter { integration: Some("warehouse".into()), ..Default::default() };
    assert_eq!(list(by_integration).await, [made[4].id, made[2].id, made[1].id, made[0].id]);
    let revoking = LeaseFilter { state: Some(LeaseState::Revoking), ..Default::default() };
    assert_eq!(list(revoking).await, [made[4].id]);
    let by_job = LeaseFilter { job_id: made[3].job_id, ..Default::default() };
    assert_eq!(list(by_job).await, [made[3].id]);
    let none = LeaseFilter {
        provider: Some(name("analytics")),
        state: Some(LeaseState::Revoking),
        ..Default::default()
    };
    assert!(list(none).await.is_empty(), "filters combine");
}

pub async fn only_active_leases_before_their_expiry_are_renewed(store: Arc<dyn Store>) {
    let (acme, globex) = (org("acme"), org("globex"));
    let now = now_utc();
    let live = lease(&acme, "warehouse", now);
    store.create_lease(&live, None).await.unwrap();
    let later = now + Duration::minutes(20);
    let renewed = store.renew_lease(&acme, live.id, later, now, Some("ada".into()), audited()).await.unwrap();
    assert_eq!((renewed.expires_at, renewed.state), (later, LeaseState::Active));
    assert_eq!(store.get_lease(&acme, live.id).await.unwrap().expires_at, later);
    // Never past the lease's own limit.
    let capped = store.renew_lease(&acme, live.id, now + Duration::days(1), now, None, None).await.unwrap();
    assert_eq!(capped.expires_at, live.max_expires_at);

    let mut old = lease(&acme, "warehouse", now - Duration::minutes(10));
    old.expires_at = now - Duration::seconds(1);
    store.create_lease(&old, None).await.unwrap();
    assert_eq!(not_active_state(store.renew_lease(&acme, old.id, later, now, None, None).await), "expired");
    // Its expiry instant is already too late.
    let mut edge = lease(&acme, "warehouse", now - Duration::minutes(1));
    edge.expires_at = now;
    store.create_lease(&edge, None).await.unwrap();
    assert_eq!(not_active_state(store.renew_lease(&acme, edge.id, later, now, None, None).await), "expired");

    store.begin_revocation(&acme, live.id, now).await.unwrap().unwrap();
    assert_eq!(not_active_state(store.renew_lease(&acme, live.id, later, now, None, None).await), "revoking");
    store.finish_revocation(&acme, live.id, RevocationOutcome::Revoked, now, None, None).await.unwrap();
    assert_eq!(not_active_state(store.renew_lease(&acme, live.id, later, now, None, None).await), "revoked");
    assert_eq!(store.get_lease(&acme, live.id).await.unwrap().expires_at, live.max_expires_at, "unchanged");

    assert!(is_lease_not_found(store.renew_lease(&globex, old.id, later, now, None, None).await));
    assert!(is_lease_not_found(store.renew_lease(&acme, Uuid::new_v4(), later, now, None, None).await));
}

pub async fn a_revocation_is_begun_once(store: Arc<dyn Store>) {
    let (acme, globex) = (org("acme"), org("globex"));
    let now = now_utc();
    let live = lease(&acme, "warehouse", now);
    store.create_lease(&live, None).await.unwrap();
    assert!(is_lease_not_found(store.begin_revocation(&globex, live.id, now).await));
    assert!(is_lease_not_found(store.begin_revocation(&acme, Uuid::new_v4(), now).await));

    let taken = store.begin_revocation(&acme, live.id, now).await.unwrap().expect("taken");
    assert_eq!((taken.state, taken.next_attempt_at), (LeaseState::Revoking, Some(now + REVOCATION_CLAIM)));
    assert_eq!(store.begin_revocation(&acme, live.id, now).await.unwrap(), None, "held by the first caller");
    let still_held = now + REVOCATION_CLAIM - Duration::seconds(1);
    assert_eq!(store.begin_revocation(&acme, live.id, still_held).await.unwrap(), None);
    // A claim that lapsed (its holder presumed gone) is taken over.
    let lapsed = now + REVOCATION_CLAIM;
    let over = store.begin_revocation(&acme, live.id, lapsed).await.unwrap().expect("taken over");
    assert_eq!(over.next_attempt_at, Some(lapsed + REVOCATION_CLAIM));

    store.finish_revocation(&acme, live.id, RevocationOutcome::Revoked, lapsed, None, None).await.unwrap();
    let later = lapsed + Duration::hours(1);
    assert_eq!(store.begin_revocation(&acme, live.id, later).await.unwrap(), None, "revoked already");

    // A failed revocation is taken again at once on request, whatever its backoff.
    let failing = lease(&acme, "warehouse", now);
    store.create_lease(&failing, None).await.unwrap();
    store.begin_revocation(&acme, failing.id, now).await.unwrap().unwrap();
    let retry_at = now + Duration::minutes(10);
    store.finish_revocation(&acme, failing.id, failed("refused", retry_at), now, None, None).await.unwrap();
    let again = store.begin_revocation(&acme, failing.id, now).await.unwrap().expect("taken again");
    assert_eq!((again.state, again.revoke_attempts), (LeaseState::Revoking, 1));

    // Many callers at once: one wins.
    let contested = lease(&acme, "warehouse", now);
    store.create_lease(&contested, None).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (store, acme) = (store.clone(), acme.clone());
            tokio::spawn(async move { store.begin_revocation(&acme, contested.id, now).await.unwrap() })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap().is_some());
    }
    assert_eq!(winners, 1);
}

/// Sets up one lease in every situation at `now`, in two organizations;
/// returns the ids of those due.
async fn leases_in_every_state(store: &Arc<dyn Store>, now: OffsetDateTime) -> HashSet<Uuid> {
    let (acme, globex) = (org("acme"), org("globex"));
    let past = now - Duration::minutes(30);
    let mut due = HashSet::new();
    let create = |org: &OrganizationId, created_at: OffsetDateTime, expires_at: OffsetDateTime| {
        let mut made = lease(org, "warehouse", created_at);
        made.expires_at = expires_at;
        made
    };
    // Active and expired, in each organization: due.
    for org in [&acme, &globex] {
        let expired = create(org, past, now - Duration::seconds(1));
        store.create_lease(&expired, None).await.unwrap();
        due.insert(expired.id);
    }
    // Active, expiring at this very instant: due.
    let at_expiry = create(&acme, past, now);
    store.create_lease(&at_expiry, None).await.unwrap();
    due.insert(at_expiry.id);
    // Active, not yet expired: not due.
    store.create_lease(&create(&acme, now, now + Duration::minutes(5)), None).await.unwrap();
    // Failed, its retry past: due; its retry to come: not due.
    for (retry_at, is_due) in [(now - Duration::seconds(1), true), (now + Duration::minutes(1), false)] {
        let failing = create(&acme, past, now + Duration::minutes(5));
        store.create_lease(&failing, None).await.unwrap();
        store.begin_revocation(&acme, failing.id, past).await.unwrap().unwrap();
        store
            .finish_revocation(&acme, failing.id, failed("refused", retry_at), past, None, None)
            .await
            .unwrap();
        if is_due {
            due.insert(failing.id);
        }
    }
    // Being revoked, the claim lapsed: due; the claim held: not due.
    for (claimed_at, is_due) in [(now - REVOCATION_CLAIM - Duration::seconds(1), true), (now, false)] {
        let held = create(&acme, past, now + Duration::minutes(5));
        store.create_lease(&held, None).await.unwrap();
        store.begin_revocation(&acme, held.id, claimed_at).await.unwrap().unwrap();
        if is_due {
            due.insert(held.id);
        }
    }
    // Revoked: never due.
    let revoked = create(&acme, past, now - Duration::minutes(1));
    store.create_lease(&revoked, None).await.unwrap();
    store.begin_revocation(&acme, revoked.id, past).await.unwrap().unwrap();
    store.finish_revocation(&acme, revoked.id, RevocationOutcome::Revoked, past, None, None).await.unwrap();
    due
}

pub async fn only_due_leases_are_claimed_for_revocation(store: Arc<dyn Store>) {
    let now = now_utc();
    let due = leases_in_every_state(&store, now).await;
    assert_eq!(due.len(), 5);
    let first = store.claim_revocations(now, 2).await.unwrap();
    assert_eq!(first.len(), 2, "at most the limit");
    let rest = store.claim_revocations(now, 100).await.unwrap();
    let claimed: Vec<&Lease> = first.iter().chain(&rest).collect();
    let ids: HashSet<Uuid> = claimed.iter().map(|lease| lease.id).collect();
    assert_eq!((claimed.len(), &ids), (5, &due), "every due lease, each once, over every organization");
    for lease in &claimed {
        assert_eq!(
            (lease.state, lease.next_attempt_at),
            (LeaseState::Revoking, Some(now + REVOCATION_CLAIM))
        );
        assert_eq!(
            store.get_lease(&lease.organization_id, lease.id).await.unwrap().state,
            LeaseState::Revoking
        );
    }
    assert!(store.claim_revocations(now, 100).await.unwrap().is_empty(), "all held now");
    // Once the claims lapse, they are due again (their holders presumed gone).
    let lapsed = now + REVOCATION_CLAIM;
    let retaken: HashSet<Uuid> =
        store.claim_revocations(lapsed, 100).await.unwrap().into_iter().map(|lease| lease.id).collect();
    assert!(retaken.is_superset(&due), "{retaken:?}");
}

pub async fn concurrent_revocation_claims_hand_out_each_lease_once(store: Arc<dyn Store>) {
    let now = now_utc();
    let mut due = HashSet::new();
    for n in 0..20 {
        let owner = org(if n % 2 == 0 { "acme" } else { "globex" });
        let mut expired = lease(&owner, "warehouse", now - Duration::minutes(10));
        expired.expires_at = now - Duration::seconds(n);
        store.create_lease(&expired, None).await.unwrap();
        due.insert(expired.id);
    }
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut got = Vec::new();
                loop {
                    let batch = store.claim_revocations(now, 3).await.unwrap();
                    if batch.is_empty() {
                        return got;
                    }
                    got.extend(batch.into_iter().map(|lease| lease.id));
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let distinct: HashSet<Uuid> = all.iter().copied().collect();
    assert_eq!((all.len(), &distinct), (20, &due));
}

pub async fn finishing_a_revocation_records_how_it_went(store: Arc<dyn Store>) {
    let (acme, globex) = (org("acme"), org("globex"));
    let now = now_utc();
    let made = lease(&acme, "warehouse", now);
    store.create_lease(&made, None).await.unwrap();
    // Not revoking yet: left as it is.
    let untouched =
        store.finish_revocation(&acme, made.id, RevocationOutcome::Revoked, now, None, None).await;
    assert_eq!(untouched.unwrap(), made);

    store.begin_revocation(&acme, made.id, now).await.unwrap().unwrap();
    assert!(is_lease_not_found(
        store.finish_revocation(&globex, made.id, RevocationOutcome::Revoked, now, None, None).await
    ));
    let retry_at = now + Duration::seconds(5);
    let first =
        store.finish_revocation(&acme, made.id, failed("connection refused", retry_at), now, None, None);
    let first = first.await.unwrap();
    assert_eq!((first.state, first.revoke_attempts), (LeaseState::RevokeFailed, 1));
    assert_eq!(
        (first.next_attempt_at, first.last_error.as_deref()),
        (Some(retry_at), Some("connection refused"))
    );
    assert_eq!(first.revoked_at, None);

    let claimed = store.claim_revocations(retry_at, 10).await.unwrap();
    assert_eq!(claimed.iter().map(|lease| lease.id).collect::<Vec<_>>(), [made.id]);
    let retry_at = retry_at + Duration::seconds(10);
    let second = store.finish_revocation(&acme, made.id, failed("role is busy", retry_at), now, None, None);
    let second = second.await.unwrap();
    assert_eq!((second.revoke_attempts, second.last_error.as_deref()), (2, Some("role is busy")));
    assert_eq!(second.next_attempt_at, Some(retry_at));

    store.begin_revocation(&acme, made.id, now).await.unwrap().unwrap();
    let done_at = now + Duration::minutes(1);
    let done = store.finish_revocation(&acme, made.id, RevocationOutcome::Revoked, done_at, None, None);
    let done = done.await.unwrap();
    assert_eq!((done.state, done.revoked_at, done.revoke_attempts), (LeaseState::Revoked, Some(done_at), 2));
    assert_eq!((done.next_attempt_at, done.last_error.as_deref()), (None, None));
    assert_eq!(store.get_lease(&acme, made.id).await.unwrap(), done);

    // A late report from a holder whose claim lapsed changes nothing.
    let late = store.finish_revocation(&acme, made.id, failed("too late", now), now, None, None).await;
    assert_eq!(late.unwrap(), done);
    assert!(is_lease_not_found(
        store.finish_revocation(&acme, Uuid::new_v4(), RevocationOutcome::Revoked, now, None, None).await
    ));
    // Only the three revocations that ended left events.
    assert_eq!(events(&store, &acme, AuditAction::LeaseRevoke).await.len(), 3);
}

pub async fn lease_events_are_committed_with_their_changes(store: Arc<dyn Store>) {
    let acme = org("acme");
    let now = now_utc();
    let mut made = lease(&acme, "warehouse", now);
    made.job_id = Some(Uuid::new_v4());
    store.create_lease(&made, audited()).await.unwrap();
    store
        .renew_lease(&acme, made.id, now + Duration::minutes(10), now, Some("grace".into()), audited())
        .await
        .unwrap();
    store.begin_revocation(&acme, made.id, now).await.unwrap().unwrap();
    store
        .finish_revocation(&acme, made.id, failed("connection refused", now), now, None, None)
        .await
        .unwrap();
    store.begin_revocation(&acme, made.id, now).await.unwrap().unwrap();
    store
        .finish_revocation(&acme, made.id, RevocationOutcome::Revoked, now, Some("grace".into()), audited())
        .await
        .unwrap();
    // The server's own lease (no request behind it) is recorded too.
    let quiet = lease(&acme, "warehouse", now);
    store.create_lease(&quiet, None).await.unwrap();

    let created = events(&store, &acme, AuditAction::LeaseCreate).await;
    assert_eq!(created.len(), 2);
    let server = &created[0].event;
    assert_eq!((server.actor.as_deref(), server.actor_role.as_deref()), (Some("patchbay"), Some("server")));
    let create = &created[1].event;
    assert_eq!((create.actor.as_deref(), create.actor_role.as_deref()), (Some("ada"), Some("admin")));
    assert_eq!(
        (create.resource_type.as_str(), create.resource_id.clone()),
        ("lease", Some(made.id.to_string()))
    );
    assert_eq!((create.request_id.as_deref(), create.outcome), (Some("req-1"), AuditOutcome::Success));
    let fields = detail(&created[1]);
    assert_eq!((fields["provider"].as_str(), fields["role"].as_str()), (Some("warehouse"), Some("readonly")));
    assert_eq!(fields["username"].as_str(), Some(made.username.as_str()));
    assert_eq!(fields["integration"].as_str(), Some("warehouse"));
    assert_eq!(fields["job_id"].as_str(), Some(made.job_id.unwrap().to_string().as_str()));

    let renewals = events(&store, &acme, AuditAction::LeaseRenew).await;
    assert_eq!(renewals.len(), 1);
    assert_eq!(renewals[0].event.actor.as_deref(), Some("grace"));
    let revokes = events(&store, &acme, AuditAction::LeaseRevoke).await;
    let outcomes: Vec<_> = revokes.iter().map(|e| (e.event.outcome, e.event.actor.clone())).collect();
    assert_eq!(
        outcomes,
        [(AuditOutcome::Success, Some("grace".into())), (AuditOutcome::Failed, Some("patchbay".into()))],
        "newest first: the failure the server met, then the revocation asked for"
    );
    assert_eq!(detail(&revokes[1])["error"], "connection refused");
    assert!(!detail(&revokes[0]).contains_key("error"));
    for event in created.iter().chain(&renewals).chain(&revokes) {
        let fields = detail(event);
        assert!(!fields.keys().any(|key| key.contains("password")), "{fields:?}");
        assert_eq!(fields["provider"], "warehouse");
    }
}

pub async fn lease_counts_cover_every_organization(store: Arc<dyn Store>) {
    assert_eq!(store.lease_counts().await.unwrap(), Default::default());
    let now = now_utc();
    leases_in_every_state(&store, now).await;
    // Nine leases in two organizations, one revoked; two failed revocations.
    let counts = store.lease_counts().await.unwrap();
    assert_eq!((counts.live, counts.revoke_failed), (8, 2));
}
