use crate::{
    DataKey, MasterKey, Sealed, VaultError, open_secret, seal_secret, unwrap_data_key, wrap_data_key,
};

const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n\
                   VJTUt9Us8cKjMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNb\n-----END PRIVATE KEY-----\n";

fn round_trip(value: &str) {
    let key = DataKey::generate();
    let sealed = seal_secret(&key, "acme", "db-password", 3, value);
    assert_ne!(sealed.ciphertext.as_slice(), value.as_bytes());
    let opened = open_secret(&key, "acme", "db-password", 3, &sealed).unwrap();
    assert_eq!(opened.as_str(), value);
}

fn assert_integrity<T: std::fmt::Debug>(result: Result<T, VaultError>) {
    assert!(matches!(result, Err(VaultError::Integrity)), "expected Integrity, got {result:?}");
}

#[test]
fn secrets_round_trip() {
    round_trip("hunter2");
    round_trip("");
    round_trip(PEM);
    round_trip("pässwörd 🔑 密码 — ok");
    let large: String = (0..64 * 1024).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    round_trip(&large);
}

#[test]
fn nonces_are_fresh_for_every_seal() {
    let key = DataKey::generate();
    let first = seal_secret(&key, "acme", "token", 1, "same");
    let second = seal_secret(&key, "acme", "token", 1, "same");
    assert_eq!(first.nonce.len(), 24);
    assert_ne!(first, second);
}

#[test]
fn data_key_round_trips_through_wrapping() {
    let master = MasterKey::generate();
    let key = DataKey::generate();
    let sealed = seal_secret(&key, "acme", "token", 1, "value");
    let unwrapped = unwrap_data_key(&master, "acme", &wrap_data_key(&master, "acme", &key)).unwrap();
    assert_eq!(open_secret(&unwrapped, "acme", "token", 1, &sealed).unwrap().as_str(), "value");
}

#[test]
fn wrong_master_key_is_an_integrity_error() {
    let wrapped = wrap_data_key(&MasterKey::generate(), "acme", &DataKey::generate());
    assert_integrity(unwrap_data_key(&MasterKey::generate(), "acme", &wrapped));
}

#[test]
fn data_key_of_another_organization_is_an_integrity_error() {
    let master = MasterKey::generate();
    let wrapped = wrap_data_key(&master, "org-a", &DataKey::generate());
    assert_integrity(unwrap_data_key(&master, "org-b", &wrapped));
}

#[test]
fn secret_moved_to_another_row_is_an_integrity_error() {
    let key = DataKey::generate();
    let sealed = seal_secret(&key, "acme", "token", 2, "value");
    assert_integrity(open_secret(&DataKey::generate(), "acme", "token", 2, &sealed));
    assert_integrity(open_secret(&key, "other", "token", 2, &sealed));
    assert_integrity(open_secret(&key, "acme", "other", 2, &sealed));
    assert_integrity(open_secret(&key, "acme", "token", 3, &sealed));
    // Length prefixes keep field boundaries: shifting bytes between fields must not match.
    assert_integrity(open_secret(&key, "acmet", "oken", 2, &sealed));
}

#[test]
fn wrapped_keys_and_secrets_cannot_stand_in_for_each_other() {
    // Same 32 bytes used as both master and data key, so only the domain prefixes differ.
    let master = MasterKey::generate();
    let same_as_data = DataKey::from_bytes(*master.bytes());
    let wrapped = wrap_data_key(&master, "acme", &DataKey::generate());
    assert_integrity(open_secret(&same_as_data, "acme", "", 0, &wrapped));
    let sealed = seal_secret(&same_as_data, "acme", "", 0, "0123456789abcdef0123456789abcdef");
    assert_integrity(unwrap_data_key(&master, "acme", &sealed));
}

#[test]
fn tampered_blobs_are_integrity_errors() {
    let key = DataKey::generate();
    let sealed = seal_secret(&key, "acme", "token", 1, "value");
    let open = |blob: &Sealed| open_secret(&key, "acme", "token", 1, blob);

    let mut bad_nonce = sealed.clone();
    bad_nonce.nonce[0] ^= 1;
    assert_integrity(open(&bad_nonce));

    let mut short_nonce = sealed.clone();
    short_nonce.nonce.pop();
    assert_integrity(open(&short_nonce));

    let mut bad_body = sealed.clone();
    bad_body.ciphertext[0] ^= 1;
    assert_integrity(open(&bad_body));

    let mut bad_tag = sealed.clone();
    *bad_tag.ciphertext.last_mut().unwrap() ^= 1;
    assert_integrity(open(&bad_tag));

    let mut truncated = sealed.clone();
    truncated.ciphertext.truncate(3);
    assert_integrity(open(&truncated));

    assert_integrity(open(&Sealed { nonce: vec![], ciphertext: vec![] }));
}

#[test]
fn integrity_message_is_clear() {
    let message = VaultError::Integrity.to_string();
    assert!(message.contains("decryption failed"), "{message}");
}

#[test]
fn data_key_debug_is_redacted() {
    assert_eq!(format!("{:?}", DataKey::generate()), "DataKey(<redacted>)");
}
