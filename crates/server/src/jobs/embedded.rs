//! How the embedded worker authenticates. `patchbay serve` starts it as a
//! child process that runs every organization's tests, so no organization's
//! token will do. Instead the server draws a random 256-bit credential at
//! start, keeps it in memory only, and hands it to the child in its
//! environment; the child sends it in the `X-Patchbay-Embedded-Worker`
//! header. The server accepts it only on connections from a loopback
//! address, compares it in constant time, and only on the worker routes;
//! it never grants anything else (no integration, secret or admin route).
//! A restart draws a new one, so a leaked value dies with the process.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::fmt;

pub const EMBEDDED_HEADER: &str = "x-patchbay-embedded-worker";

#[derive(Clone)]
pub struct EmbeddedCredential(String);

impl EmbeddedCredential {
    pub fn generate() -> Self {
        Self(URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()))
    }

    /// The value to give the child process.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Constant time in the length of the stored credential.
    pub fn matches(&self, presented: &str) -> bool {
        crate::auth::constant_time_eq(self.0.as_bytes(), presented.as_bytes())
    }
}

impl fmt::Debug for EmbeddedCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EmbeddedCredential(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_credential_matches() {
        let credential = EmbeddedCredential::generate();
        assert!(credential.matches(credential.expose()));
        assert!(!credential.matches(""));
        assert!(!credential.matches(&credential.expose()[1..]));
        assert!(!credential.matches(&format!("{}x", credential.expose())));
        assert!(!format!("{credential:?}").contains(credential.expose()));
    }
}
