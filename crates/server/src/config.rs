//! Server settings and the JWT key bootstrap of the embedded default: with
//! no key configured, a random secret is created in the data directory
//! (mode 0600) on first start and reused afterwards.
use crate::auth::JwtSecret;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::fmt;
use std::io::Write;
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

/// A database URL fit for a log line: the password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let (authority, tail) = rest.split_once('/').map_or((rest, None), |(a, t)| (a, Some(t)));
    let authority = match authority.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => format!("{credentials}@{host}"),
        },
        None => authority.to_owned(),
    };
    match tail {
        Some(tail) => format!("{scheme}://{authority}/{tail}"),
        None => format!("{scheme}://{authority}"),
    }
}

/// The secret in `<data_dir>/jwt-secret`, created on first use. `true` when
/// it was just created, so the caller can tell the operator how to mint a token.
pub fn load_or_create_jwt_secret(data_dir: &Path) -> std::io::Result<(JwtSecret, bool)> {
    let path = data_dir.join(JWT_SECRET_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => return Ok((JwtSecret::new(text.trim().as_bytes()), false)),
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
        Err(_) => {}
    }
    std::fs::create_dir_all(data_dir)?;
    let secret = STANDARD.encode(rand::random::<[u8; 32]>());
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path)?;
    file.write_all(secret.as_bytes())?;
    file.sync_all()?;
    Ok((JwtSecret::new(secret.as_bytes()), true))
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
}
