use crate::support::{Cleanup, admin_url, as_user, pg_connect, unique};
use patchbay_credentials::{Step, create, generate, revoke, validate_role};
use patchbay_domain::{ProviderKind, ProviderRole};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio_postgres::error::SqlState;

const KIND: ProviderKind = ProviderKind::Postgres;
const CREATE_ROLE: &str =
    "CREATE ROLE \"{{name}}\" LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'";

/// A fresh schema with a table of one row, dropped by the cleanup.
async fn schema(admin_url: &str, cleanup: &mut Cleanup) -> String {
    let schema = format!("cred_{}", unique());
    let admin = pg_connect(admin_url).await.unwrap();
    admin
        .batch_execute(&format!(
            "CREATE SCHEMA {schema}; CREATE TABLE {schema}.t (id int); INSERT INTO {schema}.t VALUES (1)"
        ))
        .await
        .unwrap();
    cleanup.statements.push(format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
    schema
}

fn readonly(schema: &str) -> ProviderRole {
    ProviderRole {
        creation: vec![
            CREATE_ROLE.into(),
            format!("GRANT USAGE ON SCHEMA {schema} TO \"{{{{name}}}}\""),
            format!("GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO \"{{{{name}}}}\""),
        ],
        ..ProviderRole::default()
    }
}

async fn role_exists(admin: &tokio_postgres::Client, name: &str) -> bool {
    admin.query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&name]).await.unwrap().is_some()
}

fn in_an_hour() -> OffsetDateTime {
    (OffsetDateTime::now_utc() + time::Duration::hours(1)).replace_nanosecond(0).unwrap()
}

#[tokio::test]
async fn a_readonly_user_is_made_used_and_revoked() {
    let Some(admin_url) = admin_url(KIND).await else { return };
    let mut cleanup = Cleanup::new(KIND, &admin_url);
    let schema = schema(&admin_url, &mut cleanup).await;
    let role = readonly(&schema);
    validate_role(KIND, &role).unwrap();
    let creds = generate(KIND, "acme", in_an_hour());
    cleanup.usernames.push(creds.username.clone());

    create(KIND, &admin_url, &role, &creds).await.unwrap();

    // The server trusts local connections, so the password is checked as
    // stored rather than by logging in with a wrong one.
    let admin = pg_connect(&admin_url).await.unwrap();
    let row = admin
        .query_one(
            "SELECT rolcanlogin, rolvaliduntil, rolpassword FROM pg_authid WHERE rolname = $1",
            &[&creds.username],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0));
    assert_eq!(row.get::<_, Option<OffsetDateTime>>(1), Some(creds.expiration));
    let stored: String = row.get(2);
    assert!(stored.starts_with("SCRAM-SHA-256$"), "{stored}");

    let user_url = as_user(&admin_url, &creds.username, &creds.password);
    let user = pg_connect(&user_url).await.unwrap();
    let id: i32 = user.query_one(&format!("SELECT id FROM {schema}.t"), &[]).await.unwrap().get(0);
    assert_eq!(id, 1);
    for forbidden in [format!("DROP TABLE {schema}.t"), format!("INSERT INTO {schema}.t VALUES (2)")] {
        let error = user.batch_execute(&forbidden).await.unwrap_err();
        assert_eq!(error.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{forbidden}: {error}");
    }

    revoke(KIND, &admin_url, &[], &creds.username).await.unwrap();

    assert!(!role_exists(&admin, &creds.username).await);
    assert!(user.simple_query("SELECT 1").await.is_err(), "the user's session was ended");
    let error = pg_connect(&user_url).await.unwrap_err();
    assert!(error.to_string().contains("does not exist") || format!("{error:?}").contains("does not exist"));
    // Revoking again finds nothing to do.
    revoke(KIND, &admin_url, &[], &creds.username).await.unwrap();
}

