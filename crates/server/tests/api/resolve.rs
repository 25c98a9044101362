//! Resolution through the API: real values for workers and admins, masked
//! values in a dry run for anyone, and every problem at once (fail closed).
use crate::harness::TestApp;
use patchbay_domain::Role;
use reqwest::Method;
use serde_json::json;

const RESOLVE: &str = "/api/v1/custom-integrations/resolve";
const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

async fn prod_db(app: &TestApp, org: &str) -> String {
    app.put_secret(org, "DB_PASSWORD", "pa$$w0rd").await;
    app.put_secret(org, "PG_CERT", CERT).await;
    app.create_integration(org, &json!({
        "name": "prod-db", "integration_type": "postgres",
        "config": {
            "env_vars": {
                "DB_URL": "postgres://app:${DB_PASSWORD}@${DB_HOST}:5432/app",
                "DB_HOST": "db.internal",
                "PRICE": "$$5 and $HOME stay"
            },
            "secrets": ["DB_PASSWORD"],
            "files": [
                {"path": "~/.postgresql/client.crt", "secret_ref": "PG_CERT", "description": "client certificate"},
                {"path": "~/.pgpass", "content": "{{.env.DB_HOST}}:5432:*:app:{{ .secret.DB_PASSWORD }}\n", "mode": "0640"},
                {"path": "notes.txt", "content": "host ${DB_HOST}"}
            ],
            "context_prompt": "Production database: read-only queries."
        }
    }))
    .await
}

async fn workers_get_real_values_and_others_a_dry_run(app: TestApp) {
    let id = prod_db(&app, "org-a").await;
    let request = json!({"names": ["prod-db"]});
    let (status, bundle) = app.call("org-a", Role::Worker, Method::POST, RESOLVE, Some(&request)).await;
    assert_eq!(status, 200, "{bundle}");
    assert_eq!(
        bundle["env_vars"],
        json!({
            "DB_URL": "postgres://app:pa$$w0rd@db.internal:5432/app",
            "DB_HOST": "db.internal",
            "PRICE": "$5 and $HOME stay",
            "DB_PASSWORD": "pa$$w0rd"
        })
    );
    assert_eq!(
        bundle["files"],
        json!([
            {"path": "~/.postgresql/client.crt", "content": CERT, "mode": "0600", "description": "client certificate"},
            {"path": "~/.pgpass", "content": "db.internal:5432:*:app:pa$$w0rd\n", "mode": "0600", "description": null},
            {"path": "notes.txt", "content": "host db.internal", "mode": "0644", "description": null}
        ])
    );
    let prompt = bundle["context_prompt"].as_str().unwrap();
    assert!(prompt.starts_with("## Available Integrations\n"), "{prompt}");
    assert!(prompt.contains("### prod-db (postgres)") && prompt.contains("Production database"), "{prompt}");
    assert!(
        prompt.contains("DB_URL") && !prompt.contains("pa$$w0rd") && !prompt.contains("db.internal"),
        "{prompt}"
    );
    assert_eq!(
        bundle["integrations"],
        json!([{"id": id, "name": "prod-db", "integration_type": "postgres", "revision": 1}])
    );
    assert_eq!((bundle["missing"].clone(), bundle["dry_run"].clone()), (json!([]), json!(false)));
    // The stored config keeps what the client sent.
    let (_, stored) = app.get("org-a", Role::Admin, &format!("/api/v1/custom-integrations/{id}")).await;
    assert_eq!(stored["config"]["files"][1]["mode"], "0640");

    for role in [Role::Admin] {
        let (status, same) = app.call("org-a", role, Method::POST, RESOLVE, Some(&request)).await;
        assert_eq!((status, same), (200, bundle.clone()));
    }
    for role in [Role::Viewer, Role::Member] {
        let (status, body) = app.call("org-a", role, Method::POST, RESOLVE, Some(&request)).await;
        assert_eq!(status, 403, "{role}: {body}");
        assert!(body["detail"].as_str().unwrap().contains("dry_run"), "{body}");
    }
    for role in [Role::Viewer, Role::Member, Role::Worker] {
        let (status, dry) =
            app.call("org-a", role, Method::POST, &format!("{RESOLVE}?dry_run=true"), Some(&request)).await;
        assert_eq!(status, 200, "{role}: {dry}");
        assert_eq!(dry["dry_run"], true);
        assert_eq!(dry["env_vars"]["DB_URL"], "postgres://app:***@db.internal:5432/app");
        assert_eq!(dry["env_vars"]["DB_PASSWORD"], "***");
        assert_eq!(dry["env_vars"]["DB_HOST"], "db.internal");
        assert_eq!(dry["files"][0]["content"], "***");
        assert_eq!(dry["files"][0]["mode"], "0600");
        assert_eq!(dry["files"][1]["content"], "db.internal:5432:*:app:***\n");
        assert!(!dry.to_string().contains("pa$$w0rd") && !dry.to_string().contains("MIIB"), "{dry}");
        assert_eq!(dry["missing"], json!([]));
    }
    // By id as well.
    let by_id = json!({"integration_ids": [id]});
    let (status, again) = app.call("org-a", Role::Worker, Method::POST, RESOLVE, Some(&by_id)).await;
    assert_eq!((status, again), (200, bundle));
}

