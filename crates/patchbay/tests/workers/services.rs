//! Every template whose service runs beside the tests passes its own
//! connection test against it, in the sandbox, through the embedded worker:
//! PostgreSQL, MariaDB, Redis and RabbitMQ's management API. Where a test
//! can tell a wrong password, it fails with one.
//!
//! A service that is not reachable is skipped with the reason printed,
//! unless `PATCHBAY_TEST_REQUIRE_SERVICES` is set (CI sets it), where that
//! is a failure.
use crate::processes::{Server, TempDir};
use patchbay_client::{Client, TestStarted};
use serde_json::{Value, json};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

/// Whether `port` on loopback answers; when not, skipping is allowed only
/// outside CI.
fn reachable(service: &str, port: u16) -> bool {
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    if TcpStream::connect_timeout(&address, Duration::from_secs(2)).is_ok() {
        return true;
    }
    let reason = format!("{service} does not answer on 127.0.0.1:{port}");
    assert!(std::env::var_os("PATCHBAY_TEST_REQUIRE_SERVICES").is_none(), "{reason}");
    eprintln!("skipping the {service} template test: {reason}");
    false
}

/// Runs an administration command of a service, which must succeed.
fn admin(program: &str, args: &[&str]) {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A random-enough suffix so parallel or repeated runs do not collide.
fn unique() -> String {
    format!("{}_{}", std::process::id(), uuid::Uuid::new_v4().simple())
}

/// Creates `name` from `template` with `body`'s overrides and runs its
/// connection test, returning its status and output.
async fn run_test(client: &Client, template: &str, name: &str, body: Value) -> (String, String) {
    let mut body = body;
    body["name"] = json!(name);
    let created = client.create_from_template(template, &body).await.unwrap();
    let TestStarted::Finished(result) = client.test_integration(&created.id, true).await.unwrap() else {
        panic!("the embedded worker is online")
    };
    (result.status, result.output.unwrap_or_default())
}

async fn server() -> (TempDir, Server, Client) {
    let dir = TempDir::new("services");
    let server = Server::start(&dir, None, &[]);
    let admin = server.client("acme", "admin");
    crate::wait_until(Duration::from_secs(10), "the embedded worker", || async {
        admin.list_workers().await.unwrap().iter().any(|w| w.embedded && w.state == "online")
    })
    .await;
    (dir, server, admin)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_postgres_template_connects() {
    if !reachable("PostgreSQL", 5432) {
        return;
    }
    let (_dir, _server, client) = server().await;
    // Trust authentication here: the password is sent and not checked.
    client.put_secret("PGPASSWORD", "unused-by-trust", None).await.unwrap();
    let overrides = json!({"env_vars": {"PGHOST": "127.0.0.1", "PGDATABASE": "test"}});
    let (status, output) = run_test(&client, "postgres", "pg", overrides).await;
    assert_eq!((status.as_str(), output.trim()), ("passed", "1"), "{output}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mysql_template_connects_and_a_wrong_password_fails() {
    if !reachable("MariaDB", 3306) {
        return;
    }
    let user = format!("pb_{}", &unique()[..20]);
    let password = uuid::Uuid::new_v4().simple().to_string();
    let sql = |statement: String| admin("mariadb", &["-h", "127.0.0.1", "-u", "root", "-e", &statement]);
    sql(format!("CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'"));
    let (_dir, _server, client) = server().await;
    let env = json!({"MYSQL_HOST": "127.0.0.1", "MYSQL_USER": user, "MYSQL_DATABASE": "test"});
    client.put_secret("DB1_MYSQL_PASSWORD", &password, None).await.unwrap();
    client.put_secret("DB2_MYSQL_PASSWORD", "wrong", None).await.unwrap();
    let good = run_test(&client, "mysql", "db1", json!({"env_vars": env, "secret_prefix": "DB1_"})).await;
    let bad = run_test(&client, "mysql", "db2", json!({"env_vars": env, "secret_prefix": "DB2_"})).await;
    sql(format!("DROP USER '{user}'@'%'"));
    assert_eq!(good.0, "passed", "{}", good.1);
    assert!(good.1.contains("Uptime"), "{}", good.1);
    assert_eq!(bad.0, "failed", "{}", bad.1);
    assert!(bad.1.contains("Access denied"), "{}", bad.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redis_template_connects_and_a_wrong_password_fails() {
    if !reachable("Redis", 6379) {
        return;
    }
    let user = format!("pb-{}", unique());
    let password = uuid::Uuid::new_v4().simple().to_string();
    admin("redis-cli", &["ACL", "SETUSER", &user, "on", &format!(">{password}"), "+ping", "+select"]);
    let (_dir, _server, client) = server().await;
    let env = json!({"REDIS_HOST": "127.0.0.1", "REDIS_USER": user});
    client.put_secret("C1_REDIS_PASSWORD", &password, None).await.unwrap();
    client.put_secret("C2_REDIS_PASSWORD", "wrong", None).await.unwrap();
    let good = run_test(&client, "redis", "c1", json!({"env_vars": env, "secret_prefix": "C1_"})).await;
    let bad = run_test(&client, "redis", "c2", json!({"env_vars": env, "secret_prefix": "C2_"})).await;
    admin("redis-cli", &["ACL", "DELUSER", &user]);
    assert_eq!((good.0.as_str(), good.1.trim()), ("passed", "PONG"), "{}", good.1);
    assert_eq!(bad.0, "failed", "{}", bad.1);
    assert!(bad.1.contains("WRONGPASS"), "{}", bad.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rabbitmq_template_reaches_the_management_api() {
    // The broker's management plugin serves the API the template's test reads.
    if !reachable("RabbitMQ's management API", 15672) {
        return;
    }
    let (_dir, _server, client) = server().await;
    client.put_secret("RABBITMQ_PASSWORD", "guest", None).await.unwrap();
    client.put_secret("BAD_RABBITMQ_PASSWORD", "wrong", None).await.unwrap();
    let (status, output) = run_test(&client, "rabbitmq", "mq", json!({})).await;
    assert_eq!(status, "passed", "{output}");
    assert!(output.contains("rabbitmq_version"), "{output}");
    let (status, output) = run_test(&client, "rabbitmq", "mq2", json!({"secret_prefix": "BAD_"})).await;
    assert_eq!(status, "failed", "{output}");
}
