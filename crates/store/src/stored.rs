//! An integration as its row holds it: config and tags still the JSON text
//! the store wrote. Lists and reads by id hand these out, so the HTTP layer
//! can copy that text into the response instead of parsing every config
//! and writing it back out (for a page of 50 integrations, most of the
//! request's cost). The fields mirror `patchbay_domain::Integration`;
//! `decode` is the one way from one to the other.
//!
//! A list goes further: `StoredRow` borrows each field from the row the
//! database driver hands out, and a `RowWriter` writes it into the body
//! there, so no row is copied into strings of its own first (for a page of
//! 50, those copies were a fifth of the request's cost).
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
    /// The same integration, borrowed, as a list's rows are.
    pub fn row(&self) -> StoredRow<'_> {
        StoredRow {
            id: self.id,
            organization_id: self.organization_id.as_str(),
            name: &self.name,
            integration_type: &self.integration_type,
            description: self.description.as_deref(),
            status: self.status,
            config_json: &self.config_json,
            tags_json: &self.tags_json,
            created_at: self.created_at,
            updated_at: self.updated_at,
            created_by: self.created_by.as_deref(),
            revision: self.revision,
        }
    }

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

/// A `StoredIntegration` whose text is borrowed from the database's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredRow<'a> {
    pub id: Uuid,
    pub organization_id: &'a str,
    pub name: &'a str,
    pub integration_type: &'a str,
    pub description: Option<&'a str>,
    pub status: IntegrationStatus,
    pub config_json: &'a str,
    pub tags_json: &'a str,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub created_by: Option<&'a str>,
    pub revision: i64,
}

impl StoredRow<'_> {
    pub fn to_owned(&self) -> Result<StoredIntegration, StoreError> {
        let organization_id = OrganizationId::parse(self.organization_id)
            .ok_or_else(|| StoreError::other("stored organization", self.organization_id.to_owned()))?;
        Ok(StoredIntegration {
            id: self.id,
            organization_id,
            name: self.name.to_owned(),
            integration_type: self.integration_type.to_owned(),
            description: self.description.map(str::to_owned),
            status: self.status,
            config_json: self.config_json.to_owned(),
            tags_json: self.tags_json.to_owned(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            created_by: self.created_by.map(str::to_owned),
            revision: self.revision,
        })
    }
}

/// Writes a list's rows into one buffer as the backend reads them out
/// (`IntegrationStore::write_stored_integrations`). The format is the
/// caller's: `write` gets the buffer, the row's place in the list (0 for
/// the first) and the row.
pub struct RowWriter {
    out: Vec<u8>,
    rows: usize,
    write: fn(&mut Vec<u8>, usize, &StoredRow<'_>),
}

impl RowWriter {
    /// Rows are written after what `out` already holds.
    pub fn new(out: Vec<u8>, write: fn(&mut Vec<u8>, usize, &StoredRow<'_>)) -> Self {
        Self { out, rows: 0, write }
    }

    pub fn row(&mut self, row: &StoredRow<'_>) {
        (self.write)(&mut self.out, self.rows, row);
        self.rows += 1;
    }

    /// What was written, and how many rows.
    pub fn finish(self) -> (Vec<u8>, usize) {
        (self.out, self.rows)
    }
}
