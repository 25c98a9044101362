//! Who is calling: token extraction in the reference's accepted forms, JWT
//! verification (signatures always checked, `exp` required), and the claims
//! that make an `Actor`.
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use patchbay_domain::{Actor, OrganizationId, Role};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a request is not authenticated; each is a 401 in the reference's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No usable `Authorization` (or `UserKey`) header.
    MissingToken,
    /// A token that does not verify: bad signature, expired, no organization...
    InvalidToken,
}

impl AuthFailure {
    pub fn message(self) -> &'static str {
        match self {
            Self::MissingToken => "Authorization header is required",
            Self::InvalidToken => "Invalid or expired authentication token",
        }
    }

    pub fn hint(self) -> &'static str {
        match self {
            Self::MissingToken => "Include 'Authorization: Bearer <token>' header",
            Self::InvalidToken => "Ensure you're using a valid Kubiya API token",
        }
    }
}

/// The token in a request, in the forms the reference accepts:
/// `Authorization: Bearer <t>`, `UserKey <t>`, `Baerer <t>` (a typo it
/// tolerates), a bare `<t>` with no scheme, or a `UserKey: <t>` header.
/// A scheme with nothing after it (`Bearer `, which arrives as `Bearer`
/// once the header's trailing space is trimmed) is no token at all, as in
/// the reference: it answers like a missing header.
pub fn extract_token<'h>(authorization: Option<&'h str>, user_key: Option<&'h str>) -> Option<&'h str> {
    const SCHEMES: [&str; 3] = ["Bearer", "UserKey", "Baerer"];
    if let Some(header) = authorization.map(str::trim).filter(|h| !h.is_empty()) {
        for scheme in SCHEMES {
            if let Some(token) = header.strip_prefix(scheme).and_then(|rest| rest.strip_prefix(' ')) {
                let token = token.trim();
                if !token.is_empty() {
                    return Some(token);
                }
            }
        }
        if !header.contains(' ') && !SCHEMES.contains(&header) {
            return Some(header);
        }
    }
    user_key.map(str::trim).filter(|k| !k.is_empty())
}

/// Kubiya-compatible claims. Only `organization` and `exp` are required.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub organization: String,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
}

impl Claims {
    fn into_actor(self) -> Option<Actor> {
        let role = match self.role.as_deref() {
            None => Role::Member,
            Some(role) => Role::parse(role)?,
        };
        Some(Actor {
            organization: OrganizationId::parse(&self.organization)?,
            user_id: self.user_id.or(self.sub).or(self.token_id),
            email: self.email,
            role,
        })
    }
}

/// An HS256 secret; `Debug` never shows it.
#[derive(Clone)]
pub struct JwtSecret(Vec<u8>);

impl JwtSecret {
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        Self(secret.into())
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtSecret(***)")
    }
}

/// The keys tokens may be signed with, and the longest lifetime a token
/// may claim.
pub struct Authenticator {
    keys: Vec<(DecodingKey, Validation)>,
    max_lifetime: Option<std::time::Duration>,
    /// Tokens that verified, with their actor, until their `exp`: a client
    /// sends one token with every request, and checking its signature and
    /// parsing its claims each time costs more than the rest of a read.
    verified: std::sync::Mutex<std::collections::HashMap<Box<str>, (Actor, u64)>>,
}

/// The most tokens remembered; past it the cache starts over, so a flood of
/// distinct tokens costs verification, never memory.
const VERIFIED_CAPACITY: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no JWT key is configured")]
    NoKey,
    #[error("the JWT public key file is neither an RSA nor an EC public key in PEM form")]
    UnreadablePublicKey,
}

fn validation(algorithm: Algorithm) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.set_required_spec_claims(&["exp"]);
    // A token not valid yet (`nbf` in the future, past the leeway) is refused.
    validation.validate_nbf = true;
    validation.validate_aud = false;
    validation.leeway = 30;
    validation
}

