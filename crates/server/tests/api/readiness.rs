//! `/ready` follows the database: 503 while it is unreachable, 200 again
//! by itself once it is back (the pool replaces its broken connections).
use crate::extra_server::{ExtraServer, postgres_url};
use crate::harness::{Backend, Data, TestApp};
use crate::tcp_proxy::{TcpProxy, through};
use patchbay_server::limits::Limits;
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn ready_status(http: &reqwest::Client, url: &str) -> u16 {
    http.get(url).send().await.unwrap().status().as_u16()
}

/// Polls until `/ready` answers `expected`, for up to 15 s.
async fn wait_for(http: &reqwest::Client, url: &str, expected: u16) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let status = ready_status(http, url).await;
        if status == expected {
            return;
        }
        assert!(Instant::now() < deadline, "/ready stayed {status}, expected {expected}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_goes_503_and_back_when_postgres_is_cut_off() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else { return };
    let (url, upstream) = through(postgres_url(&app).unwrap(), 0);
    let proxy = TcpProxy::start(upstream).await;
    let (url, _) = through(&url, proxy.port);
    let store = Arc::new(patchbay_store_postgres::PostgresStore::connect(&url).await.unwrap());
    let server = ExtraServer::start(&app, store, Limits::default()).await;
    let ready = server.url("/ready");
    assert_eq!(ready_status(&app.http, &ready).await, 200);

    proxy.down();
    wait_for(&app.http, &ready, 503).await;
    let body: serde_json::Value = app.http.get(&ready).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["database"], "postgres");

    proxy.up();
    wait_for(&app.http, &ready, 200).await;
    // Not only the probe: requests work again too.
    let listed = app
        .http
        .get(server.url("/api/v1/custom-integrations"))
        .bearer_auth(app.token("org-a", patchbay_domain::Role::Viewer))
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_ready_fails_when_its_file_is_gone() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let ready = format!("{}/ready", app.base);
    assert_eq!(ready_status(&app.http, &ready).await, 200);
    let Data::Sqlite(dir) = &app.data else { unreachable!() };
    let moved = dir.join("moved.db");
    std::fs::rename(dir.join("patchbay.db"), &moved).unwrap();
    assert_eq!(ready_status(&app.http, &ready).await, 503);
    std::fs::rename(&moved, dir.join("patchbay.db")).unwrap();
    assert_eq!(ready_status(&app.http, &ready).await, 200);
}
