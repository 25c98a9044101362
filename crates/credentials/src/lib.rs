//! Dynamic credentials: short-lived database users made for one run and
//! dropped when it ends, on PostgreSQL, MySQL/MariaDB and Redis.
//!
//! A provider's role says how to make a user: SQL statements with
//! `{{name}}`, `{{password}}` and `{{expiration}}` placeholders, or Redis
//! ACL rules. [`generate`] picks the name and password, [`create`] makes
//! the user with the admin connection and [`revoke`] drops it again.
mod acl;
mod error;
mod mysql;
mod names;
mod postgres;
mod redis;
mod render;
mod resp;
mod scan;
mod validate;

pub use error::{DriverError, Step};
pub use names::{generate, max_username_len};
pub use render::{RenderError, Values, format_expiration, render};
pub use validate::{RoleError, validate_role};

use error::{Session, Timeouts};
use patchbay_domain::{ProviderKind, ProviderRole};
use std::fmt;
use time::OffsetDateTime;
use zeroize::Zeroizing;

/// A user to create: its name, password and when the database should stop
/// taking it (where the kind can say so, e.g. PostgreSQL's `VALID UNTIL`).
#[derive(Clone)]
pub struct Credentials {
    pub username: String,
    pub password: Zeroizing<String>,
    pub expiration: OffsetDateTime,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"***")
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// What revokes a user when its role gives no revocation statements.
/// PostgreSQL: no more logins, its sessions ended, what it owns handed to
/// the admin, then the role dropped. MySQL: the user dropped (its
/// connections are killed by [`revoke`] itself). Redis: nothing, as
/// [`revoke`] runs `ACL DELUSER`, which also disconnects the user.
pub fn default_revocation(kind: ProviderKind) -> Vec<String> {
    let statements: &[&str] = match kind {
        ProviderKind::Postgres => &[
            "ALTER ROLE \"{{name}}\" NOLOGIN",
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{{name}}'",
            "REASSIGN OWNED BY \"{{name}}\" TO CURRENT_USER",
            "DROP OWNED BY \"{{name}}\"",
            "DROP ROLE IF EXISTS \"{{name}}\"",
        ],
        ProviderKind::Mysql => &["DROP USER IF EXISTS '{{name}}'@'%'"],
        ProviderKind::Redis => &[],
    };
    statements.iter().map(|s| (*s).to_owned()).collect()
}

/// Makes the user `creds` for `role` with the admin connection
/// `admin_url`: PostgreSQL runs the creation statements in one
/// transaction, MySQL one by one (DDL commits itself), Redis runs
/// `ACL SETUSER <name> reset on ><password> <rules>`. When creation fails
/// part way, the user is revoked (best effort) before the error returns,
/// so no half-made user stays.
pub async fn create(
    kind: ProviderKind,
    admin_url: &str,
    role: &ProviderRole,
    creds: &Credentials,
) -> Result<(), DriverError> {
    create_with(kind, admin_url, role, creds, Timeouts::DEFAULT).await
}

/// Drops the user `username` with `revocation` (empty: the kind's
/// [`default_revocation`]). Revoking a user that is already gone succeeds.
pub async fn revoke(
    kind: ProviderKind,
    admin_url: &str,
    revocation: &[String],
    username: &str,
) -> Result<(), DriverError> {
    revoke_with(kind, admin_url, revocation, username, Timeouts::DEFAULT).await
}

pub(crate) async fn create_with(
    kind: ProviderKind,
    admin_url: &str,
    role: &ProviderRole,
    creds: &Credentials,
    timeouts: Timeouts,
) -> Result<(), DriverError> {
    let mut session = Session::new(kind, timeouts);
    session.scrubber.add(&creds.password);
    session.scrubber.add_url_password(admin_url);
    if let Err(errors) = validate_role(kind, role) {
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        return Err(session.fail(Step::Role, messages.join("; ")));
    }
    let result = match kind {
        ProviderKind::Postgres | ProviderKind::Mysql => {
            let statements = render_all(&session, &role.creation, Values::Creation(creds), Step::Creation)?;
            if kind == ProviderKind::Postgres {
                postgres::create(&mut session, admin_url, &statements).await
            } else {
                mysql::create(&mut session, admin_url, &statements).await
            }
        }
        ProviderKind::Redis => {
            let rules = acl::split_rules(role.rules.as_deref().unwrap_or_default())
                .map_err(|_| session.fail(Step::Role, "the rules do not pass validation"))?;
            redis::create(&mut session, admin_url, creds, &rules).await
        }
    };
    match result {
        Err(mut error) if !matches!(error.step, Step::ConnectionUrl | Step::Connect) => {
            // Something may have been made before the failure.
            let cleanup = revoke_with(kind, admin_url, &role.revocation, &creds.username, timeouts).await;
            if let Err(cleanup) = cleanup {
                let note = format!("; removing the partly made user also failed: {cleanup}");
                error.message.push_str(&session.scrubber.scrub(&note));
            }
            Err(error)
        }
        other => other,
    }
}

pub(crate) async fn revoke_with(
    kind: ProviderKind,
    admin_url: &str,
    revocation: &[String],
    username: &str,
    timeouts: Timeouts,
) -> Result<(), DriverError> {
    let mut session = Session::new(kind, timeouts);
    session.scrubber.add_url_password(admin_url);
    let default;
    let revocation = if revocation.is_empty() {
        default = default_revocation(kind);
        &default
    } else {
        revocation
    };
    match kind {
        ProviderKind::Postgres => {
            let statements =
                render_all(&session, revocation, Values::Revocation(username), Step::Revocation)?;
            postgres::revoke(&mut session, admin_url, username, &statements).await
        }
        ProviderKind::Mysql => {
            let statements =
                render_all(&session, revocation, Values::Revocation(username), Step::Revocation)?;
            mysql::revoke(&mut session, admin_url, username, &statements).await
        }
        ProviderKind::Redis if !revocation.is_empty() => {
            Err(session
                .fail(Step::Revocation(0), "redis takes no revocation statements: it runs ACL DELUSER"))
        }
        ProviderKind::Redis => redis::revoke(&mut session, admin_url, username).await,
    }
}

