//! A second server beside a `TestApp`: on the same database (a replica, or
//! through a proxy) and with limits of the test's choosing.
use crate::harness::{Data, SECRET, TestApp};
use patchbay_server::AppState;
use patchbay_server::auth::{Authenticator, JwtSecret};
use patchbay_server::limits::Limits;
use patchbay_store::Store;
use std::sync::Arc;
use tokio::sync::oneshot;

pub struct ExtraServer {
    pub base: String,
    _shutdown: oneshot::Sender<()>,
}

impl ExtraServer {
    /// Serves `store` with the app's signing secret and master key.
    pub async fn start(app: &TestApp, store: Arc<dyn Store>, limits: Limits) -> Self {
        let auth = Authenticator::new(&[JwtSecret::new(SECRET)], &[]).unwrap();
        let master = patchbay_vault::MasterKey::from_base64(&app.master_key).unwrap();
        let vault = patchbay_server::vault::Vault::open(master, store.clone()).await.unwrap();
        let state = AppState::new(store, Arc::new(auth), Arc::new(vault))
            .with_limits(limits)
            .with_webhooks(app.webhook_settings.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(patchbay_server::serve(listener, state, async {
            let _ = stopped.await;
        }));
        Self { base, _shutdown: shutdown }
    }

    /// Another server on the app's own database.
    pub async fn beside(app: &TestApp, limits: Limits) -> Self {
        Self::start(app, app.open_store().await, limits).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// The app's PostgreSQL URL, or `None` on SQLite.
pub fn postgres_url(app: &TestApp) -> Option<&str> {
    match &app.data {
        Data::Postgres(db) => Some(db.url()),
        Data::Sqlite(_) => None,
    }
}
