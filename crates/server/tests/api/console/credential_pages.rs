//! The console's credential providers and leases: the pages list what the
//! API lists for the signed-in organization only, with names escaped, and
//! a lease's Revoke button is the API's revocation (its refusals shown, a
//! forged or token-less POST refused). Leases are made on the real
//! PostgreSQL beside the tests.
use super::visitor::Visitor;
use crate::harness::TestApp;
use patchbay_domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

/// Text that would run if a page did not escape it.
const HOSTILE: &str = "<img src=x onerror=alert(1)>";
const HOSTILE_INTEGRATION: &str = "<script>alert('lease')</script>";
/// The admin URL's password, which no page may show.
const ADMIN_PASSWORD: &str = "pw-never-on-a-page";

/// PostgreSQL's admin URL, or `None` (with a printed reason) when nothing
/// answers there and `PATCHBAY_TEST_REQUIRE_SERVICES` is not `1`.
async fn postgres_url() -> Option<String> {
    let url = std::env::var("PATCHBAY_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let parsed = url::Url::parse(&url).unwrap();
    let address = (parsed.host_str().unwrap().to_owned(), parsed.port().unwrap_or(5432));
    let connect = tokio::net::TcpStream::connect(address.clone());
    if matches!(tokio::time::timeout(Duration::from_secs(2), connect).await, Ok(Ok(_))) {
        return Some(url);
    }
    let reason = format!("nothing answers on {}:{}", address.0, address.1);
    assert!(std::env::var("PATCHBAY_TEST_REQUIRE_SERVICES").as_deref() != Ok("1"), "{reason}");
    eprintln!("skipping the lease checks: {reason}");
    None
}

async fn postgres(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

async fn role_exists(url: &str, name: &str) -> bool {
    let admin = postgres(url).await;
    admin.query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&name]).await.unwrap().is_some()
}

/// The database user a lease made; dropped when the guard goes, so a test
/// that fails before revoking leaves no role in PostgreSQL.
struct LeasedUser {
    url: String,
    id: String,
    username: String,
}

impl Drop for LeasedUser {
    fn drop(&mut self) {
        let (url, username) = (self.url.clone(), self.username.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let statement = format!("DROP ROLE IF EXISTS \"{username}\"");
                let _ = postgres(&url).await.batch_execute(&statement).await;
            });
        })
        .join();
    }
}

/// A `pg` provider with a role `r` on `url`, an integration asking for one
/// lease of it, resolved as a worker: the lease it made.
async fn lease_one(app: &TestApp, url: &str) -> LeasedUser {
    app.put_secret("org-a", "PG_ADMIN_URL", url).await;
    let provider = json!({"kind": "postgres", "connection_secret": "PG_ADMIN_URL",
        "roles": {"r": {"creation": ["CREATE ROLE \"{{name}}\" LOGIN PASSWORD '{{password}}'"]}}});
    let (status, written) =
        app.call("org-a", Role::Admin, Method::PUT, "/api/v1/credential-providers/pg", Some(&provider)).await;
    assert_eq!(status, 201, "{written}");
    app.create_integration("org-a", &json!({
        "name": HOSTILE_INTEGRATION, "integration_type": "postgres",
        "config": {"dynamic_credentials": [{"provider": "pg", "role": "r", "env": {"username": "U", "password": "P"}}]}
    }))
    .await;
    let names = json!({"names": [HOSTILE_INTEGRATION]});
    let resolve = "/api/v1/custom-integrations/resolve";
    let (status, bundle) = app.call("org-a", Role::Worker, Method::POST, resolve, Some(&names)).await;
    assert_eq!(status, 200, "{bundle}");
    let lease = &bundle["leases"][0];
    let user = LeasedUser {
        url: url.to_owned(),
        id: lease["id"].as_str().unwrap().to_owned(),
        username: lease["username"].as_str().unwrap().to_owned(),
    };
    assert!(role_exists(url, &user.username).await);
    user
}

async fn lease_state(app: &TestApp, org: &str, id: &str) -> Value {
    let (status, lease) = app.get(org, Role::Viewer, &format!("/api/v1/leases/{id}")).await;
    assert_eq!(status, 200, "{lease}");
    lease["state"].clone()
}

/// Rows of a console table.
fn rows(html: &str) -> usize {
    html.matches("<tr><td data-label=").count()
}