impl Authenticator {
    /// HS256 secrets (several, to rotate without downtime) and RS256/ES256
    /// public keys in PEM form.
    pub fn new(secrets: &[JwtSecret], public_keys_pem: &[Vec<u8>]) -> Result<Self, KeyError> {
        let mut keys: Vec<(DecodingKey, Validation)> = secrets
            .iter()
            .map(|s| (DecodingKey::from_secret(s.expose()), validation(Algorithm::HS256)))
            .collect();
        for pem in public_keys_pem {
            let key = if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
                (key, validation(Algorithm::RS256))
            } else if let Ok(key) = DecodingKey::from_ec_pem(pem) {
                (key, validation(Algorithm::ES256))
            } else {
                return Err(KeyError::UnreadablePublicKey);
            };
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(KeyError::NoKey);
        }
        Ok(Self { keys, max_lifetime: None, verified: Default::default() })
    }

    /// Refuses tokens whose lifetime (`exp - iat`, or `exp - now` for a
    /// token without `iat`) exceeds `max` (`--max-token-lifetime`): a
    /// leaked long-lived token is a standing key to the organization.
    pub fn with_max_lifetime(mut self, max: Option<std::time::Duration>) -> Self {
        self.max_lifetime = max;
        self
    }

    fn lifetime_allowed(&self, claims: &Claims) -> bool {
        let Some(max) = self.max_lifetime else { return true };
        let now = time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
        let issued = claims.iat.unwrap_or(now).min(claims.exp);
        claims.exp - issued <= max.as_secs()
    }

    /// The actor a token speaks for, if any configured key verifies it.
    pub fn verify(&self, token: &str) -> Result<Actor, AuthFailure> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
        if let Some(actor) = self.remembered(token, now) {
            return Ok(actor);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthFailure::InvalidToken)?;
        let claims = self
            .keys
            .iter()
            .filter(|(_, validation)| validation.algorithms.contains(&header.alg))
            .find_map(|(key, validation)| jsonwebtoken::decode::<Claims>(token, key, validation).ok())
            .map(|data| data.claims)
            .filter(|claims| self.lifetime_allowed(claims))
            .ok_or(AuthFailure::InvalidToken)?;
        let until = claims.exp;
        let actor = claims.into_actor().ok_or(AuthFailure::InvalidToken)?;
        self.remember(token, &actor, until);
        Ok(actor)
    }

    /// A token verified before and not expired at `now` (strictly before
    /// its `exp`, without the leeway a first verification allows).
    fn remembered(&self, token: &str, now: u64) -> Option<Actor> {
        let verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        verified.get(token).filter(|(_, until)| now < *until).map(|(actor, _)| actor.clone())
    }

    fn remember(&self, token: &str, actor: &Actor, until: u64) {
        let mut verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        if verified.len() >= VERIFIED_CAPACITY {
            verified.clear();
        }
        verified.insert(token.into(), (actor.clone(), until));
    }
}

/// Whether two secrets are equal, in time that depends only on the length
/// of `ours`: a timing difference must not reveal how much of a guess was
/// right.
pub fn constant_time_eq(ours: &[u8], theirs: &[u8]) -> bool {
    let mut difference = u8::from(ours.len() != theirs.len());
    for (i, byte) in ours.iter().enumerate() {
        difference |= byte ^ theirs.get(i).copied().unwrap_or(0);
    }
    difference == 0
}

/// The bearer token `/metrics` asks for (`--metrics-token`); `Debug` never
/// shows it.
#[derive(Clone)]
pub struct MetricsToken(String);

impl MetricsToken {
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// Whether the request's headers carry this token (`Authorization:
    /// Bearer <t>`, in any form `extract_token` accepts).
    pub fn admits(&self, headers: &axum::http::HeaderMap) -> bool {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        extract_token(header("authorization"), header("userkey"))
            .is_some_and(|presented| constant_time_eq(self.0.as_bytes(), presented.as_bytes()))
    }
}

impl fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MetricsToken(***)")
    }
}

