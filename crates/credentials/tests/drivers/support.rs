//! Where the servers are, whether a test may skip, and cleaning up what a
//! test made even when it fails.
use patchbay_credentials::revoke;
use patchbay_domain::ProviderKind;
use std::time::Duration;

/// The admin URL of `kind`'s server (overridable), or `None` when it does
/// not answer and the test may skip: only when
/// `PATCHBAY_TEST_REQUIRE_SERVICES` is not `1`; otherwise that fails.
pub async fn admin_url(kind: ProviderKind) -> Option<String> {
    let (var, default) = match kind {
        ProviderKind::Postgres => ("PATCHBAY_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test"),
        ProviderKind::Mysql => ("PATCHBAY_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/"),
        ProviderKind::Redis => ("PATCHBAY_TEST_REDIS_URL", "redis://127.0.0.1:6379"),
    };
    let url = std::env::var(var).unwrap_or_else(|_| default.to_owned());
    let parsed = url::Url::parse(&url).unwrap_or_else(|e| panic!("{var}: {e}"));
    let host = parsed.host_str().expect("a host").trim_matches(['[', ']']).to_owned();
    let port = parsed.port().expect("a port");
    let connect = tokio::net::TcpStream::connect((host.as_str(), port));
    if matches!(tokio::time::timeout(Duration::from_secs(2), connect).await, Ok(Ok(_))) {
        return Some(url);
    }
    let reason = format!("{kind} does not answer on {host}:{port}");
    assert!(std::env::var("PATCHBAY_TEST_REQUIRE_SERVICES").as_deref() != Ok("1"), "{reason}");
    eprintln!("skipping: {reason}");
    None
}

/// A suffix no other test or run uses.
pub fn unique() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// `url` with another user and password.
pub fn as_user(url: &str, username: &str, password: &str) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.set_username(username).unwrap();
    url.set_password(Some(password)).unwrap();
    url.to_string()
}

/// `url` with another database (path).
pub fn with_path(url: &str, path: &str) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.set_path(path);
    url.to_string()
}

/// Revokes a test's user and runs its cleanup statements when dropped, on
/// a thread with a runtime of its own (a test's runtime cannot block).
pub struct Cleanup {
    pub kind: ProviderKind,
    pub admin_url: String,
    pub usernames: Vec<String>,
    pub statements: Vec<String>,
}

impl Cleanup {
    pub fn new(kind: ProviderKind, admin_url: &str) -> Self {
        Self { kind, admin_url: admin_url.to_owned(), usernames: Vec::new(), statements: Vec::new() }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let (kind, admin_url) = (self.kind, self.admin_url.clone());
        let (usernames, statements) =
            (std::mem::take(&mut self.usernames), std::mem::take(&mut self.statements));
        let done = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                for username in &usernames {
                    if let Err(e) = revoke(kind, &admin_url, &[], username).await {
                        eprintln!("cleanup: revoking {username}: {e}");
                    }
                }
                for statement in &statements {
                    if let Err(e) = admin_execute(kind, &admin_url, statement).await {
                        eprintln!("cleanup: {statement}: {e}");
                    }
                }
            });
        })
        .join();
        if done.is_err() && !std::thread::panicking() {
            panic!("cleanup panicked");
        }
    }
}

/// Runs one statement (Redis: one command, split on spaces) as the admin.
pub async fn admin_execute(kind: ProviderKind, admin_url: &str, statement: &str) -> Result<(), String> {
    match kind {
        ProviderKind::Postgres => {
            let client = pg_connect(admin_url).await.map_err(|e| e.to_string())?;
            client.batch_execute(statement).await.map_err(|e| e.to_string())
        }
        ProviderKind::Mysql => {
            use mysql_async::prelude::Queryable;
            let mut conn = mysql_connect(admin_url).await.map_err(|e| e.to_string())?;
            conn.query_drop(statement).await.map_err(|e| e.to_string())?;
            conn.disconnect().await.map_err(|e| e.to_string())
        }
        ProviderKind::Redis => {
            let mut redis = Redis::connect(admin_url).map_err(|e| e.to_string())?;
            let parsed = url::Url::parse(admin_url).unwrap();
            if let Some(password) = parsed.password() {
                let user = if parsed.username().is_empty() { "default" } else { parsed.username() };
                redis.command(&["AUTH", user, password]).map_err(|e| e.to_string())?;
            }
            let args: Vec<&str> = statement.split(' ').collect();
            let reply = redis.command(&args).map_err(|e| e.to_string())?;
            if reply.starts_with('-') { Err(reply) } else { Ok(()) }
        }
    }
}

/// A PostgreSQL client whose connection runs in the background.
pub async fn pg_connect(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// A MySQL connection over TCP, as the credentials' users connect.
pub async fn mysql_connect(url: &str) -> Result<mysql_async::Conn, mysql_async::Error> {
    let opts = mysql_async::Opts::from_url(url)?;
    mysql_async::Conn::new(mysql_async::OptsBuilder::from_opts(opts).prefer_socket(false)).await
}

/// A blocking Redis client for the tests: enough to AUTH, SET and GET.
pub struct Redis {
    stream: std::io::BufReader<std::net::TcpStream>,
}

impl Redis {
    /// Connects to the URL's host and port, without logging in.
    pub fn connect(url: &str) -> std::io::Result<Self> {
        let url = url::Url::parse(url).unwrap();
        let stream = std::net::TcpStream::connect((url.host_str().unwrap(), url.port().unwrap_or(6379)))?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        Ok(Self { stream: std::io::BufReader::new(stream) })
    }

    /// Sends a command; returns the reply's first line (`+OK`, `-NOPERM
    /// ...`, `:1`) or, for a bulk string, `$` and its content.
    pub fn command(&mut self, args: &[&str]) -> std::io::Result<String> {
        use std::io::{BufRead, Read, Write};
        let mut out = format!("*{}\r\n", args.len());
        for arg in args {
            out.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        self.stream.get_mut().write_all(out.as_bytes())?;
        let mut line = String::new();
        if self.stream.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let line = line.trim_end().to_owned();
        match line.strip_prefix('$').map(|len| len.parse::<i64>().unwrap()) {
            Some(len) if len >= 0 => {
                let mut data = vec![0; len as usize + 2];
                self.stream.read_exact(&mut data)?;
                Ok(format!("${}", String::from_utf8_lossy(&data[..len as usize])))
            }
            _ => Ok(line),
        }
    }
}
