//! Console sessions: a pasted token, verified by the API's `Authenticator`,
//! is kept server-side under a random id; the browser only holds that id in
//! an `HttpOnly`, `SameSite=Strict` cookie. Sessions live in the database
//! (`SessionStore`), so they outlive a restart and every replica honours
//! them. A session ends with its token's `exp` or at sign-out.
//!
//! A row holds neither the id nor a usable token: it is keyed by SHA-256 of
//! the id, and the token is sealed under a key derived from the id (see
//! `patchbay_vault::seal_session_token` for why not the master key or an
//! organization's data key). The CSRF token is derived from the id too, so
//! it is not stored at all. Each request opens the token and verifies it
//! again, so a session also ends when its signing key is withdrawn, and a
//! row written straight into the database grants nothing a token does not.
use crate::auth::Authenticator;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use patchbay_domain::{Actor, now_utc};
use patchbay_store::{ConsoleSession, SealedBlob, Store, StoreError};
use patchbay_vault::{Sealed, open_session_token, seal_session_token, session_csrf, session_lookup_hash};
use rand::RngCore;
use std::sync::Arc;
use std::time::Duration;
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
    /// The id of the browser request being served (set per request, not stored).
    pub request_id: Option<String>,
}

/// The sessions of the server's store.
#[derive(Clone)]
pub struct Sessions {
    store: Arc<dyn Store>,
    auth: Arc<Authenticator>,
}

fn random_id() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

impl Sessions {
    pub fn new(store: Arc<dyn Store>, auth: Arc<Authenticator>) -> Self {
        Self { store, auth }
    }

    /// Starts a session for a verified token that expires at `expires_at`
    /// (Unix seconds); returns its id (the cookie's value).
    pub async fn start(&self, token: &str, expires_at: i64) -> Result<String, StoreError> {
        let expires_at = OffsetDateTime::from_unix_timestamp(expires_at)
            .map_err(|e| StoreError::other("a token's expiry", e))?;
        let id = random_id();
        let sealed = seal_session_token(&id, token);
        let session = ConsoleSession {
            id_hash: session_lookup_hash(&id).to_vec(),
            token: SealedBlob { nonce: sealed.nonce, ciphertext: sealed.ciphertext },
            created_at: now_utc(),
            expires_at,
        };
        self.store.create_session(session).await?;
        Ok(id)
    }

    /// The live session of that id, if any.
    pub async fn get(&self, id: &str) -> Result<Option<Session>, StoreError> {
        let Some(row) = self.store.get_session(&session_lookup_hash(id), now_utc()).await? else {
            return Ok(None);
        };
        let sealed = Sealed { nonce: row.token.nonce, ciphertext: row.token.ciphertext };
        let Ok(token) = open_session_token(id, &sealed) else {
            // Only a row altered in the database gets here.
            tracing::warn!("a console session's token failed its integrity check");
            return Ok(None);
        };
        let Ok(actor) = self.auth.verify(&token) else { return Ok(None) };
        let csrf = URL_SAFE_NO_PAD.encode(session_csrf(id));
        Ok(Some(Session { token: token.as_str().to_owned(), actor, csrf, request_id: None }))
    }

    /// Ends the session (on every replica: they share the store).
    pub async fn end(&self, id: &str) -> Result<(), StoreError> {
        self.store.delete_session(&session_lookup_hash(id)).await.map(drop)
    }
}

/// How often expired sessions are purged. Expired ones are never honoured
/// (reads check the expiry), so this only keeps the table small.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Removes expired console sessions now; returns how many.
pub async fn purge_expired_sessions(store: &dyn Store) -> Result<u64, StoreError> {
    let removed = store.purge_sessions(now_utc()).await?;
    if removed > 0 {
        tracing::info!(removed, "purged expired console sessions");
    }
    Ok(removed)
}

/// Purges at start and then every hour, for as long as the process runs.
/// Every replica may run it: a purge is an idempotent delete.
pub fn spawn_session_purge(store: Arc<dyn Store>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(PURGE_EVERY);
        loop {
            ticks.tick().await;
            if let Err(error) = purge_expired_sessions(store.as_ref()).await {
                tracing::error!(%error, "purging expired console sessions failed");
            }
        }
    })
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
