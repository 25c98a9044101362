//! Database trouble answers 503 with `Retry-After` and says what is wrong,
//! never a bare 500: an unreachable database, one that hangs (requests are
//! shed within the wait limits instead of piling up) and a full disk, which
//! `/ready` reports too.
use crate::extra_server::{ExtraServer, postgres_url};
use crate::harness::{Backend, Data, TestApp};
use crate::tcp_proxy::{TcpProxy, through};
use patchbay_domain::Role;
use patchbay_server::limits::Limits;
use patchbay_store::{Store, WaitLimits};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

const WAIT: WaitLimits = WaitLimits { acquire_timeout: Duration::from_secs(1), max_waiting: 8 };

/// A server on the app's PostgreSQL through a proxy the test controls.
async fn behind_proxy(app: &TestApp, limits: Limits) -> (ExtraServer, TcpProxy) {
    let (url, upstream) = through(postgres_url(app).unwrap(), 0);
    let proxy = TcpProxy::start(upstream).await;
    let (url, _) = through(&url, proxy.port);
    let store = patchbay_store_postgres::PostgresStore::connect_with(&url, WAIT).await.unwrap();
    (ExtraServer::start(app, Arc::new(store), limits).await, proxy)
}

fn sqlite_path(app: &TestApp) -> std::path::PathBuf {
    let Data::Sqlite(dir) = &app.data else { unreachable!() };
    dir.join("patchbay.db")
}

/// Status, `Retry-After` and `detail` of a 503 (or whatever came instead).
async fn outcome(response: reqwest::Response) -> (u16, Option<u64>, String) {
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().parse().unwrap());
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (status, retry_after, body["detail"].as_str().unwrap_or_default().to_owned())
}