async fn the_providers_page_lists_what_the_api_lists(app: TestApp) {
    app.put_secret("org-a", "PG_ADMIN_URL", &format!("postgres://admin:{ADMIN_PASSWORD}@db.internal/app"))
        .await;
    app.put_secret("org-a", "REDIS_ADMIN_URL", &format!("redis://default:{ADMIN_PASSWORD}@cache.internal"))
        .await;
    // Written by an admin whose user id is hostile text: the page shows who.
    let mut claims = TestApp::claims("org-a", Role::Admin);
    claims.user_id = Some(HOSTILE.to_owned());
    let hostile_admin = app.sign(&claims);
    let providers = [
        (
            "pg",
            json!({"kind": "postgres", "connection_secret": "PG_ADMIN_URL", "default_ttl_seconds": 600,
                      "max_ttl_seconds": 7200,
                      "roles": {"r": {"creation": ["CREATE ROLE \"{{name}}\" LOGIN PASSWORD '{{password}}'"]}}}),
        ),
        (
            "cache",
            json!({"kind": "redis", "connection_secret": "REDIS_ADMIN_URL",
                         "roles": {"app": {"rules": "~app:* +get"}, "reports": {"rules": "~rep:* +get"}}}),
        ),
    ];
    for (name, body) in &providers {
        let path = format!("/api/v1/credential-providers/{name}");
        let response =
            app.request(Method::PUT, &path).bearer_auth(&hostile_admin).json(body).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
    }

    let (_, listed) = app.get("org-a", Role::Viewer, "/api/v1/credential-providers").await;
    let viewer = Visitor::sign_in(&app, "org-a", Role::Viewer).await;
    let (status, html) = viewer.get("/providers").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows(&html), listed.as_array().unwrap().len(), "{html}");
    for provider in listed.as_array().unwrap() {
        let name = provider["name"].as_str().unwrap();
        assert!(html.contains(&format!(r#"<a href="/leases?provider={name}">{name}</a>"#)), "{name}: {html}");
        let secret = provider["connection_secret"].as_str().unwrap();
        assert!(html.contains(&format!("<code>{secret}</code>")), "{secret}: {html}");
        for role in provider["roles"].as_object().unwrap().keys() {
            assert!(html.contains(&format!("<code>{role}</code>")), "{role}: {html}");
        }
    }
    for shown in [">postgres<", ">redis<", ">10 min<", ">2 h<", ">1 h<", ">1 d<"] {
        assert!(html.contains(shown), "{shown}: {html}");
    }
    assert!(
        !html.contains(ADMIN_PASSWORD) && !html.contains("db.internal"),
        "only the secret's name is shown"
    );
    assert!(
        !html.contains("<img src=x") && html.contains("by &lt;img src=x"),
        "the writer is escaped: {html}"
    );
    assert!(html.contains("patchbay providers set"), "the page says how providers are written");
    assert_eq!(html.matches("method=\"post\"").count(), 1, "read-only: sign-out is the only form");
    assert!(html.contains(r#"<a href="/providers" aria-current="page">Providers</a>"#));

    // Every role has both pages in its navigation.
    for role in [Role::Viewer, Role::Member, Role::Worker, Role::Admin] {
        let visitor = Visitor::sign_in(&app, "org-a", role).await;
        let (_, html) = visitor.get("/integrations").await;
        assert!(html.contains(r#"href="/providers""#) && html.contains(r#"href="/leases""#), "{role}");
    }

    // Another organization's console shows none of them.
    let other = Visitor::sign_in(&app, "org-b", Role::Admin).await;
    let (status, html) = other.get("/providers").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No credential providers yet"), "{html}");
    assert!(!html.contains("PG_ADMIN_URL") && !html.contains("REDIS_ADMIN_URL"), "{html}");
    let (_, html) = other.get("/leases").await;
    assert!(!html.contains(r#"<option value="pg""#), "org-a's providers are not filters here: {html}");
}

async fn leases_are_listed_filtered_and_revoked_from_the_console(app: TestApp) {
    let Some(url) = postgres_url().await else { return };
    let user = lease_one(&app, &url).await;
    let (id, username) = (user.id.as_str(), user.username.as_str());
    let action = format!("/leases/{id}/revoke");

    // A viewer sees what the API lists, escaped, and no Revoke button.
    let (_, listed) = app.get("org-a", Role::Viewer, "/api/v1/leases").await;
    let viewer = Visitor::sign_in(&app, "org-a", Role::Viewer).await;
    let (status, html) = viewer.get("/leases").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows(&html), listed.as_array().unwrap().len(), "{html}");
    assert!(html.contains(&format!("<code>{username}</code>")), "{html}");
    assert!(html.contains(r#"<td data-label="Provider">pg<div class="muted">postgres</div></td>"#), "{html}");
    assert!(html.contains(r#"<td data-label="Role">r</td>"#), "{html}");
    assert!(html.contains("badge ok\">active"), "{html}");
    assert!(!html.contains("<script>alert") && html.contains("&lt;script&gt;alert"), "{html}");
    assert!(!html.contains(&action), "a viewer has no Revoke button");

    // Filters by state and provider; a bad one shows the API's refusal, named.
    let (_, html) = viewer.get("/leases?state=active&provider=pg").await;
    assert_eq!(rows(&html), 1, "{html}");
    assert!(
        html.contains(r#"<option value="active" selected>"#)
            && html.contains(r#"<option value="pg" selected>"#)
    );
    for filter in ["state=revoked", "provider=other", "state=revoke_failed&provider=pg"] {
        let (_, html) = viewer.get(&format!("/leases?{filter}")).await;
        assert_eq!(rows(&html), 0, "{filter}: {html}");
        assert!(html.contains("No lease matches these filters"), "{filter}: {html}");
    }
    let (_, html) = viewer.get("/leases?state=gone").await;
    assert!(html.contains("state: Input should be"), "{html}");

    // A viewer's forged revoke (with a valid CSRF token) gets the API's 403.
    let (status, html) = viewer.post(&action, &[("csrf", &viewer.csrf)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
    assert!(html.contains("cannot revoke leases; a member, worker or admin token is required"), "{html}");
    assert_eq!(lease_state(&app, "org-a", id).await, "active");

    // Without the session's CSRF token a member's POST is refused too.
    let member = Visitor::sign_in(&app, "org-a", Role::Member).await;
    let (_, html) = member.get("/leases").await;
    assert!(html.contains(&format!(r#"action="{action}""#)), "a member has the Revoke button: {html}");
    let (status, html) = member.post(&action, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("security token"), "{html}");
    let (status, _) = member.post(&action, &[("csrf", &viewer.csrf)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another session's token is not this one's");

    // Another organization neither sees the lease nor revokes it.
    let other = Visitor::sign_in(&app, "org-b", Role::Admin).await;
    let (_, html) = other.get("/leases").await;
    assert!(!html.contains(username) && html.contains("No leases yet"), "{html}");
    let (status, html) = other.post(&action, &[("csrf", &other.csrf)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Lease not found"), "{html}");
    assert_eq!(lease_state(&app, "org-a", id).await, "active");
    assert!(role_exists(&url, username).await);

    // The member revokes it: back to the filtered list, the user dropped.
    let (status, location) = member.submit(&action, &[("csrf", &member.csrf), ("state", "active")]).await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/leases?state=active&notice=revoked"))
    );
    assert_eq!(lease_state(&app, "org-a", id).await, "revoked");
    assert!(!role_exists(&url, username).await);
    let (_, html) = member.get("/leases?state=active&notice=revoked").await;
    assert!(html.contains("Lease revoked"), "{html}");
    let (_, html) = member.get("/leases?state=revoked").await;
    assert_eq!(rows(&html), 1, "{html}");
    assert!(
        html.contains("revoked <time") && !html.contains(&action),
        "a revoked lease has no button: {html}"
    );
}

/// A revocation the database refuses: the API's 503 and reason above the
/// list, the lease `revoke_failed` with its error and still revocable.
async fn a_failed_revocation_shows_its_error_and_can_be_retried(app: TestApp) {
    let Some(url) = postgres_url().await else { return };
    let user = lease_one(&app, &url).await;
    let action = format!("/leases/{}/revoke", user.id);
    app.put_secret("org-a", "PG_ADMIN_URL", "postgres://postgres@127.0.0.1:1/test").await;

    let member = Visitor::sign_in(&app, "org-a", Role::Member).await;
    let (status, html) = member.post(&action, &[("csrf", &member.csrf)]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{html}");
    assert!(html.contains("Revoking the lease failed") && html.contains("the server retries it"), "{html}");
    assert!(html.contains("badge bad\">revoke_failed") && html.contains("1 attempt;"), "{html}");
    let lease = app.get("org-a", Role::Viewer, &format!("/api/v1/leases/{}", user.id)).await.1;
    let error = lease["last_error"].as_str().unwrap();
    let escaped =
        error.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    assert!(html.contains(&format!("Last error: {escaped}")), "{error}: {html}");
    assert!(html.contains(&format!(r#"action="{action}""#)), "still live, so still revocable");
    assert!(role_exists(&url, &user.username).await);

    // The database answers again: revoking now (before the server's own
    // retry is due) drops the user.
    app.put_secret("org-a", "PG_ADMIN_URL", &url).await;
    let (status, location) = member.submit(&action, &[("csrf", &member.csrf)]).await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/leases?notice=revoked")));
    assert_eq!(lease_state(&app, "org-a", &user.id).await, "revoked");
    assert!(!role_exists(&url, &user.username).await);
}

crate::both_backends!(
    the_providers_page_lists_what_the_api_lists,
    leases_are_listed_filtered_and_revoked_from_the_console,
    a_failed_revocation_shows_its_error_and_can_be_retried,
);
