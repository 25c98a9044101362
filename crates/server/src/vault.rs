//! The vault service: envelope encryption (`patchbay_vault`) over the
//! store's sealed blobs. Each organization's data key is created on its
//! first secret, wrapped under the master key, and cached unwrapped in
//! memory, so a read costs one AEAD open and no key unwrap.
use crate::error::ApiError;
use patchbay_domain::{OrganizationId, SecretMeta, SecretName};
use patchbay_store::{SealedBlob, SecretWrite, Store, StoreError};
use patchbay_vault::{DataKey, MasterKey, Sealed, VaultError};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use zeroize::Zeroizing;

pub struct Vault {
    master: MasterKey,
    fingerprint: String,
    store: Arc<dyn Store>,
    keys: RwLock<HashMap<OrganizationId, DataKey>>,
}

/// Why a server must not start with this key.
#[derive(Debug, thiserror::Error)]
pub enum VaultStartError {
    #[error(
        "the master key does not match the one this database's secrets are encrypted with \
         (this key's fingerprint is {given}, the database expects {stored}). Start with the original key \
         (--master-key, PATCHBAY_MASTER_KEY, PATCHBAY_MASTER_KEY_FILE or the data directory's master.key), \
         or move to a new key with `patchbay keys rotate`"
    )]
    WrongKey { given: String, stored: String },
    #[error("the vault's storage failed: {0}")]
    Store(#[from] StoreError),
}

fn to_blob(sealed: Sealed) -> SealedBlob {
    SealedBlob { nonce: sealed.nonce, ciphertext: sealed.ciphertext }
}

fn to_sealed(blob: &SealedBlob) -> Sealed {
    Sealed { nonce: blob.nonce.clone(), ciphertext: blob.ciphertext.clone() }
}

/// An integrity failure is a 500 that says what happened, never a value.
fn integrity(context: &'static str) -> impl FnOnce(VaultError) -> ApiError {
    move |error| ApiError::Internal(StoreError::other(context, error))
}

impl Vault {
    /// Records the key's fingerprint on first start, refuses a different key
    /// afterwards, and unwraps every organization's data key into the cache.
    pub async fn open(master: MasterKey, store: Arc<dyn Store>) -> Result<Self, VaultStartError> {
        let fingerprint = master.fingerprint();
        let stored = store.init_vault_fingerprint(&fingerprint).await?;
        if stored != fingerprint {
            return Err(VaultStartError::WrongKey { given: fingerprint, stored });
        }
        let mut keys = HashMap::new();
        for (org, wrapped) in store.all_data_keys().await? {
            match patchbay_vault::unwrap_data_key(&master, org.as_str(), &to_sealed(&wrapped)) {
                Ok(key) => {
                    keys.insert(org, key);
                }
                // The fingerprint matched, so this row was altered: its
                // organization's secrets fail on use, the rest still work.
                Err(error) => tracing::error!(org = %org, %error, "a data key failed its integrity check"),
            }
        }
        Ok(Self { master, fingerprint, store, keys: RwLock::new(keys) })
    }

    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    async fn data_key(&self, org: &OrganizationId) -> Result<DataKey, ApiError> {
        if let Some(key) = self.keys.read().unwrap_or_else(|e| e.into_inner()).get(org) {
            return Ok(key.clone());
        }
        let wrapped = match self.store.data_key(org).await? {
            Some(wrapped) => wrapped,
            None => {
                let fresh = patchbay_vault::wrap_data_key(&self.master, org.as_str(), &DataKey::generate());
                // Another replica may have won the race: the stored key is the one to use.
                self.store.create_data_key(org, to_blob(fresh), &self.fingerprint).await?
            }
        };
        let key = patchbay_vault::unwrap_data_key(&self.master, org.as_str(), &to_sealed(&wrapped))
            .map_err(integrity("unwrapping a data key"))?;
        self.keys.write().unwrap_or_else(|e| e.into_inner()).insert(org.clone(), key.clone());
        Ok(key)
    }

    /// Stores a new version of the secret, sealed for that version, with its
    /// audit event (when given) in the same transaction.
    pub async fn put(
        &self,
        org: &OrganizationId,
        name: SecretName,
        value: Zeroizing<String>,
        description: Option<String>,
        actor: Option<String>,
        audit: Option<patchbay_store::AuditContext>,
    ) -> Result<(SecretMeta, bool), ApiError> {
        let key = self.data_key(org).await?;
        let (organization, secret) = (org.to_string(), name.to_string());
        let seal = Box::new(move |version| {
            to_blob(patchbay_vault::seal_secret(&key, &organization, &secret, version, &value))
        });
        let write = SecretWrite { name, description, actor, seal, audit };
        Ok(self.store.put_secret(org, write).await?)
    }

