//! the performance budget's data, written through the API: 1,000 integrations in the
//! measured organization (20 types and 20 tags, so each filter matches 50),
//! 10,000 in ten other organizations, ten secrets and five integrations
//! that use them; later, for the scaling case, enough more in the measured
//! organization (matching none of the filters) to reach 100,000.
use crate::client::{Connection, request};
use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

pub const ORG: &str = "bench";
pub const KINDS: usize = 20;
pub const RESOLVED: usize = 5;

/// One write: (organization, method, path, body).
pub type Write = (String, &'static str, String, String);

pub fn integration(name: &str, kind: &str, tags: &[&str]) -> String {
    json!({
        "name": name,
        "integration_type": kind,
        "description": format!("{name}: a {kind} system used by agents"),
        "config": {
            "env_vars": {"HOST": format!("{name}.internal"), "PORT": "5432", "REGION": "eu-west-1"},
            "context_prompt": "Read-only unless asked otherwise.",
            "connection_test": {"command": "pg_isready -h $HOST -p $PORT", "timeout": 5}
        },
        "tags": tags,
    })
    .to_string()
}

pub fn measured() -> Vec<Write> {
    (0..1000)
        .map(|i| {
            let body = integration(
                &format!("int-{i}"),
                &format!("type-{}", i % KINDS),
                &[&format!("tag-{}", i % KINDS), "all"],
            );
            (ORG.to_owned(), "POST", "/api/v1/custom-integrations".to_owned(), body)
        })
        .collect()
}

pub fn others() -> Vec<Write> {
    (0..10_000)
        .map(|i| {
            let body = integration(
                &format!("int-{i}"),
                &format!("type-{}", i % KINDS),
                &[&format!("tag-{}", i % KINDS)],
            );
            (format!("other-{}", i % 10), "POST", "/api/v1/custom-integrations".to_owned(), body)
        })
        .collect()
}

/// Ten secrets, and five integrations using two each, for the resolve scenario.
pub fn resolvable() -> (Vec<Write>, Vec<Write>) {
    let secrets = (0..2 * RESOLVED)
        .map(|i| {
            let body = json!({"value": format!("secret-value-{i}-{}", "x".repeat(32))}).to_string();
            (ORG.to_owned(), "PUT", format!("/api/v1/secrets/SECRET_{i}"), body)
        })
        .collect();
    let integrations = (0..RESOLVED)
        .map(|j| {
            let body = json!({
                "name": format!("resolve-{j}"),
                "integration_type": "resolvable",
                "config": {
                    "env_vars": {format!("URL_{j}"): format!("https://user:${{SECRET_{}}}@host-{j}.internal", 2 * j)},
                    "secrets": [format!("SECRET_{}", 2 * j), format!("SECRET_{}", 2 * j + 1)],
                    "files": [{"path": format!("~/.config/svc-{j}/token"), "content": format!("{{{{.secret.SECRET_{}}}}}", 2 * j + 1), "mode": "0600"}],
                    "context_prompt": "Use with care."
                }
            });
            (ORG.to_owned(), "POST", "/api/v1/custom-integrations".to_owned(), body.to_string())
        })
        .collect();
    (secrets, integrations)
}

/// One integration whose connection test is `true`: the connection-test
/// scenario measures what running a test adds to the command itself.
pub fn testable() -> Vec<Write> {
    let body = json!({
        "name": "test-true",
        "integration_type": "testable",
        "config": {"env_vars": {"HOST": "localhost"}, "connection_test": {"command": "true", "timeout": 5}}
    });
    vec![(ORG.to_owned(), "POST", "/api/v1/custom-integrations".to_owned(), body.to_string())]
}

/// The bulk of the scaling case: `count` integrations of types and tags no
/// measured filter selects.
pub fn bulk(from: usize, count: usize) -> Vec<Write> {
    (from..from + count)
        .map(|i| {
            let body = integration(&format!("bulk-{i}"), &format!("bulk-{}", i % 50), &["bulk"]);
            (ORG.to_owned(), "POST", "/api/v1/custom-integrations".to_owned(), body)
        })
        .collect()
}

/// Sends every write over 32 connections; the created ids in order.
pub async fn apply(
    address: &str,
    token: impl Fn(&str) -> String,
    writes: Vec<Write>,
) -> anyhow::Result<Vec<String>> {
    let requests: Arc<Vec<Vec<u8>>> = Arc::new(
        writes
            .iter()
            .map(|(org, method, path, body)| request(method, path, &token(org), Some(body)))
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..32)
        .map(|_| {
            let (address, requests, next) = (address.to_owned(), requests.clone(), next.clone());
            tokio::spawn(async move {
                let mut conn = Connection::open(&address).await?;
                let mut ids = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(request) = requests.get(i) else { return Ok::<_, anyhow::Error>(ids) };
                    let response = conn.send(request).await?;
                    if !(200..300).contains(&response.status) {
                        bail!(
                            "seeding: status {}: {}",
                            response.status,
                            String::from_utf8_lossy(&response.body)
                        );
                    }
                    let body: Value = serde_json::from_slice(&response.body)
                        .context("seeding: a response that is not JSON")?;
                    ids.push((i, body["id"].as_str().unwrap_or_default().to_owned()));
                }
            })
        })
        .collect();
    let mut ids = Vec::new();
    for worker in workers {
        ids.extend(worker.await??);
    }
    ids.sort();
    Ok(ids.into_iter().map(|(_, id)| id).collect())
}
