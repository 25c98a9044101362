//! The two AEAD layers: data keys wrapped by the master key, secret values
//! sealed by a data key.

use chacha20poly1305::aead::{AeadCore as _, AeadInPlace as _, KeyInit as _, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use crate::keys::KEY_LEN;
use crate::{DataKey, MasterKey, VaultError, associated_data};

const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// A sealed blob: nonce + ciphertext (with tag). Plain data, safe to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// Wraps a data key under the master key; the associated data binds it to the organization.
pub fn wrap_data_key(master: &MasterKey, organization: &str, key: &DataKey) -> Sealed {
    seal(master.bytes(), &associated_data::for_data_key(organization), key.bytes())
}

/// Fails with VaultError::Integrity when the master key is wrong or the blob belongs to another organization.
pub fn unwrap_data_key(
    master: &MasterKey,
    organization: &str,
    wrapped: &Sealed,
) -> Result<DataKey, VaultError> {
    let plain = open(master.bytes(), &associated_data::for_data_key(organization), wrapped)?;
    // Only reachable with a blob sealed under this key and AD but not by
    // `wrap_data_key`; treat it like any other integrity failure.
    let bytes: [u8; KEY_LEN] = plain.as_slice().try_into().map_err(|_| VaultError::Integrity)?;
    Ok(DataKey::from_bytes(bytes))
}

/// Encrypts a secret value; associated data binds it to (organization, name, version),
/// so a ciphertext copied to another row fails to decrypt.
pub fn seal_secret(key: &DataKey, organization: &str, name: &str, version: i64, value: &str) -> Sealed {
    seal(key.bytes(), &associated_data::for_secret(organization, name, version), value.as_bytes())
}

/// Integrity error (never a wrong value) when the key, organization, name or version do not match.
pub fn open_secret(
    key: &DataKey,
    organization: &str,
    name: &str,
    version: i64,
    sealed: &Sealed,
) -> Result<Zeroizing<String>, VaultError> {
    let mut plain = open(key.bytes(), &associated_data::for_secret(organization, name, version), sealed)?;
    // Take the bytes out so the Zeroizing wrapper drops an empty Vec and the
    // String below owns the only copy.
    let bytes = std::mem::take(&mut *plain);
    match String::from_utf8(bytes) {
        Ok(value) => Ok(Zeroizing::new(value)),
        Err(error) => {
            // Authentic but not UTF-8: not something `seal_secret` produced.
            drop(Zeroizing::new(error.into_bytes()));
            Err(VaultError::Integrity)
        }
    }
}

pub(crate) fn seal(key: &[u8; KEY_LEN], aad: &[u8], plaintext: &[u8]) -> Sealed {
    let cipher = XChaCha20Poly1305::new(key.into());
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    // Reserve room for the tag up front so the buffer never reallocates and
    // leaves a stray plaintext copy in freed memory.
    let mut buffer = Vec::with_capacity(plaintext.len() + TAG_LEN);
    buffer.extend_from_slice(plaintext);
    cipher
        .encrypt_in_place(&nonce, aad, &mut buffer)
        .expect("XChaCha20-Poly1305 encryption only fails for messages larger than 256 GiB");
    Sealed { nonce: nonce.to_vec(), ciphertext: buffer }
}

pub(crate) fn open(
    key: &[u8; KEY_LEN],
    aad: &[u8],
    sealed: &Sealed,
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    // A wrong-length nonce can only come from a damaged row.
    let nonce: [u8; NONCE_LEN] = sealed.nonce.as_slice().try_into().map_err(|_| VaultError::Integrity)?;
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut buffer = Zeroizing::new(sealed.ciphertext.clone());
    cipher.decrypt_in_place(&XNonce::from(nonce), aad, &mut *buffer).map_err(|_| VaultError::Integrity)?;
    Ok(buffer)
}
