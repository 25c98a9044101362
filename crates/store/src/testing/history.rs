//! Conformance cases for revisions, conditional writes and the audit log.
use super::integrations::{full_config, new_integration, org};
use crate::{AuditContext, Change, Conflict, DeleteMode, Store, StoreError};
use patchbay_domain::{
    ApprovalKind, AuditAction, AuditEvent, AuditFilter, AuditOutcome, IntegrationPatch, IntegrationStatus,
    RevisionKind, now_utc,
};
use std::sync::Arc;
use time::Duration;

fn by(actor: &str) -> Change {
    Change::by(Some(actor.to_owned()))
}

fn expecting(revision: i64) -> Change {
    Change { actor: Some("user-2".into()), by_admin: false, expected_revision: Some(revision), audit: None }
}

/// Approvals: an admin's write is approved by its author, a non-admin's is
/// not until approved, and a non-admin's change that keeps the config keeps
/// the approval; approving twice keeps the first.
pub async fn approvals_follow_authors_and_configs(store: Arc<dyn Store>) {
    let a = org("org-a");
    let mut new = new_integration("pg", "postgres", &[]);
    new.config = full_config();
    let created = store.create_integration(&a, new).await.unwrap();
    assert_eq!(store.get_revision(&a, created.id, 1).await.unwrap().approval, None, "a member created it");

    let admin = Change { actor: Some("ada".into()), by_admin: true, expected_revision: None, audit: None };
    let patch = IntegrationPatch { description: Some("main".into()), ..Default::default() };
    store.update_integration_with(&a, created.id, patch, admin).await.unwrap();
    let written = store.get_revision(&a, created.id, 2).await.unwrap().approval.unwrap();
    assert_eq!(
        (written.kind, written.revision, written.by.as_deref()),
        (ApprovalKind::Written, 2, Some("ada"))
    );

    let tags = IntegrationPatch { tags: Some(vec!["prod".into()]), ..Default::default() };
    store.update_integration_with(&a, created.id, tags, by("bob")).await.unwrap();
    assert_eq!(store.get_revision(&a, created.id, 3).await.unwrap().approval, Some(written), "config kept");

    let mut config = full_config();
    config.env_vars.clear();
    let rewrite = IntegrationPatch { config: Some(config), ..Default::default() };
    store.update_integration_with(&a, created.id, rewrite, by("bob")).await.unwrap();
    assert_eq!(store.get_revision(&a, created.id, 4).await.unwrap().approval, None, "config changed");

    let approved = store.approve_revision(&a, created.id, 4, by("ada")).await.unwrap();
    let approval = approved.approval.clone().unwrap();
    assert_eq!(
        (approval.kind, approval.revision, approval.by.as_deref()),
        (ApprovalKind::Approved, 4, Some("ada"))
    );
    assert_eq!(approved.snapshot, store.get_integration(&a, created.id).await.unwrap());
    let again = store.approve_revision(&a, created.id, 4, by("zed")).await.unwrap();
    assert_eq!(again.approval, Some(approval), "the first approval stays");

    assert!(matches!(
        store.approve_revision(&a, created.id, 9, by("ada")).await,
        Err(StoreError::NotFound(_))
    ));
    let b = org("org-b");
    assert!(matches!(
        store.approve_revision(&b, created.id, 4, by("ada")).await,
        Err(StoreError::NotFound(_))
    ));
}