/// Every statement rendered before anything runs, so a statement that
/// cannot be rendered never leaves the earlier ones done.
fn render_all(
    session: &Session,
    statements: &[String],
    values: Values<'_>,
    step: fn(usize) -> Step,
) -> Result<Vec<Zeroizing<String>>, DriverError> {
    statements
        .iter()
        .enumerate()
        .map(|(index, statement)| {
            render(session.kind, statement, values)
                .map(Zeroizing::new)
                .map_err(|e| session.fail(step(index), e))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn role(kind: ProviderKind) -> ProviderRole {
        match kind {
            ProviderKind::Postgres => ProviderRole {
                creation: vec!["CREATE ROLE \"{{name}}\" LOGIN PASSWORD '{{password}}'".into()],
                ..ProviderRole::default()
            },
            ProviderKind::Mysql => ProviderRole {
                creation: vec!["CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'".into()],
                ..ProviderRole::default()
            },
            ProviderKind::Redis => ProviderRole { rules: Some("+get".into()), ..ProviderRole::default() },
        }
    }

    fn url(kind: ProviderKind, port: u16) -> String {
        let db = if kind == ProviderKind::Redis { "0" } else { "db" };
        format!("{kind}://admin:topsecret@127.0.0.1:{port}/{db}")
    }

    #[tokio::test]
    async fn a_server_that_never_answers_times_out() {
        // Connections complete in the listener's backlog; nothing answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let timeouts =
            Timeouts { connect: Duration::from_millis(300), operation: Duration::from_millis(300) };
        for kind in ProviderKind::ALL {
            let creds = generate(kind, "acme", OffsetDateTime::now_utc());
            let started = Instant::now();
            let error = create_with(kind, &url(kind, port), &role(kind), &creds, timeouts).await.unwrap_err();
            assert!(started.elapsed() < Duration::from_secs(3), "{kind}: {:?}", started.elapsed());
            assert_eq!((error.step, error.timed_out), (Step::Connect, true), "{error}");
            assert_eq!(error.to_string(), format!("{kind}: connecting: timed out after 0.3 s"));
            let error = revoke_with(kind, &url(kind, port), &[], "patchbay_x", timeouts).await.unwrap_err();
            assert_eq!((error.step, error.timed_out), (Step::Connect, true), "{error}");
        }
    }

    #[tokio::test]
    async fn a_url_that_does_not_parse_is_named_but_not_echoed() {
        for kind in ProviderKind::ALL {
            let bad = format!("{kind}://admin:hunter2@dbhost.example:notaport/db");
            let creds = generate(kind, "acme", OffsetDateTime::now_utc());
            let error = create(kind, &bad, &role(kind), &creds).await.unwrap_err();
            assert_eq!(error.step, Step::ConnectionUrl);
            let text = error.to_string();
            assert!(text.starts_with(&format!("{kind}: ")) && text.contains("connection URL"), "{text}");
            assert!(
                !text.contains("hunter2") && !text.contains("notaport") && !text.contains("dbhost"),
                "{text}"
            );
            let error = revoke(kind, &bad, &[], "patchbay_x").await.unwrap_err();
            assert_eq!(error.step, Step::ConnectionUrl);
        }
        let error = revoke(ProviderKind::Redis, "rediss://host", &[], "patchbay_x").await.unwrap_err();
        assert!(error.to_string().contains("TLS"), "{error}");
    }

    #[tokio::test]
    async fn an_invalid_role_is_refused_before_connecting() {
        let role = ProviderRole { rules: Some("+get nopass".into()), ..ProviderRole::default() };
        let creds = generate(ProviderKind::Redis, "acme", OffsetDateTime::now_utc());
        // Port 1: were it tried, the error would be about connecting.
        let error = create(ProviderKind::Redis, "redis://127.0.0.1:1", &role, &creds).await.unwrap_err();
        assert_eq!(error.step, Step::Role);
        assert!(error.message.contains("`nopass` is refused"), "{error}");
    }

    #[tokio::test]
    async fn redis_takes_no_revocation_statements() {
        let revocation = vec!["DROP USER x".to_owned()];
        let error = revoke(ProviderKind::Redis, "redis://127.0.0.1:1", &revocation, "x").await.unwrap_err();
        assert_eq!(error.step, Step::Revocation(0));
    }

    #[tokio::test]
    async fn a_revocation_statement_that_cannot_render_names_its_index() {
        let revocation = vec!["DROP ROLE \"{{name}}\"".to_owned(), "SELECT '{{password}}'".to_owned()];
        let error = revoke(ProviderKind::Postgres, "postgres://u@127.0.0.1:1/db", &revocation, "x")
            .await
            .unwrap_err();
        assert_eq!(error.step, Step::Revocation(1));
        assert!(error.message.contains("cannot be used when revoking"), "{error}");
    }

    #[test]
    fn default_revocations() {
        assert_eq!(default_revocation(ProviderKind::Postgres).len(), 5);
        assert_eq!(default_revocation(ProviderKind::Mysql), ["DROP USER IF EXISTS '{{name}}'@'%'"]);
        assert!(default_revocation(ProviderKind::Redis).is_empty());
    }
}
