//! Operations of the credential providers and leases API.
use super::{error, json_content, operation_id, response, schema_ref, validation_error};
use serde_json::{Value, json};

fn name_parameter() -> Value {
    json!({"name": "name", "in": "path", "required": true,
           "schema": {"type": "string", "pattern": patchbay_domain::ProviderName::PATTERN, "title": "Name"}})
}

fn lease_parameter() -> Value {
    json!({"name": "lease_id", "in": "path", "required": true,
           "schema": {"type": "string", "title": "Lease Id"}})
}

fn query(name: &str, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": schema, "description": description})
}

fn provider_paths() -> Value {
    let collection = "/api/v1/credential-providers";
    let item = "/api/v1/credential-providers/{name}";
    let tags = json!(["credentials"]);
    json!({
        collection: {"get": {
            "tags": tags, "summary": "List Credential Providers",
            "description": "The organization's credential providers, by name: metadata only; the admin connection is only named (a vault secret). Every role.",
            "operationId": operation_id("list_credential_providers", collection, "get"),
            "responses": {
                "200": response("Providers", json!({"type": "array", "items": schema_ref("CredentialProviderResponse")}))
            }
        }},
        item: {
            "get": {
                "tags": tags, "summary": "Get Credential Provider",
                "description": "One provider's metadata. Every role.",
                "operationId": operation_id("get_credential_provider", item, "get"),
                "parameters": [name_parameter()],
                "responses": {
                    "200": response("The provider", schema_ref("CredentialProviderResponse")),
                    "404": error("Credential provider not found"),
                    "422": validation_error()
                }
            },
            "put": {
                "tags": tags, "summary": "Set Credential Provider",
                "description": "Create (201) or replace (200) a provider: a database (postgres, mysql or redis) whose admin connection URL is in the vault secret `connection_secret`, and the roles it makes short-lived users for. SQL roles are statements with the placeholders {{name}}, {{password}} and {{expiration}}, filled in by the server; redis roles are ACL rules. Admins only.",
                "operationId": operation_id("set_credential_provider", item, "put"),
                "parameters": [name_parameter()],
                "requestBody": {"required": true, "content": json_content(schema_ref("CredentialProviderRequest"))},
                "responses": {
                    "200": response("Replaced", schema_ref("CredentialProviderResponse")),
                    "201": response("Created", schema_ref("CredentialProviderResponse")),
                    "403": error("Only admins write providers"),
                    "422": validation_error()
                }
            },
            "delete": {
                "tags": tags, "summary": "Delete Credential Provider",
                "description": "Delete a provider; refused (409) while any of its leases is not revoked. Admins only.",
                "operationId": operation_id("delete_credential_provider", item, "delete"),
                "parameters": [name_parameter()],
                "responses": {
                    "204": {"description": "Deleted"},
                    "403": error("Only admins delete providers"),
                    "404": error("Credential provider not found"),
                    "409": error("The provider has leases not yet revoked"),
                    "422": validation_error()
                }
            }
        }
    })
}

fn lease_paths() -> Value {
    let collection = "/api/v1/leases";
    let item = "/api/v1/leases/{lease_id}";
    let renew = "/api/v1/leases/{lease_id}/renew";
    let tags = json!(["credentials"]);
    let state = json!({"type": "string", "enum": patchbay_domain::LeaseState::ALL.map(|s| s.as_str())});
    json!({
        collection: {"get": {
            "tags": tags, "summary": "List Leases",
            "description": "The organization's dynamic credentials, newest first: never a password. Every role.",
            "operationId": operation_id("list_leases", collection, "get"),
            "parameters": [
                query("provider", json!({"type": "string", "pattern": patchbay_domain::ProviderName::PATTERN}), "Only this provider's"),
                query("integration", json!({"type": "string"}), "Only those taken for this integration (its name)"),
                query("state", state, "Only leases in this state"),
                query("limit", json!({"type": "integer", "minimum": 1, "maximum": 1000}), "At most this many (default 100)")
            ],
            "responses": {
                "200": response("Leases", json!({"type": "array", "items": schema_ref("LeaseResponse")})),
                "422": validation_error()
            }
        }},
        item: {
            "get": {
                "tags": tags, "summary": "Get Lease",
                "description": "One lease: its state, expiry, and the last revocation error if any. Every role.",
                "operationId": operation_id("get_lease", item, "get"),
                "parameters": [lease_parameter()],
                "responses": {
                    "200": response("The lease", schema_ref("LeaseResponse")),
                    "404": error("Lease not found")
                }
            },
            "delete": {
                "tags": tags, "summary": "Revoke Lease",
                "description": "Drop the lease's user now (204, also when it was revoked already). When the database refuses, the lease is revoke_failed and the server retries it with backoff (503). Members, workers and admins.",
                "operationId": operation_id("revoke_lease", item, "delete"),
                "parameters": [lease_parameter()],
                "responses": {
                    "204": {"description": "Revoked"},
                    "403": error("Viewers do not revoke leases"),
                    "404": error("Lease not found"),
                    "409": error("Another server is revoking the lease"),
                    "503": error("The database refused the revocation; it is retried")
                }
            }
        },
        renew: {"post": {
            "tags": tags, "summary": "Renew Lease",
            "description": "Extend an active lease to ttl_seconds from now, capped at its provider's max_ttl_seconds from the lease's creation. Workers and admins.",
            "operationId": operation_id("renew_lease", renew, "post"),
            "parameters": [lease_parameter()],
            "requestBody": {"required": true, "content": json_content(schema_ref("RenewLeaseRequest"))},
            "responses": {
                "200": response("The renewed lease", schema_ref("LeaseResponse")),
                "403": error("Only workers and admins renew leases"),
                "404": error("Lease not found"),
                "409": error("The lease is not active"),
                "422": validation_error()
            }
        }}
    })
}

pub fn paths() -> Value {
    let mut all = provider_paths();
    for (path, item) in lease_paths().as_object().expect("an object") {
        all[path] = item.clone();
    }
    all
}
