//! `patchbay token mint`.
use crate::cli::MintArgs;
use anyhow::{Context, bail};
use patchbay_domain::Role;
use patchbay_server::auth::{Claims, JwtSecret, mint as sign};
use patchbay_server::config::resolve_jwt_secret;

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

pub fn mint(args: MintArgs) -> anyhow::Result<()> {
    let Some(role) = Role::parse(&args.role) else {
        bail!("--role {:?}: must be one of viewer, member, worker, admin", args.role);
    };
    if args.org.is_empty() {
        bail!("--org must not be empty");
    }
    let ttl = parse_ttl(&args.ttl).context("--ttl")?;
    let (secret, _) = resolve_jwt_secret(args.keys.jwt_secret()?.map(JwtSecret::new), &args.keys.data_dir)
        .with_context(|| format!("reading the signing key in {}", args.keys.data_dir.display()))?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    let claims = Claims {
        organization: args.org,
        exp: now + ttl,
        email: args.email,
        user_id: Some(args.user_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string())),
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
