//! Scheduled connection tests and integration health: tests queued every
//! interval (once, with two replicas), skipped while the previous one runs
//! or while a revision with secrets awaits approval, and health that
//! follows their results, readable by every role of the organization only.
use crate::extra_server::ExtraServer;
use crate::harness::{Backend, TestApp};
use patchbay_domain::Role;
use patchbay_server::limits::Limits;
use patchbay_worker::Step;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const INTEGRATIONS: &str = "/api/v1/custom-integrations";

fn body(name: &str, command: &str, every: u32) -> Value {
    json!({"name": name, "integration_type": "postgres", "config": {
        "connection_test": {"command": command, "timeout": 5, "interval_seconds": every}
    }})
}

async fn health(app: &TestApp, org: &str, id: &str) -> Value {
    let (status, health) = app.get(org, Role::Viewer, &format!("{INTEGRATIONS}/{id}/health")).await;
    assert_eq!(status, 200, "{health}");
    health
}

async fn history(app: &TestApp, org: &str, id: &str) -> Vec<Value> {
    let (status, tests) = app.get(org, Role::Viewer, &format!("{INTEGRATIONS}/{id}/tests")).await;
    assert_eq!(status, 200, "{tests}");
    tests.as_array().unwrap().clone()
}

/// Runs queued tests until `done` holds of the integration's health, for at
/// most `limit`.
async fn work_until(
    app: &TestApp,
    worker: &patchbay_worker::Worker,
    id: &str,
    limit: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let start = Instant::now();
    loop {
        if worker.try_run_one().await.unwrap() == Step::QueueEmpty {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let health = health(app, "org-a", id).await;
        if done(&health) {
            return health;
        }
        assert!(start.elapsed() < limit, "not there after {limit:?}: {health}");
    }
}

async fn metrics(app: &TestApp) -> String {
    app.request(Method::GET, "/metrics").send().await.unwrap().text().await.unwrap()
}

async fn scheduled_tests_move_health_both_ways(app: TestApp) {
    let id = app.create_integration("org-a", &body("flaky", "exit 3", 1)).await;
    assert_eq!(health(&app, "org-a", &id).await["state"], "unknown");
    let worker = app.worker("org-a", 0).await;

    let failing = work_until(&app, &worker, &id, Duration::from_secs(10), |h| h["state"] == "failing").await;
    assert_eq!(failing["last_test"]["status"], "failed");
    assert_eq!(failing["last_test"]["created_by"], "patchbay", "queued by the scheduler");
    assert!(failing["since"].is_string() && failing["consecutive_failures"].as_i64() >= Some(1));
    let failing =
        work_until(&app, &worker, &id, Duration::from_secs(10), |h| h["consecutive_failures"] == 2).await;
    assert_eq!(failing["state"], "failing");
    assert!(metrics(&app).await.contains("patchbay_integrations_health{state=\"failing\"} 1"));

    // Fixed: the next scheduled test passes and health follows.
    let fixed =
        json!({"config": {"connection_test": {"command": "true", "timeout": 5, "interval_seconds": 1}}});
    let (status, updated) =
        app.send_json(Method::PUT, &format!("{INTEGRATIONS}/{id}"), "org-a", &fixed).await;
    assert_eq!(status, 200, "{updated}");
    let healthy = work_until(&app, &worker, &id, Duration::from_secs(10), |h| h["state"] == "healthy").await;
    assert_eq!(
        (healthy["consecutive_failures"].clone(), healthy["last_test"]["status"].clone()),
        (json!(0), json!("passed"))
    );

    // Each move is an audit event with from, to and the test.
    let (_, events) =
        app.get("org-a", Role::Admin, "/api/v1/audit-events?action=integration.health_changed").await;
    let moves: Vec<(Value, Value)> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| (e["detail"]["from"].clone(), e["detail"]["to"].clone()))
        .collect();
    assert_eq!(moves, [(json!("unknown"), json!("failing")), (json!("failing"), json!("healthy"))]);
    let last = &events["events"][0];
    assert_eq!(
        (last["resource_id"].as_str(), last["detail"]["test"]["status"].as_str()),
        (Some(id.as_str()), Some("passed"))
    );

    let (_, all) = app.get("org-a", Role::Viewer, "/api/v1/integration-health").await;
    assert_eq!(all.as_array().unwrap().len(), 1);
    assert_eq!(
        (all[0]["integration_id"].as_str(), all[0]["state"].as_str()),
        (Some(id.as_str()), Some("healthy"))
    );
}

