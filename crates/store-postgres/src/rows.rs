//! Between table rows and domain values, and from database errors to
//! store errors.
use patchbay_domain::{Integration, IntegrationStatus, OrganizationId};
use patchbay_store::codec::{decode_config, decode_tags};
use patchbay_store::{Conflict, StoreError};
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;

pub const COLUMNS: &str = "seq, id, organization_id, name, integration_type, description, status, \
                           config, tags, created_at, updated_at, created_by, revision";

/// The index that keeps live names unique (see the migration).
const LIVE_NAME_INDEX: &str = "custom_integrations_live_name";

fn column<'a, T: tokio_postgres::types::FromSql<'a>>(row: &'a Row, index: usize) -> Result<T, StoreError> {
    row.try_get(index).map_err(|e| StoreError::other("reading an integration column", e))
}

/// A row (selected as `COLUMNS`) and its `seq`, which keys the tag table.
pub fn from_row(row: &Row) -> Result<(i64, Integration), StoreError> {
    let organization: &str = column(row, 2)?;
    let status: &str = column(row, 6)?;
    let integration = Integration {
        id: column(row, 1)?,
        organization_id: OrganizationId::parse(organization)
            .ok_or_else(|| StoreError::other("stored organization", "empty"))?,
        name: column(row, 3)?,
        integration_type: column(row, 4)?,
        description: column(row, 5)?,
        status: IntegrationStatus::parse(status)
            .ok_or_else(|| StoreError::other("stored status", status.to_owned()))?,
        config: decode_config(column(row, 7)?)?,
        tags: decode_tags(column(row, 8)?)?,
        created_at: column(row, 9)?,
        updated_at: column(row, 10)?,
        created_by: column(row, 11)?,
        revision: column(row, 12)?,
    };
    Ok((column(row, 0)?, integration))
}

/// A write that broke the live-name unique index is a name conflict;
/// anything else is the database failing.
pub fn write_error(name: &str, context: &'static str) -> impl FnOnce(tokio_postgres::Error) -> StoreError {
    move |e| {
        let live_name = e.code() == Some(&SqlState::UNIQUE_VIOLATION)
            && e.as_db_error().and_then(|db| db.constraint()) == Some(LIVE_NAME_INDEX);
        if live_name {
            StoreError::Conflict(Conflict::IntegrationName(name.to_owned()))
        } else {
            crate::classify::failed(context)(e)
        }
    }
}
