//! Console sessions: a pasted token, verified by the API's `Authenticator`,
//! is kept server-side under a random id; the browser only holds that id in
//! an `HttpOnly`, `SameSite=Strict` cookie. A session ends with its token's
//! `exp`, at sign-out, or when the server restarts.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use patchbay_domain::Actor;
use rand::RngCore;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

pub const COOKIE: &str = "patchbay_session";

#[derive(Clone)]
pub struct Session {
    /// The pasted token, sent as the bearer of every API call the console
    /// makes on the user's behalf, so the API's own role checks apply.
    pub token: String,
    pub actor: Actor,
    /// Bound to this session; every form carries it and every POST checks it.
    pub csrf: String,
    pub expires_at: i64,
    /// The id of the browser request being served (set per request, not stored).
    pub request_id: Option<String>,
}

#[derive(Clone, Default)]
pub struct Sessions(Arc<Mutex<HashMap<String, Session>>>);

fn random_id() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

impl Sessions {
    /// Starts a session; returns its id (the cookie's value).
    pub fn start(&self, token: String, actor: Actor, expires_at: i64) -> String {
        let id = random_id();
        let session = Session { token, actor, csrf: random_id(), expires_at, request_id: None };
        let mut sessions = self.0.lock().expect("session map poisoned");
        let now = now();
        sessions.retain(|_, s| s.expires_at > now);
        sessions.insert(id.clone(), session);
        id
    }

    pub fn get(&self, id: &str) -> Option<Session> {
        let mut sessions = self.0.lock().expect("session map poisoned");
        match sessions.get(id) {
            Some(session) if session.expires_at > now() => Some(session.clone()),
            Some(_) => {
                sessions.remove(id);
                None
            }
            None => None,
        }
    }

    pub fn end(&self, id: &str) {
        self.0.lock().expect("session map poisoned").remove(id);
    }
}

/// The session id in a `Cookie` header, if any.
pub fn cookie_value(header: Option<&str>) -> Option<&str> {
    header?.split(';').map(str::trim).find_map(|pair| pair.strip_prefix(COOKIE)?.strip_prefix('='))
}

/// The `Set-Cookie` value for a new session; `Max-Age` ends it with the token.
pub fn set_cookie(id: &str, expires_at: i64) -> String {
    let max_age = (expires_at - now()).max(0);
    format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}")
}

pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// The `exp` claim of a token the `Authenticator` has already verified
/// (so its payload is trusted; only its expiry is read here).
pub fn token_expiry(token: &str) -> Option<i64> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("exp")?.as_i64()
}

/// Constant-time comparison, so a CSRF check leaks nothing through timing.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_session_cookie_among_others() {
        assert_eq!(cookie_value(Some("a=1; patchbay_session=xyz; b=2")), Some("xyz"));
        assert_eq!(cookie_value(Some("patchbay_sessionx=1")), None);
        assert_eq!(cookie_value(None), None);
    }

    #[test]
    fn compares_tokens_exactly() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "ab"));
    }
}
