//! Master key files: base64 text, readable by the owner only.

use std::fs;
use std::path::Path;

use zeroize::Zeroizing;

use crate::private_file::{read_or_create_private_file, replace_private_file};
use crate::{MasterKey, VaultError};

impl MasterKey {
    /// Reads a key file (base64 text).
    pub fn load_file(path: &Path) -> Result<Self, VaultError> {
        let text = Zeroizing::new(
            fs::read_to_string(path)
                .map_err(|e| VaultError::io(format!("reading master key file {}", path.display()), e))?,
        );
        Self::parse_file(path, &text)
    }

    /// Reads the key file, or creates it with a fresh key when it does not
    /// exist (parent dirs as needed, mode 0600, published whole: a second
    /// process starting at the same time reads the same key, never a part of
    /// it). Returns (key, created).
    pub fn load_or_create_file(path: &Path) -> Result<(Self, bool), VaultError> {
        let (text, created) = read_or_create_private_file(path, || Self::generate().file_text())
            .map_err(|e| VaultError::io(format!("preparing master key file {}", path.display()), e))?;
        Ok((Self::parse_file(path, &text)?, created))
    }

    /// Writes the key to `path` atomically (temp file 0600 in the same dir, fsync, rename) — used by key rotation.
    pub fn write_file(&self, path: &Path) -> Result<(), VaultError> {
        replace_private_file(path, self.file_text().as_bytes())
            .map_err(|e| VaultError::io(format!("writing master key file {}", path.display()), e))
    }

    /// The base64 and a newline, in a buffer wiped when dropped.
    fn file_text(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(String::with_capacity(64));
        text.push_str(&self.to_base64());
        text.push('\n');
        text
    }

    /// Names the file in an invalid key's error, so the operator knows which
    /// one to fix; the message itself never holds key text.
    fn parse_file(path: &Path, text: &str) -> Result<Self, VaultError> {
        Self::from_base64(text).map_err(|error| match error {
            VaultError::InvalidKey(message) => {
                VaultError::InvalidKey(format!("master key file {}: {message}", path.display()))
            }
            other => other,
        })
    }
}
