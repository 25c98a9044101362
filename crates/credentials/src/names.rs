//! Generating a user's name and password from the OS's random source.
use crate::Credentials;
use patchbay_domain::ProviderKind;
use rand::rngs::OsRng;
use rand::{Rng, TryRngCore};
use time::OffsetDateTime;
use zeroize::Zeroizing;

const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// How much of the organization a name keeps.
const ORGANIZATION_LEN: usize = 8;
/// 36^12 ≈ 2^62: two leases never share a name.
const RANDOM_LEN: usize = 12;
/// 62^32 ≈ 2^190.
const PASSWORD_LEN: usize = 32;

/// The longest user name `kind` takes: PostgreSQL's identifiers, MySQL's
/// user names (MariaDB takes 80, MySQL 32); Redis has no limit, so 63.
pub const fn max_username_len(kind: ProviderKind) -> usize {
    match kind {
        ProviderKind::Postgres | ProviderKind::Redis => 63,
        ProviderKind::Mysql => 32,
    }
}

/// A new user for `organization`: `patchbay_<organization>_<random>`, the
/// organization cut to its first 8 of `[a-z0-9]` (left out when none),
/// and a 32-character `[A-Za-z0-9]` password, which no quoting changes.
pub fn generate(kind: ProviderKind, organization: &str, expiration: OffsetDateTime) -> Credentials {
    let mut rng = OsRng.unwrap_err();
    let organization: String = organization
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(ORGANIZATION_LEN)
        .collect();
    let random = pick(&mut rng, LOWER, RANDOM_LEN);
    let username = if organization.is_empty() {
        format!("patchbay_{}", random.as_str())
    } else {
        format!("patchbay_{organization}_{}", random.as_str())
    };
    debug_assert!(username.len() <= max_username_len(kind));
    Credentials { username, password: pick(&mut rng, ALPHANUMERIC, PASSWORD_LEN), expiration }
}

fn pick(rng: &mut impl Rng, alphabet: &[u8], len: usize) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(len));
    for _ in 0..len {
        out.push(alphabet[rng.random_range(0..alphabet.len())] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn now() -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    #[test]
    fn names_say_patchbay_and_the_organization_within_every_limit() {
        for kind in ProviderKind::ALL {
            let creds = generate(kind, "Acme Widgets, Inc.", now());
            let random = creds.username.strip_prefix("patchbay_acmewidg_").expect(&creds.username);
            assert_eq!(random.len(), RANDOM_LEN);
            assert!(creds.username.len() <= max_username_len(kind));
            assert!(creds.username.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
        }
    }

    #[test]
    fn an_organization_without_letters_or_digits_is_left_out() {
        let creds = generate(ProviderKind::Mysql, "---", now());
        let random = creds.username.strip_prefix("patchbay_").unwrap();
        assert_eq!(random.len(), RANDOM_LEN);
        assert!(!random.contains('_'));
    }

    #[test]
    fn non_ascii_organizations_are_sanitized() {
        let creds = generate(ProviderKind::Postgres, "Ünïcødé-Ørg", now());
        assert!(creds.username.starts_with("patchbay_ncdrg_"), "{}", creds.username);
    }

    #[test]
    fn passwords_are_long_alphanumeric_and_distinct() {
        let mut seen = HashSet::new();
        for _ in 0..200 {
            let creds = generate(ProviderKind::Redis, "acme", now());
            assert_eq!(creds.password.len(), PASSWORD_LEN);
            assert!(creds.password.chars().all(|c| c.is_ascii_alphanumeric()));
            assert!(seen.insert(creds.password.to_string()));
            assert!(seen.insert(creds.username.clone()));
        }
    }

    #[test]
    fn the_expiration_is_kept() {
        let expiration = now() + time::Duration::hours(1);
        assert_eq!(generate(ProviderKind::Postgres, "a", expiration).expiration, expiration);
    }

    #[test]
    fn debug_output_hides_the_password() {
        let creds = generate(ProviderKind::Postgres, "a", now());
        let shown = format!("{creds:?}");
        assert!(!shown.contains(creds.password.as_str()), "{shown}");
        assert!(shown.contains(&creds.username));
    }
}