async fn every_problem_is_reported_at_once(app: TestApp) {
    prod_db(&app, "org-a").await;
    app.create_integration("org-a", &json!({"name": "clash", "integration_type": "custom", "config": {
        "env_vars": {"DB_HOST": "other.internal", "LOOP_A": "${LOOP_B}", "LOOP_B": "${LOOP_A}", "BROKEN": "${NOPE}"},
        "secrets": ["NOT_IN_VAULT"],
        "files": [{"path": "~/.postgresql/client.crt", "content": "different"}, {"path": "empty.txt"}]
    }})).await;
    let idle = app
        .create_integration("org-a", &json!({"name": "idle", "integration_type": "custom", "config": {}}))
        .await;
    let path = format!("/api/v1/custom-integrations/{idle}");
    app.send_json(Method::PUT, &path, "org-a", &json!({"status": "inactive"})).await;

    let request = json!({"names": ["prod-db", "clash", "idle", "ghost"]});
    let (status, body) = app.call("org-a", Role::Worker, Method::POST, RESOLVE, Some(&request)).await;
    assert_eq!(status, 422, "{body}");
    let kinds: Vec<&str> =
        body["detail"].as_array().unwrap().iter().map(|p| p["type"].as_str().unwrap()).collect();
    for expected in [
        "unknown_integration",
        "env_var_conflict",
        "reference_cycle",
        "undefined_reference",
        "missing_secret",
        "file_conflict",
        "file_without_content",
        "integration_not_active",
    ] {
        assert!(kinds.contains(&expected), "{expected} missing from {kinds:?}");
    }
    assert_eq!(body["detail"][0]["loc"], json!(["body", "names", 3]));
    let text = body.to_string();
    assert!(text.contains("LOOP_A") && text.contains("NOPE") && text.contains("NOT_IN_VAULT"), "{text}");
    assert!(!text.contains("pa$$w0rd"), "no value in problems");

    // A dry run reports the same problems with a 200.
    let (status, dry) = app
        .call("org-a", Role::Member, Method::POST, &format!("{RESOLVE}?dry_run=yes"), Some(&request))
        .await;
    assert_eq!(status, 200);
    assert_eq!(dry["missing"], body["detail"]);
}

async fn other_organizations_are_unknown(app: TestApp) {
    let id = prod_db(&app, "org-a").await;
    for request in [json!({"names": ["prod-db"]}), json!({"integration_ids": [id, "not-a-uuid"]})] {
        let (status, body) = app.call("org-b", Role::Admin, Method::POST, RESOLVE, Some(&request)).await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body["detail"].as_array().unwrap().iter().all(|p| p["type"] == "unknown_integration"),
            "{body}"
        );
        assert!(!body.to_string().contains("db.internal"), "nothing of org-a leaks: {body}");
    }
}

async fn bad_requests_are_422(app: TestApp) {
    for (body, loc) in [
        (json!({}), json!(["body"])),
        (json!({"names": []}), json!(["body"])),
        (json!({"names": ["a"], "integration_ids": ["b"]}), json!(["body"])),
        (json!({"names": "prod-db"}), json!(["body", "names"])),
    ] {
        let (status, response) = app.call("org-a", Role::Admin, Method::POST, RESOLVE, Some(&body)).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(response["detail"][0]["loc"], loc, "{body}: {response}");
    }
    let path = format!("{RESOLVE}?dry_run=maybe");
    let (status, response) =
        app.call("org-a", Role::Admin, Method::POST, &path, Some(&json!({"names": ["x"]}))).await;
    assert_eq!(status, 422);
    assert_eq!(response["detail"][0]["loc"], json!(["query", "dry_run"]));
    let response = app.request(Method::POST, RESOLVE).json(&json!({"names": ["x"]})).send().await.unwrap();
    assert_eq!(response.status(), 401);
}

/// `{{secrets.X}}` is kept as written (the grammar leaves other templates'
/// braces alone); a dry run says so, with the spelling that works.
async fn a_dry_run_warns_about_text_that_looks_like_a_reference(app: TestApp) {
    app.put_secret("org-a", "API_TOKEN", "t0ken").await;
    app.create_integration("org-a", &json!({
        "name": "ci", "integration_type": "github",
        "config": {
            "env_vars": {"GH_TOKEN": "{{secrets.API_TOKEN}}", "OK": "{{.secret.API_TOKEN}}", "JINJA": "{{ user }}"},
            "files": [{"path": "~/.netrc", "content": "password {{ .Secret.API_TOKEN }}\n"}]
        }
    }))
    .await;
    let request = json!({"names": ["ci"]});
    let path = format!("{RESOLVE}?dry_run=true");
    let (status, dry) = app.call("org-a", Role::Member, Method::POST, &path, Some(&request)).await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(dry["env_vars"]["GH_TOKEN"], "{{secrets.API_TOKEN}}", "kept as written");
    assert_eq!(dry["env_vars"]["OK"], "***");
    let warnings = dry["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2, "{dry}");
    assert_eq!(warnings[0]["loc"], json!(["integrations", "ci", "config", "env_vars", "GH_TOKEN"]));
    assert_eq!(warnings[0]["text"], "{{secrets.API_TOKEN}}");
    assert_eq!(warnings[0]["suggestion"], "{{.secret.API_TOKEN}}");
    assert!(warnings[0]["msg"].as_str().unwrap().contains("write `{{.secret.API_TOKEN}}`"), "{dry}");
    assert_eq!(warnings[1]["loc"], json!(["integrations", "ci", "config", "files", "0", "content"]));
    assert_eq!(warnings[1]["text"], "{{ .Secret.API_TOKEN }}");
    assert_eq!(dry["missing"], json!([]), "a warning is not a problem");
}

crate::both_backends!(
    a_dry_run_warns_about_text_that_looks_like_a_reference,
    workers_get_real_values_and_others_a_dry_run,
    every_problem_is_reported_at_once,
    other_organizations_are_unknown,
    bad_requests_are_422,
);
