//! What the SQL backends share beyond the write plans: the queries whose
//! text depends on a filter, the column lists, and how a row becomes a
//! domain value. A backend supplies its `Dialect`, converts each `Arg` to
//! its driver's parameter type, and implements `Columns` over its driver's
//! row; which filter means which condition, and which column holds which
//! field, is decided here once.
mod batch;
mod columns;
mod lists;
mod query;
mod rows;
mod webhooks;

pub use batch::{integrations_by_ids, integrations_by_names};
pub use columns::Columns;
pub use lists::{audit_events, integrations, leases, revisions, secret_values};
pub use query::{Arg, Dialect, Query, Sets, TextIndex};
pub use rows::{
    CURRENT_COLUMNS, CURRENT_FROM, DATA_KEY_COLUMNS, INTEGRATION_COLUMNS, JOB_COLUMNS, LEASE_COLUMNS,
    PROVIDER_COLUMNS, REVISION_COLUMNS, SECRET_COLUMNS, SECRET_VERSION_COLUMNS, WORKER_COLUMNS,
    audit_event_from_row, blob_from_row, current_from_row, data_key_from_row, integration_from_row,
    job_from_row, lease_from_row, provider_from_row, revision_from_row, secret_from_row,
    secret_value_from_row, secret_version_from_row, stored_integration_from_row, stored_row_from_row,
    worker_from_row,
};
pub use rows::{HEALTH_COLUMNS, due_test_from_row, health_from_row};
pub use webhooks::{
    DELIVERY_COLUMNS, WEBHOOK_COLUMNS, candidate_from_row, delivery_from_row, fan_out_candidates,
    webhook_from_row,
};
