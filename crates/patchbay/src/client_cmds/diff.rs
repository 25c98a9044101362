//! What would change if a declaration were applied to a live integration.
use patchbay_api_types::{CreateIntegrationRequest, IntegrationResponse};

/// The names of the fields that differ, in a fixed order; empty when the
/// upsert would change nothing. Config parts are compared as the server
/// compares them (env vars regardless of order).
pub fn changed_fields(current: &IntegrationResponse, wanted: &CreateIntegrationRequest) -> Vec<&'static str> {
    let (have, want) = (&current.config, &wanted.config);
    [
        ("integration_type", current.integration_type != wanted.integration_type),
        ("description", current.description != wanted.description),
        ("tags", current.tags != wanted.tags),
        ("config.env_vars", have.env_vars != want.env_vars),
        ("config.secrets", have.secrets != want.secrets),
        ("config.files", have.files != want.files),
        ("config.context_prompt", have.context_prompt != want.context_prompt),
        ("config.connection_test", have.connection_test != want.connection_test),
    ]
    .into_iter()
    .filter_map(|(field, differs)| differs.then_some(field))
    .collect()
}
