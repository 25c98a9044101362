//! Operations of the template catalogue, `from-template`, and the by-name
//! upsert. Their schemas are inline: they are Patchbay's own bodies.
use super::{error, json_content, operation_id, response, schema_ref, validation_error};
use serde_json::{Value, json};

fn text(title: &str) -> Value {
    json!({"type": "string", "title": title})
}

fn summary_properties() -> Value {
    json!({
        "template_id": text("Template Id"), "name": text("Name"), "integration_type": text("Integration Type"),
        "description": text("Description"), "icon": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Icon"},
        "category": text("Category"), "tags": {"type": "array", "items": {"type": "string"}, "title": "Tags"}
    })
}

fn summary() -> Value {
    json!({"type": "object", "title": "IntegrationTemplateSummary", "properties": summary_properties(),
           "required": ["template_id", "name", "integration_type", "description", "icon", "category", "tags"]})
}

fn template() -> Value {
    let mut properties = summary_properties();
    properties["config"] = schema_ref("CustomIntegrationConfig");
    json!({"type": "object", "title": "IntegrationTemplateResponse", "properties": properties,
           "required": ["template_id", "name", "integration_type", "description", "icon", "category", "config", "tags"]})
}

/// The overrides take the create body's constraints: the merged body is
/// validated as a create.
fn from_template_request() -> Value {
    let components = patchbay_api_types::schema::components();
    let create = &components["CreateCustomIntegrationRequest"]["properties"];
    let config = &components["CustomIntegrationConfig"]["properties"];
    let mut properties = serde_json::Map::new();
    for key in ["name", "description", "tags"] {
        properties.insert(key.to_owned(), create[key].clone());
    }
    for key in ["env_vars", "secrets", "files", "context_prompt", "connection_test"] {
        properties.insert(key.to_owned(), config[key].clone());
    }
    let name = patchbay_domain::SecretName::PATTERN;
    properties.insert(
        "secret_prefix".into(),
        json!({"anyOf": [{"type": "string", "pattern": name}, {"type": "null"}], "title": "Secret Prefix",
               "description": "Put in front of every vault secret name the template reads (`ANALYTICS_` makes `PGPASSWORD` read `ANALYTICS_PGPASSWORD`); the agent still sees the template's env var names."}),
    );
    properties.insert(
        "secret_names".into(),
        json!({"anyOf": [{"type": "object", "additionalProperties": {"type": "string", "pattern": name}}, {"type": "null"}],
               "title": "Secret Names",
               "description": "The vault name for each of the template's secrets, by the template's name (`{\"PGPASSWORD\": \"ANALYTICS_DB_PASSWORD\"}`); a name that is not a secret of the template is a 422. Wins over `secret_prefix`."}),
    );
    json!({"type": "object", "title": "FromTemplateRequest", "required": ["name"], "properties": properties,
           "description": "The new integration's name and overrides: `env_vars` are merged over the template's; every other field given replaces the template's. `secret_names` and `secret_prefix` give the template's secrets other vault names, so two integrations from one template do not share them."})
}

fn path_parameter(name: &str, title: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": "string", "title": title}})
}

fn query(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description,
           "schema": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": name}})
}

fn string_list(description: &str) -> Value {
    response(description, json!({"type": "array", "items": {"type": "string"}}))
}

pub fn paths() -> Value {
    let collection = "/api/v1/integration-templates";
    let item = "/api/v1/integration-templates/{template_id}";
    let categories = "/api/v1/integration-templates/categories/list";
    let tag_list = "/api/v1/integration-templates/tags/list";
    let from_template = "/api/v1/custom-integrations/from-template/{template_id}";
    let by_name = "/api/v1/custom-integrations/by-name/{name}";
    let tags = json!(["integration-templates"]);
    let not_found = error("Integration template not found");
    json!({
        collection: {"get": {
            "tags": tags, "summary": "List Integration Templates",
            "operationId": operation_id("list_integration_templates", collection, "get"),
            "parameters": [query("category", "Filter by category"), query("tag", "Filter by tag"),
                           query("search", "Search in template name and description")],
            "responses": {"200": response("Templates", json!({"type": "array", "items": summary()}))}
        }},
        item: {"get": {
            "tags": tags, "summary": "Get Integration Template",
            "operationId": operation_id("get_integration_template", item, "get"),
            "parameters": [path_parameter("template_id", "Template Id")],
            "responses": {"200": response("The template with its full configuration", template()),
                          "404": not_found}
        }},
        categories: {"get": {
            "tags": tags, "summary": "List Template Categories",
            "operationId": operation_id("list_template_categories", categories, "get"),
            "responses": {"200": string_list("Sorted categories")}
        }},
        tag_list: {"get": {
            "tags": tags, "summary": "List Template Tags",
            "operationId": operation_id("list_template_tags", tag_list, "get"),
            "responses": {"200": string_list("Sorted tags")}
        }},
        from_template: {"post": {
            "tags": ["custom-integrations"], "summary": "Create Custom Integration From Template",
            "description": "Create an integration from a template and overrides, with the validation and 409 rules of a create. Members and admins.",
            "operationId": operation_id("create_from_template", from_template, "post"),
            "parameters": [path_parameter("template_id", "Template Id")],
            "requestBody": {"required": true, "content": json_content(from_template_request())},
            "responses": {"201": response("Created", schema_ref("CustomIntegrationResponse")),
                          "403": error("The token's role may not write"),
                          "404": not_found, "409": error("Name taken"), "422": validation_error()}
        }},
        by_name: {"put": {
            "tags": ["custom-integrations"], "summary": "Upsert Custom Integration By Name",
            "description": "Idempotent upsert for GitOps: creates the integration (201) or replaces the type, description, config and tags of the live one of that name (200). An identical body changes nothing. The body is a create body; its `name` is taken from the path.",
            "operationId": operation_id("upsert_custom_integration_by_name", by_name, "put"),
            "parameters": [path_parameter("name", "Name")],
            "requestBody": {"required": true, "content": json_content(schema_ref("CreateCustomIntegrationRequest"))},
            "responses": {"200": response("Replaced (or unchanged)", schema_ref("CustomIntegrationResponse")),
                          "201": response("Created", schema_ref("CustomIntegrationResponse")),
                          "403": error("The token's role may not write"),
                          "422": validation_error()}
        }}
    })
}
