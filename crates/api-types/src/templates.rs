//! Integration templates: the catalogue's bodies, and the
//! `from-template` request, which is turned into an ordinary create body so
//! it meets exactly the validation of `POST /custom-integrations`.
use crate::requests::{CreateIntegrationRequest, parse_create_request};
use crate::{FieldError, LocItem};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `GET /integration-templates/{template_id}`: the reference's field names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntegrationTemplateResponse {
    pub template_id: String,
    pub name: String,
    pub integration_type: String,
    pub description: String,
    pub icon: Option<String>,
    pub category: String,
    /// The normalized integration config (every key present).
    pub config: Value,
    pub tags: Vec<String>,
}

/// One entry of `GET /integration-templates`: the template without its config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationTemplateSummary {
    pub template_id: String,
    pub name: String,
    pub integration_type: String,
    pub description: String,
    pub icon: Option<String>,
    pub category: String,
    pub tags: Vec<String>,
}

impl From<&IntegrationTemplateResponse> for IntegrationTemplateSummary {
    fn from(template: &IntegrationTemplateResponse) -> Self {
        Self {
            template_id: template.template_id.clone(),
            name: template.name.clone(),
            integration_type: template.integration_type.clone(),
            description: template.description.clone(),
            icon: template.icon.clone(),
            category: template.category.clone(),
            tags: template.tags.clone(),
        }
    }
}

/// The config keys a `from-template` body may override, at its top level.
const CONFIG_OVERRIDES: [&str; 5] = ["env_vars", "secrets", "files", "context_prompt", "connection_test"];

/// `POST /custom-integrations/from-template/{template_id}`, with `template`
/// the template's `config`. The body is `{"name", "description", "tags",
/// "env_vars", "secrets", "files", "context_prompt", "connection_test"}`,
/// only `name` required:
/// - `env_vars` are merged over the template's (a key given wins, the others stay);
/// - every other key given (even `null`) replaces the template's value.
///
/// Errors name the body's own fields (`["body", "env_vars", "X"]`), not
/// the merged config's.
pub fn parse_from_template(
    template: &IntegrationTemplateResponse,
    body: &Value,
) -> Result<CreateIntegrationRequest, Vec<FieldError>> {
    let Value::Object(fields) = body else {
        // Not an object: the create parser reports it at ["body"].
        return parse_create_request(body);
    };
    let mut config = match &template.config {
        Value::Object(config) => config.clone(),
        _ => Map::new(),
    };
    for key in CONFIG_OVERRIDES {
        let Some(value) = fields.get(key) else { continue };
        match (key, value, config.get_mut(key)) {
            ("env_vars", Value::Object(given), Some(Value::Object(base))) => {
                for (name, value) in given {
                    base.insert(name.clone(), value.clone());
                }
            }
            _ => {
                config.insert(key.to_owned(), value.clone());
            }
        }
    }
    let mut create = Map::new();
    if let Some(name) = fields.get("name") {
        create.insert("name".into(), name.clone());
    }
    create.insert("integration_type".into(), Value::String(template.integration_type.clone()));
    let description =
        fields.get("description").cloned().unwrap_or(Value::String(template.description.clone()));
    create.insert("description".into(), description);
    create.insert("config".into(), Value::Object(config));
    let tags = fields.get("tags").cloned().unwrap_or_else(|| template.tags.clone().into());
    create.insert("tags".into(), tags);
    parse_create_request(&Value::Object(create))
        .map_err(|errors| errors.into_iter().map(unnest_override).collect())
}

/// `["body", "config", "env_vars", ...]` becomes `["body", "env_vars", ...]`:
/// the client sent the overrides at the top level.
fn unnest_override(mut error: FieldError) -> FieldError {
    let overridden = matches!(
        error.loc.as_slice(),
        [LocItem::Key(body), LocItem::Key(config), LocItem::Key(key), ..]
            if body == "body" && config == "config" && CONFIG_OVERRIDES.contains(&key.as_str())
    );
    if overridden {
        error.loc.remove(1);
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template() -> IntegrationTemplateResponse {
        IntegrationTemplateResponse {
            template_id: "t".into(),
            name: "T".into(),
            integration_type: "kind".into(),
            description: "from the template".into(),
            icon: None,
            category: "c".into(),
            config: json!({"env_vars": {"A": "1", "B": "2"}, "secrets": ["S"], "context_prompt": "p"}),
            tags: vec!["x".into()],
        }
    }

    #[test]
    fn env_vars_merge_and_other_fields_replace() {
        let body = json!({"name": "n", "env_vars": {"B": "3", "C": "4"}, "secrets": [], "tags": ["y"], "description": null});
        let request = parse_from_template(&template(), &body).unwrap();
        let env: Vec<(&str, &str)> =
            request.config.env_vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(env, [("A", "1"), ("B", "3"), ("C", "4")]);
        assert!(request.config.secrets.is_empty());
        assert_eq!(request.config.context_prompt.as_deref(), Some("p"));
        assert_eq!(
            (request.tags, request.description, request.integration_type),
            (vec!["y".into()], None, "kind".into())
        );
    }

    #[test]
    fn template_values_stay_when_not_overridden() {
        let request = parse_from_template(&template(), &json!({"name": "n"})).unwrap();
        assert_eq!(request.description.as_deref(), Some("from the template"));
        assert_eq!(request.tags, ["x"]);
    }

    #[test]
    fn errors_name_the_bodys_own_fields() {
        let errors =
            parse_from_template(&template(), &json!({"env_vars": [], "context_prompt": 5})).unwrap_err();
        let locs: Vec<Value> = errors.iter().map(|e| json!(e.loc)).collect();
        assert_eq!(
            locs,
            [json!(["body", "name"]), json!(["body", "env_vars"]), json!(["body", "context_prompt"])]
        );
        let errors = parse_from_template(&template(), &json!([1])).unwrap_err();
        assert_eq!(json!(errors[0].loc), json!(["body"]));
    }
}
