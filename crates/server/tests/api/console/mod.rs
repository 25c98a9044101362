//! The web console over plain HTTP (no browser): session cookie flags, CSRF
//! refusal, escaping of hostile text, role-aware buttons, 422s beside their
//! fields, and secret values that never reach a page.
mod audit_page;
mod credential_pages;
mod editing;
mod health_page;
mod visitor;
mod webhook_pages;

use crate::harness::TestApp;
use patchbay_domain::Role;
use reqwest::{Method, StatusCode, header};
use serde_json::json;
use visitor::{Visitor, no_redirects};

async fn session_cookie_is_http_only_strict_and_ends_at_sign_out(app: TestApp) {
    let http = no_redirects();
    let anonymous = http.get(format!("{}/integrations", app.base)).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert_eq!(anonymous.headers()[header::LOCATION], "/signin");

    let refused =
        http.post(format!("{}/signin", app.base)).form(&[("token", "not-a-token")]).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(refused.headers().get(header::SET_COOKIE).is_none());

    let response = http
        .post(format!("{}/signin", app.base))
        .form(&[("token", app.token("acme", Role::Member))])
        .send()
        .await
        .unwrap();
    let cookie = response.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="] {
        assert!(cookie.contains(flag), "{flag} missing from {cookie}");
    }
    assert!(!cookie.contains("eyJ"), "the token itself never goes into the cookie: {cookie}");

    let visitor = Visitor::sign_in(&app, "acme", Role::Member).await;
    let page = visitor.http.get(format!("{}/integrations", app.base)).header(header::COOKIE, &visitor.cookie);
    let page = page.send().await.unwrap();
    let csp = page.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(page.headers()[header::CACHE_CONTROL], "no-store");
    assert_eq!(page.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let (status, _) = visitor.post("/signout", &[("csrf", &visitor.csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = visitor.get("/integrations").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the session is gone after sign-out");
}

async fn posts_without_the_session_csrf_token_are_refused(app: TestApp) {
    let visitor = Visitor::sign_in(&app, "acme", Role::Admin).await;
    let form = [("name", "sneaky"), ("integration_type", "custom")];
    let (status, html) = visitor.post("/integrations/new", &form).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("security token"), "{html}");
    let (status, _) = visitor.post("/integrations/new", &[("csrf", "forged"), form[0], form[1]]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Another session's token is not this session's.
    let other = Visitor::sign_in(&app, "acme", Role::Admin).await;
    let (status, _) = visitor.post("/integrations/new", &[("csrf", &other.csrf), form[0], form[1]]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = visitor.post("/secrets", &[("name", "X"), ("value", "v")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = visitor.post("/signout", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, listed) = app.send_json(Method::GET, "/api/v1/custom-integrations", "acme", &json!(null)).await;
    assert_eq!(listed, json!([]), "nothing was created");
    let (_, secrets) = app.send_json(Method::GET, "/api/v1/secrets", "acme", &json!(null)).await;
    assert_eq!(secrets, json!([]));

    // With the token, the same form works.
    let (status, _) = visitor.post("/integrations/new", &[("csrf", &visitor.csrf), form[0], form[1]]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

async fn hostile_text_renders_escaped(app: TestApp) {
    let hostile = "<script>alert('pwned')</script>";
    let id = app.create_integration("acme", &json!({"name": hostile, "integration_type": "<b>t</b>", "description": "\"><img src=x onerror=alert(1)>",
               "tags": ["<i>tag</i>"], "config": {"env_vars": {"X": "</code><script>1</script>"},
               "context_prompt": "<iframe src=//evil>"}}),
    )
    .await;
    let visitor = Visitor::sign_in(&app, "acme", Role::Admin).await;
    for path in [
        "/integrations".to_owned(),
        format!("/integrations/{id}"),
        format!("/integrations/{id}/edit"),
        "/audit".into(),
    ] {
        let (status, html) = visitor.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        for raw in ["<script>alert", "<img src=x", "<i>tag", "<b>t</b>", "<iframe", "<script>1"] {
            assert!(!html.contains(raw), "{path} has unescaped {raw}");
        }
        assert!(html.contains("&lt;script&gt;"), "{path} shows the name escaped");
    }
}

async fn a_viewer_sees_no_write_buttons(app: TestApp) {
    let id = app
        .create_integration("acme", &json!({"name": "db", "integration_type": "postgres", "config": {}}))
        .await;
    let (status, _) = app
        .send_json(
            Method::PUT,
            &format!("/api/v1/custom-integrations/{id}"),
            "acme",
            &json!({"description": "v2"}),
        )
        .await;
    assert_eq!(status, 200);
    let detail = format!("/integrations/{id}");
    let admin = Visitor::sign_in(&app, "acme", Role::Admin).await;
    let (_, html) = admin.get(&detail).await;
    for button in ["Edit</a>", "Run test", "Restore 1"] {
        assert!(html.contains(button), "an admin sees {button}");
    }
    let (_, html) = admin.get("/integrations").await;
    assert!(html.contains("New integration"));

    let viewer = Visitor::sign_in(&app, "acme", Role::Viewer).await;
    let (_, html) = viewer.get(&detail).await;
    for button in ["Edit</a>", "Run test", "Restore", "/edit", "/test\"", "/restore"] {
        assert!(!html.contains(button), "a viewer sees {button}");
    }
    let (_, html) = viewer.get("/integrations").await;
    assert!(!html.contains("New integration"));
    assert!(html.contains("db"));
    let (_, html) = viewer.get("/secrets").await;
    assert!(!html.contains("name=\"value\""), "no secret form for a viewer");
    let (_, html) = viewer.get("/integrations").await;
    assert!(!html.contains("href=\"/audit\""), "the audit log is for admins");

    // A member sees edit and test, but restore is for admins.
    let member = Visitor::sign_in(&app, "acme", Role::Member).await;
    let (_, html) = member.get(&detail).await;
    assert!(html.contains("Run test") && !html.contains("Restore"));

    // Forged through anyway (with a valid CSRF token), the API refuses.
    let (status, html) = viewer
        .post("/integrations/new", &[("csrf", &viewer.csrf), ("name", "x"), ("integration_type", "custom")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Role &#39;viewer&#39; cannot") || html.contains("Role 'viewer' cannot"), "{html}");
    let (status, _) =
        viewer.post(&format!("/integrations/{id}/revisions/1/restore"), &[("csrf", &viewer.csrf)]).await;
    assert_eq!(status, StatusCode::OK);
    let (_, current) =
        app.send_json(Method::GET, &format!("/api/v1/custom-integrations/{id}"), "acme", &json!(null)).await;
    assert_eq!(current["description"], "v2", "the viewer's restore did nothing");
}

async fn a_422_lands_beside_its_field_with_the_typed_values_kept(app: TestApp) {
    let visitor = Visitor::sign_in(&app, "acme", Role::Member).await;
    let fields = [
        ("csrf", visitor.csrf.as_str()),
        ("name", "orders-db"),
        ("integration_type", "postgres"),
        ("env_vars", "PGHOST=db.internal\n1BAD=x\n"),
        ("secrets", "PGPASSWORD"),
        ("context_prompt", "Typed & kept"),
        ("test_command", "pg_isready"),
        ("test_timeout", "900"),
    ];
    let (status, html) = visitor.post("/integrations/new", &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let env_field = &html[html.find("id=\"env_vars\"").unwrap()..];
    let env_error = &env_field[..env_field.find("</div>").unwrap()];
    assert!(env_error.contains("1BAD: String should match pattern"), "{env_error}");
    let timeout_field = &html[html.find("id=\"test_timeout\"").unwrap()..];
    assert!(timeout_field[..timeout_field.find("</div>").unwrap()].contains("less than or equal to 300"));
    for kept in ["value=\"orders-db\"", "PGHOST=db.internal\n1BAD=x", "Typed &amp; kept", "value=\"900\""] {
        assert!(html.contains(kept), "the form keeps {kept}");
    }
    let (_, listed) = app.send_json(Method::GET, "/api/v1/custom-integrations", "acme", &json!(null)).await;
    assert_eq!(listed, json!([]));
}

async fn a_secret_value_never_reaches_a_page(app: TestApp) {
    let value = "hunter2-c0nsole-Value";
    let id = app
        .create_integration(
            "acme",
            &json!({"name": "db", "integration_type": "postgres", "config": {"secrets": ["PGPASSWORD"],
               "files": [{"path": "~/.pgpass", "secret_ref": "PGPASS", "mode": "0600"}]}}),
        )
        .await;
    let visitor = Visitor::sign_in(&app, "acme", Role::Admin).await;
    let (_, html) = visitor.get(&format!("/integrations/{id}")).await;
    assert_eq!(html.matches("badge bad missing").count(), 2, "both secrets are missing at first");
    let (status, _) =
        visitor.post("/secrets", &[("csrf", &visitor.csrf), ("name", "PGPASSWORD"), ("value", value)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, html) =
        visitor.post("/secrets", &[("csrf", &visitor.csrf), ("name", "bad name!"), ("value", value)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!html.contains(value), "a refused value is not echoed");
    let (_, html) = visitor.get(&format!("/integrations/{id}")).await;
    assert!(html.contains("<code>PGPASSWORD</code> <span class=\"badge ok\""), "PGPASSWORD is present now");
    assert_eq!(html.matches("badge bad missing").count(), 1, "only the file's PGPASS is still missing");
    for path in [
        "/integrations".to_owned(),
        format!("/integrations/{id}"),
        "/secrets".into(),
        "/audit".into(),
        "/workers".into(),
        format!("/integrations/{id}/revisions/1"),
    ] {
        let (_, html) = visitor.get(&path).await;
        assert!(!html.contains(value), "{path} shows the secret value");
    }
    let (_, html) = visitor.get("/secrets").await;
    assert!(
        html.contains("href=\"/integrations/") && html.contains(">db</a>"),
        "the secret names its integration"
    );
}

async fn a_stale_edit_is_refused_and_pages_and_audit_work(app: TestApp) {
    let id = app
        .create_integration("acme", &json!({"name": "db", "integration_type": "postgres", "config": {}}))
        .await;
    let member = Visitor::sign_in(&app, "acme", Role::Member).await;
    let (status, form) = member.get(&format!("/integrations/{id}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(r#"name="revision" value="1""#), "the form carries the revision it started from");
    // Someone else saves meanwhile; the form's save is refused, not applied over it.
    let path = format!("/api/v1/custom-integrations/{id}");
    let (status, _) = app.send_json(Method::PUT, &path, "acme", &json!({"description": "theirs"})).await;
    assert_eq!(status, 200);
    let edit = [
        ("csrf", member.csrf.as_str()),
        ("revision", "1"),
        ("name", "db"),
        ("integration_type", "postgres"),
        ("status", "active"),
        ("description", "mine"),
    ];
    let (status, html) = member.post(&format!("/integrations/{id}/edit"), &edit).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Someone changed this integration"), "{html}");
    assert!(html.contains(">\nmine</textarea>"), "the typed description is kept");
    let (_, current) = app.send_json(Method::GET, &path, "acme", &json!(null)).await;
    assert_eq!(current["description"], "theirs");
    // Reloaded, the form starts from the revision the API's ETag names.
    let (_, form) = member.get(&format!("/integrations/{id}/edit")).await;
    assert!(form.contains(r#"name="revision" value="2""#), "the form follows the ETag");

    // Pages of 20, with a link to the next.
    for n in 0..21 {
        app.create_integration(
            "acme",
            &json!({"name": format!("svc-{n:02}"), "integration_type": "custom", "config": {}}),
        )
        .await;
    }
    let (_, first) = member.get("/integrations?integration_type=custom").await;
    assert_eq!(first.matches("data-label=\"Name\"").count(), 20);
    assert!(
        first.contains(r#"href="/integrations?integration_type=custom&amp;page=2""#),
        "a next link keeps the filter"
    );
    let (_, second) = member.get("/integrations?integration_type=custom&page=2").await;
    assert_eq!(second.matches("data-label=\"Name\"").count(), 1);
    assert!(second.contains("rel=\"prev\"") && !second.contains("rel=\"next\""));
    let (_, searched) = member.get("/integrations?q=svc-07").await;
    assert_eq!(searched.matches("data-label=\"Name\"").count(), 1);

    // The audit log is for admins; its events carry the browser request's id.
    let (_, html) = member.get("/audit").await;
    assert!(html.contains("cannot read the audit log"), "{html}");
    let admin = Visitor::sign_in(&app, "acme", Role::Admin).await;
    let response = admin
        .http
        .post(format!("{}/secrets", admin.base))
        .header(header::COOKIE, &admin.cookie)
        .header("x-request-id", "console-req-42")
        .form(&[("csrf", admin.csrf.as_str()), ("name", "TOKEN"), ("value", "v")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (status, html) = admin.get("/audit?action=secret.write").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("secret.write") && !html.contains("integration.create"), "filtered by action");
    let (_, events) =
        app.send_json(Method::GET, "/api/v1/audit-events?action=secret.write", "acme", &json!(null)).await;
    assert_eq!(events["events"][0]["request_id"], "console-req-42", "{events}");
}

async fn a_queued_test_marks_the_page_for_reload(app: TestApp) {
    let id = app
        .create_integration(
            "acme",
            &json!({"name": "db", "integration_type": "custom",
               "config": {"connection_test": {"enabled": true, "command": "true", "timeout": 5}}}),
        )
        .await;
    let visitor = Visitor::sign_in(&app, "acme", Role::Member).await;
    let (_, html) = visitor.get(&format!("/integrations/{id}")).await;
    assert!(!html.contains("data-pending"));
    let path = format!("/api/v1/custom-integrations/{id}/test?wait=false");
    let (status, _) = app.send_json(Method::POST, &path, "acme", &json!(null)).await;
    assert_eq!(status, 202);
    let (_, html) = visitor.get(&format!("/integrations/{id}")).await;
    assert!(html.contains("data-pending"), "the script reloads until the result is in");
    assert!(html.contains("badge neutral\">queued"), "{html}");
}

/// The Approve button stands beside the diff it approves, for admins only.
async fn an_admin_approves_a_revision_beside_its_diff(app: TestApp) {
    let body = json!({"name": "pg", "integration_type": "postgres",
                      "config": {"secrets": ["DB_PASSWORD"], "connection_test": {"command": "true"}}});
    let id = app.create_integration("acme", &body).await;
    let rewrite = json!({"config": {"secrets": ["DB_PASSWORD"], "connection_test": {"command": "env"}}});
    let response = app
        .request(Method::PUT, &format!("/api/v1/custom-integrations/{id}"))
        .bearer_auth(app.token("acme", Role::Member))
        .json(&rewrite)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let page = format!("/integrations/{id}/revisions/2");
    let action = format!("{page}/approve");

    let member = Visitor::sign_in(&app, "acme", Role::Member).await;
    let (_, html) = member.get(&page).await;
    assert!(html.contains("Not approved") && html.contains("connection_test"), "{html}");
    assert!(!html.contains(&action), "a member sees no Approve button");
    let (status, html) = member.post(&action, &[("csrf", &member.csrf)]).await;
    assert_ne!(status, StatusCode::SEE_OTHER, "{html}");
    assert!(html.contains("approve revisions"), "the API's 403 is shown: {html}");

    let admin = Visitor::sign_in(&app, "acme", Role::Admin).await;
    let (_, html) = admin.get(&format!("/integrations/{id}")).await;
    assert!(html.contains("needs approval"), "the history shows it: {html}");
    let (_, html) = admin.get(&page).await;
    assert!(html.contains(&action) && html.contains("Approve revision 2"), "{html}");
    let (status, _) = admin.post(&action, &[("csrf", &admin.csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = admin.get(&format!("{page}?notice=approved")).await;
    assert!(html.contains("Revision approved") && html.contains("Approved by user-1"), "{html}");
    assert!(!html.contains(&action));
}

crate::both_backends!(
    an_admin_approves_a_revision_beside_its_diff,
    a_queued_test_marks_the_page_for_reload,
    a_stale_edit_is_refused_and_pages_and_audit_work,
    session_cookie_is_http_only_strict_and_ends_at_sign_out,
    posts_without_the_session_csrf_token_are_refused,
    hostile_text_renders_escaped,
    a_viewer_sees_no_write_buttons,
    a_422_lands_beside_its_field_with_the_typed_values_kept,
    a_secret_value_never_reaches_a_page,
);