    /// The current value of a secret.
    pub async fn reveal(
        &self,
        org: &OrganizationId,
        name: &SecretName,
    ) -> Result<Zeroizing<String>, ApiError> {
        let (version, sealed) = self.store.secret_value(org, name).await?;
        let key = self.data_key(org).await?;
        patchbay_vault::open_secret(&key, org.as_str(), name.as_str(), version, &to_sealed(&sealed))
            .map_err(integrity("opening a secret"))
    }
}

/// The name a webhook's secret is sealed under: no secret's name can have
/// a `/`, so a webhook's ciphertext never opens as a secret, nor the reverse.
fn webhook_slot(webhook: uuid::Uuid) -> String {
    format!("webhook/{webhook}")
}

impl Vault {
    /// Seals a webhook's signing secret under the organization's data key,
    /// bound to the webhook: it must come back whole (receivers verify with
    /// it), and a database dump must not show it.
    pub async fn seal_webhook_secret(
        &self,
        org: &OrganizationId,
        webhook: uuid::Uuid,
        secret: &str,
    ) -> Result<SealedBlob, ApiError> {
        let key = self.data_key(org).await?;
        Ok(to_blob(patchbay_vault::seal_secret(&key, org.as_str(), &webhook_slot(webhook), 1, secret)))
    }

    /// The secret `seal_webhook_secret` sealed, to sign a delivery.
    pub async fn open_webhook_secret(
        &self,
        org: &OrganizationId,
        webhook: uuid::Uuid,
        sealed: &SealedBlob,
    ) -> Result<Zeroizing<String>, ApiError> {
        let key = self.data_key(org).await?;
        patchbay_vault::open_secret(&key, org.as_str(), &webhook_slot(webhook), 1, &to_sealed(sealed))
            .map_err(integrity("opening a webhook's secret"))
    }
}

/// Why a rotation did not happen; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error("the new key is the current key")]
    SameKey,
    #[error("the current key (fingerprint {0}) is not the one the database's data keys are wrapped under")]
    WrongCurrentKey(String),
    #[error("re-wrapping the data keys failed: {0}")]
    Store(StoreError),
}

/// Re-wraps every organization's data key under `new`, in one transaction.
/// Data keys themselves do not change, so servers that hold them keep
/// serving; they must be restarted with the new key to create new ones.
pub async fn rotate(store: &dyn Store, old: MasterKey, new: MasterKey) -> Result<usize, RotateError> {
    let (old_fingerprint, new_fingerprint) = (old.fingerprint(), new.fingerprint());
    if old_fingerprint == new_fingerprint {
        return Err(RotateError::SameKey);
    }
    let rewrap: patchbay_store::Rewrap = Box::new(move |org, wrapped| {
        let key = patchbay_vault::unwrap_data_key(&old, org.as_str(), &to_sealed(wrapped))
            .map_err(|e| format!("the data key of {org}: {e}"))?;
        Ok(to_blob(patchbay_vault::wrap_data_key(&new, org.as_str(), &key)))
    });
    store.rewrap_data_keys(&old_fingerprint, &new_fingerprint, rewrap).await.map_err(|e| match e {
        StoreError::Conflict(_) => RotateError::WrongCurrentKey(old_fingerprint.clone()),
        other => RotateError::Store(other),
    })
}

impl Vault {
    /// The current values of those of `names` that exist, read in one query.
    pub async fn reveal_many(
        &self,
        org: &OrganizationId,
        names: &[SecretName],
    ) -> Result<HashMap<String, Zeroizing<String>>, ApiError> {
        let sealed = self.store.secret_values(org, names).await?;
        self.open_many(org, sealed).await
    }

    /// The values of sealed secrets already read (`secret_values`), by
    /// name: a caller that needed the sealed rows anyway does not read
    /// them twice.
    pub async fn open_many(
        &self,
        org: &OrganizationId,
        sealed: Vec<(SecretName, i64, SealedBlob)>,
    ) -> Result<HashMap<String, Zeroizing<String>>, ApiError> {
        if sealed.is_empty() {
            return Ok(HashMap::new());
        }
        let key = self.data_key(org).await?;
        sealed
            .into_iter()
            .map(|(name, version, blob)| {
                let value = patchbay_vault::open_secret(
                    &key,
                    org.as_str(),
                    name.as_str(),
                    version,
                    &to_sealed(&blob),
                )
                .map_err(integrity("opening a secret"))?;
                Ok((name.to_string(), value))
            })
            .collect()
    }
}
