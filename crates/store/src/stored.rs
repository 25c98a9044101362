//! An integration as its row holds it: config and tags still the JSON text
//! the store wrote. Lists and reads by id hand these out, so the HTTP layer
//! can copy that text into the response instead of parsing every config
//! and writing it back out (for a page of 50 integrations, most of the
//! request's cost). The fields mirror `patchbay_domain::Integration`;
//! `decode` is the one way from one to the other.
use crate::StoreError;
use crate::codec::{decode_config, decode_tags};
use patchbay_domain::{Integration, IntegrationStatus, OrganizationId};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredIntegration {
    pub id: Uuid,
    pub organization_id: OrganizationId,
    pub name: String,
    pub integration_type: String,
    pub description: Option<String>,
    pub status: IntegrationStatus,
    /// Written only by `codec::encode_config` from a parsed config, so it is
    /// byte for byte what serializing `decode()`'s config writes.
    pub config_json: String,
    /// Written only by `codec::encode_tags`: a JSON array of strings.
    pub tags_json: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub created_by: Option<String>,
    pub revision: i64,
}

impl StoredIntegration {
    /// The integration with its config and tags parsed.
    pub fn decode(self) -> Result<Integration, StoreError> {
        Ok(Integration {
            config: decode_config(&self.config_json)?,
            tags: decode_tags(&self.tags_json)?,
            id: self.id,
            organization_id: self.organization_id,
            name: self.name,
            integration_type: self.integration_type,
            description: self.description,
            status: self.status,
            created_at: self.created_at,
            updated_at: self.updated_at,
            created_by: self.created_by,
            revision: self.revision,
        })
    }
}
