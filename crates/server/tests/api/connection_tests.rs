//! Connection tests through the API: queued as jobs, run by workers,
//! results and history; refusals with clear messages.
use crate::harness::{TestApp, worker};
use patchbay_client::TestStarted;
use patchbay_domain::Role;
use patchbay_worker::Step;
use reqwest::Method;
use serde_json::{Value, json};

async fn integration(app: &TestApp, org: &str, name: &str, test: Value) -> String {
    let body = json!({
        "name": name, "integration_type": "postgres",
        "config": {
            "env_vars": {"DB_HOST": "db.internal"},
            "secrets": ["DB_PASSWORD"],
            "files": [{"path": "~/.pgpass", "content": "db:5432:*:app:${DB_PASSWORD}\n"}],
            "connection_test": test
        }
    });
    app.create_integration(org, &body).await
}

async fn started(app: &TestApp, org: &str, id: &str, query: &str) -> (u16, Value) {
    let path = format!("/api/v1/custom-integrations/{id}/test{query}");
    let response =
        app.request(Method::POST, &path).bearer_auth(app.token(org, Role::Member)).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn a_test_runs_on_a_worker_with_its_bundle(app: TestApp) {
    app.put_secret("acme", "DB_PASSWORD", "hunter2-secret").await;
    let command = "echo \"host=$DB_HOST pw=$DB_PASSWORD\"; stat -c %a .pgpass; cat .pgpass";
    let id = integration(&app, "acme", "pg", json!({"command": command, "timeout": 5})).await;
    let worker = app.worker("acme", 0).await;
    let (status, queued) = started(&app, "acme", &id, "?wait=false").await;
    assert_eq!(status, 202, "{queued}");
    assert_eq!(queued["status"], "queued");
    assert!(queued["message"].as_str().unwrap().contains("wait=false"), "{queued}");

    assert_eq!(worker.try_run_one().await.unwrap(), Step::Ran);
    assert_eq!(worker.try_run_one().await.unwrap(), Step::QueueEmpty, "the queue is drained");
    let job_id = queued["job_id"].as_str().unwrap();
    let result = app.client("acme", Role::Viewer).get_connection_test(job_id).await.unwrap();
    assert_eq!((result.status.as_str(), result.exit_code), ("passed", Some(0)));
    // The file's content came from a secret: written owner-only.
    assert_eq!(result.output.as_deref(), Some("host=db.internal pw=***\n600\ndb:5432:*:app:***\n"));
    assert_eq!((result.revision, result.attempts), (1, 1));
    assert_eq!(result.worker_id.as_deref(), Some(worker.id()));
    assert!(result.started_at.is_some() && result.finished_at.is_some() && result.duration_ms.is_some());
}

async fn a_waiting_request_gets_the_result(app: TestApp) {
    app.put_secret("acme", "DB_PASSWORD", "x").await;
    let id = integration(&app, "acme", "pg", json!({"command": "echo refused; exit 3", "timeout": 5})).await;
    let worker = app.worker("acme", 10).await;
    let running = tokio::spawn(async move { worker.try_run_one().await.unwrap() });
    let member = app.client("acme", Role::Member);
    let TestStarted::Finished(result) = member.test_integration(&id, true).await.unwrap() else {
        panic!("a worker is online: the request waits for the result")
    };
    assert_eq!(running.await.unwrap(), Step::Ran);
    assert_eq!((result.status.as_str(), result.exit_code), ("failed", Some(3)));
    assert_eq!(result.output.as_deref(), Some("refused\n"));

    let history = member.list_connection_tests(&id, None).await.unwrap();
    assert_eq!(history.len(), 1);
    member.test_integration(&id, false).await.unwrap();
    let history = member.list_connection_tests(&id, None).await.unwrap();
    assert_eq!((history.len(), history[0].status.as_str()), (2, "queued"), "newest first");
    assert_eq!(member.list_connection_tests(&id, Some(1)).await.unwrap().len(), 1);
}

/// A test longer than the request timeout is answered 202 with its job id
/// before the timeout, never cut into a 504; its result arrives later.
async fn a_test_longer_than_the_request_timeout_answers_202(app: TestApp) {
    use patchbay_server::limits::Limits;
    let limits = Limits { request_timeout: Some(std::time::Duration::from_secs(2)), ..Limits::default() };
    let server = crate::extra_server::ExtraServer::beside(&app, limits).await;
    app.put_secret("acme", "DB_PASSWORD", "x").await;
    let id = integration(&app, "acme", "pg", json!({"command": "sleep 3; echo done", "timeout": 20})).await;
    let worker = app.worker("acme", 10).await;
    let running = tokio::spawn(async move { worker.try_run_one().await.unwrap() });
    let started = std::time::Instant::now();
    let response = app
        .http
        .post(server.url(&format!("/api/v1/custom-integrations/{id}/test")))
        .bearer_auth(app.token("acme", Role::Member))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202, "never a 504");
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
    let body: Value = response.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("poll GET /api/v1/connection-tests/"), "{body}");
    assert_eq!(running.await.unwrap(), Step::Ran);
    let result = app.client("acme", Role::Viewer).get_connection_test(body["job_id"].as_str().unwrap()).await;
    assert_eq!(result.unwrap().output.as_deref(), Some("done\n"));
}

