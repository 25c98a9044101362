//! Web console sessions. The browser holds a random session id in a cookie;
//! from it come three values, each under its own domain so that none can be
//! computed from another:
//!
//! - the lookup hash, SHA-256 of the id: the only form of the id a database
//!   row holds;
//! - the key that seals the user's token in the row (XChaCha20-Poly1305, as
//!   secret values are). The key comes from the id rather than from the
//!   master key or an organization's data key on purpose: the master key
//!   often sits beside the database (the data directory), and a reader of
//!   both could then open every session's token. Derived from the id, a
//!   token opens only for the request that carries the cookie;
//! - the CSRF token the console's forms carry, so none is stored at all.
//!
//! The id is 32 random bytes, so a single hash is a sound key derivation.
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::{Sealed, VaultError, envelope};

const KEY_DOMAIN: &[u8] = b"patchbay/console-session-key/v1\0";
const TOKEN_DOMAIN: &[u8] = b"patchbay/console-session-token/v1\0";
const CSRF_DOMAIN: &[u8] = b"patchbay/console-session-csrf/v1\0";

/// What the database keys a session by: SHA-256 of its id.
pub fn session_lookup_hash(session_id: &str) -> [u8; 32] {
    Sha256::digest(session_id.as_bytes()).into()
}

/// The session's CSRF token (32 bytes), derived from its id.
pub fn session_csrf(session_id: &str) -> [u8; 32] {
    Sha256::new().chain_update(CSRF_DOMAIN).chain_update(session_id.as_bytes()).finalize().into()
}

fn session_key(session_id: &str) -> Zeroizing<[u8; 32]> {
    Zeroizing::new(
        Sha256::new().chain_update(KEY_DOMAIN).chain_update(session_id.as_bytes()).finalize().into(),
    )
}

/// Seals the user's token for the session `session_id`.
pub fn seal_session_token(session_id: &str, token: &str) -> Sealed {
    envelope::seal(&session_key(session_id), TOKEN_DOMAIN, token.as_bytes())
}

/// Integrity error unless `sealed` was sealed for this very session id.
pub fn open_session_token(session_id: &str, sealed: &Sealed) -> Result<Zeroizing<String>, VaultError> {
    let mut plain = envelope::open(&session_key(session_id), TOKEN_DOMAIN, sealed)?;
    let bytes = std::mem::take(&mut *plain);
    String::from_utf8(bytes).map(Zeroizing::new).map_err(|error| {
        drop(Zeroizing::new(error.into_bytes()));
        VaultError::Integrity
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_opens_only_with_its_own_session_id() {
        let sealed = seal_session_token("id-one", "eyJ.token");
        assert_eq!(open_session_token("id-one", &sealed).unwrap().as_str(), "eyJ.token");
        assert!(open_session_token("id-two", &sealed).is_err());
        assert!(!sealed.ciphertext.windows(9).any(|w| w == b"eyJ.token"));
    }

    #[test]
    fn the_three_derivations_differ() {
        let id = "session-id";
        let lookup = session_lookup_hash(id);
        assert_eq!(lookup, <[u8; 32]>::from(Sha256::digest(id.as_bytes())));
        assert_ne!(lookup, session_csrf(id));
        assert_ne!(lookup, *session_key(id));
        assert_ne!(session_csrf(id), *session_key(id));
    }
}
