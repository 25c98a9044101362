use crate::support::{Cleanup, admin_execute, admin_url, as_user, mysql_connect, unique, with_path};
use mysql_async::prelude::Queryable;
use patchbay_credentials::{Step, create, generate, revoke, validate_role};
use patchbay_domain::{ProviderKind, ProviderRole};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

const KIND: ProviderKind = ProviderKind::Mysql;
/// MySQL's "command denied to user" code.
const TABLEACCESS_DENIED: u16 = 1142;
/// "Access denied": a wrong password, or (MariaDB) no such user.
const ACCESS_DENIED: [u16; 2] = [1045, 1698];

/// A fresh database with a table of one row, dropped by the cleanup.
async fn database(admin_url: &str, cleanup: &mut Cleanup) -> String {
    let database = format!("cred_{}", unique());
    for statement in [
        format!("CREATE DATABASE {database}"),
        format!("CREATE TABLE {database}.t (id int)"),
        format!("INSERT INTO {database}.t VALUES (1)"),
    ] {
        admin_execute(KIND, admin_url, &statement).await.unwrap();
    }
    cleanup.statements.push(format!("DROP DATABASE IF EXISTS {database}"));
    database
}

fn readonly(database: &str) -> ProviderRole {
    ProviderRole {
        creation: vec![
            "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'".into(),
            format!("GRANT SELECT ON {database}.* TO '{{{{name}}}}'@'%'"),
        ],
        ..ProviderRole::default()
    }
}

async fn user_exists(admin_url: &str, name: &str) -> bool {
    let mut admin = mysql_connect(admin_url).await.unwrap();
    let count: Option<u64> =
        admin.exec_first("SELECT COUNT(*) FROM mysql.user WHERE User = ?", (name,)).await.unwrap();
    admin.disconnect().await.unwrap();
    count != Some(0)
}

fn server_code(error: &mysql_async::Error) -> Option<u16> {
    match error {
        mysql_async::Error::Server(server) => Some(server.code),
        _ => None,
    }
}

fn soon() -> OffsetDateTime {
    OffsetDateTime::now_utc() + time::Duration::hours(1)
}

#[tokio::test]
async fn a_readonly_user_is_made_used_and_revoked() {
    let Some(admin_url) = admin_url(KIND).await else { return };
    let mut cleanup = Cleanup::new(KIND, &admin_url);
    let database = database(&admin_url, &mut cleanup).await;
    let role = readonly(&database);
    validate_role(KIND, &role).unwrap();
    let creds = generate(KIND, "acme", soon());
    cleanup.usernames.push(creds.username.clone());

    create(KIND, &admin_url, &role, &creds).await.unwrap();

    let user_url = with_path(&as_user(&admin_url, &creds.username, &creds.password), &database);
    let mut user = mysql_connect(&user_url).await.unwrap();
    let id: Option<i32> = user.query_first("SELECT id FROM t").await.unwrap();
    assert_eq!(id, Some(1));
    let error = user.query_drop("DROP TABLE t").await.unwrap_err();
    assert_eq!(server_code(&error), Some(TABLEACCESS_DENIED), "{error}");
    let wrong = with_path(&as_user(&admin_url, &creds.username, "wrong"), &database);
    let error = mysql_connect(&wrong).await.unwrap_err();
    assert!(
        server_code(&error).is_some_and(|c| ACCESS_DENIED.contains(&c)),
        "the password is checked: {error}"
    );

    revoke(KIND, &admin_url, &[], &creds.username).await.unwrap();

    assert!(!user_exists(&admin_url, &creds.username).await);
    assert!(user.query_drop("SELECT 1").await.is_err(), "the user's connection was killed");
    let error = mysql_connect(&user_url).await.unwrap_err();
    assert!(server_code(&error).is_some_and(|c| ACCESS_DENIED.contains(&c)), "{error}");
    revoke(KIND, &admin_url, &[], &creds.username).await.unwrap();
}

