//! The PostgreSQL beside the tests, for dynamic credentials: its admin URL
//! (or a printed reason to skip), a schema of the test's own, and whether a
//! leased user still exists.
use serde_json::{Value, json};
use std::time::Duration;

/// `PATCHBAY_TEST_DATABASE_URL`, else the local default; `None` (with the
/// reason printed) when nothing answers there, unless
/// `PATCHBAY_TEST_REQUIRE_SERVICES=1`, where that fails the test.
pub async fn url() -> Option<String> {
    let url = std::env::var("PATCHBAY_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let parsed = url::Url::parse(&url).unwrap();
    let address = (parsed.host_str().unwrap().to_owned(), parsed.port().unwrap_or(5432));
    let connect = tokio::net::TcpStream::connect(address.clone());
    if matches!(tokio::time::timeout(Duration::from_secs(2), connect).await, Ok(Ok(_))) {
        return Some(url);
    }
    let reason = format!("PostgreSQL does not answer on {}:{}", address.0, address.1);
    assert!(std::env::var("PATCHBAY_TEST_REQUIRE_SERVICES").as_deref() != Ok("1"), "{reason}");
    eprintln!("skipping: {reason}");
    None
}

pub async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

pub async fn role_exists(url: &str, name: &str) -> bool {
    let admin = connect(url).await;
    admin.query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&name]).await.unwrap().is_some()
}

/// A schema with a table of one row; dropped, with the users a failed test
/// left holding grants on it, when the guard goes.
pub struct Schema {
    url: String,
    pub name: String,
}

impl Schema {
    pub async fn new(url: &str) -> Self {
        let name = format!("cli_lease_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        connect(url)
            .await
            .batch_execute(&format!(
                "CREATE SCHEMA {name}; CREATE TABLE {name}.t (id int); INSERT INTO {name}.t VALUES (1)"
            ))
            .await
            .unwrap();
        Self { url: url.to_owned(), name }
    }

    /// A `postgres` provider's body with one `readonly` role on this schema,
    /// its admin URL read from the vault secret `PG_ADMIN_URL`.
    pub fn provider(&self) -> Value {
        let schema = &self.name;
        json!({
            "kind": "postgres",
            "connection_secret": "PG_ADMIN_URL",
            "default_ttl_seconds": 600,
            "max_ttl_seconds": 3600,
            "roles": {"readonly": {"creation": [
                "CREATE ROLE \"{{name}}\" LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'",
                format!("GRANT USAGE ON SCHEMA {schema} TO \"{{{{name}}}}\""),
                format!("GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO \"{{{{name}}}}\""),
            ]}}
        })
    }
}

/// An integration leasing one `readonly` user of the provider `pg` per
/// resolution, as `PGUSER` and `PGPASSWORD`.
pub fn leasing_integration(name: &str) -> Value {
    json!({
        "name": name,
        "integration_type": "postgres",
        "config": {"dynamic_credentials": [{
            "provider": "pg", "role": "readonly",
            "env": {"username": "PGUSER", "password": "PGPASSWORD"},
        }]},
    })
}

impl Drop for Schema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        // Its own thread and runtime: the test's runtime may be gone or busy.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let admin = connect(&url).await;
                let users = admin
                    .query(
                        "SELECT DISTINCT grantee::text FROM information_schema.role_table_grants \
                         WHERE table_schema = $1 AND grantee LIKE 'patchbay%'",
                        &[&name],
                    )
                    .await
                    .unwrap_or_default();
                for user in users {
                    let user: String = user.get(0);
                    let _ = admin
                        .batch_execute(&format!("DROP OWNED BY \"{user}\"; DROP ROLE IF EXISTS \"{user}\""))
                        .await;
                }
                let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE")).await;
            });
        })
        .join();
    }
}
