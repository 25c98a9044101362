//! Associated data for the two AEAD layers.
//!
//! Fields are length-prefixed (u64 big-endian) rather than NUL-separated: Patchbay
//! names never contain NUL today, but length prefixes keep the encoding
//! unambiguous even if that rule ever loosens, at no real cost. Each layer starts
//! with its own versioned domain prefix, so a wrapped data key can never be opened
//! as a secret (or the reverse) even if the same key were used for both.

const DATA_KEY_DOMAIN: &[u8] = b"patchbay/data-key/v1\0";
const SECRET_DOMAIN: &[u8] = b"patchbay/secret/v1\0";

pub(crate) fn for_data_key(organization: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(DATA_KEY_DOMAIN.len() + 8 + organization.len());
    out.extend_from_slice(DATA_KEY_DOMAIN);
    push_field(&mut out, organization.as_bytes());
    out
}

pub(crate) fn for_secret(organization: &str, name: &str, version: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(SECRET_DOMAIN.len() + 24 + organization.len() + name.len());
    out.extend_from_slice(SECRET_DOMAIN);
    push_field(&mut out, organization.as_bytes());
    push_field(&mut out, name.as_bytes());
    out.extend_from_slice(&version.to_be_bytes());
    out
}

fn push_field(out: &mut Vec<u8>, field: &[u8]) {
    // usize -> u64 is lossless on every platform Rust supports.
    out.extend_from_slice(&(field.len() as u64).to_be_bytes());
    out.extend_from_slice(field);
}
