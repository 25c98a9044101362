//! The resolution operation.
use super::common::vault_unavailable;
use super::{error, json_content, operation_id, response, schema_ref, validation_error};
use serde_json::{Value, json};

pub fn paths() -> Value {
    let path = "/api/v1/custom-integrations/resolve";
    json!({path: {"post": {
        "tags": ["custom-integrations"], "summary": "Resolve Custom Integrations",
        "description": "Resolve integrations into an execution bundle: environment (env vars and listed secrets), files with their effective modes, and the prompt context. Fails closed: any missing secret, undefined reference, cycle, conflict, unknown or inactive integration is a 422 listing every problem. Real values need a worker or admin token; `dry_run=true` answers the same report for any role with every secret value shown as `***`. `warnings` lists text that looks like a reference but is not one (`{{secrets.X}}` for `{{.secret.X}}`): it is kept as written, and the answer is still 200.",
        "operationId": operation_id("resolve_custom_integrations", path, "post"),
        "parameters": [{"name": "dry_run", "in": "query", "required": false,
                        "schema": {"type": "boolean", "default": false, "title": "Dry Run"}}],
        "requestBody": {"required": true, "content": json_content(schema_ref("ResolveRequest"))},
        "responses": {
            "200": response("The bundle", schema_ref("BundleResponse")),
            "403": error("Real values need a worker or admin token"),
            "422": validation_error(),
            "503": vault_unavailable()
        }
    }}})
}