/// While the previous test is queued (no worker takes it), later intervals
/// are skipped rather than piling up.
async fn a_busy_interval_is_skipped(app: TestApp) {
    let id = app.create_integration("org-a", &body("slow", "true", 1)).await;
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let tests = history(&app, "org-a", &id).await;
    assert_eq!(tests.len(), 1, "one queued test, the rest skipped: {tests:?}");
    assert!(metrics(&app).await.contains("patchbay_scheduled_tests_total{outcome=\"skipped_busy\"}"));

    // Neither inactive nor on-demand integrations are scheduled.
    let idle = app
        .create_integration(
            "org-a",
            &json!({"name": "idle", "integration_type": "redis",
        "config": {"connection_test": {"command": "true"}}}),
        )
        .await;
    let paused = app.create_integration("org-a", &body("paused", "true", 1)).await;
    let pause = json!({"status": "inactive"});
    let (status, _) = app.send_json(Method::PUT, &format!("{INTEGRATIONS}/{paused}"), "org-a", &pause).await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(history(&app, "org-a", &idle).await.is_empty());
    assert!(history(&app, "org-a", &paused).await.len() <= 1, "at most the one before it was paused");
}

/// A member's revision that hands the test a secret value waits for an
/// admin's approval, scheduled or not.
async fn scheduled_tests_of_unapproved_secrets_wait(app: TestApp) {
    app.put_secret("org-a", "DB_PASSWORD", "s3cret-value").await;
    let mut with_secret = body("guarded", "true", 1);
    with_secret["config"]["secrets"] = json!(["DB_PASSWORD"]);
    let (status, created) =
        app.call("org-a", Role::Member, Method::POST, INTEGRATIONS, Some(&with_secret)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(history(&app, "org-a", &id).await.is_empty(), "nothing queued before approval");
    assert!(
        metrics(&app).await.contains("patchbay_scheduled_tests_total{outcome=\"skipped_needs_approval\"}")
    );

    let approve = format!("{INTEGRATIONS}/{id}/revisions/1/approve");
    let (status, approved) = app.call("org-a", Role::Admin, Method::POST, &approve, None).await;
    assert_eq!(status, 200, "{approved}");
    let start = Instant::now();
    while history(&app, "org-a", &id).await.is_empty() {
        assert!(start.elapsed() < Duration::from_secs(5), "approved, the test is queued");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn health_is_the_organizations_own(app: TestApp) {
    let id = app.create_integration("org-a", &body("db", "true", 60)).await;
    for role in [Role::Viewer, Role::Member, Role::Worker, Role::Admin] {
        let (status, health) = app.get("org-a", role, &format!("{INTEGRATIONS}/{id}/health")).await;
        assert_eq!(status, 200, "{role}");
        assert_eq!(
            health,
            json!({"integration_id": id, "state": "unknown", "since": null, "last_test": null, "consecutive_failures": 0})
        );
    }
    let (status, refused) = app.get("org-b", Role::Admin, &format!("{INTEGRATIONS}/{id}/health")).await;
    assert_eq!((status, refused), (404, json!({"detail": "Custom integration not found"})));
    let (status, _) = app.get("org-a", Role::Admin, &format!("{INTEGRATIONS}/not-a-uuid/health")).await;
    assert_eq!(status, 404);
    assert_eq!(app.get("org-b", Role::Admin, "/api/v1/integration-health").await.1, json!([]));
    let anonymous = app.request(Method::GET, &format!("{INTEGRATIONS}/{id}/health")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);

    // The interval is checked like the rest of the config.
    for bad in [json!(0), json!(-5), json!("often"), json!(7 * 24 * 3600 + 1)] {
        let mut config = body("bad", "true", 1);
        config["config"]["connection_test"]["interval_seconds"] = bad.clone();
        let (status, refused) = app.send_json(Method::POST, INTEGRATIONS, "org-a", &config).await;
        assert_eq!(status, 422, "{bad}: {refused}");
        assert_eq!(
            refused["detail"][0]["loc"],
            json!(["body", "config", "connection_test", "interval_seconds"])
        );
    }
    // Absent, it is left out of the config as stored and answered.
    let plain = app
        .create_integration(
            "org-a",
            &json!({"name": "plain", "integration_type": "redis",
        "config": {"connection_test": {"command": "true"}}}),
        )
        .await;
    let (_, stored) = app.get("org-a", Role::Viewer, &format!("{INTEGRATIONS}/{plain}")).await;
    assert_eq!(
        stored["config"]["connection_test"],
        json!({"enabled": true, "command": "true", "timeout": 5})
    );
}

crate::both_backends!(
    scheduled_tests_move_health_both_ways,
    a_busy_interval_is_skipped,
    scheduled_tests_of_unapproved_secrets_wait,
    health_is_the_organizations_own,
);

/// Two servers on one PostgreSQL queue one scheduled test per interval
/// between them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_run_one_scheduled_test_per_interval() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else { return };
    let _replica = ExtraServer::beside(&app, Limits::default()).await;
    let id = app.create_integration("org-a", &body("shared", "true", 2)).await;
    let worker = app.worker("org-a", 0).await;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(7) {
        if worker.try_run_one().await.unwrap() == Step::QueueEmpty {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let mut created: Vec<OffsetDateTime> = history(&app, "org-a", &id)
        .await
        .iter()
        .map(|test| OffsetDateTime::parse(test["created_at"].as_str().unwrap(), &Rfc3339).unwrap())
        .collect();
    created.sort();
    assert!(created.len() >= 3, "every interval ran: {created:?}");
    for pair in created.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= time::Duration::milliseconds(1500), "two tests in one interval: {created:?}");
    }
}
