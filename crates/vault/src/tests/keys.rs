use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::{MasterKey, VaultError};

fn invalid_key_message(text: &str) -> String {
    match MasterKey::from_base64(text) {
        Err(VaultError::InvalidKey(message)) => message,
        other => panic!("expected InvalidKey, got {other:?}"),
    }
}

#[test]
fn base64_round_trips_and_trims_whitespace() {
    let key = MasterKey::generate();
    let text = key.to_base64();
    assert_eq!(text.len(), 44);
    let parsed = MasterKey::from_base64(&format!("  {}\n", text.as_str())).unwrap();
    assert_eq!(parsed.fingerprint(), key.fingerprint());
}

#[test]
fn bad_base64_is_rejected_without_echoing_input() {
    let input = "not*base64*secretish";
    let message = invalid_key_message(input);
    assert!(message.contains("not valid standard base64"), "{message}");
    assert!(!message.contains(input) && !message.contains('*'), "{message}");
}

#[test]
fn wrong_lengths_say_how_long_the_key_is() {
    for len in [31, 33, 0] {
        let input = STANDARD.encode(vec![0x5a; len]);
        let message = invalid_key_message(&input);
        assert!(message.contains(&format!("is {len} bytes")), "{message}");
        assert!(message.contains("expected 32"), "{message}");
        if !input.is_empty() {
            assert!(!message.contains(&input), "{message}");
        }
    }
}

#[test]
fn fingerprint_is_stable_and_distinct() {
    // Known answer (computed with sha256sum): SHA-256("patchbay master key fingerprint v1\0" || [0u8; 32]),
    // first 16 bytes. Guards against the fingerprint silently changing, which would lock out every deployment.
    let zero = MasterKey::from_base64(&STANDARD.encode([0u8; 32])).unwrap();
    let fingerprint = zero.fingerprint();
    assert_eq!(fingerprint.len(), 32);
    assert!(fingerprint.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_eq!(fingerprint, MasterKey::from_base64(&STANDARD.encode([0u8; 32])).unwrap().fingerprint());
    assert_eq!(fingerprint, ZERO_KEY_FINGERPRINT);
    assert_ne!(MasterKey::generate().fingerprint(), MasterKey::generate().fingerprint());
}

const ZERO_KEY_FINGERPRINT: &str = "bafc66c16577c50fcd9cdb49088346cd";

#[test]
fn debug_shows_fingerprint_never_bytes() {
    let key = MasterKey::generate();
    let debug = format!("{key:?}");
    assert_eq!(debug, format!("MasterKey({})", key.fingerprint()));
    assert!(!debug.contains(key.to_base64().as_str()));
    let decimal_bytes = format!("{:?}", key.bytes());
    assert!(!debug.contains(&decimal_bytes));
}