/// A claim's long poll longer than the request timeout ends empty (204)
/// before the timeout, never with a 504.
async fn a_claim_longer_than_the_request_timeout_answers_204(app: TestApp) {
    use patchbay_server::limits::Limits;
    let limits = Limits { request_timeout: Some(std::time::Duration::from_secs(2)), ..Limits::default() };
    let server = crate::extra_server::ExtraServer::beside(&app, limits).await;
    let worker = app.worker("acme", 0).await;
    let started = std::time::Instant::now();
    let response = app
        .http
        .post(server.url(&format!("/api/v1/workers/{}/jobs/claim?wait=60", worker.id())))
        .bearer_auth(app.token("acme", Role::Worker))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204, "never a 504");
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
}

async fn without_a_worker_online_the_test_is_queued(app: TestApp) {
    app.put_secret("acme", "DB_PASSWORD", "x").await;
    let id = integration(&app, "acme", "pg", json!({"command": "true"})).await;
    let (status, body) = started(&app, "acme", &id, "").await;
    assert_eq!(status, 202, "{body}");
    assert!(body["message"].as_str().unwrap().contains("No worker is online"), "{body}");
    assert!(body["job_id"].is_string());
}

async fn metrics_show_the_queue_and_the_outcomes(app: TestApp) {
    app.put_secret("acme", "DB_PASSWORD", "x").await;
    let id = integration(&app, "acme", "pg", json!({"command": "true"})).await;
    let scrape =
        || async { app.request(Method::GET, "/metrics").send().await.unwrap().text().await.unwrap() };
    let worker = app.worker("acme", 0).await;
    assert_eq!(started(&app, "acme", &id, "?wait=false").await.0, 202);
    let text = scrape().await;
    assert!(text.contains("patchbay_connection_tests_open{status=\"queued\"} 1"), "{text}");
    assert_eq!(worker.try_run_one().await.unwrap(), Step::Ran);
    let text = scrape().await;
    assert!(text.contains("patchbay_connection_tests_open{status=\"queued\"} 0"), "{text}");
    assert!(text.contains("patchbay_connection_tests_total{status=\"passed\"} 1"), "{text}");
}

