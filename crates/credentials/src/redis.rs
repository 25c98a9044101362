//! Redis: a user is an ACL entry, made by `ACL SETUSER` and dropped by
//! `ACL DELUSER` (which also disconnects its clients, Redis 7).
use crate::Credentials;
use crate::error::{DriverError, Session, Step};
use crate::resp::{Connection, Reply, UrlError, parse_url};
use zeroize::Zeroizing;

const EXPECTED: &str = "redis://user:password@host:port/db";

pub(crate) async fn create(
    session: &mut Session,
    url: &str,
    creds: &Credentials,
    rules: &[String],
) -> Result<(), DriverError> {
    let mut connection = connect(session, url).await?;
    let password = Zeroizing::new(format!(">{}", creds.password.as_str()));
    let mut args: Vec<&[u8]> =
        vec![b"ACL", b"SETUSER", creds.username.as_bytes(), b"reset", b"on", password.as_bytes()];
    args.extend(rules.iter().map(|rule| rule.as_bytes()));
    let reply = session.operation(Step::SetUser, connection.command(&args), |e| e.to_string()).await?;
    expect(session, Step::SetUser, reply, |reply| matches!(reply, Reply::Status(_)))
}

pub(crate) async fn revoke(session: &mut Session, url: &str, username: &str) -> Result<(), DriverError> {
    let mut connection = connect(session, url).await?;
    let args: [&[u8]; 3] = [b"ACL", b"DELUSER", username.as_bytes()];
    let command = connection.command(&args);
    let reply = session.operation(Step::DeleteUser, command, |e| e.to_string()).await?;
    // 0 when the user was already gone, which is as good.
    expect(session, Step::DeleteUser, reply, |reply| matches!(reply, Reply::Integer(_)))
}

async fn connect(session: &mut Session, url: &str) -> Result<Connection, DriverError> {
    let url = parse_url(url).map_err(|error| match error {
        UrlError::Invalid => session.bad_url(EXPECTED),
        UrlError::Tls => {
            session.fail(Step::ConnectionUrl, "it asks for TLS (rediss://), which is not supported")
        }
    })?;
    if let Some(password) = &url.password {
        session.scrubber.add(password);
    }
    let connected = async {
        let mut connection = Connection::connect(&url.host, url.port).await.map_err(|e| e.to_string())?;
        if let Some(password) = &url.password {
            let mut auth: Vec<&[u8]> = vec![b"AUTH"];
            auth.extend(url.username.as_deref().map(str::as_bytes));
            auth.push(password.as_bytes());
            match connection.command(&auth).await.map_err(|e| e.to_string())? {
                Reply::Status(_) => {}
                Reply::Error(message) => return Err(message),
                other => return Err(format!("unexpected reply to AUTH: {other:?}")),
            }
        }
        Ok(connection)
    };
    session.connecting(connected, |message| message).await
}

fn expect(
    session: &Session,
    step: Step,
    reply: Reply,
    ok: impl Fn(&Reply) -> bool,
) -> Result<(), DriverError> {
    match reply {
        Reply::Error(message) => Err(session.fail(step, message)),
        reply if ok(&reply) => Ok(()),
        other => Err(session.fail(step, format!("unexpected reply: {other:?}"))),
    }
}
