//! A webhook's secret and the signature of each delivery. The secret is the
//! HMAC-SHA256 key as it is shown (the whole `whsec_...` text, as UTF-8
//! bytes), so a receiver verifies with the string it was given.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

/// What every secret starts with, so one pasted elsewhere is recognisable.
pub const SECRET_PREFIX: &str = "whsec_";

/// 32 random bytes, as `whsec_` and their base64url.
pub fn new_secret() -> Zeroizing<String> {
    let bytes = Zeroizing::new(rand::random::<[u8; 32]>());
    Zeroizing::new(format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(*bytes)))
}

/// The `X-Patchbay-Signature` of `body`: `sha256=` and the lower-case hex of
/// its HMAC-SHA256 under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256={hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_recognisable() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(*a, *b);
        assert!(a.starts_with(SECRET_PREFIX) && a.len() == SECRET_PREFIX.len() + 43, "{}", *a);
    }

    #[test]
    fn the_signature_is_the_hmac_of_the_body() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
