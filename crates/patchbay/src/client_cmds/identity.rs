//! Who a token says its holder is: organization, role, user and expiry,
//! read from its claims for `whoami`, `login` and messages. This reads, it
//! does not verify: only the server can say the token is good, and the
//! commands that show an identity ask it.
use crate::failure::{Exit, failure};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use patchbay_server::auth::Claims;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Debug, Serialize)]
pub struct Identity {
    pub organization: String,
    pub role: String,
    /// `user_id`, else `sub`, else `token_id`: what the server records as
    /// the author of a change.
    pub user: Option<String>,
    pub email: Option<String>,
    /// RFC 3339.
    pub expires_at: String,
    #[serde(skip)]
    expires: OffsetDateTime,
}

impl Identity {
    /// The claims of a JWT, or an error saying it is not one.
    pub fn of_token(token: &str) -> anyhow::Result<Self> {
        let not_a_jwt = || failure(Exit::Auth, "the token is not a JWT (`patchbay token mint` makes one)");
        let payload = token.split('.').nth(1).ok_or_else(not_a_jwt)?;
        let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).map_err(|_| not_a_jwt())?;
        let claims: Claims = serde_json::from_slice(&bytes).map_err(|_| not_a_jwt())?;
        let expires = i64::try_from(claims.exp)
            .ok()
            .and_then(|exp| OffsetDateTime::from_unix_timestamp(exp).ok())
            .ok_or_else(not_a_jwt)?;
        Ok(Self {
            organization: claims.organization,
            // The server's default for a token without a role.
            role: claims.role.unwrap_or_else(|| "member".to_owned()),
            user: claims.user_id.or(claims.sub).or(claims.token_id),
            email: claims.email,
            expires_at: expires.format(&Rfc3339).unwrap_or_default(),
            expires,
        })
    }

    /// The email, else the user id, as people read it.
    pub fn who(&self) -> &str {
        self.email.as_deref().or(self.user.as_deref()).unwrap_or("an unnamed user")
    }

    /// `2026-05-01 12:00 UTC (in 29 days)` or `... (expired 2 hours ago)`.
    pub fn expiry(&self) -> String {
        let date = self.expires_at.get(..16).unwrap_or(&self.expires_at).replace('T', " ");
        let left = self.expires - OffsetDateTime::now_utc();
        let span = |seconds: i64| match seconds {
            s if s >= 2 * 86_400 => format!("{} days", s / 86_400),
            s if s >= 2 * 3_600 => format!("{} hours", s / 3_600),
            s if s >= 120 => format!("{} minutes", s / 60),
            s => format!("{s} seconds"),
        };
        if left.is_negative() {
            format!("{date} UTC (expired {} ago)", span(-left.whole_seconds()))
        } else {
            format!("{date} UTC (in {})", span(left.whole_seconds()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Identity;

    fn token(claims: serde_json::Value) -> String {
        let part = |value: &serde_json::Value| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
        };
        format!("{}.{}.signature", part(&serde_json::json!({"alg": "HS256"})), part(&claims))
    }

    #[test]
    fn claims_are_read_with_the_servers_defaults() {
        let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 3 * 86_400 + 60;
        let identity =
            Identity::of_token(&token(serde_json::json!({"organization": "acme", "exp": exp, "sub": "u-7"})))
                .unwrap();
        assert_eq!((identity.role.as_str(), identity.who()), ("member", "u-7"));
        assert!(identity.expiry().ends_with("UTC (in 3 days)"), "{}", identity.expiry());

        let past = time::OffsetDateTime::now_utc().unix_timestamp() - 7_300;
        let claims = serde_json::json!({"organization": "acme", "exp": past, "user_id": "admin@acme",
            "email": "ada@example.com", "role": "admin"});
        let identity = Identity::of_token(&token(claims)).unwrap();
        assert_eq!((identity.role.as_str(), identity.who()), ("admin", "ada@example.com"));
        assert!(identity.expiry().ends_with("(expired 2 hours ago)"), "{}", identity.expiry());

        assert!(Identity::of_token("not-a-token").is_err());
    }
}
