//! The connection pool, the connection that key lookups share (pipelined),
//! and a printable form of the database address that never carries the
//! password.
use deadpool_postgres::{Client, ClientWrapper, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use patchbay_store::{StoreError, WaitGate, WaitLimits};
use std::future::Future;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_postgres::NoTls;
use tokio_postgres::config::{Config, Host};

/// Pooled connections per process; several replicas share the server's
/// limit.
const MAX_CONNECTIONS: usize = 16;
/// Without these an unreachable database would hang start-up and requests
/// forever instead of failing with a message.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The pool and the shared connection, and how long and how many
/// requests may wait for them.
pub struct Db {
    pub pool: Pool,
    shared: Shared,
    gate: WaitGate,
}

pub fn build(url: &str, wait: WaitLimits) -> Result<Db, StoreError> {
    // The parse error never quotes the URL, so it is safe to pass on.
    let mut config = Config::from_str(url).map_err(|e| StoreError::other("parsing the database URL", e))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    tracing::info!(database = %describe(&config), "connecting to postgres");
    // `Fast` recycling keeps each connection's prepared statement cache; a
    // broken connection is noticed by the query that uses it.
    let manager = Manager::from_config(
        config.clone(),
        NoTls,
        ManagerConfig { recycling_method: RecyclingMethod::Fast },
    );
    let pool = Pool::builder(manager)
        .max_size(MAX_CONNECTIONS)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(CONNECT_TIMEOUT))
        .create_timeout(Some(CONNECT_TIMEOUT))
        .build()
        .map_err(|e| StoreError::other("building the postgres pool", e))?;
    Ok(Db { pool, shared: Shared::new(config), gate: WaitGate::new(wait) })
}

/// A connection for a request, within the wait limits: a database that
/// hangs or is gone answers 503 in seconds instead of piling up requests.
pub async fn client(db: &Db) -> Result<Client, StoreError> {
    let get = async { db.pool.get().await.map_err(crate::classify::failed("getting a postgres connection")) };
    db.gate.acquire(get).await
}

/// Runs `read` on the shared connection, within the wait limits: the
/// limits count it from asking for the connection to the answer, so a
/// database that hangs sheds these reads as it sheds pooled ones.
///
/// Only a single statement that answers from an index belongs here (a row
/// by its key): the answers on one connection come back in order, so a
/// slow query would hold up every read queued behind it. A transaction
/// never goes here: it would take the connection for itself.
pub async fn shared_read<T, F>(db: &Db, read: impl FnOnce(Arc<ClientWrapper>) -> F) -> Result<T, StoreError>
where
    F: Future<Output = Result<T, StoreError>>,
{
    db.gate.acquire(async { read(db.shared.connection().await?).await }).await
}

/// One connection, beside the pool, that many requests use at the same
/// time, where a pooled connection serves one request from checkout to
/// return. tokio-postgres pipelines what is sent on a connection while
/// earlier queries are in flight: the queries of requests that arrive
/// together leave in one write and the server answers them back to back,
/// without a round trip (and a wake-up of its backend process) each. On
/// two cores that more than doubled get by id (15,000-17,000 to
/// 34,000-35,500/s), and one such connection served more than two or four
/// taking turns (28,400 and 31,000/s with two, 25,500 and 31,000 with
/// four): one backend answering a deep pipeline is the cheapest work for
/// the database. Measure before adding connections on a bigger machine.
struct Shared {
    config: tokio_postgres::Config,
    /// The open connection, if any; held only to clone or replace.
    open: Mutex<Option<Arc<ClientWrapper>>>,
    /// Taken while connecting, so a broken connection is replaced once
    /// rather than by every request that finds it broken.
    connecting: tokio::sync::Mutex<()>,
}

impl Shared {
    fn new(config: tokio_postgres::Config) -> Self {
        Self { config, open: Mutex::default(), connecting: tokio::sync::Mutex::default() }
    }

    fn open(&self) -> Option<Arc<ClientWrapper>> {
        let open = self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        open.as_ref().filter(|client| !client.is_closed()).cloned()
    }

    /// The connection, opened (again) if it is not. Queries already sent on
    /// a connection that broke fail with it; the next ones get a new one.
    async fn connection(&self) -> Result<Arc<ClientWrapper>, StoreError> {
        if let Some(client) = self.open() {
            return Ok(client);
        }
        let _connecting = self.connecting.lock().await;
        if let Some(client) = self.open() {
            return Ok(client);
        }
        let (client, connection) =
            self.config.connect(NoTls).await.map_err(crate::classify::failed("connecting to postgres"))?;
        let task = tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::warn!(%error, "the shared postgres connection closed");
            }
        });
        let client = Arc::new(ClientWrapper::new(client, task));
        *self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(client.clone());
        Ok(client)
    }
}

/// `user@host:port/dbname`, for logs: everything an operator needs to tell
/// which database it is, and no password.
fn describe(config: &Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let name = match host {
                Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                Host::Unix(path) => path.display().to_string(),
            };
            match config.get_ports().get(i).or(config.get_ports().first()) {
                Some(port) => format!("{name}:{port}"),
                None => name,
            }
        })
        .collect();
    format!("{}@{}/{}", config.get_user().unwrap_or(""), hosts.join(","), config.get_dbname().unwrap_or(""))
}

/// The database `url` as it may be logged: the password left out.
/// Unparseable input gives a placeholder rather than echoing it.
pub fn redacted(url: &str) -> String {
    Config::from_str(url).map_or_else(|_| "<unparseable database URL>".to_owned(), |c| describe(&c))
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn passwords_are_never_shown() {
        let shown = redacted("postgres://app:s3cret@db.internal:6432/patchbay?sslmode=disable");
        assert_eq!(shown, "app@db.internal:6432/patchbay");
        let shown = redacted("host=db user=app password=s3cret dbname=patchbay");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(!redacted("postgres://app:s3cret@[bad").contains("s3cret"));
    }
}
