//! Webhooks end to end, with real receivers on loopback (the server runs
//! with private addresses allowed, as `--webhook-allow-private` does):
//! events arrive signed, a 500 gets the event again, a delivery survives a
//! restart, replicas deliver each event once, and one organization's slow
//! receiver does not hold up another's. Without the flag, internal URLs are
//! refused with the reason; only admins of the webhook's organization see
//! or change it; its secret is shown once and is not in the database.
use crate::extra_server::ExtraServer;
use crate::harness::{Backend, TestApp};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use patchbay_domain::{AuditAction, AuditEvent, AuditOutcome, OrganizationId, Role, now_utc};
use patchbay_server::limits::Limits;
use patchbay_server::webhooks::WebhookSettings;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// One request a receiver got.
#[derive(Clone)]
struct Hit {
    headers: HeaderMap,
    body: Bytes,
    at: Instant,
}

impl Hit {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", |value| value.to_str().unwrap())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A webhook receiver on loopback: it records every request and answers
/// the statuses of its script in turn (then 200), each after `delay`.
struct Receiver {
    url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Receiver {
    async fn start(script: &[u16], delay: Duration) -> Self {
        Self::on(TcpListener::bind("127.0.0.1:0").await.unwrap(), script, delay)
    }

    fn on(listener: TcpListener, script: &[u16], delay: Duration) -> Self {
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
        let script = Arc::new(Mutex::new(script.iter().copied().collect::<VecDeque<u16>>()));
        let recorded = hits.clone();
        let handler = move |headers: HeaderMap, body: Bytes| {
            let (hits, script) = (recorded.clone(), script.clone());
            async move {
                hits.lock().unwrap().push(Hit { headers, body, at: Instant::now() });
                tokio::time::sleep(delay).await;
                let status = script.lock().unwrap().pop_front().unwrap_or(200);
                StatusCode::from_u16(status).unwrap()
            }
        };
        let router = axum::Router::new().route("/hook", axum::routing::post(handler));
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self { url, hits, server }
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// Waits until `count` requests came (at most `within`).
    async fn wait_for(&self, count: usize, within: Duration) -> Vec<Hit> {
        let deadline = Instant::now() + within;
        loop {
            let hits = self.hits();
            if hits.len() >= count {
                return hits;
            }
            assert!(Instant::now() < deadline, "{} of {count} requests within {within:?}", hits.len());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Loopback receivers allowed, and retries after a second rather than ten.
async fn allowing_private(app: &mut TestApp) {
    app.webhook_settings = WebhookSettings { allow_private: true, retry_base: Duration::from_secs(1) };
    app.restart().await;
}

async fn create_webhook(app: &TestApp, org: &str, url: &str, events: &[&str]) -> Value {
    let body = json!({"url": url, "events": events, "description": "ops"});
    let (status, created) = app.call(org, Role::Admin, Method::POST, "/api/v1/webhooks", Some(&body)).await;
    assert_eq!(status, 201, "{created}");
    created
}

async fn deliveries(app: &TestApp, org: &str, webhook: &str) -> Vec<Value> {
    let (status, listed) = app.get(org, Role::Admin, &format!("/api/v1/webhooks/{webhook}/deliveries")).await;
    assert_eq!(status, 200, "{listed}");
    listed.as_array().unwrap().clone()
}

/// Polls the webhook's deliveries until `done` holds (at most `within`).
async fn deliveries_until(
    app: &TestApp,
    org: &str,
    webhook: &str,
    within: Duration,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + within;
    loop {
        let listed = deliveries(app, org, webhook).await;
        if done(&listed) {
            return listed;
        }
        assert!(Instant::now() < deadline, "not within {within:?}: {listed:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    mac.finalize().into_bytes().iter().map(|byte| format!("{byte:02x}")).collect()
}

async fn integration(app: &TestApp, org: &str, name: &str) -> String {
    app.create_integration(org, &json!({"name": name, "integration_type": "postgres", "config": {}})).await
}

async fn events_arrive_signed_with_the_secret_from_the_creation(mut app: TestApp) {
    allowing_private(&mut app).await;
    let receiver = Receiver::start(&[], Duration::ZERO).await;
    let created = create_webhook(
        &app,
        "org-a",
        &receiver.url,
        &["integration.create", "secret.write", "integration.delete"],
    )
    .await;
    let (id, secret) = (created["id"].as_str().unwrap(), created["secret"].as_str().unwrap());
    assert!(secret.starts_with("whsec_"), "{created}");

    let integration_id = integration(&app, "org-a", "warehouse").await;
    app.put_secret("org-a", "PG_PASSWORD", "value-never-sent").await;
    // Not subscribed: a secret's deletion, another organization's event.
    app.call("org-a", Role::Admin, Method::DELETE, "/api/v1/secrets/PG_PASSWORD", None).await;
    integration(&app, "org-b", "theirs").await;

    let hits = receiver.wait_for(2, Duration::from_secs(10)).await;
    let mut types = Vec::new();
    for hit in &hits {
        assert_eq!(hit.header("content-type"), "application/json");
        // The HMAC of the raw body, under the secret the 201 showed.
        assert_eq!(hit.header("x-patchbay-signature"), format!("sha256={}", hmac_hex(secret, &hit.body)));
        let body = hit.json();
        assert_eq!(hit.header("x-patchbay-event"), body["type"]);
        assert!(body["id"].as_str().unwrap().starts_with("evt_"), "{body}");
        assert_eq!(body["organization"], "org-a");
        assert!(
            time::OffsetDateTime::parse(
                body["created_at"].as_str().unwrap(),
                &time::format_description::well_known::Rfc3339
            )
            .is_ok(),
            "{body}"
        );
        assert_eq!(body["data"]["actor"], "user-1");
        types.push(body["type"].as_str().unwrap().to_owned());
        assert!(
            !String::from_utf8_lossy(&hit.body).contains("value-never-sent"),
            "no secret value in {body}"
        );
    }
    types.sort();
    assert_eq!(types, ["integration.create", "secret.write"]);
    let created_event = hits.iter().map(Hit::json).find(|body| body["type"] == "integration.create").unwrap();
    assert_eq!(created_event["data"]["resource_type"], "integration");
    assert_eq!(created_event["data"]["resource_id"], integration_id.as_str());
    assert_eq!(created_event["data"]["name"], "warehouse");

    // Recorded as delivered, each delivery named by its id header.
    let listed = deliveries_until(&app, "org-a", id, Duration::from_secs(5), |list| {
        list.len() == 2 && list.iter().all(|d| d["state"] == "delivered")
    })
    .await;
    for delivery in &listed {
        assert_eq!((&delivery["attempts"], &delivery["last_status"]), (&json!(1), &json!(200)), "{delivery}");
        assert!(delivery["delivered_at"].is_string() && delivery["last_error"].is_null(), "{delivery}");
        assert!(hits.iter().any(|hit| hit.header("x-patchbay-delivery") == delivery["id"]), "{delivery}");
        assert!(hits.iter().any(|hit| hit.json()["id"] == delivery["event_id"]), "{delivery}");
    }
    let metrics = app.request(Method::GET, "/metrics").send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"patchbay_webhook_deliveries_total{outcome="delivered"} 2"#), "{metrics}");

    // Deleted: nothing more arrives.
    let (status, _) =
        app.call("org-a", Role::Admin, Method::DELETE, &format!("/api/v1/webhooks/{id}"), None).await;
    assert_eq!(status, 204);
    app.call(
        "org-a",
        Role::Admin,
        Method::DELETE,
        &format!("/api/v1/custom-integrations/{integration_id}"),
        None,
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(receiver.hits().len(), 2, "a deleted webhook receives nothing");
    let (status, _) = app.get("org-a", Role::Admin, &format!("/api/v1/webhooks/{id}/deliveries")).await;
    assert_eq!(status, 404);
}

async fn a_receiver_answering_500_gets_the_event_again(mut app: TestApp) {
    app.webhook_settings = WebhookSettings { allow_private: true, retry_base: Duration::from_secs(2) };
    app.restart().await;
    let receiver = Receiver::start(&[500], Duration::ZERO).await;
    let created = create_webhook(&app, "org-a", &receiver.url, &["integration.create"]).await;
    let id = created["id"].as_str().unwrap();
    integration(&app, "org-a", "warehouse").await;

    // The first attempt's answer is recorded, and the next one scheduled.
    let failed = deliveries_until(&app, "org-a", id, Duration::from_secs(10), |list| {
        list.first().is_some_and(|d| d["state"] == "pending" && d["attempts"] == 1)
    })
    .await;
    assert_eq!(failed[0]["last_status"], 500);
    assert_eq!(failed[0]["last_error"], "the receiver answered 500 Internal Server Error");
    assert!(failed[0]["next_attempt_at"].is_string(), "{}", failed[0]);

    let hits = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(hits[0].body, hits[1].body, "the same bytes, signed the same way");
    assert_eq!(hits[0].header("x-patchbay-signature"), hits[1].header("x-patchbay-signature"));
    assert_eq!(hits[0].header("x-patchbay-delivery"), hits[1].header("x-patchbay-delivery"));
    let waited = hits[1].at - hits[0].at;
    assert!(waited >= Duration::from_secs(2), "backoff: retried after {waited:?}");
    let delivered = deliveries_until(&app, "org-a", id, Duration::from_secs(5), |list| {
        list.first().is_some_and(|d| d["state"] == "delivered")
    })
    .await;
    assert_eq!((&delivered[0]["attempts"], &delivered[0]["last_status"]), (&json!(2), &json!(200)));
    let metrics = app.request(Method::GET, "/metrics").send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"patchbay_webhook_deliveries_total{outcome="retried"} 1"#), "{metrics}");
}

async fn a_delivery_queued_before_a_restart_is_delivered_after_it(mut app: TestApp) {
    allowing_private(&mut app).await;
    // A port nothing listens on yet: every attempt fails to connect.
    let reserved = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = reserved.local_addr().unwrap();
    drop(reserved);
    let url = format!("http://{address}/hook");
    let created =
        create_webhook(&app, "org-a", &url, &["integration.create", "integration.health_changed"]).await;
    let id = created["id"].as_str().unwrap().to_owned();
    integration(&app, "org-a", "warehouse").await;
    let pending = deliveries_until(&app, "org-a", &id, Duration::from_secs(10), |list| {
        list.first().is_some_and(|d| d["state"] == "pending" && d["attempts"].as_u64() >= Some(1))
    })
    .await;
    let error = pending[0]["last_error"].as_str().unwrap();
    assert!(error.starts_with("connecting failed"), "{error}");
    assert!(pending[0]["last_status"].is_null());

    app.stop().await;
    let receiver = Receiver::on(TcpListener::bind(address).await.unwrap(), &[], Duration::ZERO);
    // While no server runs, an event is committed that nobody queued (as
    // when a server stops right after a write): the next start finds it.
    let store = app.open_store().await;
    store
        .append_audit_event(AuditEvent {
            organization_id: OrganizationId::parse("org-a").unwrap(),
            occurred_at: now_utc(),
            actor: Some("patchbay".into()),
            actor_role: Some("server".into()),
            action: AuditAction::IntegrationHealthChanged,
            resource_type: "integration".into(),
            resource_id: Some("i-1".into()),
            outcome: AuditOutcome::Success,
            request_id: None,
            detail: json!({"from": "healthy", "to": "failing", "test": {"status": "failed"}}).to_string(),
        })
        .await
        .unwrap();
    drop(store);
    app.start_again().await;

    let hits = receiver.wait_for(2, Duration::from_secs(15)).await;
    let mut types: Vec<String> =
        hits.iter().map(|hit| hit.json()["type"].as_str().unwrap().to_owned()).collect();
    types.sort();
    assert_eq!(types, ["integration.create", "integration.health_changed"]);
    let health =
        hits.iter().map(Hit::json).find(|body| body["type"] == "integration.health_changed").unwrap();
    assert_eq!(
        (&health["data"]["from"], &health["data"]["to"], &health["data"]["test"]["status"]),
        (&json!("healthy"), &json!("failing"), &json!("failed"))
    );
    let listed = deliveries_until(&app, "org-a", &id, Duration::from_secs(5), |list| {
        list.len() == 2 && list.iter().all(|d| d["state"] == "delivered")
    })
    .await;
    let create = listed.iter().find(|d| d["event_type"] == "integration.create").unwrap();
    assert!(create["attempts"].as_u64().unwrap() >= 2, "{create}");
}

/// Two servers on one PostgreSQL: every event reaches the receiver once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_postgres_deliver_each_event_once() {
    let Some(mut app) = TestApp::spawn(Backend::Postgres).await else { return };
    allowing_private(&mut app).await;
    let replica = ExtraServer::beside(&app, Limits::default()).await;
    let receiver = Receiver::start(&[], Duration::ZERO).await;
    create_webhook(&app, "org-a", &receiver.url, &["integration.create"]).await;
    for n in 0..12 {
        let base = if n % 2 == 0 { app.base.clone() } else { replica.base.clone() };
        let response = app
            .http
            .post(format!("{base}/api/v1/custom-integrations"))
            .bearer_auth(app.token("org-a", Role::Admin))
            .json(&json!({"name": format!("db-{n}"), "integration_type": "postgres", "config": {}}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    receiver.wait_for(12, Duration::from_secs(15)).await;
    // Both servers keep passing over the same events for a while.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mut per_event: HashMap<String, usize> = HashMap::new();
    for hit in receiver.hits() {
        *per_event.entry(hit.json()["id"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    assert_eq!(per_event.len(), 12, "{per_event:?}");
    assert!(per_event.values().all(|count| *count == 1), "each once: {per_event:?}");
}

async fn internal_urls_are_refused_without_the_flag(app: TestApp) {
    let receiver = Receiver::start(&[], Duration::ZERO).await;
    for (url, why) in [
        (receiver.url.as_str(), "127.0.0.1: loopback addresses are refused"),
        ("http://localhost:8080/hook", "the host localhost is 127.0.0.1: loopback addresses"),
        ("http://10.1.2.3/hook", "10.1.2.3: private (RFC 1918) addresses"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254: link-local addresses"),
        ("http://100.64.0.7/", "shared (CGNAT, 100.64.0.0/10) addresses"),
        ("http://[fd00::1]/", "fd00::1: unique-local (fc00::/7) addresses"),
        ("http://[::ffff:127.0.0.1]/", "IPv4-mapped internal addresses"),
        ("http://0.0.0.0:9/", "0.0.0.0: unspecified addresses"),
    ] {
        let body = json!({"url": url, "events": ["integration.create"]});
        let (status, refused) =
            app.call("org-a", Role::Admin, Method::POST, "/api/v1/webhooks", Some(&body)).await;
        assert_eq!(status, 422, "{url}: {refused}");
        let error = &refused["detail"][0];
        assert_eq!(error["loc"], json!(["body", "url"]), "{refused}");
        let message = error["msg"].as_str().unwrap();
        assert!(message.contains(why), "{url}: {message}");
        assert!(message.contains("--webhook-allow-private"), "the operator's way out is named: {message}");
    }
    for (url, why) in [
        ("ftp://example.com/hook", "the scheme must be http or https"),
        ("http://user:pw@example.com/hook", "may not carry a user name or password"),
        ("hooks.example.com/in", "not a URL"),
        ("http://name.invalid/hook", "could not be resolved"),
    ] {
        let body = json!({"url": url, "events": ["integration.create"]});
        let (status, refused) =
            app.call("org-a", Role::Admin, Method::POST, "/api/v1/webhooks", Some(&body)).await;
        assert_eq!((status, &refused["detail"][0]["loc"]), (422, &json!(["body", "url"])), "{refused}");
        assert!(refused["detail"][0]["msg"].as_str().unwrap().contains(why), "{url}: {refused}");
    }
    let (_, listed) = app.get("org-a", Role::Admin, "/api/v1/webhooks").await;
    assert_eq!(listed, json!([]), "nothing was stored");
    let (_, audit) = app.get("org-a", Role::Admin, "/api/v1/audit-events?action=webhook.create").await;
    let outcomes: Vec<&Value> = audit["events"].as_array().unwrap().iter().map(|e| &e["outcome"]).collect();
    assert!(!outcomes.is_empty() && outcomes.iter().all(|o| *o == "failed"), "refusals are audited: {audit}");
}

async fn only_admins_of_its_organization_see_or_change_a_webhook(mut app: TestApp) {
    allowing_private(&mut app).await;
    let created = create_webhook(&app, "org-a", "http://127.0.0.1:9/hook", &["secret.write"]).await;
    let id = created["id"].as_str().unwrap();
    let item = format!("/api/v1/webhooks/{id}");
    let deliveries_path = format!("{item}/deliveries");
    let body = json!({"url": "http://127.0.0.1:9/other", "events": ["secret.write"]});
    for role in [Role::Viewer, Role::Member, Role::Worker] {
        for (method, path, body, action) in [
            (Method::POST, "/api/v1/webhooks", Some(&body), "manage webhooks"),
            (Method::GET, "/api/v1/webhooks", None, "read webhooks"),
            (Method::GET, item.as_str(), None, "read webhooks"),
            (Method::GET, deliveries_path.as_str(), None, "read webhooks"),
            (Method::DELETE, item.as_str(), None, "manage webhooks"),
        ] {
            let (status, refused) = app.call("org-a", role, method.clone(), path, body).await;
            assert_eq!(status, 403, "{role} {method} {path}");
            assert_eq!(
                refused["detail"],
                format!("Role '{role}' cannot {action}; an admin token is required"),
                "{role} {method} {path}"
            );
        }
    }
    // Another organization's admin: not found, as for an id that names nothing.
    for (method, path) in [(Method::GET, &item), (Method::GET, &deliveries_path), (Method::DELETE, &item)] {
        let (status, refused) = app.call("org-b", Role::Admin, method.clone(), path, None).await;
        assert_eq!((status, refused), (404, json!({"detail": "Webhook not found"})), "{method} {path}");
    }
    let (_, theirs) = app.get("org-b", Role::Admin, "/api/v1/webhooks").await;
    assert_eq!(theirs, json!([]));
    for path in
        ["/api/v1/webhooks/not-a-uuid", "/api/v1/webhooks/00000000-0000-0000-0000-000000000000/deliveries"]
    {
        let (status, _) = app.get("org-a", Role::Admin, path).await;
        assert_eq!(status, 404, "{path}");
    }
    let (status, _) = app.get("org-a", Role::Admin, &item).await;
    assert_eq!(status, 200, "still there");
}

async fn the_secret_is_shown_once_and_stored_sealed(mut app: TestApp) {
    allowing_private(&mut app).await;
    let created =
        create_webhook(&app, "org-a", "http://127.0.0.1:9/hook", &["lease.revoke", "secret.delete"]).await;
    let (id, secret) = (created["id"].as_str().unwrap(), created["secret"].as_str().unwrap());
    assert_eq!(secret.len(), "whsec_".len() + 43, "32 bytes in base64url: {secret}");
    let (status, read) = app.get("org-a", Role::Admin, &format!("/api/v1/webhooks/{id}")).await;
    assert_eq!(status, 200);
    let mut expected = created.clone();
    expected.as_object_mut().unwrap().remove("secret");
    assert_eq!(read, expected, "everything but the secret");
    assert_eq!(read["events"], json!(["lease.revoke", "secret.delete"]));
    let (_, listed) = app.get("org-a", Role::Admin, "/api/v1/webhooks").await;
    assert_eq!(listed, json!([expected]));
    let other = create_webhook(&app, "org-a", "http://127.0.0.1:9/other", &["lease.revoke"]).await;
    assert_ne!(other["secret"], created["secret"]);

    let stored = app.database_bytes().await;
    let dumped = String::from_utf8_lossy(&stored);
    assert!(!dumped.contains(secret) && !dumped.contains(&secret["whsec_".len()..]), "the secret is sealed");
    let (_, audit) = app.get("org-a", Role::Admin, "/api/v1/audit-events?action=webhook.create").await;
    let event = &audit["events"][1];
    assert_eq!((&event["outcome"], &event["resource_id"]), (&json!("success"), &json!(id)), "{audit}");
    assert_eq!(event["detail"], json!({"host": "127.0.0.1:9", "events": ["lease.revoke", "secret.delete"]}));
}

async fn bad_bodies_are_refused_naming_each_field(mut app: TestApp) {
    allowing_private(&mut app).await;
    let url = "http://127.0.0.1:9/hook";
    for (body, expected) in [
        (json!({}), vec![(json!(["body", "url"]), "missing"), (json!(["body", "events"]), "missing")]),
        (json!({"url": url, "events": []}), vec![(json!(["body", "events"]), "too_short")]),
        (
            json!({"url": "", "events": "secret.write"}),
            vec![(json!(["body", "url"]), "string_too_short"), (json!(["body", "events"]), "list_type")],
        ),
        (
            json!({"url": url, "events": ["secret.write", "secret.read", "secret.write"]}),
            vec![(json!(["body", "events", 1]), "enum"), (json!(["body", "events", 2]), "value_error")],
        ),
        (
            json!({"url": url, "events": ["webhook.create"], "description": "x".repeat(501)}),
            vec![(json!(["body", "events", 0]), "enum"), (json!(["body", "description"]), "string_too_long")],
        ),
        (
            json!({"url": format!("{url}\u{0}"), "events": ["lease.revoke"], "description": "a\u{0}b"}),
            vec![(json!(["body", "url"]), "value_error"), (json!(["body", "description"]), "value_error")],
        ),
        (json!(["not", "an", "object"]), vec![(json!(["body"]), "model_attributes_type")]),
    ] {
        let (status, refused) =
            app.call("org-a", Role::Admin, Method::POST, "/api/v1/webhooks", Some(&body)).await;
        assert_eq!(status, 422, "{body}: {refused}");
        let got: Vec<(Value, &str)> = refused["detail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|error| (error["loc"].clone(), error["type"].as_str().unwrap()))
            .collect();
        assert_eq!(got, expected, "{body}");
    }
    let enumerated = app
        .call(
            "org-a",
            Role::Admin,
            Method::POST,
            "/api/v1/webhooks",
            Some(&json!({"url": url, "events": ["nope"]})),
        )
        .await
        .1;
    let message = enumerated["detail"][0]["msg"].as_str().unwrap();
    assert!(
        message.contains("'integration.health_changed'") && message.contains("'lease.revoke'"),
        "{message}"
    );
    let response =
        app.authed(Method::POST, "/api/v1/webhooks", "org-a").body("{not json").send().await.unwrap();
    assert_eq!(response.status(), 422);
    let (_, listed) = app.get("org-a", Role::Admin, "/api/v1/webhooks").await;
    assert_eq!(listed, json!([]));
}

async fn a_slow_receiver_does_not_delay_another_organizations_events(mut app: TestApp) {
    allowing_private(&mut app).await;
    let slow = Receiver::start(&[], Duration::from_secs(8)).await;
    let fast = Receiver::start(&[], Duration::ZERO).await;
    create_webhook(&app, "org-a", &slow.url, &["integration.create"]).await;
    create_webhook(&app, "org-b", &fast.url, &["integration.create"]).await;
    for n in 0..6 {
        integration(&app, "org-a", &format!("db-{n}")).await;
    }
    // org-a's receiver is holding every attempt it was sent.
    slow.wait_for(4, Duration::from_secs(5)).await;
    let started = Instant::now();
    integration(&app, "org-b", "theirs").await;
    let hits = fast.wait_for(1, Duration::from_secs(5)).await;
    let took = hits[0].at - started;
    assert!(took < Duration::from_millis(2500), "org-b's event took {took:?} behind org-a's slow receiver");
}

crate::both_backends!(
    events_arrive_signed_with_the_secret_from_the_creation,
    a_receiver_answering_500_gets_the_event_again,
    a_delivery_queued_before_a_restart_is_delivered_after_it,
    internal_urls_are_refused_without_the_flag,
    only_admins_of_its_organization_see_or_change_a_webhook,
    the_secret_is_shown_once_and_stored_sealed,
    bad_bodies_are_refused_naming_each_field,
    a_slow_receiver_does_not_delay_another_organizations_events,
);
