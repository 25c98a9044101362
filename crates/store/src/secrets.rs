//! Storage of the vault: wrapped per-organization data keys, the master
//! key's fingerprint, and sealed secret versions. The store never sees a
//! key or a value in clear: sealing happens in the `Seal` callback, which
//! runs inside the write's transaction once the new version is known
//! (the version is part of what the ciphertext is bound to).
use crate::{AuditContext, Change, Conflict, StoreError};
use async_trait::async_trait;
use patchbay_domain::{OrganizationId, SecretMeta, SecretName, SecretVersionMeta};

/// Nonce and ciphertext of a sealed value or a wrapped key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedBlob {
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// Seals the value for the version the store assigns.
pub type Seal = Box<dyn FnOnce(i64) -> SealedBlob + Send>;

/// Re-wraps one organization's data key under a new master key.
pub type Rewrap = Box<dyn Fn(&OrganizationId, &SealedBlob) -> Result<SealedBlob, String> + Send + Sync>;

/// A new version of a secret.
pub struct SecretWrite {
    pub name: SecretName,
    /// `None` keeps the current description.
    pub description: Option<String>,
    pub actor: Option<String>,
    pub seal: Seal,
    /// When set, the write commits its `secret.write` audit event (name and
    /// version, never the value) in its own transaction.
    pub audit: Option<AuditContext>,
}

/// Data keys are written only under the master key that wrapped them:
/// `Conflict::MasterKeyChanged` unless the writer's `fingerprint` is the one
/// recorded (read in the write's transaction, so a rotation cannot come
/// between).
pub fn check_fingerprint(recorded: Option<&str>, fingerprint: &str) -> Result<(), StoreError> {
    match recorded == Some(fingerprint) {
        true => Ok(()),
        false => Err(StoreError::Conflict(Conflict::MasterKeyChanged)),
    }
}

#[async_trait]
pub trait SecretStore: Send + Sync {
    /// The master key fingerprint the data keys are wrapped under; recorded
    /// on first start when none is, and returned.
    async fn init_vault_fingerprint(&self, fingerprint: &str) -> Result<String, StoreError>;

    /// The organization's wrapped data key, if it has one yet.
    async fn data_key(&self, org: &OrganizationId) -> Result<Option<SealedBlob>, StoreError>;

    /// Every organization's wrapped data key (to warm a cache at start).
    async fn all_data_keys(&self) -> Result<Vec<(OrganizationId, SealedBlob)>, StoreError>;

    /// Stores `wrapped` as the organization's data key unless another writer
    /// stored one first, and returns the stored one. Refused with
    /// `Conflict::MasterKeyChanged` unless `fingerprint` is the recorded one.
    async fn create_data_key(
        &self,
        org: &OrganizationId,
        wrapped: SealedBlob,
        fingerprint: &str,
    ) -> Result<SealedBlob, StoreError>;

    /// Re-wraps every data key and records `new_fingerprint`, all in one
    /// transaction, provided `old_fingerprint` is the recorded one. Returns
    /// how many keys were re-wrapped.
    async fn rewrap_data_keys(
        &self,
        old_fingerprint: &str,
        new_fingerprint: &str,
        rewrap: Rewrap,
    ) -> Result<usize, StoreError>;

    /// Writes the next version (1 for a new secret); concurrent writes of
    /// one name get consecutive versions. `true` when the secret is new.
    async fn put_secret(
        &self,
        org: &OrganizationId,
        write: SecretWrite,
    ) -> Result<(SecretMeta, bool), StoreError>;

    /// Sorted by name.
    async fn list_secrets(&self, org: &OrganizationId) -> Result<Vec<SecretMeta>, StoreError>;

    /// The current version and its sealed value.
    async fn secret_value(
        &self,
        org: &OrganizationId,
        name: &SecretName,
    ) -> Result<(i64, SealedBlob), StoreError>;

    /// The current versions and sealed values of those of `names` that
    /// exist (absent names are simply not in the answer), in one read.
    async fn secret_values(
        &self,
        org: &OrganizationId,
        names: &[SecretName],
    ) -> Result<Vec<(SecretName, i64, SealedBlob)>, StoreError>;

    /// Newest first; `NotFound` when the secret does not exist.
    async fn secret_versions(
        &self,
        org: &OrganizationId,
        name: &SecretName,
    ) -> Result<Vec<SecretVersionMeta>, StoreError>;

    /// Removes the secret and every version, with `change`'s
    /// `secret.delete` audit event in the same transaction.
    async fn delete_secret(
        &self,
        org: &OrganizationId,
        name: &SecretName,
        change: Change,
    ) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_recorded_master_key_writes_data_keys() {
        assert!(check_fingerprint(Some("abc"), "abc").is_ok());
        for recorded in [Some("old"), None] {
            let refused = check_fingerprint(recorded, "abc").unwrap_err();
            assert!(matches!(refused, StoreError::Conflict(Conflict::MasterKeyChanged)), "{recorded:?}");
        }
    }
}
