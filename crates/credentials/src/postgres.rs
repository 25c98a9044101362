//! PostgreSQL: creation in one transaction, revocation statement by
//! statement (so `NOLOGIN` stays even when a later statement fails).
use crate::error::{DriverError, Session, Step};
use std::str::FromStr;
use tokio_postgres::{Client, Config, NoTls};
use zeroize::Zeroizing;

const EXPECTED: &str = "postgres://user:password@host:port/database";

/// The advisory lock every Patchbay creation and revocation holds on a
/// database (the key is "patchbay" in ASCII). GRANT and REVOKE rewrite the granted
/// object's catalog row, so two leases granted on one schema at once fail
/// with "tuple concurrently updated"; one at a time per database, across
/// every replica, they never meet.
const LOCK_XACT: &str = "SELECT pg_advisory_xact_lock(8097881575290724729)";
/// The same lock, held by the session (see `revoke`).
const LOCK_SESSION: &str = "SELECT pg_advisory_lock(8097881575290724729)";

pub(crate) async fn create(
    session: &mut Session,
    url: &str,
    statements: &[Zeroizing<String>],
) -> Result<(), DriverError> {
    let mut client = connect(session, url).await?;
    let transaction = session.operation(Step::Transaction, client.transaction(), describe).await?;
    let lock = transaction.batch_execute(LOCK_XACT);
    session.operation(Step::Lock, lock, describe).await?;
    for (index, statement) in statements.iter().enumerate() {
        // An error drops the transaction, which rolls it back.
        session.operation(Step::Creation(index), transaction.batch_execute(statement), describe).await?;
    }
    session.operation(Step::Transaction, transaction.commit(), describe).await
}

pub(crate) async fn revoke(
    session: &mut Session,
    url: &str,
    username: &str,
    statements: &[Zeroizing<String>],
) -> Result<(), DriverError> {
    let client = connect(session, url).await?;
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&username];
    let lookup = client.query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &params);
    if session.operation(Step::Lookup, lookup, describe).await?.is_none() {
        return Ok(());
    }
    // Held by the session, not a transaction: each statement commits on its
    // own; the lock goes when the connection closes, whatever happens.
    let lock = client.batch_execute(LOCK_SESSION);
    session.operation(Step::Lock, lock, describe).await?;
    for (index, statement) in statements.iter().enumerate() {
        session.operation(Step::Revocation(index), client.batch_execute(statement), describe).await?;
    }
    Ok(())
}

async fn connect(session: &mut Session, url: &str) -> Result<Client, DriverError> {
    let mut config = Config::from_str(url).map_err(|_| session.bad_url(EXPECTED))?;
    if let Some(password) = config.get_password() {
        session.scrubber.add(&Zeroizing::new(String::from_utf8_lossy(password).into_owned()));
    }
    config.connect_timeout(session.timeouts.connect);
    let (client, connection) = session.connecting(config.connect(NoTls), describe).await?;
    // Ends when the client is dropped.
    tokio::spawn(connection);
    Ok(client)
}

/// The server's own message (severity, SQLSTATE, message, detail, hint)
/// for a database error; the client's description otherwise.
fn describe(error: tokio_postgres::Error) -> String {
    let Some(db) = error.as_db_error() else {
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message = format!("{message}: {cause}");
            source = cause.source();
        }
        return message;
    };
    let mut message = format!("{} {}: {}", db.severity(), db.code().code(), db.message());
    if let Some(detail) = db.detail() {
        message = format!("{message} (detail: {detail})");
    }
    if let Some(hint) = db.hint() {
        message = format!("{message} (hint: {hint})");
    }
    message
}