fn create_body(name: &str, padding: usize) -> Value {
    json!({"name": name, "integration_type": "postgres", "description": "x".repeat(padding), "config": {}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_answers_503_with_retry_after() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else { return };
    let (server, proxy) = behind_proxy(&app, Limits::default()).await;
    let url = server.url("/api/v1/custom-integrations");
    let token = app.token("org-a", Role::Admin);
    let id = app.create_integration("org-a", &create_body("reachable", 0)).await;
    // A list takes a pooled connection; get by id reads on a shared one.
    let one = server.url(&format!("/api/v1/custom-integrations/{id}"));
    for url in [&url, &one] {
        assert_eq!(app.http.get(url).bearer_auth(&token).send().await.unwrap().status(), 200);
    }
    proxy.down();
    // The open connections break, then new ones are refused: all are 503.
    for url in [&url, &one, &url, &one] {
        let (status, retry_after, detail) =
            outcome(app.http.get(url).bearer_auth(&token).send().await.unwrap()).await;
        assert_eq!(status, 503, "{url}: {detail}");
        assert!(retry_after.is_some_and(|s| s > 0), "no Retry-After");
        assert!(detail.contains("database is unavailable"), "{detail}");
    }
    proxy.up();
    // Both kinds of connection are opened again.
    for url in [&url, &one] {
        assert_eq!(app.http.get(url).bearer_auth(&token).send().await.unwrap().status(), 200, "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_on_a_hung_database_are_answered_503_within_the_wait() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else { return };
    let (server, proxy) = behind_proxy(&app, Limits::default()).await;
    let token = app.token("org-a", Role::Admin);
    let id = app.create_integration("org-a", &create_body("hung-read", 0)).await;
    let one = server.url(&format!("/api/v1/custom-integrations/{id}"));
    assert_eq!(app.http.get(&one).bearer_auth(&token).send().await.unwrap().status(), 200);
    proxy.hang();
    // Reads queued on a shared connection that stopped answering wait no
    // longer than a pooled request would for its connection.
    let started = Instant::now();
    let reads: Vec<_> = (0..4)
        .map(|_| {
            let request = app.http.get(&one).bearer_auth(&token);
            tokio::spawn(async move { outcome(request.send().await.unwrap()).await })
        })
        .collect();
    for read in reads {
        let (status, retry_after, detail) = read.await.unwrap();
        assert_eq!(status, 503, "{detail}");
        assert!(retry_after.is_some(), "503 without Retry-After");
        assert!(detail.contains("database is unavailable"), "{detail}");
    }
    let took = started.elapsed();
    assert!(took < WAIT.acquire_timeout * 3, "reads took {took:?}");
    drop(proxy);
}

async fn a_hung_database_sheds_requests_quickly(app: TestApp) {
    let limits = Limits { request_timeout: Some(Duration::from_secs(8)), ..Limits::default() };
    // PostgreSQL stops answering; SQLite's write lock is held by another process.
    let (server, hang): (ExtraServer, Box<dyn std::any::Any + Send>) = match app.backend {
        Backend::Postgres => {
            let (server, proxy) = behind_proxy(&app, limits).await;
            assert_eq!(
                app.authed(reqwest::Method::GET, "/api/v1/custom-integrations", "org-a")
                    .send()
                    .await
                    .unwrap()
                    .status(),
                200
            );
            proxy.hang();
            (server, Box::new(proxy))
        }
        Backend::Sqlite => {
            let options = patchbay_store_sqlite::SqliteOptions { wait: WAIT, ..Default::default() };
            let store = patchbay_store_sqlite::SqliteStore::open_with(&sqlite_path(&app), options).unwrap();
            let server = ExtraServer::start(&app, Arc::new(store), limits).await;
            let lock = rusqlite::Connection::open(sqlite_path(&app)).unwrap();
            lock.execute_batch("BEGIN IMMEDIATE").unwrap();
            (server, Box::new(std::sync::Mutex::new(lock)))
        }
    };
    let url = server.url("/api/v1/custom-integrations");
    let token = app.token("org-a", Role::Admin);
    let started = Instant::now();
    let requests: Vec<_> = (0..40)
        .map(|i| {
            let request = app.http.post(&url).bearer_auth(&token).json(&create_body(&format!("hung-{i}"), 0));
            tokio::spawn(async move {
                let response = request.send().await.unwrap();
                (outcome(response).await, started.elapsed())
            })
        })
        .collect();
    let mut shed_at_once = 0;
    let mut unavailable = 0;
    for request in requests {
        let ((status, retry_after, detail), took) = request.await.unwrap();
        // The few that hold a connection to the hung database wait for
        // the request timeout (504); every other one is answered 503.
        assert!([503, 504].contains(&status), "{status} {detail}");
        assert!(took < Duration::from_secs(9), "a request took {took:?}: {status} {detail}");
        if status == 503 {
            unavailable += 1;
            assert!(retry_after.is_some(), "503 without Retry-After");
            assert!(detail.contains("database is unavailable"), "{detail}");
            if took < Duration::from_millis(900) {
                shed_at_once += 1;
            }
        }
    }
    // At most the waiting cap, plus the few holding a connection, waited.
    assert!(unavailable >= 30, "only {unavailable} of 40 were answered 503");
    assert!(shed_at_once >= 20, "only {shed_at_once} were shed without waiting");
    drop(hang);
}

async fn a_full_disk_answers_503_and_ready_follows(app: TestApp) {
    let url_of = |base: &str, path: &str| format!("{base}{path}");
    let token = app.token("org-a", Role::Admin);
    let (base, sqlite, _server) = match app.backend {
        Backend::Sqlite => {
            let store = Arc::new(patchbay_store_sqlite::SqliteStore::open(&sqlite_path(&app)).unwrap());
            let server = ExtraServer::start(&app, store.clone() as Arc<dyn Store>, Limits::default()).await;
            (server.base.clone(), Some(store), Some(server))
        }
        Backend::Postgres => (app.base.clone(), None, None),
    };
    let create = |name: &str| {
        app.http
            .post(url_of(&base, "/api/v1/custom-integrations"))
            .bearer_auth(&token)
            .json(&create_body(name, 400_000))
    };
    assert_eq!(create("before").send().await.unwrap().status(), 201);
    match &sqlite {
        Some(store) => store.simulate_full_disk(true).unwrap(),
        None => {
            app.sql(
                "CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; \
                 END $$; \
                 CREATE TRIGGER disk_full BEFORE INSERT ON custom_integrations \
                 FOR EACH ROW EXECUTE FUNCTION disk_full();",
            )
            .await
        }
    }
    let (status, retry_after, detail) = outcome(create("during").send().await.unwrap()).await;
    assert_eq!(status, 503, "{detail}");
    assert!(retry_after.is_some_and(|s| s > 0), "no Retry-After");
    assert!(detail.contains("database is full"), "{detail}");
    // Reads still work.
    let listed = app.http.get(url_of(&base, "/api/v1/custom-integrations")).bearer_auth(&token).send().await;
    assert_eq!(listed.unwrap().status(), 200);
    if let Some(store) = &sqlite {
        // Not ready while no write can succeed; ready again once one can.
        let ready = app.http.get(url_of(&base, "/ready")).send().await.unwrap();
        assert_eq!(ready.status(), 503);
        assert_eq!(ready.json::<Value>().await.unwrap()["detail"], "database full");
        store.simulate_full_disk(false).unwrap();
        assert_eq!(app.http.get(url_of(&base, "/ready")).send().await.unwrap().status(), 200);
    } else {
        app.sql("DROP TRIGGER disk_full ON custom_integrations").await;
    }
    assert_eq!(create("after").send().await.unwrap().status(), 201);
}

crate::both_backends!(a_hung_database_sheds_requests_quickly, a_full_disk_answers_503_and_ready_follows);
