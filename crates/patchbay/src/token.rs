//! `patchbay token mint`.
use crate::cli::MintArgs;
use anyhow::{Context, bail};
use patchbay_domain::Role;
use patchbay_server::auth::{Claims, JwtSecret, mint as sign};
use patchbay_server::config::{JWT_SECRET_FILE, read_jwt_secret};
use std::path::Path;
use std::time::{Duration, Instant};

/// `30d`, `12h`, `15m`, `90s` or a bare number of seconds: a token's
/// lifetime (`mint --ttl`, `serve --max-token-lifetime`). The messages name
/// no flag: clap prefixes the flag it was given for.
pub fn parse_ttl(text: &str) -> anyhow::Result<u64> {
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let number: u64 = number.parse().with_context(|| format!("{text:?}: expected e.g. 30d, 12h, 15m"))?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => bail!("{text:?}: the unit must be s, m, h, d or w"),
    };
    match number.checked_mul(scale) {
        Some(0) | None => bail!("{text:?}: must be positive and reasonable"),
        Some(seconds) => Ok(seconds),
    }
}

/// The configured secret, else the key of the data directory. A token
/// signed with a key no server uses would only earn a 401 later, so with
/// neither `mint` refuses instead of making one; it first waits `--wait` for
/// a server that is starting in that directory.
fn signing_key(args: &MintArgs) -> anyhow::Result<JwtSecret> {
    if let Some(secret) = args.keys.jwt_secret()? {
        return Ok(JwtSecret::new(secret));
    }
    let dir = &args.keys.data_dir;
    let read =
        || read_jwt_secret(dir).with_context(|| format!("reading the signing key in {}", dir.display()));
    if let Some(secret) = read()? {
        return Ok(secret);
    }
    let deadline = Instant::now() + args.wait;
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        if let Some(secret) = read()? {
            return Ok(secret);
        }
    }
    bail!(
        "there is no signing key at {}: tokens must be signed with the key of the server that will check them. \
         Point `token mint` at the server's data directory with --data-dir DIR (or PATCHBAY_DATA_DIR), \
         or give the server's secret with --jwt-secret (PATCHBAY_JWT_SECRET or --jwt-secret-file)",
        shown(&dir.join(JWT_SECRET_FILE)).display()
    )
}

/// The path as given, made absolute so the user sees where that was.
fn shown(path: &Path) -> std::path::PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

pub fn mint(args: MintArgs) -> anyhow::Result<()> {
    let Some(role) = Role::parse(&args.role) else {
        bail!("--role {:?}: must be one of viewer, member, worker, admin", args.role);
    };
    if args.org.is_empty() {
        bail!("--org must not be empty");
    }
    let ttl = parse_ttl(&args.ttl).context("--ttl")?;
    let secret = signing_key(&args)?;
    // A name people recognise in the audit log and history, not a random id.
    let user_id = match (&args.user_id, &args.email) {
        (Some(user_id), _) => user_id.clone(),
        (None, Some(email)) => email.clone(),
        (None, None) => format!("{}@{}", role.as_str(), args.org),
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    let claims = Claims {
        organization: args.org,
        exp: now + ttl,
        email: args.email,
        user_id: Some(user_id),
        sub: None,
        token_id: None,
        role: Some(role.as_str().to_owned()),
        jti: Some(uuid::Uuid::new_v4().to_string()),
        iat: Some(now),
    };
    println!("{}", sign(&secret, &claims).context("signing the token")?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_ttl;

    #[test]
    fn ttls() {
        assert_eq!(parse_ttl("30d").unwrap(), 30 * 86_400);
        assert_eq!(parse_ttl("90").unwrap(), 90);
        assert_eq!(parse_ttl("15m").unwrap(), 900);
        for bad in ["", "d", "0s", "5y", "-1d", "1.5h"] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
    }
}
