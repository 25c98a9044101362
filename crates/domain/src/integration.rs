use crate::{EnvVarName, FileMode, FilePath, OrganizationId, TestTimeout};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

pub const DEFAULT_FILE_MODE: &str = "0644";
pub const DEFAULT_TEST_TIMEOUT_SECS: i64 = 5;

/// Lifecycle of an integration. `Deleted` is a soft delete: the row stays,
/// hidden from lists, and its name may be reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IntegrationStatus {
    Active,
    Inactive,
    Deleted,
}

impl IntegrationStatus {
    pub const ALL: [Self; 3] = [Self::Active, Self::Inactive, Self::Deleted];

    /// Only the exact lower-case spelling, as the reference's enum.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == value)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
            Self::Deleted => "deleted",
        }
    }
}

/// A file to write into the agent's workspace. Field order is the
/// reference's `FileConfig`, which is the order clients see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSpec {
    pub path: FilePath,
    pub content: Option<String>,
    pub secret_ref: Option<String>,
    /// `None` only when a client sent `"mode": null` explicitly; the
    /// reference keeps that null, and so does Patchbay.
    pub mode: Option<FileMode>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionTest {
    pub enabled: bool,
    pub command: String,
    pub timeout: TestTimeout,
    /// Run the test every this many seconds (a Patchbay extension); absent:
    /// only when asked. Left out of the stored and answered config when
    /// absent, so a config without it reads exactly as the reference's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_seconds: Option<u32>,
}

/// The normalized config: every key present, as the reference's
/// `CustomIntegrationConfig.model_dump()` stores it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationConfig {
    pub env_vars: IndexMap<EnvVarName, String>,
    pub secrets: Vec<EnvVarName>,
    pub files: Vec<FileSpec>,
    pub context_prompt: Option<String>,
    pub connection_test: Option<ConnectionTest>,
    /// Patchbay's own key (the reference has none): leases to take at
    /// resolution. Absent from stored and returned configs when empty, so
    /// integrations without it look exactly as the reference's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dynamic_credentials: Vec<crate::DynamicCredential>,
}

/// A stored integration, as every backend returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    pub id: Uuid,
    pub organization_id: OrganizationId,
    pub name: String,
    pub integration_type: String,
    pub description: Option<String>,
    pub status: IntegrationStatus,
    pub config: IntegrationConfig,
    pub tags: Vec<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub created_by: Option<String>,
    /// Counts changes from 1 at creation; a no-op update keeps it.
    pub revision: i64,
}

/// What a create carries once validated; the store assigns id and times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIntegration {
    pub name: String,
    pub integration_type: String,
    pub description: Option<String>,
    pub config: IntegrationConfig,
    pub tags: Vec<String>,
    pub status: IntegrationStatus,
    pub created_by: Option<String>,
    /// The creator is an admin: the first revision is approved for secret
    /// values (see `Approval`).
    pub created_by_admin: bool,
}

impl NewIntegration {
    /// The integration as first stored: a new id, created and updated now,
    /// revision 1. Every backend creates through this.
    pub fn into_integration(self, organization: OrganizationId) -> Integration {
        let now = crate::now_utc();
        Integration {
            id: Uuid::new_v4(),
            organization_id: organization,
            name: self.name,
            integration_type: self.integration_type,
            description: self.description,
            status: self.status,
            config: self.config,
            tags: self.tags,
            created_at: now,
            updated_at: now,
            created_by: self.created_by,
            revision: 1,
        }
    }
}

/// A partial update: `None` leaves a field as it is (the reference treats
/// absent and `null` alike), `config` replaces the whole config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntegrationPatch {
    pub name: Option<String>,
    pub integration_type: Option<String>,
    pub description: Option<String>,
    pub config: Option<IntegrationConfig>,
    pub status: Option<IntegrationStatus>,
    pub tags: Option<Vec<String>>,
    /// Sets the description to `None` (when `description` is `None`): the
    /// by-name upsert replaces the whole integration, an absent description
    /// included, while the seed's PUT can only set one.
    pub clear_description: bool,
}

impl IntegrationPatch {
    /// Applies the patch to `current`; `true` when anything actually changed,
    /// so an empty or no-op update leaves `updated_at` alone.
    pub fn apply_to(self, current: &mut Integration) -> bool {
        fn set<T: PartialEq>(slot: &mut T, value: Option<T>) -> bool {
            match value {
                Some(value) if *slot != value => {
                    *slot = value;
                    true
                }
                _ => false,
            }
        }
        let mut changed = set(&mut current.name, self.name);
        changed |= set(&mut current.integration_type, self.integration_type);
        let description = match self.description {
            Some(description) => Some(Some(description)),
            None if self.clear_description => Some(None),
            None => None,
        };
        changed |= set(&mut current.description, description);
        changed |= set(&mut current.config, self.config);
        changed |= set(&mut current.status, self.status);
        changed |= set(&mut current.tags, self.tags);
        changed
    }
}

/// List filters. `tags` must all be carried.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub integration_type: Option<String>,
    /// `None` lists everything but `deleted`.
    pub status: Option<IntegrationStatus>,
    pub tags: Vec<String>,
    /// Case-insensitive substring of name or description.
    pub query: Option<String>,
    pub limit: Option<u32>,
    pub offset: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Integration {
        Integration {
            id: Uuid::nil(),
            organization_id: OrganizationId::parse("org").unwrap(),
            name: "pg".into(),
            integration_type: "postgres".into(),
            description: None,
            status: IntegrationStatus::Active,
            config: IntegrationConfig::default(),
            tags: vec!["prod".into()],
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
            created_by: None,
            revision: 1,
        }
    }

    #[test]
    fn empty_patch_changes_nothing() {
        let mut integration = sample();
        assert!(!IntegrationPatch::default().apply_to(&mut integration));
        assert_eq!(integration, sample());
    }

    #[test]
    fn only_clear_description_removes_a_description() {
        let mut integration = sample();
        integration.description = Some("old".into());
        assert!(!IntegrationPatch::default().apply_to(&mut integration.clone()));
        let clear = IntegrationPatch { clear_description: true, ..Default::default() };
        assert!(clear.clone().apply_to(&mut integration));
        assert_eq!(integration.description, None);
        assert!(!clear.apply_to(&mut integration), "already cleared: no change");
    }

    #[test]
    fn patch_with_same_values_changes_nothing() {
        let mut integration = sample();
        let patch = IntegrationPatch {
            name: Some("pg".into()),
            tags: Some(vec!["prod".into()]),
            ..Default::default()
        };
        assert!(!patch.apply_to(&mut integration));
    }

    #[test]
    fn patch_sets_given_fields_only() {
        let mut integration = sample();
        let patch = IntegrationPatch {
            description: Some("main db".into()),
            status: Some(IntegrationStatus::Inactive),
            ..Default::default()
        };
        assert!(patch.apply_to(&mut integration));
        assert_eq!(integration.description.as_deref(), Some("main db"));
        assert_eq!(integration.status, IntegrationStatus::Inactive);
        assert_eq!(integration.name, "pg");
    }

    #[test]
    fn status_parse_is_exact() {
        assert_eq!(IntegrationStatus::parse("active"), Some(IntegrationStatus::Active));
        assert_eq!(IntegrationStatus::parse("ACTIVE"), None);
        assert_eq!(IntegrationStatus::parse(""), None);
    }
}
