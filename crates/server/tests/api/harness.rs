//! `TestApp`: a real Patchbay server on a random port, on SQLite or on a
//! throwaway PostgreSQL database, with helpers that read like a user's session.
use patchbay_client::Client;
use patchbay_domain::Role;
use patchbay_runner::RunnerConfig;
use patchbay_server::AppState;
use patchbay_server::auth::{Authenticator, Claims, JwtSecret, mint};
use patchbay_store::Store;
use patchbay_store_postgres::testing::TestDatabase;
use patchbay_worker::Worker;
use reqwest::Method;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the app's data lives; removed when the app is dropped.
pub enum Data {
    Sqlite(PathBuf),
    Postgres(TestDatabase),
}

impl Drop for Data {
    fn drop(&mut self) {
        if let Self::Sqlite(dir) = self {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

struct Running {
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

pub struct TestApp {
    pub base: String,
    /// The vault's master key (base64), kept across restarts.
    pub master_key: String,
    pub http: reqwest::Client,
    pub backend: Backend,
    secret: JwtSecret,
    pub data: Data,
    /// Connection-test settings the server starts with (change, then `restart`).
    pub job_settings: patchbay_server::jobs::JobSettings,
    /// Webhook settings the server (and its `ExtraServer`s) start with
    /// (change, then `restart`).
    pub webhook_settings: patchbay_server::webhooks::WebhookSettings,
    running: Option<Running>,
}

pub const SECRET: &str = "test-signing-secret";

impl TestApp {
    /// `None` (with a printed reason) for PostgreSQL when
    /// `PATCHBAY_TEST_DATABASE_URL` is not set.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        let data = match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("patchbay-api-{}", uuid::Uuid::new_v4()));
                std::fs::create_dir_all(&dir).unwrap();
                Data::Sqlite(dir)
            }
            Backend::Postgres => Data::Postgres(TestDatabase::from_env().await?),
        };
        let mut app = Self {
            base: String::new(),
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
            backend,
            master_key: patchbay_vault::MasterKey::generate().to_base64().to_string(),
            secret: JwtSecret::new(SECRET),
            data,
            job_settings: patchbay_server::jobs::JobSettings::default(),
            webhook_settings: patchbay_server::webhooks::WebhookSettings::default(),
            running: None,
        };
        app.start().await;
        Some(app)
    }

    pub async fn open_store(&self) -> Arc<dyn Store> {
        match &self.data {
            Data::Sqlite(dir) => {
                Arc::new(patchbay_store_sqlite::SqliteStore::open(&dir.join("patchbay.db")).unwrap())
            }
            Data::Postgres(db) => {
                Arc::new(patchbay_store_postgres::PostgresStore::connect(db.url()).await.unwrap())
            }
        }
    }

    async fn start(&mut self) {
        let store = self.open_store().await;
        // Besides the HS256 secret, the test key pairs' public halves, so
        // RS256 and ES256 tokens verify too.
        let public_keys = [
            include_bytes!("../fixtures/keys/rsa-public.pem").to_vec(),
            include_bytes!("../fixtures/keys/ec-public.pem").to_vec(),
        ];
        let auth = Authenticator::new(std::slice::from_ref(&self.secret), &public_keys).unwrap();
        let master = patchbay_vault::MasterKey::from_base64(&self.master_key).unwrap();
        let vault = patchbay_server::vault::Vault::open(master, store.clone()).await.unwrap();
        let jobs = Arc::new(patchbay_server::jobs::JobQueue::new(self.job_settings.clone()));
        let state = AppState::new(store, Arc::new(auth), Arc::new(vault))
            .with_jobs(jobs)
            .with_webhooks(self.webhook_settings.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        self.base = format!("http://{}", listener.local_addr().unwrap());
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(patchbay_server::serve(listener, state, async {
            let _ = stopped.await;
        }));
        self.running = Some(Running { shutdown, task });
    }

    /// Stops the server (closing its database) and starts a new one on the
    /// same data.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.start().await;
    }

    pub async fn stop(&mut self) {
        let running = self.running.take().expect("the app is running");
        let _ = running.shutdown.send(());
        running.task.await.unwrap().unwrap();
    }

    /// Starts again after `stop`, with `master_key` as it is now.
    pub async fn start_again(&mut self) {
        self.start().await;
    }

    pub fn claims(org: &str, role: Role) -> Claims {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        Claims {
            organization: org.to_owned(),
            exp: (now + 3600) as u64,
            email: Some(format!("dev@{org}.example")),
            user_id: Some("user-1".to_owned()),
            sub: None,
            token_id: None,
            role: Some(role.as_str().to_owned()),
            jti: None,
            iat: Some(now as u64),
        }
    }

    pub fn sign(&self, claims: &Claims) -> String {
        mint(&self.secret, claims).unwrap()
    }

    pub fn token(&self, org: &str, role: Role) -> String {
        self.sign(&Self::claims(org, role))
    }

    /// The typed client, acting for `org` with `role`.
    pub fn client(&self, org: &str, role: Role) -> Client {
        Client::new(&self.base, Some(self.token(org, role)))
    }

    /// The real worker loop for `org`; see [`worker`].
    pub async fn worker(&self, org: &str, claim_wait_secs: u64) -> Worker {
        worker(self.client(org, Role::Worker), claim_wait_secs).await
    }

    /// A raw request without credentials.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base))
    }