async fn every_test_request_is_audited(app: TestApp) {
    app.put_secret("acme", "DB_PASSWORD", "x").await;
    let id = integration(&app, "acme", "pg", json!({"command": "true"})).await;
    let (status, queued) = started(&app, "acme", &id, "?wait=false").await;
    assert_eq!(status, 202);
    let path = format!("/api/v1/custom-integrations/{id}/test");
    let refused =
        app.request(Method::POST, &path).bearer_auth(app.token("acme", Role::Viewer)).send().await.unwrap();
    assert_eq!(refused.status(), 403);

    let (status, page) = app
        .send_json(Method::GET, "/api/v1/audit-events?action=integration.test", "acme", &Value::Null)
        .await;
    assert_eq!(status, 200, "{page}");
    let events = page["events"].as_array().unwrap_or_else(|| panic!("{page}"));
    let outcomes: Vec<&str> = events.iter().map(|e| e["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["denied", "success"], "newest first: {page}");
    let success = &events[1];
    assert_eq!(success["resource_id"], json!(id));
    assert_eq!(success["detail"]["job_id"], queued["job_id"], "{success}");
}

/// How a test ended is its own audit event, whose outcome is the test's:
/// a failed connection never reads as a success in the log.
async fn a_tests_result_is_audited_with_its_outcome(app: TestApp) {
    app.put_secret("acme", "DB_PASSWORD", "x").await;
    let broken = integration(&app, "acme", "broken", json!({"command": "exit 3"})).await;
    let fine = integration(&app, "acme", "fine", json!({"command": "true"})).await;
    let worker = app.worker("acme", 0).await;
    for id in [&broken, &fine] {
        assert_eq!(started(&app, "acme", id, "?wait=false").await.0, 202);
        assert_eq!(worker.try_run_one().await.unwrap(), Step::Ran);
    }
    let (status, page) = app
        .send_json(Method::GET, "/api/v1/audit-events?action=integration.test_result", "acme", &Value::Null)
        .await;
    assert_eq!(status, 200, "{page}");
    let events = page["events"].as_array().unwrap_or_else(|| panic!("{page}"));
    let seen: Vec<(&str, &str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["detail"]["name"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
                e["detail"]["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(seen, [("fine", "success", "passed"), ("broken", "failed", "failed")], "newest first: {page}");
    assert_eq!(events[1]["detail"]["exit_code"], 3);
    assert_eq!(events[1]["resource_id"], json!(broken));
    assert!(events[1]["actor"].as_str().unwrap().starts_with("worker:"), "{page}");
}

async fn untestable_integrations_are_409(app: TestApp) {
    let detail = |body: &Value| body["detail"].as_str().unwrap().to_owned();
    let body = json!({"name": "plain", "integration_type": "x", "config": {}});
    let (_, plain) = app.send_json(Method::POST, "/api/v1/custom-integrations", "acme", &body).await;
    let (status, body) = started(&app, "acme", plain["id"].as_str().unwrap(), "").await;
    assert_eq!(status, 409);
    assert_eq!(detail(&body), "Custom integration 'plain' has no connection_test configured");

    let off = integration(&app, "acme", "off", json!({"command": "true", "enabled": false})).await;
    let (status, body) = started(&app, "acme", &off, "").await;
    assert_eq!(status, 409);
    assert_eq!(detail(&body), "The connection_test of custom integration 'off' is disabled (enabled: false)");

    let gone = integration(&app, "acme", "gone", json!({"command": "true"})).await;
    app.authed(Method::DELETE, &format!("/api/v1/custom-integrations/{gone}"), "acme").send().await.unwrap();
    let (status, body) = started(&app, "acme", &gone, "").await;
    assert_eq!(status, 409);
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("is deleted")), "{body}");

    let (status, _) = started(&app, "acme", "not-a-uuid", "").await;
    assert_eq!(status, 404);
    let (status, body) = started(&app, "acme", &off, "?wait=maybe").await;
    assert_eq!((status, body["detail"][0]["loc"].clone()), (422, json!(["query", "wait"])));
}

async fn disabled_mode_is_409(mut app: TestApp) {
    let id = integration(&app, "acme", "pg", json!({"command": "true"})).await;
    app.job_settings.enabled = false;
    app.restart().await;
    let (status, body) = started(&app, "acme", &id, "").await;
    assert_eq!(status, 409);
    assert!(body["detail"].as_str().unwrap().contains("--connection-tests disabled"), "{body}");
}

async fn roles_decide_who_starts_tests_and_who_works(app: TestApp) {
    let id = integration(&app, "acme", "pg", json!({"command": "true"})).await;
    for role in [Role::Viewer, Role::Worker] {
        let error = app.client("acme", role).test_integration(&id, false).await.unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(403), "{role}");
    }
    for role in [Role::Viewer, Role::Member] {
        let error = app.client("acme", role).register_worker("w").await.unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(403), "{role}");
    }
    app.client("acme", Role::Admin).register_worker("admin-run").await.unwrap();
    let workers = app.client("acme", Role::Viewer).list_workers().await.unwrap();
    assert_eq!((workers.len(), workers[0].state.as_str()), (1, "online"));
    let history = app.client("acme", Role::Viewer).list_connection_tests(&id, None).await.unwrap();
    assert!(history.is_empty());
}

async fn worker_tokens_never_see_another_organizations_jobs(app: TestApp) {
    app.put_secret("globex", "DB_PASSWORD", "globex-only-secret").await;
    let theirs = integration(&app, "globex", "pg", json!({"command": "echo $DB_PASSWORD"})).await;
    let (_, queued) = started(&app, "globex", &theirs, "?wait=false").await;
    let job_id = queued["job_id"].as_str().unwrap();

    let ours = app.worker("acme", 1).await;
    assert_eq!(ours.try_run_one().await.unwrap(), Step::QueueEmpty, "acme's worker gets nothing of globex");
    let acme = app.client("acme", Role::Admin);
    assert_eq!(acme.get_connection_test(job_id).await.unwrap_err().status().unwrap().as_u16(), 404);
    assert_eq!(acme.list_connection_tests(&theirs, None).await.unwrap_err().status().unwrap().as_u16(), 404);

    let globex_worker = app.worker("globex", 1).await;
    let globex = app.client("globex", Role::Worker);
    assert_eq!(acme.heartbeat(globex_worker.id()).await.unwrap_err().status().unwrap().as_u16(), 404);
    assert_eq!(globex.heartbeat(ours.id()).await.unwrap_err().status().unwrap().as_u16(), 404);
    assert!(acme.list_workers().await.unwrap().iter().all(|w| w.id != globex_worker.id()));
    // Claiming through another organization's worker id is not possible either.
    assert_eq!(acme.claim_job(globex_worker.id(), 0).await.unwrap_err().status().unwrap().as_u16(), 404);

    assert_eq!(globex_worker.try_run_one().await.unwrap(), Step::Ran);
    let result = app.client("globex", Role::Viewer).get_connection_test(job_id).await.unwrap();
    assert_eq!(result.output.as_deref(), Some("***\n"));
}

async fn results_are_checked_and_taken_once(app: TestApp) {
    app.put_secret("acme", "DB_PASSWORD", "x").await;
    let id = integration(&app, "acme", "pg", json!({"command": "true"})).await;
    let worker = app.client("acme", Role::Worker);
    let worker_id = worker.register_worker("w").await.unwrap().id;
    app.client("acme", Role::Member).test_integration(&id, false).await.unwrap();
    let claimed = worker.claim_job(&worker_id, 0).await.unwrap().unwrap();
    let path = format!("/api/v1/workers/{worker_id}/jobs/{}/result", claimed.job_id);
    let bad = json!({"attempt": 1, "status": "maybe", "duration_ms": -5, "output": "x",
                     "started_at": "2026-11-28T10:00:00+00:00"});
    let response = app
        .request(Method::POST, &path)
        .bearer_auth(app.token("acme", Role::Worker))
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let body: Value = response.json().await.unwrap();
    let locs: Vec<Value> = body["detail"].as_array().unwrap().iter().map(|e| e["loc"].clone()).collect();
    assert_eq!(
        locs,
        [json!(["body", "status"]), json!(["body", "duration_ms"]), json!(["body", "finished_at"])]
    );

    let good = json!({"attempt": 1, "status": "passed", "exit_code": 0, "duration_ms": 5, "output": "",
                      "started_at": "2026-11-28T10:00:00+00:00", "finished_at": "2026-11-28T10:00:00+00:00"});
    let send =
        || app.request(Method::POST, &path).bearer_auth(app.token("acme", Role::Worker)).json(&good).send();
    assert_eq!(send().await.unwrap().status().as_u16(), 200);
    let again = send().await.unwrap();
    assert_eq!(again.status().as_u16(), 409);
    let body: Value = again.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("no longer holds the job"), "{body}");
}

