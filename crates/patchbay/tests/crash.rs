//! A crash loses nothing that was acknowledged: `patchbay serve` killed with
//! SIGKILL in the middle of concurrent creates and updates comes back with
//! every acknowledged change, its revision and its audit event — the event
//! commits in the change's own transaction, so no change exists without it.
use patchbay_store_postgres::testing::TestDatabase;
use serde_json::{Value, json};
mod support;

use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{Options, Server, TempDir};

const SECRET: &str = "crash-test-signing-secret";

fn serve(data_dir: &std::path::Path, database_url: Option<&str>) -> Server {
    let options = Options::new(data_dir)
        .args(&["--no-embedded-worker", "--jwt-secret", SECRET])
        .database_url(database_url);
    Server::start(options)
}

fn token() -> String {
    support::admin_token(SECRET, "acme", "crash")
}

/// Writers creating and then updating integrations until the server dies;
/// returns every change the server acknowledged: (id, revision).
async fn write_until_killed(base: &str, child: &mut Child) -> Vec<(String, i64)> {
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let mut writers = Vec::new();
    for writer in 0..8 {
        let (http, base, acknowledged) = (http.clone(), base.to_owned(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            let token = token();
            for n in 0.. {
                let body =
                    json!({"name": format!("w{writer}-{n}"), "integration_type": "postgres", "config": {}});
                let Ok(created) = http
                    .post(format!("{base}/api/v1/custom-integrations"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                else {
                    return;
                };
                if created.status() != 201 {
                    return;
                }
                let Ok(created) = created.json::<Value>().await else { return };
                let id = created["id"].as_str().unwrap().to_owned();
                acknowledged.lock().unwrap().push((id.clone(), 1));
                let Ok(updated) = http
                    .put(format!("{base}/api/v1/custom-integrations/{id}"))
                    .bearer_auth(&token)
                    .json(&json!({"description": format!("update {n}")}))
                    .send()
                    .await
                else {
                    return;
                };
                if updated.status() != 200 {
                    return;
                }
                acknowledged.lock().unwrap().push((id, 2));
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    child.kill().unwrap();
    child.wait().unwrap();
    for writer in writers {
        writer.await.unwrap();
    }
    Arc::try_unwrap(acknowledged).unwrap().into_inner().unwrap()
}

async fn get(http: &reqwest::Client, url: String) -> Value {
    http.get(url).bearer_auth(token()).send().await.unwrap().json().await.unwrap()
}

async fn nothing_acknowledged_is_lost(database_url: Option<&str>) {
    let dir = TempDir::new("crash");
    let mut server = serve(&dir.0, database_url);
    let acknowledged = write_until_killed(&server.url(), &mut server.child).await;
    assert!(acknowledged.len() > 10, "the writers got going: {}", acknowledged.len());
    println!("{} changes acknowledged before SIGKILL", acknowledged.len());

    let mut server = serve(&dir.0, database_url);
    let base = server.url();
    let http = reqwest::Client::new();
    let api = format!("{base}/api/v1/custom-integrations");
    for (id, revision) in &acknowledged {
        let revisions = get(&http, format!("{api}/{id}/revisions")).await;
        let numbers: Vec<i64> =
            revisions.as_array().unwrap().iter().map(|r| r["revision"].as_i64().unwrap()).collect();
        assert!(numbers.contains(revision), "{id}: revision {revision} acknowledged, stored {numbers:?}");
    }
    // Every change that exists has its audit event, acknowledged or not.
    let integrations = get(&http, api.clone()).await;
    println!("{} integrations after the restart", integrations.as_array().unwrap().len());
    let mut events = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{base}/api/v1/audit-events?limit=1000");
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let page = get(&http, url).await;
        events.extend(page["events"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let recorded = |id: &str, action: &str, revision: i64| {
        events
            .iter()
            .any(|e| e["resource_id"] == id && e["action"] == action && e["detail"]["revision"] == revision)
    };
    for integration in integrations.as_array().unwrap() {
        let id = integration["id"].as_str().unwrap();
        let revisions = get(&http, format!("{api}/{id}/revisions")).await;
        for revision in revisions.as_array().unwrap() {
            let (number, kind) = (revision["revision"].as_i64().unwrap(), revision["kind"].as_str().unwrap());
            let action = format!("integration.{kind}");
            assert!(recorded(id, &action, number), "{id}: revision {number} ({kind}) has no audit event");
        }
    }
    server.child.kill().unwrap();
    server.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_loses_no_acknowledged_change_or_its_audit_event_on_sqlite() {
    nothing_acknowledged_is_lost(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_loses_no_acknowledged_change_or_its_audit_event_on_postgres() {
    let Some(database) = TestDatabase::from_env().await else { return };
    nothing_acknowledged_is_lost(Some(database.url())).await;
}
