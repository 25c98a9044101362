/// Everything the vault can fail with. No variant ever carries key material or
/// a secret value, so these are safe to log.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// Decryption failed: wrong key, or the blob was moved or altered.
    #[error(
        "decryption failed: the key does not match, or the encrypted data was altered or belongs to another \
         organization, secret or version"
    )]
    Integrity,
    /// A master key in the wrong form (message says what is wrong, never the key).
    #[error("{0}")]
    InvalidKey(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl VaultError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io { context: context.into(), source }
    }
}
