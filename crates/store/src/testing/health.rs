//! Conformance cases for integration health and the test schedule.
use super::integrations::{full_config, new_integration, org};
use crate::{HealthState, JobResult, JobStatus, Store, WorkerScope};
use patchbay_domain::{
    AuditAction, AuditFilter, ConnectionTest, Integration, OrganizationId, TestTimeout, now_utc,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use time::Duration as Span;

const LEASE: Duration = Duration::from_secs(30);

/// An active integration whose test runs every `every` seconds (`None`: on
/// demand only), enabled or not.
async fn scheduled(
    store: &Arc<dyn Store>,
    org: &OrganizationId,
    name: &str,
    every: Option<u32>,
    enabled: bool,
) -> Integration {
    let mut new = new_integration(name, "postgres", &[]);
    new.config = full_config();
    new.config.connection_test = Some(ConnectionTest {
        enabled,
        command: "true".into(),
        timeout: TestTimeout::parse(5).unwrap(),
        interval_seconds: every,
    });
    store.create_integration(org, new).await.unwrap()
}

/// Runs one test of `integration` to `status` through a worker.
async fn test_ends(
    store: &Arc<dyn Store>,
    org: &OrganizationId,
    integration: &Integration,
    status: JobStatus,
) {
    let scope = WorkerScope::Organization(org.clone());
    store.enqueue_job(org, integration, None).await.unwrap();
    let worker = store.register_worker(&scope, "box").await.unwrap();
    let job = store.claim_job(&scope, worker.id, LEASE).await.unwrap().expect("a job");
    let now = now_utc();
    let result = JobResult {
        status,
        exit_code: Some(i32::from(status != JobStatus::Passed)),
        duration_ms: 3,
        output: String::new(),
        started_at: now,
        finished_at: now,
    };
    store.finish_job(&scope, worker.id, job.id, job.attempts, result).await.unwrap();
}

async fn health_events(store: &Arc<dyn Store>, org: &OrganizationId) -> Vec<serde_json::Value> {
    let filter = AuditFilter {
        action: Some(AuditAction::IntegrationHealthChanged),
        limit: 100,
        ..AuditFilter::default()
    };
    let events = store.list_audit_events(org, &filter).await.unwrap();
    events.iter().rev().map(|stored| serde_json::from_str(&stored.event.detail).unwrap()).collect()
}

pub async fn results_move_health_and_record_each_change(store: Arc<dyn Store>) {
    let acme = org("acme");
    let pg = scheduled(&store, &acme, "pg", None, true).await;
    assert_eq!(store.get_health(&acme, pg.id).await.unwrap(), None, "unknown before a result");

    test_ends(&store, &acme, &pg, JobStatus::Failed).await;
    let failing = store.get_health(&acme, pg.id).await.unwrap().expect("a health");
    assert_eq!((failing.state, failing.consecutive_failures), (HealthState::Failing, 1));
    test_ends(&store, &acme, &pg, JobStatus::Timeout).await;
    let still = store.get_health(&acme, pg.id).await.unwrap().unwrap();
    assert_eq!(
        (still.state, still.consecutive_failures, still.since),
        (HealthState::Failing, 2, failing.since)
    );
    test_ends(&store, &acme, &pg, JobStatus::Passed).await;
    let healthy = store.get_health(&acme, pg.id).await.unwrap().unwrap();
    assert_eq!((healthy.state, healthy.consecutive_failures), (HealthState::Healthy, 0));

    let moves: Vec<(String, String)> = health_events(&store, &acme)
        .await
        .iter()
        .map(|detail| {
            (detail["from"].as_str().unwrap().to_owned(), detail["to"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(moves, [("unknown".into(), "failing".into()), ("failing".into(), "healthy".into())]);

    // Another organization sees none of it.
    let globex = org("globex");
    assert_eq!(store.get_health(&globex, pg.id).await.unwrap(), None);
    assert!(store.list_health(&globex).await.unwrap().is_empty());
    assert!(health_events(&store, &globex).await.is_empty());
    assert_eq!(store.list_health(&acme).await.unwrap(), [healthy]);

    let other = scheduled(&store, &acme, "other", None, true).await;
    let counts = store.health_counts().await.unwrap();
    assert_eq!((counts.healthy, counts.failing, counts.unknown), (1, 0, 1), "{other:?}");
}

pub async fn due_tests_are_claimed_once_per_interval(store: Arc<dyn Store>) {
    let acme = org("acme");
    let every = scheduled(&store, &acme, "every-minute", Some(60), true).await;
    scheduled(&store, &acme, "on-demand", None, true).await;
    scheduled(&store, &acme, "disabled", Some(60), false).await;
    let paused = scheduled(&store, &acme, "paused", Some(60), true).await;
    let patch = patchbay_domain::IntegrationPatch {
        status: Some(patchbay_domain::IntegrationStatus::Inactive),
        ..Default::default()
    };
    store.update_integration(&acme, paused.id, patch).await.unwrap();

    // A config whose strings hold a NUL, quotes and backslashes is read
    // right (PostgreSQL reads the interval from the stored text).
    let mut tricky = new_integration("tricky", "postgres", &[]);
    tricky.config = full_config();
    let name = patchbay_domain::EnvVarName::parse("ODD").unwrap();
    tricky.config.env_vars.insert(name, "nul \u{0} \"quoted\" \\ end".into());
    tricky.config.connection_test = Some(ConnectionTest {
        enabled: true,
        command: r#"echo "a\"b" \\ '"interval_seconds":1}'"#.into(),
        timeout: TestTimeout::parse(5).unwrap(),
        interval_seconds: Some(600),
    });
    let tricky = store.create_integration(&acme, tricky).await.unwrap();

    let now = now_utc();
    let mut due = store.claim_due_tests(now, 10).await.unwrap();
    due.sort_by_key(|due| due.integration_id != every.id);
    assert_eq!(due.len(), 2, "{due:?}");
    assert_eq!((due[0].integration_id, &due[0].organization_id, due[0].busy), (every.id, &acme, false));
    assert_eq!(due[1].integration_id, tricky.id);
    assert!(store.claim_due_tests(now, 10).await.unwrap().is_empty(), "taken for this interval");
    assert!(store.claim_due_tests(now + Span::seconds(59), 10).await.unwrap().is_empty());

    // Due again a minute on; busy while its previous test is queued.
    store.enqueue_job(&acme, &every, None).await.unwrap();
    let again = store.claim_due_tests(now + Span::seconds(61), 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert!(again[0].busy, "a test is still queued");
}

pub async fn concurrent_schedule_claims_take_each_interval_once(store: Arc<dyn Store>) {
    let acme = org("acme");
    for i in 0..6 {
        scheduled(&store, &acme, &format!("db-{i}"), Some(30), true).await;
    }
    let now = now_utc();
    let claims = (0..8).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.claim_due_tests(now, 4).await.unwrap() })
    });
    let mut taken: HashMap<uuid::Uuid, u32> = HashMap::new();
    for claim in claims {
        for due in claim.await.unwrap() {
            *taken.entry(due.integration_id).or_default() += 1;
        }
    }
    // Claims racing for the same rows may leave some for a later pass.
    for due in store.claim_due_tests(now, 10).await.unwrap() {
        *taken.entry(due.integration_id).or_default() += 1;
    }
    assert_eq!(taken.len(), 6, "every due integration taken: {taken:?}");
    assert!(taken.values().all(|count| *count == 1), "each once: {taken:?}");
}
