//! A throwaway database per test, so tests run in parallel against one
//! server and leave nothing behind. Used by this crate's conformance tests
//! and the server's API tests.
use std::str::FromStr;
use tokio_postgres::{Config, NoTls};

/// The variable naming the server to create test databases on; tests that
/// need PostgreSQL skip when it is unset.
pub const DATABASE_URL_VAR: &str = "PATCHBAY_TEST_DATABASE_URL";

/// A database created for one test and dropped (forcibly, whoever is still
/// connected) when this value is dropped.
pub struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates a database on the server at `PATCHBAY_TEST_DATABASE_URL`, or
    /// says on stderr why not and returns `None` when the variable is unset.
    /// Panics when the server cannot be used: a test with a URL must not
    /// silently pass.
    pub async fn from_env() -> Option<Self> {
        let Ok(admin_url) = std::env::var(DATABASE_URL_VAR) else {
            eprintln!("skipping: {DATABASE_URL_VAR} is not set");
            return None;
        };
        Some(Self::create(&admin_url).await)
    }

    /// Creates a fresh database on the server `admin_url` points to (any
    /// database there the user may connect to and create databases from).
    pub async fn create(admin_url: &str) -> Self {
        let name = format!("patchbay_test_{}", uuid::Uuid::new_v4().simple());
        admin_execute(admin_url, &format!("CREATE DATABASE {name}")).await;
        Self { admin_url: admin_url.to_owned(), url: with_dbname(admin_url, &name), name }
    }

    /// The URL of the test database, for `PostgresStore::connect`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot be blocked on;
        // a thread with a runtime of its own can, and joining it makes sure
        // the database is gone before the test process exits.
        let admin_url = self.admin_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for dropping the test database")
                .block_on(admin_execute(&admin_url, &sql));
        })
        .join();
        if dropped.is_err() && !std::thread::panicking() {
            panic!("dropping test database {} failed", self.name);
        }
    }
}

async fn admin_execute(admin_url: &str, sql: &str) {
    let config = Config::from_str(admin_url).expect("a valid test database URL");
    let (client, connection) =
        config.connect(NoTls).await.unwrap_or_else(|e| panic!("connecting to the test database server: {e}"));
    let driver = tokio::spawn(connection);
    client.batch_execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    drop(client);
    let _ = driver.await;
}

/// `url` with its database replaced by `dbname`, for both URL and
/// `key=value` forms.
fn with_dbname(url: &str, dbname: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        // In key=value strings a later key wins.
        return format!("{url} dbname={dbname}");
    };
    let (target, query) = match rest.split_once('?') {
        Some((target, query)) => (target, Some(query)),
        None => (rest, None),
    };
    let authority = target.split_once('/').map_or(target, |(authority, _)| authority);
    match query {
        Some(query) => format!("{scheme}://{authority}/{dbname}?{query}"),
        None => format!("{scheme}://{authority}/{dbname}"),
    }
}

/// PostgreSQL's plan for `sql` with these parameters, one line per node:
/// what a test checks for the index a query must use.
pub async fn explain(
    client: &tokio_postgres::Client,
    sql: &str,
    parameters: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> String {
    let rows = client.query(&format!("EXPLAIN {sql}"), parameters).await.expect("EXPLAIN runs");
    rows.iter().map(|row| row.get::<_, String>(0)).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::with_dbname;

    #[test]
    fn the_database_is_replaced() {
        let cases = [
            ("postgres://u@h:5432/test", "postgres://u@h:5432/t1"),
            ("postgres://u:p@h/test?sslmode=disable", "postgres://u:p@h/t1?sslmode=disable"),
            ("postgresql://h", "postgresql://h/t1"),
            ("postgres://h?user=u", "postgres://h/t1?user=u"),
            ("host=h user=u dbname=test", "host=h user=u dbname=test dbname=t1"),
        ];
        for (url, expected) in cases {
            assert_eq!(with_dbname(url, "t1"), expected);
        }
    }
}