#[tokio::test]
async fn custom_revocation_statements_run() {
    let Some(admin_url) = admin_url(KIND).await else { return };
    let mut cleanup = Cleanup::new(KIND, &admin_url);
    let schema = schema(&admin_url, &mut cleanup).await;
    let role = ProviderRole {
        revocation: vec![
            format!("REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM \"{{{{name}}}}\""),
            format!("REVOKE USAGE ON SCHEMA {schema} FROM \"{{{{name}}}}\""),
            "DROP ROLE \"{{name}}\"".into(),
        ],
        ..readonly(&schema)
    };
    validate_role(KIND, &role).unwrap();
    let creds = generate(KIND, "acme", in_an_hour());
    cleanup.usernames.push(creds.username.clone());
    create(KIND, &admin_url, &role, &creds).await.unwrap();
    let admin = pg_connect(&admin_url).await.unwrap();
    assert!(role_exists(&admin, &creds.username).await);

    revoke(KIND, &admin_url, &role.revocation, &creds.username).await.unwrap();
    assert!(!role_exists(&admin, &creds.username).await);
    // `DROP ROLE` without IF EXISTS would fail now; the lookup skips it.
    revoke(KIND, &admin_url, &role.revocation, &creds.username).await.unwrap();
}

#[tokio::test]
async fn a_failing_creation_statement_is_named_and_leaves_no_user() {
    let Some(admin_url) = admin_url(KIND).await else { return };
    let mut cleanup = Cleanup::new(KIND, &admin_url);
    let schema = schema(&admin_url, &mut cleanup).await;
    let mut role = readonly(&schema);
    role.creation[2] = format!("GRANT SELEKT ON ALL TABLES IN SCHEMA {schema} TO \"{{{{name}}}}\"");
    let creds = generate(KIND, "acme", in_an_hour());
    cleanup.usernames.push(creds.username.clone());

    let error = create(KIND, &admin_url, &role, &creds).await.unwrap_err();

    assert_eq!(error.step, Step::Creation(2));
    let text = error.to_string();
    assert!(
        text.starts_with("postgres: creation[2]: ERROR 42601: ") && text.contains("\"selekt\""),
        "{text}"
    );
    let admin = pg_connect(&admin_url).await.unwrap();
    assert!(!role_exists(&admin, &creds.username).await);
}

#[tokio::test]
async fn the_generated_password_never_shows_in_an_error() {
    let Some(admin_url) = admin_url(KIND).await else { return };
    let mut cleanup = Cleanup::new(KIND, &admin_url);
    // PostgreSQL quotes the value it could not read as a number.
    let role = ProviderRole {
        creation: vec![CREATE_ROLE.into(), "SELECT '{{name}}:{{password}}'::int".into()],
        ..ProviderRole::default()
    };
    let creds = generate(KIND, "acme", in_an_hour());
    cleanup.usernames.push(creds.username.clone());

    let error = create(KIND, &admin_url, &role, &creds).await.unwrap_err();

    assert_eq!(error.step, Step::Creation(1));
    let text = error.to_string();
    assert!(text.contains(&format!("{}:***", creds.username)), "{text}");
    assert!(!text.contains(creds.password.as_str()), "{text}");
    let admin = pg_connect(&admin_url).await.unwrap();
    assert!(!role_exists(&admin, &creds.username).await, "the transaction was rolled back");
}

#[tokio::test]
async fn the_admin_password_never_shows_in_an_error() {
    let Some(admin_url) = admin_url(KIND).await else { return };
    // The server names the unknown user, which here is also the password.
    let secret = format!("secret_{}", unique());
    let bad_url = as_user(&admin_url, &secret, &secret);
    let creds = generate(KIND, "acme", in_an_hour());

    let error = create(KIND, &bad_url, &readonly("public"), &creds).await.unwrap_err();

    assert_eq!(error.step, Step::Connect);
    let text = error.to_string();
    assert!(text.contains("role \"***\" does not exist"), "{text}");
    assert!(!text.contains(&secret), "{text}");
    let error = revoke(KIND, &bad_url, &[], &creds.username).await.unwrap_err();
    assert!(!error.to_string().contains(&secret), "{error}");
}

#[tokio::test]
async fn an_unreachable_server_fails_quickly() {
    let creds = generate(KIND, "acme", in_an_hour());
    let started = Instant::now();
    let error =
        create(KIND, "postgres://postgres@127.0.0.1:1/test", &readonly("public"), &creds).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(error.step, Step::Connect);
    assert!(error.to_string().starts_with("postgres: connecting: "), "{error}");
}