#[tokio::test]
async fn a_failing_creation_statement_is_named_and_the_made_user_dropped() {
    let Some(admin_url) = admin_url(KIND).await else { return };
    let mut cleanup = Cleanup::new(KIND, &admin_url);
    let database = database(&admin_url, &mut cleanup).await;
    let mut role = readonly(&database);
    // The first statement commits by itself before the second fails.
    role.creation[1] = format!("GRANT SELEKT ON {database}.* TO '{{{{name}}}}'@'%'");
    let creds = generate(KIND, "acme", soon());
    cleanup.usernames.push(creds.username.clone());

    let error = create(KIND, &admin_url, &role, &creds).await.unwrap_err();

    assert_eq!(error.step, Step::Creation(1));
    assert!(error.to_string().starts_with("mysql: creation[1]: ERROR 42000 (1064)"), "{error}");
    assert!(!user_exists(&admin_url, &creds.username).await, "the user made by creation[0] was dropped");
}

#[tokio::test]
async fn the_generated_password_never_shows_in_an_error() {
    let Some(admin_url) = admin_url(KIND).await else { return };
    let mut cleanup = Cleanup::new(KIND, &admin_url);
    // MariaDB quotes the statement near the syntax error.
    let role = ProviderRole {
        creation: vec!["CREATE USER '{{name}}'@'%' GARBAGE IDENTIFIED BY '{{password}}'".into()],
        ..ProviderRole::default()
    };
    let creds = generate(KIND, "acme", soon());
    cleanup.usernames.push(creds.username.clone());

    let error = create(KIND, &admin_url, &role, &creds).await.unwrap_err();

    assert_eq!(error.step, Step::Creation(0));
    let text = error.to_string();
    assert!(text.contains("near 'GARBAGE IDENTIFIED BY '***''"), "{text}");
    assert!(!text.contains(creds.password.as_str()), "{text}");
    assert!(!user_exists(&admin_url, &creds.username).await);
}

#[tokio::test]
async fn the_admin_password_never_shows_in_an_error() {
    let Some(admin_url) = admin_url(KIND).await else { return };
    // The server names the unknown user, which here is also the password.
    let secret = format!("s{}", unique());
    let bad_url = as_user(&admin_url, &secret, &secret);
    let creds = generate(KIND, "acme", soon());

    let error = create(KIND, &bad_url, &readonly("db"), &creds).await.unwrap_err();

    assert_eq!(error.step, Step::Connect);
    let text = error.to_string();
    assert!(text.contains("Access denied for user '***'"), "{text}");
    assert!(!text.contains(&secret), "{text}");
}

#[tokio::test]
async fn an_unreachable_server_fails_quickly() {
    let creds = generate(KIND, "acme", soon());
    let started = Instant::now();
    let error = create(KIND, "mysql://root@127.0.0.1:1/", &readonly("db"), &creds).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(error.step, Step::Connect);
    assert!(error.to_string().starts_with("mysql: connecting: "), "{error}");
}

#[tokio::test]
async fn custom_revocation_statements_run_and_a_gone_user_is_skipped() {
    let Some(admin_url) = admin_url(KIND).await else { return };
    let mut cleanup = Cleanup::new(KIND, &admin_url);
    let database = database(&admin_url, &mut cleanup).await;
    let role = ProviderRole { revocation: vec!["DROP USER '{{name}}'@'%'".into()], ..readonly(&database) };
    validate_role(KIND, &role).unwrap();
    let creds = generate(KIND, "acme", soon());
    cleanup.usernames.push(creds.username.clone());
    create(KIND, &admin_url, &role, &creds).await.unwrap();
    assert!(user_exists(&admin_url, &creds.username).await);

    revoke(KIND, &admin_url, &role.revocation, &creds.username).await.unwrap();
    assert!(!user_exists(&admin_url, &creds.username).await);
    // `DROP USER` without IF EXISTS would fail now; the lookup skips it.
    revoke(KIND, &admin_url, &role.revocation, &creds.username).await.unwrap();
}
