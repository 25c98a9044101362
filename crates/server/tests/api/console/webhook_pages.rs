//! The console's webhooks: an admin adds one with a CSRF-guarded form and
//! sees its secret once, the API's refusals come back beside their fields,
//! each webhook's deliveries are listed with their last error, and only the
//! webhook's organization's admins see or change anything.
use super::visitor::Visitor;
use crate::harness::TestApp;
use patchbay_domain::Role;
use patchbay_server::webhooks::WebhookSettings;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::time::{Duration, Instant};

const HOSTILE: &str = "<img src=x onerror=alert(1)>";

/// Nothing listens there: deliveries fail to connect, and say so.
const CLOSED: &str = "http://127.0.0.1:9/hook";

async fn webhooks_are_added_listed_and_inspected(mut app: TestApp) {
    app.webhook_settings = WebhookSettings { allow_private: true, retry_base: Duration::from_secs(60) };
    app.restart().await;
    let admin = Visitor::sign_in(&app, "org-a", Role::Admin).await;
    let (status, html) = admin.get("/webhooks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No webhooks yet") && html.contains(r#"action="/webhooks""#), "{html}");
    assert!(html.contains(r#"<a href="/webhooks" aria-current="page">Webhooks</a>"#), "{html}");
    for event in ["integration.health_changed", "lease.revoke", "secret.write"] {
        assert!(html.contains(&format!(r#"name="events" value="{event}""#)), "{event}: {html}");
    }

    // Without the session's token: refused before the API is asked.
    let form = [("url", CLOSED), ("events", "integration.create")];
    let (status, _) = admin.post("/webhooks", &form).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The API's 422s beside their fields, with what was typed kept.
    let csrf = admin.csrf.as_str();
    let refused = [("csrf", csrf), ("url", "ftp://hooks.example.com/x"), ("events", "lease.revoke")];
    let (status, html) = admin.post("/webhooks", &refused).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(
        html.contains(r#"id="url-error""#) && html.contains("the scheme must be http or https"),
        "{html}"
    );
    assert!(html.contains(r#"value="ftp://hooks.example.com/x""#), "{html}");
    assert!(html.contains(r#"value="lease.revoke" checked"#), "{html}");
    let (status, html) = admin.post("/webhooks", &[("csrf", csrf), ("url", CLOSED)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains(r#"id="events-error""#) && html.contains("at least 1 item"), "{html}");

    let fields = [
        ("csrf", csrf),
        ("url", CLOSED),
        ("events", "integration.create"),
        ("events", "secret.write"),
        ("description", HOSTILE),
    ];
    let (status, html) = admin.post("/webhooks", &fields).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let start = html.find("whsec_").expect("the secret is on the page once");
    let secret: String = html[start..].chars().take_while(|c| *c != '<').collect();
    assert_eq!(secret.len(), "whsec_".len() + 43, "{secret}");
    assert!(!html.contains("<img src=x") && html.contains("&lt;img src=x"), "escaped: {html}");

    let (_, listed) = app.get("org-a", Role::Admin, "/api/v1/webhooks").await;
    let webhook = &listed[0];
    let id = webhook["id"].as_str().unwrap();
    assert_eq!(webhook["events"], serde_json::json!(["integration.create", "secret.write"]));
    assert_eq!(webhook["description"], HOSTILE);
    let (_, html) = admin.get("/webhooks").await;
    assert!(!html.contains(&secret), "shown once only");
    assert!(html.contains(&format!(r#"href="/webhooks/{id}""#)) && html.contains(CLOSED), "{html}");

    // A delivery that cannot connect: pending, with the error.
    app.create_integration(
        "org-a",
        &serde_json::json!({"name": "warehouse", "integration_type": "postgres", "config": {}}),
    )
    .await;
    let detail = format!("/webhooks/{id}");
    let deadline = Instant::now() + Duration::from_secs(10);
    let html = loop {
        let (status, html) = admin.get(&detail).await;
        assert_eq!(status, StatusCode::OK);
        if html.contains("connecting failed") {
            break html;
        }
        assert!(Instant::now() < deadline, "no failed attempt shown: {html}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        html.contains("<code>integration.create</code>") && html.contains("badge neutral\">pending"),
        "{html}"
    );
    assert!(html.contains("next attempt") && !html.contains(&secret), "{html}");

    // Members see the API's refusal and no form; their posts are the API's 403.
    let member = Visitor::sign_in(&app, "org-a", Role::Member).await;
    let (_, html) = member.get("/integrations").await;
    assert!(!html.contains(r#"href="/webhooks""#), "not in a member's navigation: {html}");
    let (status, html) = member.get("/webhooks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Role 'member' cannot read webhooks; an admin token is required"), "{html}");
    assert!(!html.contains(r#"action="/webhooks""#) && !html.contains(CLOSED), "{html}");
    let (status, html) = member.post("/webhooks", &[("csrf", &member.csrf), form[0], form[1]]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("cannot manage webhooks; an admin token is required"), "{html}");
    let (status, html) = member.get(&detail).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("Webhook not shown") && html.contains("cannot read webhooks"), "{html}");

    // Another organization's admin finds nothing to see or delete.
    let other = Visitor::sign_in(&app, "org-b", Role::Admin).await;
    let (status, html) = other.get(&detail).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Webhook not found"), "{html}");
    let (status, _) = other.post(&format!("{detail}/delete"), &[("csrf", &other.csrf)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, html) = other.get("/webhooks").await;
    assert!(html.contains("No webhooks yet"), "{html}");

    // The admin deletes it.
    let (status, location) = admin.submit(&format!("{detail}/delete"), &[("csrf", csrf)]).await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/webhooks?notice=webhook-deleted"))
    );
    let (_, html) = admin.get("/webhooks?notice=webhook-deleted").await;
    assert!(html.contains("Webhook deleted") && html.contains("No webhooks yet"), "{html}");
    let (status, listed) = app.call("org-a", Role::Admin, Method::GET, "/api/v1/webhooks", None).await;
    assert_eq!((status, listed), (200, Value::Array(Vec::new())));
}

/// Without `--webhook-allow-private`, the guard's reason is shown.
async fn an_internal_url_is_refused_beside_the_field(app: TestApp) {
    let admin = Visitor::sign_in(&app, "org-a", Role::Admin).await;
    let fields = [("csrf", admin.csrf.as_str()), ("url", CLOSED), ("events", "lease.revoke")];
    let (status, html) = admin.post("/webhooks", &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("127.0.0.1: loopback addresses are refused"), "{html}");
    assert!(html.contains("--webhook-allow-private"), "{html}");
    assert!(html.contains(r#"value="lease.revoke" checked"#), "the choice is kept: {html}");
}

crate::both_backends!(webhooks_are_added_listed_and_inspected, an_internal_url_is_refused_beside_the_field);