/// An audited write commits its event with it, named after what was
/// written: a no-op right after a restore is an update, not a restore.
pub async fn audited_writes_commit_their_events(store: Arc<dyn Store>) {
    let a = org("org-a");
    let audited = |role: &str| Change {
        actor: Some("ada".into()),
        by_admin: role == "admin",
        expected_revision: None,
        audit: Some(AuditContext {
            actor_role: Some(role.into()),
            request_id: Some("req-1".into()),
            ..Default::default()
        }),
    };
    let created = store
        .create_integration_with(&a, new_integration("pg", "postgres", &[]), audited("member").audit)
        .await
        .unwrap();
    let patch = IntegrationPatch { description: Some("main".into()), ..Default::default() };
    store.update_integration_with(&a, created.id, patch, audited("member")).await.unwrap();
    store.restore_revision(&a, created.id, 1, audited("admin")).await.unwrap();
    store
        .update_integration_with(&a, created.id, IntegrationPatch::default(), audited("member"))
        .await
        .unwrap();
    store.approve_revision(&a, created.id, 3, audited("admin")).await.unwrap();
    store.delete_integration_with(&a, created.id, DeleteMode::Soft, audited("member")).await.unwrap();
    // Unaudited writes (tests, tools) record nothing.
    let back = IntegrationPatch { status: Some(IntegrationStatus::Active), ..Default::default() };
    store.update_integration_with(&a, created.id, back, by("user-2")).await.unwrap();
    store
        .delete_integration_with(
            &a,
            created.id,
            DeleteMode::Hard,
            audited("admin").with_detail("hard_delete", serde_json::json!(true)),
        )
        .await
        .unwrap();

    let filter = AuditFilter { limit: 100, ..Default::default() };
    let mut events = store.list_audit_events(&a, &filter).await.unwrap();
    events.reverse();
    let seen: Vec<(AuditAction, Option<&str>)> =
        events.iter().map(|e| (e.event.action, e.event.actor_role.as_deref())).collect();
    assert_eq!(
        seen,
        [
            (AuditAction::IntegrationCreate, Some("member")),
            (AuditAction::IntegrationUpdate, Some("member")),
            (AuditAction::IntegrationRestore, Some("admin")),
            (AuditAction::IntegrationUpdate, Some("member")),
            (AuditAction::IntegrationApprove, Some("admin")),
            (AuditAction::IntegrationDelete, Some("member")),
            (AuditAction::IntegrationDelete, Some("admin")),
        ]
    );
    for stored in &events {
        let event = &stored.event;
        assert_eq!((event.outcome, event.request_id.as_deref()), (AuditOutcome::Success, Some("req-1")));
        assert_eq!(event.resource_id.as_deref(), Some(created.id.to_string().as_str()));
        let detail: serde_json::Value = serde_json::from_str(&event.detail).unwrap();
        assert_eq!(detail["name"], "pg", "{detail}");
    }
    let revisions: Vec<i64> = events
        .iter()
        .map(|e| {
            serde_json::from_str::<serde_json::Value>(&e.event.detail).unwrap()["revision"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(revisions, [1, 2, 3, 3, 3, 4, 5]);
    let last: serde_json::Value = serde_json::from_str(&events[6].event.detail).unwrap();
    assert_eq!(last["hard_delete"], true);
}

pub async fn revisions_record_every_change(store: Arc<dyn Store>) {
    let a = org("org-a");
    let mut new = new_integration("pg", "postgres", &["prod"]);
    new.config = full_config();
    let created = store.create_integration(&a, new).await.unwrap();
    let patch = IntegrationPatch { description: Some("main".into()), ..Default::default() };
    let updated = store.update_integration_with(&a, created.id, patch, by("user-2")).await.unwrap();
    store.update_integration_with(&a, created.id, IntegrationPatch::default(), by("user-2")).await.unwrap();
    store.delete_integration_with(&a, created.id, DeleteMode::Soft, by("user-3")).await.unwrap();
    let back = IntegrationPatch { status: Some(IntegrationStatus::Active), ..Default::default() };
    let restored = store.update_integration_with(&a, created.id, back, by("user-4")).await.unwrap();
    assert_eq!(restored.revision, 4, "the no-op update wrote nothing");

    let revisions = store.list_revisions(&a, created.id, None, 0).await.unwrap();
    let kinds: Vec<_> = revisions.iter().map(|r| (r.snapshot.revision, r.kind, r.actor.as_deref())).collect();
    assert_eq!(
        kinds,
        [
            (4, RevisionKind::Restore, Some("user-4")),
            (3, RevisionKind::Delete, Some("user-3")),
            (2, RevisionKind::Update, Some("user-2")),
            (1, RevisionKind::Create, Some("user-1")),
        ]
    );
    // Each snapshot is the integration exactly as it was.
    assert_eq!(revisions[3].snapshot, created);
    assert_eq!(revisions[2].snapshot, updated);
    assert_eq!(revisions[1].snapshot.status, IntegrationStatus::Deleted);
    assert_eq!(revisions[0].snapshot, restored);
    assert_eq!(revisions[0].created_at, restored.updated_at);
    assert_eq!(store.get_revision(&a, created.id, 2).await.unwrap(), revisions[2]);

    let page = store.list_revisions(&a, created.id, Some(2), 1).await.unwrap();
    let numbers: Vec<i64> = page.iter().map(|r| r.snapshot.revision).collect();
    assert_eq!(numbers, [3, 2]);
    // A missing revision of an existing integration is named as such.
    assert!(matches!(
        store.get_revision(&a, created.id, 5).await,
        Err(StoreError::NotFound(crate::Missing::Revision(5)))
    ));
    let b = org("org-b");
    assert!(matches!(store.list_revisions(&b, created.id, None, 0).await, Err(StoreError::NotFound(_))));
    assert!(matches!(
        store.get_revision(&b, created.id, 1).await,
        Err(StoreError::NotFound(crate::Missing::Integration))
    ));

    // Revisions go with a hard delete.
    store.delete_integration(&a, created.id, DeleteMode::Hard).await.unwrap();
    assert!(matches!(store.list_revisions(&a, created.id, None, 0).await, Err(StoreError::NotFound(_))));
}

pub async fn conditional_writes_check_the_revision(store: Arc<dyn Store>) {
    let a = org("org-a");
    let created = store.create_integration(&a, new_integration("pg", "postgres", &[])).await.unwrap();
    let patch = |d: &str| IntegrationPatch { description: Some(d.into()), ..Default::default() };
    let first = store.update_integration_with(&a, created.id, patch("one"), expecting(1)).await.unwrap();
    assert_eq!(first.revision, 2);
    let stale = store.update_integration_with(&a, created.id, patch("two"), expecting(1)).await;
    assert!(matches!(stale, Err(StoreError::RevisionMismatch { current: 2 })), "{stale:?}");
    let stale = store.delete_integration_with(&a, created.id, DeleteMode::Soft, expecting(1)).await;
    assert!(matches!(stale, Err(StoreError::RevisionMismatch { current: 2 })), "{stale:?}");
    let stale = store.delete_integration_with(&a, created.id, DeleteMode::Hard, expecting(7)).await;
    assert!(matches!(stale, Err(StoreError::RevisionMismatch { current: 2 })), "{stale:?}");
    assert_eq!(store.get_integration(&a, created.id).await.unwrap(), first, "nothing changed");
    // A missing integration is missing whatever the caller expected.
    let b = org("org-b");
    let other = store.update_integration_with(&b, created.id, patch("x"), expecting(2)).await;
    assert!(matches!(other, Err(StoreError::NotFound(_))));
    store.delete_integration_with(&a, created.id, DeleteMode::Hard, expecting(2)).await.unwrap();
}

pub async fn restore_revision_rolls_back(store: Arc<dyn Store>) {
    let a = org("org-a");
    let created = store.create_integration(&a, new_integration("pg", "postgres", &["x"])).await.unwrap();
    let patch = IntegrationPatch {
        name: Some("pg2".into()),
        description: Some("renamed".into()),
        config: Some(full_config()),
        tags: Some(vec!["y".into()]),
        ..Default::default()
    };
    store.update_integration(&a, created.id, patch).await.unwrap();
    let restored = store.restore_revision(&a, created.id, 1, by("user-9")).await.unwrap();
    assert_eq!(restored.revision, 3);
    assert_eq!(
        (restored.name.as_str(), &restored.description, &restored.config, &restored.tags),
        ("pg", &None, &created.config, &created.tags)
    );
    let revision = store.get_revision(&a, created.id, 3).await.unwrap();
    assert_eq!(
        (revision.kind, revision.restored_from, revision.actor.as_deref()),
        (RevisionKind::Restore, Some(1), Some("user-9"))
    );
    assert_eq!(store.get_integration(&a, created.id).await.unwrap(), restored);
    // Already equal: nothing is written.
    assert_eq!(store.restore_revision(&a, created.id, 3, by("user-9")).await.unwrap().revision, 3);
    // Revision 2's name is now another live integration's.
    store.create_integration(&a, new_integration("pg2", "postgres", &[])).await.unwrap();
    let taken = store.restore_revision(&a, created.id, 2, by("user-9")).await;
    assert!(
        matches!(taken, Err(StoreError::Conflict(Conflict::IntegrationName(ref n))) if n == "pg2"),
        "{taken:?}"
    );
    assert!(matches!(store.restore_revision(&a, created.id, 9, by("u")).await, Err(StoreError::NotFound(_))));
    let stale = store.restore_revision(&a, created.id, 2, expecting(1)).await;
    assert!(matches!(stale, Err(StoreError::RevisionMismatch { current: 3 })));
}

fn event(org_name: &str, action: AuditAction, resource: &str, actor: &str) -> AuditEvent {
    AuditEvent {
        organization_id: org(org_name),
        occurred_at: now_utc(),
        actor: Some(actor.to_owned()),
        actor_role: Some("admin".into()),
        action,
        resource_type: "integration".into(),
        resource_id: Some(resource.to_owned()),
        outcome: AuditOutcome::Success,
        request_id: Some("req-1".into()),
        detail: "{}".into(),
    }
}

pub async fn audit_log_filters_pages_and_purges(store: Arc<dyn Store>) {
    let a = org("org-a");
    let mut old = event("org-a", AuditAction::SecretRead, "DB_PASSWORD", "alice");
    old.occurred_at = now_utc() - Duration::days(100);
    store.append_audit_event(old.clone()).await.unwrap();
    for i in 0..5 {
        store
            .append_audit_event(event("org-a", AuditAction::IntegrationUpdate, &format!("r{i}"), "bob"))
            .await
            .unwrap();
    }
    store.append_audit_event(event("org-b", AuditAction::SecretRead, "DB_PASSWORD", "alice")).await.unwrap();

    let all = store.list_audit_events(&a, &AuditFilter { limit: 100, ..Default::default() }).await.unwrap();
    assert_eq!(all.len(), 6, "another organization's events are not listed");
    assert!(all.windows(2).all(|w| w[0].seq > w[1].seq), "newest first");
    assert_eq!(all[5].event, old);

    let page = |before_seq| AuditFilter { limit: 2, before_seq, ..Default::default() };
    let first = store.list_audit_events(&a, &page(None)).await.unwrap();
    let second = store.list_audit_events(&a, &page(Some(first[1].seq))).await.unwrap();
    assert_eq!([first, second].concat(), all[..4].to_vec());

    let by_action = AuditFilter { action: Some(AuditAction::SecretRead), limit: 100, ..Default::default() };
    assert_eq!(store.list_audit_events(&a, &by_action).await.unwrap().len(), 1);
    let by_resource = AuditFilter { resource_id: Some("r3".into()), limit: 100, ..Default::default() };
    assert_eq!(store.list_audit_events(&a, &by_resource).await.unwrap().len(), 1);
    let by_actor = AuditFilter { actor: Some("bob".into()), limit: 100, ..Default::default() };
    assert_eq!(store.list_audit_events(&a, &by_actor).await.unwrap().len(), 5);
    let recent = AuditFilter { since: Some(now_utc() - Duration::days(1)), limit: 100, ..Default::default() };
    assert_eq!(store.list_audit_events(&a, &recent).await.unwrap().len(), 5);
    let older = AuditFilter { until: Some(now_utc() - Duration::days(1)), limit: 100, ..Default::default() };
    assert_eq!(store.list_audit_events(&a, &older).await.unwrap().len(), 1);

    assert_eq!(store.purge_audit_events(now_utc() - Duration::days(90)).await.unwrap(), 1);
    assert_eq!(
        store.list_audit_events(&a, &AuditFilter { limit: 100, ..Default::default() }).await.unwrap().len(),
        5
    );
}

/// Events appended at once (a backend may write them together) each land
/// once, every field as given, and each append returns only once its event
/// can be read.
pub async fn concurrent_audit_appends_each_land_once_in_full(store: Arc<dyn Store>) {
    let a = org("org-a");
    let appends: Vec<_> = (0..64)
        .map(|i| {
            let mut event = event("org-a", AuditAction::Resolve, &format!("r{i}"), &format!("user-{i}"));
            if i % 3 == 0 {
                (event.actor, event.actor_role, event.resource_id, event.request_id) =
                    (None, None, None, None);
            }
            event.outcome = if i % 2 == 0 { AuditOutcome::Success } else { AuditOutcome::Failed };
            event.detail = format!(r#"{{"i":{i}}}"#);
            let store = store.clone();
            tokio::spawn(async move {
                store.append_audit_event(event.clone()).await.unwrap();
                // Readable as soon as the append returns.
                let listed = store
                    .list_audit_events(
                        &event.organization_id,
                        &AuditFilter { limit: 1000, ..Default::default() },
                    )
                    .await
                    .unwrap();
                assert!(listed.iter().any(|stored| stored.event == event), "event {i} not readable");
                event
            })
        })
        .collect();
    let mut appended = Vec::new();
    for append in appends {
        appended.push(append.await.unwrap());
    }
    let mut listed: Vec<AuditEvent> = store
        .list_audit_events(&a, &AuditFilter { limit: 1000, ..Default::default() })
        .await
        .unwrap()
        .into_iter()
        .map(|stored| stored.event)
        .collect();
    let key = |event: &AuditEvent| event.detail.clone();
    listed.sort_by_key(key);
    appended.sort_by_key(key);
    assert_eq!(listed, appended);
}
