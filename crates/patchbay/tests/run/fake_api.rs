//! A stand-in for the server's resolve endpoint, so `run` and `env` are
//! tested as a user runs them without a database or a vault. It answers a
//! fixed bundle per integration name and a 422 listing every unknown name,
//! in the shape of the real endpoint, and each integration by its id (whose
//! env vars `run` reads to say which integration set a refused variable).
//! Some bundles list leases; their revocations are recorded in `REVOKED`
//! and answered as the lease's id says (`lease-refused`: 503,
//! `lease-silent`: never, any other: 204).
use axum::Json;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, get, post};
use serde_json::{Map, Value, json};
use std::sync::Mutex;

/// The ids of the leases a `DELETE /leases/{id}` asked to revoke, from
/// every fake (each test's fixtures use ids of their own).
pub static REVOKED: Mutex<Vec<String>> = Mutex::new(Vec::new());

pub const TOKEN: &str = "test-token";
pub const TRICKY: &str = "line1\nline2 'single' \"double\" $HOME \\ `tick` it's";

fn fixture(name: &str) -> Option<Value> {
    let file = |path: &str, content: &str, mode: &str| json!({"path": path, "content": content, "mode": mode, "description": null});
    let (env, files) = match name {
        "prod-db" => (
            json!({"DB_HOST": "db.internal", "FROM_CALLER": "from-bundle"}),
            json!([
                file("~/.postgresql/client.crt", "-----BEGIN CERTIFICATE-----\nMIIB\n", "0600"),
                file("config/app.toml", "port = 5432\n", "0644"),
            ]),
        ),
        "tricky" => (json!({"TRICKY": TRICKY, "PLAIN": "plain"}), json!([])),
        "bash-env" => (json!({"BASH_ENV": "$(id > f)"}), json!([file("~/bash-env.txt", "no", "0600")])),
        "preload" => (json!({"LD_PRELOAD": "/nonexistent/evil.so"}), json!([])),
        "home-mover" => (json!({"HOME": "/not-this-home"}), json!([])),
        "climb" => (json!({}), json!([file("~/ok.txt", "ok", "0600"), file("../outside.txt", "no", "0600")])),
        "absolute" => (json!({}), json!([file("/etc/patchbay-must-not-exist", "no", "0600")])),
        "linked" => (json!({}), json!([file("link/evil.txt", "no", "0600")])),
        "pgpass" => (json!({}), json!([file("~/.pgpass", "from-bundle", "0600")])),
        "setuid" => (json!({}), json!([file("bin/tool", "#!/bin/sh\n", "6777"), file("shared", "", "0666")])),
        "leased" | "leased-unstarted" => (json!({"PGUSER": "patchbay_acme_x"}), json!([])),
        "leased-refused" => (json!({"BASH_ENV": "$(id > f)"}), json!([])),
        _ => return None,
    };
    Some(json!({"env_vars": env, "files": files, "integration": {"name": name}}))
}

pub const EXPIRES: &str = "2026-01-01T01:00:00Z";

/// The leases a fixture's resolution made.
fn leases(name: &str) -> Vec<Value> {
    let ids: &[&str] = match name {
        "leased" => &["lease-refused", "lease-silent", "lease-gone"],
        "leased-unstarted" => &["lease-unstarted"],
        "leased-refused" => &["lease-unrun"],
        _ => &[],
    };
    ids.iter()
        .map(|id| {
            let user = format!("user-{id}");
            json!({"id": id, "provider": "pg", "role": "readonly", "username": user, "expires_at": EXPIRES})
        })
        .collect()
}

pub const REFUSED: &str =
    "Revoking the lease failed: permission denied; it is revoke_failed and the server retries it";

async fn revoke(Path(id): Path<String>) -> Result<StatusCode, (StatusCode, Json<Value>)> {
    REVOKED.lock().unwrap().push(id.clone());
    match id.as_str() {
        "lease-refused" => Err((StatusCode::SERVICE_UNAVAILABLE, Json(json!({"detail": REFUSED})))),
        "lease-silent" => std::future::pending().await,
        _ => Ok(StatusCode::NO_CONTENT),
    }
}

async fn resolve(headers: HeaderMap, Json(body): Json<Value>) -> (StatusCode, Json<Value>) {
    let bearer = headers.get("authorization").and_then(|v| v.to_str().ok());
    if bearer != Some(&format!("Bearer {TOKEN}")) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"detail": "Not authenticated"})));
    }
    let names: Vec<String> = serde_json::from_value(body["names"].clone()).unwrap_or_default();
    let mut problems = Vec::new();
    let (mut env_vars, mut files, mut integrations) = (Map::new(), Vec::new(), Vec::new());
    let mut leased = Vec::new();
    for (index, name) in names.iter().enumerate() {
        match fixture(name) {
            Some(bundle) => {
                env_vars.extend(bundle["env_vars"].as_object().unwrap().clone());
                files.extend(bundle["files"].as_array().unwrap().clone());
                leased.extend(leases(name));
                integrations.push(json!({"id": format!("id-{name}"), "name": name, "integration_type": "custom", "revision": 1}));
            }
            None => problems.push(json!({
                "type": "value_error",
                "loc": ["body", "names", index],
                "msg": format!("Value error, integration {name:?} not found"),
                "input": name,
            })),
        }
    }
    if !problems.is_empty() {
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"detail": problems})));
    }
    let bundle = json!({
        "env_vars": env_vars,
        "files": files,
        "context_prompt": "## Available Integrations\n",
        "integrations": integrations,
        "missing": [],
        "dry_run": false,
        "leases": leased,
    });
    (StatusCode::OK, Json(bundle))
}

/// `GET /custom-integrations/id-{name}`: the integration with its env vars.
async fn integration(headers: HeaderMap, Path(id): Path<String>) -> (StatusCode, Json<Value>) {
    let bearer = headers.get("authorization").and_then(|v| v.to_str().ok());
    let fixture = id.strip_prefix("id-").and_then(fixture);
    let (Some(_), Some(bundle)) = (bearer, fixture) else {
        return (StatusCode::NOT_FOUND, Json(json!({"detail": "Integration not found"})));
    };
    let name = id.strip_prefix("id-").unwrap();
    let config = json!({"env_vars": bundle["env_vars"], "secrets": [], "files": [], "context_prompt": null, "connection_test": null});
    let integration = json!({
        "id": id, "organization_id": "acme", "name": name, "integration_type": "custom", "description": null,
        "status": "active", "config": config, "tags": [], "created_at": "2026-01-01T00:00:00+00:00",
        "updated_at": "2026-01-01T00:00:00+00:00", "created_by": null,
    });
    (StatusCode::OK, Json(integration))
}

/// Starts the fake on a free port in a thread of its own (the tests drive the
/// binary synchronously) and returns its base URL.
pub fn start() -> String {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            sender.send(listener.local_addr().unwrap()).unwrap();
            let app = axum::Router::new()
                .route("/api/v1/custom-integrations/resolve", post(resolve))
                .route("/api/v1/custom-integrations/{id}", get(integration))
                .route("/api/v1/leases/{id}", delete(revoke));
            axum::serve(listener, app).await.unwrap();
        });
    });
    format!("http://{}", receiver.recv().unwrap())
}
