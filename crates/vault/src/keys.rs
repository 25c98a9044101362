//! The two key types. Both hold raw bytes that are wiped on drop and never
//! printed: `Debug` shows a fingerprint (master key) or nothing (data key).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::OsRng;
use chacha20poly1305::aead::rand_core::RngCore as _;
use sha2::{Digest as _, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::VaultError;

pub(crate) const KEY_LEN: usize = 32;

/// Domain prefix for the fingerprint hash, so the fingerprint can never be
/// confused with (or reused as) any other hash of the key.
const FINGERPRINT_DOMAIN: &[u8] = b"patchbay master key fingerprint v1\0";

/// 32-byte master key. Zeroized on drop; Debug prints "MasterKey(<fingerprint>)" never the bytes.
///
/// Deliberately not `Clone`: share it behind an `Arc` so only one copy of the
/// bytes lives in memory.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct MasterKey {
    bytes: [u8; KEY_LEN],
}

impl MasterKey {
    pub fn generate() -> Self {
        let mut key = Self { bytes: [0; KEY_LEN] };
        OsRng.fill_bytes(&mut key.bytes);
        key
    }

    /// Standard base64 of exactly 32 bytes (surrounding whitespace trimmed). Errors say what is wrong
    /// (not base64 / wrong length N bytes, expected 32) and never echo the input.
    pub fn from_base64(text: &str) -> Result<Self, VaultError> {
        // The decoder's own error names the offending character, which would leak
        // part of the key into logs, so it is replaced by a fixed message.
        let decoded = Zeroizing::new(STANDARD.decode(text.trim()).map_err(|_| {
            VaultError::InvalidKey(format!(
                "master key is not valid standard base64 (expected the base64 encoding of {KEY_LEN} bytes)"
            ))
        })?);
        let bytes: [u8; KEY_LEN] = decoded.as_slice().try_into().map_err(|_| {
            VaultError::InvalidKey(format!(
                "master key is {} bytes after base64 decoding, expected {KEY_LEN}",
                decoded.len()
            ))
        })?;
        // `bytes` is a stack copy; moving it into the struct leaves the original
        // behind, which is acceptable for a value that lives as long as the process.
        Ok(Self { bytes })
    }

    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.bytes.as_slice()))
    }

    /// Stable, non-secret identifier of the key: lowercase hex of the first 16 bytes of
    /// SHA-256("patchbay master key fingerprint v1\0" || key). Safe to store and print.
    pub fn fingerprint(&self) -> String {
        let digest =
            Sha256::new().chain_update(FINGERPRINT_DOMAIN).chain_update(self.bytes.as_slice()).finalize();
        digest[..16].iter().map(|byte| format!("{byte:02x}")).collect()
    }

    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey({})", self.fingerprint())
    }
}

/// A per-organization data key (32 bytes). Zeroized on drop; Debug redacted. Clone is fine (it is cached).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct DataKey {
    bytes: [u8; KEY_LEN],
}

impl DataKey {
    pub fn generate() -> Self {
        let mut key = Self { bytes: [0; KEY_LEN] };
        OsRng.fill_bytes(&mut key.bytes);
        key
    }

    pub(crate) fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self { bytes }
    }

    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}
