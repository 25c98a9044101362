//! Envelope encryption for per-organization secrets.
//!
//! A master key wraps one data key per organization; each data key seals that
//! organization's secret values. Both layers use XChaCha20-Poly1305 with random
//! 24-byte nonces, and the associated data binds every ciphertext to where it
//! belongs, so a blob copied to another organization or row fails to open
//! instead of yielding someone else's value. Rotating the master key only
//! re-wraps data keys; secret ciphertexts stay untouched.
#![forbid(unsafe_code)]

mod associated_data;
mod envelope;
mod error;
mod key_file;
mod keys;
mod private_file;
mod session;

pub use envelope::{Sealed, open_secret, seal_secret, unwrap_data_key, wrap_data_key};
pub use error::VaultError;
pub use keys::{DataKey, MasterKey};
pub use private_file::read_or_create_private_file;
pub use session::{open_session_token, seal_session_token, session_csrf, session_lookup_hash};

#[cfg(test)]
mod tests;
