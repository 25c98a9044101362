//! Secret values go only to commands an admin vouched for: a member's
//! rewrite of a connection test that would receive a secret is refused until
//! an admin approves the revision, at the API and again at the claim; and
//! every claim that hands out secret values is audited.
use crate::harness::TestApp;
use patchbay_domain::Role;
use patchbay_worker::Step;
use reqwest::Method;
use serde_json::{Value, json};

const VALUE: &str = "s3cr3t-Pa55word";
const INTEGRATIONS: &str = "/api/v1/custom-integrations";

/// A token of `org` with `role` for the user `user`.
fn token(app: &TestApp, org: &str, role: Role, user: &str) -> String {
    let mut claims = TestApp::claims(org, role);
    claims.user_id = Some(user.to_owned());
    app.sign(&claims)
}

async fn call(app: &TestApp, token: &str, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = app.request(method, path).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn config(command: &str) -> Value {
    json!({"env_vars": {"DB_HOST": "db.internal"}, "secrets": ["DB_PASSWORD"],
           "connection_test": {"command": command, "timeout": 5}})
}

struct Tenant {
    admin: String,
    member: String,
    viewer: String,
}

async fn setup(app: &TestApp) -> (Tenant, String) {
    let tenant = Tenant {
        admin: token(app, "acme", Role::Admin, "ada"),
        member: token(app, "acme", Role::Member, "mallory"),
        viewer: token(app, "acme", Role::Viewer, "vic"),
    };
    let (status, _) =
        call(app, &tenant.admin, Method::PUT, "/api/v1/secrets/DB_PASSWORD", Some(json!({"value": VALUE})))
            .await;
    assert_eq!(status, 201);
    let body = json!({"name": "pg", "integration_type": "postgres", "config": config("true")});
    let (status, created) = call(app, &tenant.admin, Method::POST, INTEGRATIONS, Some(body)).await;
    assert_eq!(status, 201, "{created}");
    (tenant, created["id"].as_str().unwrap().to_owned())
}

async fn start_test(app: &TestApp, token: &str, id: &str) -> (u16, Value) {
    call(app, token, Method::POST, &format!("{INTEGRATIONS}/{id}/test?wait=false"), None).await
}

async fn a_members_rewrite_waits_for_an_admins_approval(app: TestApp) {
    let (t, id) = setup(&app).await;
    let revisions = format!("{INTEGRATIONS}/{id}/revisions");
    // Written by an admin: approved by its author, tests run.
    let (_, first) = call(&app, &t.viewer, Method::GET, &format!("{revisions}/1"), None).await;
    assert_eq!(first["approval"]["kind"], "written", "{first}");
    assert_eq!(first["approval"]["by"], "ada");
    assert_eq!(start_test(&app, &t.member, &id).await.0, 202);

    // The member rewrites the command to print the secret reversed.
    let leak = "printf %s \"$DB_PASSWORD\" | rev";
    let (status, _) = call(
        &app,
        &t.member,
        Method::PUT,
        &format!("{INTEGRATIONS}/{id}"),
        Some(json!({"config": config(leak)})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, refused) = start_test(&app, &t.member, &id).await;
    assert_eq!(status, 409, "{refused}");
    let detail = refused["detail"].as_str().unwrap();
    assert!(detail.contains("An admin must approve revision 2"), "{detail}");
    assert!(detail.contains("DB_PASSWORD") && detail.contains("/revisions/2/approve"), "{detail}");
    // Nor can an admin's test run it before approving.
    assert_eq!(start_test(&app, &t.admin, &id).await.0, 409);
    let (_, second) = call(&app, &t.admin, Method::GET, &format!("{revisions}/2"), None).await;
    assert_eq!(second["approval"], Value::Null, "{second}");

    // Only an admin of the organization approves.
    let approve = format!("{revisions}/2/approve");
    assert_eq!(call(&app, &t.member, Method::POST, &approve, None).await.0, 403);
    assert_eq!(call(&app, &t.viewer, Method::POST, &approve, None).await.0, 403);
    let other_admin = token(&app, "globex", Role::Admin, "eve");
    let (status, body) = call(&app, &other_admin, Method::POST, &approve, None).await;
    assert_eq!((status, body["detail"].as_str()), (404, Some("Custom integration not found")));
    let (status, body) = call(&app, &t.admin, Method::POST, &format!("{revisions}/9/approve"), None).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(call(&app, &t.admin, Method::POST, &format!("{revisions}/two/approve"), None).await.0, 422);

    let (status, approved) = call(&app, &t.admin, Method::POST, &approve, None).await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["approval"]["kind"], "approved");
    assert_eq!(
        (approved["approval"]["by"].as_str(), approved["approval"]["revision"].as_i64()),
        (Some("ada"), Some(2))
    );
    // Approving again changes nothing.
    let (_, again) = call(&app, &t.admin, Method::POST, &approve, None).await;
    assert_eq!(again["approval"], approved["approval"]);
    assert_eq!(start_test(&app, &t.member, &id).await.0, 202);

    // A member's change that leaves the config alone keeps the approval...
    let (status, _) =
        call(&app, &t.member, Method::PUT, &format!("{INTEGRATIONS}/{id}"), Some(json!({"tags": ["prod"]})))
            .await;
    assert_eq!(status, 200);
    let (_, third) = call(&app, &t.viewer, Method::GET, &format!("{revisions}/3"), None).await;
    assert_eq!(third["approval"]["revision"], 2, "{third}");
    assert_eq!(start_test(&app, &t.member, &id).await.0, 202);
    // ...and one that changes a file or an env var needs a new one.
    let mut changed = config(leak);
    changed["env_vars"]["DB_HOST"] = json!("attacker.example");
    call(&app, &t.member, Method::PUT, &format!("{INTEGRATIONS}/{id}"), Some(json!({"config": changed})))
        .await;
    assert_eq!(start_test(&app, &t.member, &id).await.0, 409);

    // The approval is audited, with the approving admin.
    let (_, events) =
        call(&app, &t.admin, Method::GET, "/api/v1/audit-events?action=integration.approve", None).await;
    let events = events["events"].as_array().unwrap();
    let outcomes: Vec<(&str, &str)> =
        events.iter().map(|e| (e["actor"].as_str().unwrap(), e["outcome"].as_str().unwrap())).collect();
    assert!(outcomes.contains(&("ada", "success")), "{events:?}");
    assert!(outcomes.contains(&("mallory", "denied")), "{events:?}");
}

async fn nothing_a_member_calls_returns_the_value(app: TestApp) {
    let (t, id) = setup(&app).await;
    let leak = "printf %s \"$DB_PASSWORD\" | rev; printf %s \"$DB_PASSWORD\" | od -c";
    call(
        &app,
        &t.member,
        Method::PUT,
        &format!("{INTEGRATIONS}/{id}"),
        Some(json!({"config": config(leak)})),
    )
    .await;
    // A member's own integration that names the secret is refused too.
    let body = json!({"name": "mine", "integration_type": "postgres", "config": config(leak)});
    let (status, mine) = call(&app, &t.member, Method::POST, INTEGRATIONS, Some(body)).await;
    assert_eq!(status, 201);
    let mine = mine["id"].as_str().unwrap();
    assert_eq!(start_test(&app, &t.member, mine).await.0, 409);
    assert_eq!(start_test(&app, &t.member, &id).await.0, 409);

    let reversed: String = VALUE.chars().rev().collect();
    let paths = [
        "/api/v1/secrets/value/DB_PASSWORD".to_owned(),
        format!("{INTEGRATIONS}/{id}/tests"),
        format!("{INTEGRATIONS}/{id}/revisions"),
        format!("{INTEGRATIONS}/{id}"),
        "/api/v1/secrets".to_owned(),
    ];
    for path in &paths {
        let (_, body) = call(&app, &t.member, Method::GET, path, None).await;
        let text = body.to_string();
        assert!(!text.contains(VALUE) && !text.contains(&reversed), "{path}: {text}");
    }
    let resolve = format!("{INTEGRATIONS}/resolve");
    let (status, _) = call(&app, &t.member, Method::POST, &resolve, Some(json!({"names": ["pg"]}))).await;
    assert_eq!(status, 403);
    let (_, dry) = call(
        &app,
        &t.member,
        Method::POST,
        &format!("{resolve}?dry_run=true"),
        Some(json!({"names": ["pg"]})),
    )
    .await;
    assert!(!dry.to_string().contains(VALUE), "{dry}");
}

async fn the_claim_checks_the_approval_again(app: TestApp) {
    let (t, id) = setup(&app).await;
    let worker = app.worker("acme", 0).await;
    let (status, queued) = start_test(&app, &t.member, &id).await;
    assert_eq!(status, 202);
    // Someone with the database (not the API) strips the approval after
    // the test was queued: the claim refuses to hand out the secret.
    app.sql(
        "UPDATE integration_revisions SET approval_kind = NULL, approved_revision = NULL, \
             approved_by = NULL, approved_at = NULL",
    )
    .await;
    assert_eq!(worker.try_run_one().await.unwrap(), Step::QueueEmpty, "the claim handed out no job");
    let job = app
        .client("acme", Role::Viewer)
        .get_connection_test(queued["job_id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(job.status, "error", "{job:?}");
    assert!(job.output.as_deref().unwrap().contains("An admin must approve revision 1"), "{job:?}");
    let (_, events) = call(&app, &t.admin, Method::GET, "/api/v1/audit-events?action=job.claim", None).await;
    assert_eq!(events["events"].as_array().unwrap().len(), 0, "no value was delivered: {events}");
}

async fn a_claim_that_delivers_secrets_is_audited(app: TestApp) {
    let (t, id) = setup(&app).await;
    let plain = json!({"name": "plain", "integration_type": "shell",
                       "config": {"connection_test": {"command": "true", "timeout": 5}}});
    let (_, plain) = call(&app, &t.member, Method::POST, INTEGRATIONS, Some(plain)).await;
    let worker = app.worker("acme", 0).await;
    let (_, queued) = start_test(&app, &t.member, &id).await;
    assert_eq!(worker.try_run_one().await.unwrap(), Step::Ran);
    // A member's test without secrets runs unapproved and delivers nothing.
    assert_eq!(start_test(&app, &t.member, plain["id"].as_str().unwrap()).await.0, 202);
    assert_eq!(worker.try_run_one().await.unwrap(), Step::Ran);

    let (_, events) = call(&app, &t.admin, Method::GET, "/api/v1/audit-events?action=job.claim", None).await;
    let events = events["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!((event["actor_role"].as_str(), event["outcome"].as_str()), (Some("worker"), Some("success")));
    assert_eq!(event["resource_id"].as_str(), Some(id.as_str()));
    let detail = &event["detail"];
    assert_eq!(detail["secrets"], json!(["DB_PASSWORD"]));
    assert_eq!(detail["job_id"], queued["job_id"]);
    assert_eq!(detail["worker_id"].as_str(), Some(worker.id()));
    assert!(!event.to_string().contains(VALUE));
}

crate::both_backends!(
    a_members_rewrite_waits_for_an_admins_approval,
    nothing_a_member_calls_returns_the_value,
    the_claim_checks_the_approval_again,
    a_claim_that_delivers_secrets_is_audited,
);
