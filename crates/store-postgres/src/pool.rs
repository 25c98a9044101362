//! The connection pool, and a printable form of the database address that
//! never carries the password.
use deadpool_postgres::{Client, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use patchbay_store::{StoreError, WaitGate, WaitLimits};
use std::str::FromStr;
use std::time::Duration;
use tokio_postgres::NoTls;
use tokio_postgres::config::{Config, Host};

/// Connections per process; several replicas share the server's limit.
const MAX_CONNECTIONS: usize = 16;
/// Without these an unreachable database would hang start-up and requests
/// forever instead of failing with a message.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The pool, and how long and how many requests may wait for it.
pub struct Db {
    pub pool: Pool,
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
    let manager =
        Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
    let pool = Pool::builder(manager)
        .max_size(MAX_CONNECTIONS)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(CONNECT_TIMEOUT))
        .create_timeout(Some(CONNECT_TIMEOUT))
        .build()
        .map_err(|e| StoreError::other("building the postgres pool", e))?;
    Ok(Db { pool, gate: WaitGate::new(wait) })
}

/// A connection for a request, within the wait limits: a database that
/// hangs or is gone answers 503 in seconds instead of piling up requests.
pub async fn client(db: &Db) -> Result<Client, StoreError> {
    let get = async { db.pool.get().await.map_err(crate::classify::failed("getting a postgres connection")) };
    db.gate.acquire(get).await
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
