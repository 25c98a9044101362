//! MySQL and MariaDB: statements run one by one (DDL commits itself), over
//! plain TCP with the URL's host, never a local socket.
use crate::error::{DriverError, Session, Step};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder};
use zeroize::Zeroizing;

const EXPECTED: &str = "mysql://user:password@host:port/database";

pub(crate) async fn create(
    session: &mut Session,
    url: &str,
    statements: &[Zeroizing<String>],
) -> Result<(), DriverError> {
    let mut conn = connect(session, url).await?;
    let mut result = Ok(());
    for (index, statement) in statements.iter().enumerate() {
        result =
            session.operation(Step::Creation(index), conn.query_drop(statement.as_str()), describe).await;
        if result.is_err() {
            break;
        }
    }
    disconnect(session, conn).await;
    result
}

pub(crate) async fn revoke(
    session: &mut Session,
    url: &str,
    username: &str,
    statements: &[Zeroizing<String>],
) -> Result<(), DriverError> {
    let mut conn = connect(session, url).await?;
    let result = revoke_on(session, &mut conn, username, statements).await;
    disconnect(session, conn).await;
    result
}

async fn revoke_on(
    session: &Session,
    conn: &mut Conn,
    username: &str,
    statements: &[Zeroizing<String>],
) -> Result<(), DriverError> {
    // An admin that may not read mysql.user still revokes: the statements run.
    let count = "SELECT COUNT(*) FROM mysql.user WHERE User = ?";
    let gone = session
        .operation(Step::Lookup, conn.exec_first::<u64, _, _>(count, (username,)), describe)
        .await
        .is_ok_and(|count| count == Some(0));
    if !gone {
        for (index, statement) in statements.iter().enumerate() {
            session.operation(Step::Revocation(index), conn.query_drop(statement.as_str()), describe).await?;
        }
    }
    // Dropping a user leaves its sessions open; end them (best effort: one
    // may end by itself meanwhile, and seeing others' needs PROCESS).
    let list = "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ?";
    let ids = session.operation(Step::Lookup, conn.exec::<u64, _, _>(list, (username,)), describe).await?;
    for id in ids {
        let _ =
            session.operation(Step::Lookup, conn.query_drop(format!("KILL CONNECTION {id}")), describe).await;
    }
    Ok(())
}

async fn connect(session: &mut Session, url: &str) -> Result<Conn, DriverError> {
    let opts = Opts::from_url(url).map_err(|_| session.bad_url(EXPECTED))?;
    if let Some(password) = opts.pass() {
        session.scrubber.add(password);
    }
    // By default the driver moves to the server's socket when the host is
    // local, where other accounts (and authentication) apply.
    let opts = OptsBuilder::from_opts(opts).prefer_socket(false);
    session.connecting(Conn::new(opts), describe).await
}

async fn disconnect(session: &Session, conn: Conn) {
    let _ = session.operation(Step::Lookup, conn.disconnect(), describe).await;
}

fn describe(error: mysql_async::Error) -> String {
    match error {
        mysql_async::Error::Server(server) => server.to_string(),
        other => other.to_string(),
    }
}