async fn the_embedded_credential_works_from_loopback_only_when_right(mut app: TestApp) {
    let credential = patchbay_server::jobs::EmbeddedCredential::generate();
    app.job_settings.embedded = Some(credential.clone());
    app.restart().await;
    for id in ["acme", "globex"] {
        app.put_secret(id, "DB_PASSWORD", &format!("{id}-pw")).await;
        let integration = integration(&app, id, "pg", json!({"command": "echo $DB_PASSWORD"})).await;
        started(&app, id, &integration, "?wait=false").await;
    }
    let wrong = patchbay_client::Client::embedded_worker(&app.base, "not-the-credential".into());
    assert_eq!(wrong.register_worker("x").await.unwrap_err().status().unwrap().as_u16(), 401);
    let embedded =
        worker(patchbay_client::Client::embedded_worker(&app.base, credential.expose().into()), 0).await;
    for _ in ["acme", "globex"] {
        assert_eq!(embedded.try_run_one().await.unwrap(), Step::Ran, "both organizations' jobs");
    }
    let listed = app.client("acme", Role::Viewer).list_workers().await.unwrap();
    assert!(listed.iter().any(|w| w.embedded && w.organization_id.is_none()));
}

async fn a_bundle_that_cannot_be_resolved_ends_as_error(app: TestApp) {
    // DB_PASSWORD is listed by the integration but not in the vault.
    let id = integration(&app, "acme", "pg", json!({"command": "true"})).await;
    let worker = app.worker("acme", 0).await;
    let (_, queued) = started(&app, "acme", &id, "?wait=false").await;
    assert_eq!(worker.try_run_one().await.unwrap(), Step::QueueEmpty, "nothing runnable was handed out");
    let result = app
        .client("acme", Role::Viewer)
        .get_connection_test(queued["job_id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(result.status, "error");
    let output = result.output.unwrap();
    assert!(output.contains("could not be resolved") && output.contains("DB_PASSWORD"), "{output}");
}

crate::both_backends!(
    a_claim_longer_than_the_request_timeout_answers_204,
    a_test_longer_than_the_request_timeout_answers_202,
    a_bundle_that_cannot_be_resolved_ends_as_error,
    a_test_runs_on_a_worker_with_its_bundle,
    a_waiting_request_gets_the_result,
    without_a_worker_online_the_test_is_queued,
    every_test_request_is_audited,
    a_tests_result_is_audited_with_its_outcome,
    metrics_show_the_queue_and_the_outcomes,
    untestable_integrations_are_409,
    disabled_mode_is_409,
    roles_decide_who_starts_tests_and_who_works,
    worker_tokens_never_see_another_organizations_jobs,
    results_are_checked_and_taken_once,
    the_embedded_credential_works_from_loopback_only_when_right,
);

mod documented {
    use crate::harness::{Backend, TestApp};
    use reqwest::Method;
    use serde_json::Value;

    #[tokio::test]
    async fn connection_test_and_worker_routes_are_documented() {
        let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
        let document: Value =
            app.request(Method::GET, "/api/openapi.json").send().await.unwrap().json().await.unwrap();
        let paths = &document["paths"];
        for (path, method) in [
            ("/api/v1/custom-integrations/{integration_id}/test", "post"),
            ("/api/v1/custom-integrations/{integration_id}/tests", "get"),
            ("/api/v1/connection-tests/{job_id}", "get"),
            ("/api/v1/workers", "get"),
            ("/api/v1/workers/register", "post"),
            ("/api/v1/workers/{worker_id}/heartbeat", "post"),
            ("/api/v1/workers/{worker_id}/jobs/claim", "post"),
            ("/api/v1/workers/{worker_id}/jobs/{job_id}/result", "post"),
        ] {
            assert!(paths[path][method]["operationId"].is_string(), "{method} {path}");
        }
    }
}
