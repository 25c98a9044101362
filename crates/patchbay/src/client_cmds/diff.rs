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

#[cfg(test)]
mod tests {
    use super::*;
    use patchbay_api_types::parse_create_request;
    use serde_json::json;

    fn live(body: &serde_json::Value) -> IntegrationResponse {
        let request = parse_create_request(body).unwrap();
        IntegrationResponse {
            id: "id".into(),
            organization_id: "org".into(),
            name: request.name,
            integration_type: request.integration_type,
            description: request.description,
            status: "active".into(),
            config: request.config,
            tags: request.tags,
            created_at: String::new(),
            updated_at: String::new(),
            created_by: None,
        }
    }

    #[test]
    fn compares_as_the_server_stores() {
        let body =
            json!({"name": "n", "integration_type": "t", "config": {"env_vars": {"A": "1", "B": "2"}}});
        let current = live(&body);
        // Env var order and an explicit default mode are no change.
        let same =
            json!({"name": "n", "integration_type": "t", "config": {"env_vars": {"B": "2", "A": "1"}}});
        assert!(changed_fields(&current, &parse_create_request(&same).unwrap()).is_empty());
        let other = json!({"name": "n", "integration_type": "u", "description": "d", "tags": ["x"],
                           "config": {"env_vars": {"A": "1"}, "files": [{"path": "f", "content": "c"}]}});
        assert_eq!(
            changed_fields(&current, &parse_create_request(&other).unwrap()),
            ["integration_type", "description", "tags", "config.env_vars", "config.files"]
        );
    }
}