/// Signs an HS256 token, for `patchbay token mint` and tests.
pub fn mint(secret: &JwtSecret, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret.expose()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(org: &str, role: Option<&str>, exp_offset: i64) -> Claims {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        Claims {
            organization: org.into(),
            exp: (now + exp_offset) as u64,
            email: Some("a@example.com".into()),
            user_id: None,
            sub: Some("user-7".into()),
            token_id: None,
            role: role.map(str::to_owned),
            jti: None,
            iat: None,
        }
    }

    #[test]
    fn extracts_every_accepted_form() {
        assert_eq!(extract_token(Some("Bearer abc"), None), Some("abc"));
        assert_eq!(extract_token(Some("UserKey abc"), None), Some("abc"));
        assert_eq!(extract_token(Some("abc"), None), Some("abc"));
        assert_eq!(extract_token(None, Some("abc")), Some("abc"));
        assert_eq!(extract_token(Some("Basic abc"), None), None);
        assert_eq!(extract_token(Some("Basic abc"), Some("k")), Some("k"));
        assert_eq!(extract_token(None, None), None);
    }

    #[test]
    fn an_empty_bearer_is_no_token() {
        for empty in ["Bearer ", "Bearer", "Bearer   ", "UserKey ", "UserKey", "Baerer"] {
            assert_eq!(extract_token(Some(empty), None), None, "{empty:?}");
        }
        assert_eq!(extract_token(Some("Bearer "), Some("k")), Some("k"));
        assert_eq!(extract_token(None, Some(" ")), None);
    }

    #[test]
    fn nbf_in_the_future_and_overlong_lifetimes_are_refused() {
        #[derive(Serialize)]
        struct WithNbf {
            organization: &'static str,
            exp: u64,
            nbf: u64,
        }
        let secret = JwtSecret::new("s3cret");
        let auth = Authenticator::new(std::slice::from_ref(&secret), &[]).unwrap();
        let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
        let key = EncodingKey::from_secret(secret.expose());
        let sign = |nbf| {
            let claims = WithNbf { organization: "org-a", exp: now + 600, nbf };
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap()
        };
        assert_eq!(auth.verify(&sign(now + 300)), Err(AuthFailure::InvalidToken));
        assert!(auth.verify(&sign(now - 10)).is_ok());

        let limited = Authenticator::new(std::slice::from_ref(&secret), &[])
            .unwrap()
            .with_max_lifetime(Some(std::time::Duration::from_secs(3600)));
        let mut day = claims("org-a", None, 86_400);
        day.iat = Some(now);
        assert_eq!(limited.verify(&mint(&secret, &day).unwrap()), Err(AuthFailure::InvalidToken));
        day.iat = None;
        assert_eq!(limited.verify(&mint(&secret, &day).unwrap()), Err(AuthFailure::InvalidToken), "no iat");
        let mut hour = claims("org-a", None, 1800);
        hour.iat = Some(now);
        assert!(limited.verify(&mint(&secret, &hour).unwrap()).is_ok());
        assert!(auth.verify(&mint(&secret, &day).unwrap()).is_ok(), "no limit by default");
    }

    #[test]
    fn a_verified_token_is_remembered_until_its_exp_only() {
        let secret = JwtSecret::new("s3cret");
        let auth = Authenticator::new(std::slice::from_ref(&secret), &[]).unwrap();
        let token = mint(&secret, &claims("org-a", Some("admin"), 600)).unwrap();
        let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
        assert!(auth.remembered(&token, now).is_none(), "nothing before a first verification");
        let actor = auth.verify(&token).unwrap();
        assert_eq!(auth.remembered(&token, now), Some(actor));
        assert!(auth.remembered(&token, now + 600).is_none(), "not at its exp");
        // A token that did not verify is never remembered, nor is a forgery
        // of a remembered one.
        let forged = format!("{token}x");
        assert_eq!(auth.verify(&forged), Err(AuthFailure::InvalidToken));
        assert!(auth.remembered(&forged, now).is_none());
        // Past the capacity the cache starts over.
        for i in 0..VERIFIED_CAPACITY {
            let mut other = claims("org-a", None, 600);
            other.sub = Some(format!("user-{i}"));
            auth.verify(&mint(&secret, &other).unwrap()).unwrap();
        }
        assert!(auth.verified.lock().unwrap().len() <= VERIFIED_CAPACITY);
    }

    #[test]
    fn verifies_signature_expiry_and_claims() {
        let secret = JwtSecret::new("s3cret");
        let auth = Authenticator::new(std::slice::from_ref(&secret), &[]).unwrap();
        let actor = auth.verify(&mint(&secret, &claims("org-a", Some("viewer"), 600)).unwrap()).unwrap();
        assert_eq!(actor.organization.as_str(), "org-a");
        assert_eq!(actor.role, Role::Viewer);
        assert_eq!(actor.user_id.as_deref(), Some("user-7"));
        let default_role = auth.verify(&mint(&secret, &claims("org-a", None, 600)).unwrap()).unwrap();
        assert_eq!(default_role.role, Role::Member);

        let other = JwtSecret::new("other");
        for bad in [
            mint(&other, &claims("org-a", None, 600)).unwrap(),
            mint(&secret, &claims("org-a", None, -3600)).unwrap(),
            mint(&secret, &claims("", None, 600)).unwrap(),
            mint(&secret, &claims("org-a", Some("root"), 600)).unwrap(),
            "not.a.jwt".to_owned(),
        ] {
            assert_eq!(auth.verify(&bad), Err(AuthFailure::InvalidToken));
        }
    }

    #[test]
    fn secrets_do_not_debug_print() {
        assert_eq!(format!("{:?}", JwtSecret::new("s3cret")), "JwtSecret(***)");
    }
}