    /// A raw request as an admin of `org`.
    pub fn authed(&self, method: Method, path: &str, org: &str) -> reqwest::RequestBuilder {
        self.request(method, path).bearer_auth(self.token(org, Role::Admin))
    }

    /// Sends a JSON body as an admin of `org`; status and JSON body back.
    pub async fn send_json(&self, method: Method, path: &str, org: &str, body: &Value) -> (u16, Value) {
        let response = self.authed(method, path, org).json(body).send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
}

/// Actions as a user of an organization, so each test file says what it
/// does rather than how a request is built; each gives back the status and
/// the JSON body (`null` when the body is not JSON).
impl TestApp {
    pub async fn call(
        &self,
        org: &str,
        role: Role,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut request = self.request(method, path).bearer_auth(self.token(org, role));
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, org: &str, role: Role, path: &str) -> (u16, Value) {
        self.call(org, role, Method::GET, path, None).await
    }

    /// `PUT /api/v1/secrets/{name}` with `body` as `role`.
    pub async fn put_secret_as(&self, org: &str, role: Role, name: &str, body: &Value) -> (u16, Value) {
        self.call(org, role, Method::PUT, &format!("/api/v1/secrets/{name}"), Some(body)).await
    }

    /// Stores `value` as an admin; a refusal fails the test.
    pub async fn put_secret(&self, org: &str, name: &str, value: &str) {
        let (status, body) =
            self.put_secret_as(org, Role::Admin, name, &serde_json::json!({"value": value})).await;
        assert!(status == 201 || status == 200, "{body}");
    }

    /// The value as a worker reads it.
    pub async fn secret_value(&self, org: &str, name: &str) -> (u16, Value) {
        self.get(org, Role::Worker, &format!("/api/v1/secrets/value/{name}")).await
    }

    /// Creates an integration as an admin and gives back its id; anything
    /// but a 201 fails the test.
    pub async fn create_integration(&self, org: &str, body: &Value) -> String {
        let (status, created) = self.send_json(Method::POST, "/api/v1/custom-integrations", org, body).await;
        assert_eq!(status, 201, "{created}");
        created["id"].as_str().unwrap().to_owned()
    }
}

/// The worker `patchbay worker` runs (`patchbay_worker`), unsandboxed, each
/// claim waiting up to `claim_wait_secs`; a test calls `try_run_one` to drain
/// the queue one job at a time.
pub async fn worker(client: Client, claim_wait_secs: u64) -> Worker {
    Worker::register(client, "test-worker", RunnerConfig::default(), Vec::new())
        .await
        .unwrap()
        .with_claim_wait(claim_wait_secs)
}

/// Generates, for each named `async fn(TestApp)`, a module with one test per backend.
#[macro_export]
macro_rules! both_backends {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            use $crate::harness::{Backend, TestApp};

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite always runs");
                super::$case(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(app) = TestApp::spawn(Backend::Postgres).await else { return };
                super::$case(app).await;
            }
        }
    )*};
}

impl TestApp {
    /// Runs SQL straight on the app's database, as an attacker with the
    /// database (but not the master key) could.
    pub async fn sql(&self, statement: &str) {
        match &self.data {
            Data::Sqlite(dir) => {
                let conn = rusqlite::Connection::open(dir.join("patchbay.db")).unwrap();
                conn.execute_batch(statement).unwrap();
            }
            Data::Postgres(db) => {
                let (client, connection) =
                    tokio_postgres::connect(db.url(), tokio_postgres::NoTls).await.unwrap();
                tokio::spawn(connection);
                client.batch_execute(statement).await.unwrap_or_else(|e| panic!("{statement}: {e}"));
            }
        }
    }

    /// Everything the database holds, as bytes: the SQLite files (database
    /// and WAL) or every row of every PostgreSQL table as text.
    pub async fn database_bytes(&self) -> Vec<u8> {
        match &self.data {
            Data::Sqlite(dir) => {
                let mut bytes = Vec::new();
                for entry in std::fs::read_dir(dir).unwrap() {
                    bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
                }
                bytes
            }
            Data::Postgres(db) => {
                let (client, connection) =
                    tokio_postgres::connect(db.url(), tokio_postgres::NoTls).await.unwrap();
                tokio::spawn(connection);
                let tables = client
                    .query(
                        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
                        &[],
                    )
                    .await
                    .unwrap();
                let mut bytes = Vec::new();
                for table in tables {
                    let name: String = table.get(0);
                    for row in client.query(&format!("SELECT t::text FROM {name} t"), &[]).await.unwrap() {
                        bytes.extend(row.get::<_, String>(0).into_bytes());
                    }
                }
                bytes
            }
        }
    }
}
