//! Server settings and the JWT key bootstrap of the embedded default: with
//! no key configured, a random secret is created in the data directory
//! (mode 0600) on first start and reused afterwards.
use crate::auth::JwtSecret;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./patchbay-data";
pub const JWT_SECRET_FILE: &str = "jwt-secret";
pub const SQLITE_FILE: &str = "patchbay.db";

/// Everything `patchbay serve` is configured with.
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// `None`: SQLite in the data directory.
    pub database_url: Option<String>,
    pub jwt_secret: Option<JwtSecret>,
    pub jwt_public_key: Option<PathBuf>,
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_deref().map(redact_url))
            .field("jwt_secret", &self.jwt_secret)
            .field("jwt_public_key", &self.jwt_public_key)
            .finish()
    }
}

/// A database URL fit for a log line, an error or `--print-config`: every
/// password replaced by `***`, in each form a PostgreSQL connection string
/// takes — the URL's user info (`postgres://u:p@h/db`), a query parameter
/// (`?password=p`, also `sslpassword`), and a `key=value` string
/// (`host=h password='p q'`).
pub fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => redact_uri(scheme, rest),
        None => redact_key_values(url),
    }
}

fn is_password_key(key: &str) -> bool {
    key.trim().to_ascii_lowercase().contains("password")
}

fn redact_uri(scheme: &str, rest: &str) -> String {
    let (before_query, query) = rest.split_once('?').map_or((rest, None), |(a, q)| (a, Some(q)));
    let (authority, path) = before_query.split_once('/').map_or((before_query, None), |(a, p)| (a, Some(p)));
    let mut out = format!("{scheme}://");
    match authority.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _password)) => out.push_str(&format!("{user}:***@{host}")),
            None => out.push_str(&format!("{credentials}@{host}")),
        },
        None => out.push_str(authority),
    }
    if let Some(path) = path {
        out.push('/');
        out.push_str(path);
    }
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if is_password_key(&percent_decoded(key)) => format!("{key}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

/// A query key as the server reads it (`%70assword` is `password`).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `key=value` pairs separated by spaces; a value may be single-quoted with
/// `\'` and `\\` escapes. Text that does not parse is hidden whole rather
/// than echoed, since where a password ends cannot be told.
fn redact_key_values(text: &str) -> String {
    let mut out = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { return "<database URL hidden>".to_owned() };
        let key = rest[..eq].trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            return "<database URL hidden>".to_owned();
        }
        let after = rest[eq + 1..].trim_start();
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('\'') {
            let mut end = None;
            let mut escaped = false;
            for (i, c) in quoted.char_indices() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '\'' => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let Some(end) = end else { return "<database URL hidden>".to_owned() };
            (&after[..end + 2], &quoted[end + 1..])
        } else {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        out.push(if is_password_key(key) { format!("{key}=***") } else { format!("{key}={value}") });
        rest = remaining.trim_start();
    }
    out.join(" ")
}

/// The secret in `<data_dir>/jwt-secret`, created on first use (published
/// whole: `token mint` or a second server racing this one reads the same
/// secret, never a part of it). `true` when it was just created, so the
/// caller can tell the operator how to mint a token.
pub fn load_or_create_jwt_secret(data_dir: &Path) -> std::io::Result<(JwtSecret, bool)> {
    let path = data_dir.join(JWT_SECRET_FILE);
    let (text, created) = patchbay_vault::read_or_create_private_file(&path, || {
        zeroize::Zeroizing::new(STANDARD.encode(rand::random::<[u8; 32]>()))
    })?;
    Ok((jwt_secret_from_file(&path, &text)?, created))
}

/// The secret in `<data_dir>/jwt-secret`, `None` when there is no such file
/// (`token mint`, which must sign with the key a server already uses).
pub fn read_jwt_secret(data_dir: &Path) -> std::io::Result<Option<JwtSecret>> {
    let path = data_dir.join(JWT_SECRET_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => jwt_secret_from_file(&path, &zeroize::Zeroizing::new(text)).map(Some),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// An empty file would sign tokens anyone can forge: refused, naming it.
fn jwt_secret_from_file(path: &Path, text: &str) -> std::io::Result<JwtSecret> {
    let secret = text.trim();
    if secret.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the signing key file {} is empty", path.display()),
        ));
    }
    Ok(JwtSecret::new(secret.as_bytes()))
}

/// The HS256 secret to sign and verify with: the configured one, else the
/// data directory's (created when missing).
pub fn resolve_jwt_secret(
    configured: Option<JwtSecret>,
    data_dir: &Path,
) -> std::io::Result<(JwtSecret, bool)> {
    match configured {
        Some(secret) => Ok((secret, false)),
        None => load_or_create_jwt_secret(data_dir),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_passwords() {
        assert_eq!(redact_url("postgres://u:p@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("postgres://h/db?x=1"), "postgres://h/db?x=1");
        assert_eq!(
            redact_url("postgres://u@h/db?sslmode=require&password=s3cret&sslpassword=k3y"),
            "postgres://u@h/db?sslmode=require&password=***&sslpassword=***"
        );
        assert_eq!(redact_url("postgresql://h?%70assword=s3cret"), "postgresql://h?%70assword=***");
        assert_eq!(
            redact_url("host=db user=app password=s3cret dbname=x"),
            "host=db user=app password=*** dbname=x"
        );
        assert_eq!(
            redact_url("host=db password = 'it\\'s a secret' user=app"),
            "host=db password=*** user=app"
        );
        for hidden in ["host=db password='unterminated s3cret", "s3cret", "a b=c"] {
            let shown = redact_url(hidden);
            assert_eq!(shown, "<database URL hidden>", "{hidden:?}");
        }
    }

    #[test]
    fn secret_file_is_created_once_and_private() {
        let dir = std::env::temp_dir().join(format!("patchbay-key-{}", uuid::Uuid::new_v4()));
        let (first, created) = load_or_create_jwt_secret(&dir).unwrap();
        assert!(created);
        let (again, created) = load_or_create_jwt_secret(&dir).unwrap();
        assert!(!created);
        assert_eq!(first.expose(), again.expose());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(JWT_SECRET_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_missing_secret_is_none_and_an_empty_one_is_refused() {
        let dir = std::env::temp_dir().join(format!("patchbay-key-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(read_jwt_secret(&dir).unwrap().is_none());
        std::fs::write(dir.join(JWT_SECRET_FILE), "\n").unwrap();
        let error = read_jwt_secret(&dir).map(|_| ()).unwrap_err();
        assert!(error.to_string().contains("jwt-secret is empty"), "{error}");
        assert!(load_or_create_jwt_secret(&dir).is_err(), "an empty file is not silently used");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
