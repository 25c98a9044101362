//! The integration form: what the user typed (kept verbatim across a 422),
//! the API body it becomes, and where each of the API's errors belongs.
use super::Fields;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The form's fields as text, exactly as typed or as loaded.
#[derive(Debug, Default, Clone)]
pub struct IntegrationForm {
    pub name: String,
    pub integration_type: String,
    pub description: String,
    pub status: String,
    pub tags: String,
    /// `KEY=value`, one a line.
    pub env_vars: String,
    /// Secret names, one a line.
    pub secrets: String,
    /// A JSON list of file objects (path, content or secret_ref, mode, description).
    pub files: String,
    pub context_prompt: String,
    pub test_enabled: bool,
    pub test_command: String,
    pub test_timeout: String,
    /// The revision the edit started from, sent as `If-Match`.
    pub revision: String,
}

/// Errors by form field; `general` holds those that name no field.
#[derive(Debug, Default)]
pub struct Errors {
    pub fields: BTreeMap<&'static str, Vec<String>>,
    pub general: Vec<String>,
}

impl Errors {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.general.is_empty()
    }

    pub fn add(&mut self, field: &'static str, message: String) {
        self.fields.entry(field).or_default().push(message);
    }

    /// Files a 422 `detail` under the fields its `loc`s name.
    pub fn add_api(&mut self, body: &Value) {
        let Some(detail) = body.get("detail") else { return };
        let Some(list) = detail.as_array() else {
            self.general.push(detail.as_str().unwrap_or("The API refused the change").to_owned());
            return;
        };
        for error in list {
            let message = error.get("msg").and_then(Value::as_str).unwrap_or("invalid").to_owned();
            let loc: Vec<Value> = error.get("loc").and_then(Value::as_array).cloned().unwrap_or_default();
            match field_of(&loc) {
                Some((field, Some(at))) => self.add(field, format!("{at}: {message}")),
                Some((field, None)) => self.add(field, message),
                None => self.general.push(message),
            }
        }
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The form field a `loc` points at, and the key or line within it.
fn field_of(loc: &[Value]) -> Option<(&'static str, Option<String>)> {
    let keys: Vec<String> = loc.iter().skip(1).filter_map(text).collect();
    let key = |i: usize| keys.get(i).cloned();
    let field = match keys.first()?.as_str() {
        "name" => "name",
        "integration_type" => "integration_type",
        "description" => "description",
        "status" => "status",
        "tags" => return Some(("tags", key(1).map(|i| format!("tag {}", index_label(&i))))),
        "config" => match key(1)?.as_str() {
            "env_vars" => return Some(("env_vars", key(2))),
            "secrets" => return Some(("secrets", key(2).map(|i| format!("line {}", index_label(&i))))),
            "files" => return Some(("files", key(2).map(|i| format!("file {}", index_label(&i))))),
            "context_prompt" => "context_prompt",
            "connection_test" if key(2).as_deref() == Some("timeout") => "test_timeout",
            "connection_test" => "test_command",
            _ => return None,
        },
        _ => return None,
    };
    Some((field, None))
}

/// A zero-based index from the API as the one-based number people count in.
fn index_label(raw: &str) -> String {
    raw.parse::<usize>().map_or_else(|_| raw.to_owned(), |i| (i + 1).to_string())
}

impl IntegrationForm {
    pub fn from_fields(fields: &Fields) -> Self {
        Self {
            name: fields.get("name").to_owned(),
            integration_type: fields.get("integration_type").to_owned(),
            description: fields.get("description").to_owned(),
            status: fields.get("status").to_owned(),
            tags: fields.get("tags").to_owned(),
            env_vars: fields.get("env_vars").to_owned(),
            secrets: fields.get("secrets").to_owned(),
            files: fields.get("files").to_owned(),
            context_prompt: fields.get("context_prompt").to_owned(),
            test_enabled: fields.get("test_enabled") == "on",
            test_command: fields.get("test_command").to_owned(),
            test_timeout: fields.get("test_timeout").to_owned(),
            revision: fields.get("revision").to_owned(),
        }
    }

    /// A form filled from an integration's (or a template's) JSON.
    pub fn from_json(integration: &Value) -> Self {
        let str_of = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let config = &integration["config"];
        let env_vars = config["env_vars"]
            .as_object()
            .map(|vars| vars.iter().map(|(k, v)| format!("{k}={}\n", str_of(v))).collect())
            .unwrap_or_default();
        let lines = |v: &Value| {
            v.as_array()
                .map(|items| items.iter().map(|i| format!("{}\n", str_of(i))).collect())
                .unwrap_or_default()
        };
        let files = match &config["files"] {
            Value::Array(files) if !files.is_empty() => {
                serde_json::to_string_pretty(files).unwrap_or_default()
            }
            _ => String::new(),
        };
        let test = &config["connection_test"];
        Self {
            name: str_of(&integration["name"]),
            integration_type: str_of(&integration["integration_type"]),
            description: str_of(&integration["description"]),
            status: str_of(&integration["status"]),
            tags: integration["tags"]
                .as_array()
                .map(|t| t.iter().map(str_of).collect::<Vec<_>>().join(", "))
                .unwrap_or_default(),
            env_vars,
            secrets: lines(&config["secrets"]),
            files,
            context_prompt: str_of(&config["context_prompt"]),
            test_enabled: test["enabled"].as_bool().unwrap_or(false),
            test_command: str_of(&test["command"]),
            test_timeout: text(&test["timeout"]).unwrap_or_default(),
            revision: text(&integration["revision"]).unwrap_or_default(),
        }
    }

    /// The API body. What the console itself cannot read (a line without
    /// `=`, files that are not JSON) is reported in `errors`; the rest is
    /// left to the API, whose 422 names the exact field.
    pub fn to_body(&self, with_status: bool, errors: &mut Errors) -> Value {
        let mut env_vars = Map::new();
        for (n, line) in self.env_vars.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            match line.split_once('=') {
                Some((key, value)) => {
                    env_vars.insert(key.trim().to_owned(), Value::String(value.to_owned()));
                }
                None => errors.add("env_vars", format!("line {}: write KEY=value", n + 1)),
            }
        }
        let secrets: Vec<Value> = self
            .secrets
            .split(['\n', ','])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Value::String(s.to_owned()))
            .collect();
        let files = if self.files.trim().is_empty() {
            json!([])
        } else {
            serde_json::from_str::<Value>(&self.files).unwrap_or_else(|e| {
                errors.add("files", format!("not a JSON list of files: {e}"));
                json!([])
            })
        };
        let connection_test = if self.test_command.trim().is_empty() && !self.test_enabled {
            Value::Null
        } else {
            let timeout = self.test_timeout.trim();
            let timeout = match timeout.parse::<i64>() {
                Ok(n) => json!(n),
                Err(_) if timeout.is_empty() => json!(patchbay_domain::DEFAULT_TEST_TIMEOUT_SECS),
                Err(_) => json!(timeout),
            };
            json!({"enabled": self.test_enabled, "command": self.test_command, "timeout": timeout})
        };
        let optional = |s: &str| if s.trim().is_empty() { Value::Null } else { Value::String(s.to_owned()) };
        let tags: Vec<Value> =
            self.tags.split(',').map(str::trim).filter(|t| !t.is_empty()).map(|t| json!(t)).collect();
        let mut body = json!({
            "name": self.name,
            "integration_type": self.integration_type,
            "description": optional(&self.description),
            "tags": tags,
            "config": {
                "env_vars": env_vars,
                "secrets": secrets,
                "files": files,
                "context_prompt": optional(&self.context_prompt),
                "connection_test": connection_test,
            },
        });
        if with_status {
            body["status"] = json!(self.status);
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form_of(pairs: &[(&str, &str)]) -> IntegrationForm {
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        IntegrationForm::from_fields(&Fields::parse(body.as_bytes()))
    }

    #[test]
    fn builds_the_api_body_from_text_fields() {
        let form = form_of(&[
            ("name", "db"),
            ("integration_type", "postgres"),
            ("tags", " a, b ,,"),
            ("env_vars", "A=1\n\nB=x=y\n"),
            ("secrets", "S1\nS2, S3"),
            ("test_command", "true"),
        ]);
        let mut errors = Errors::default();
        let body = form.to_body(false, &mut errors);
        assert!(errors.is_empty());
        assert_eq!(body["tags"], json!(["a", "b"]));
        assert_eq!(body["config"]["env_vars"], json!({"A": "1", "B": "x=y"}));
        assert_eq!(body["config"]["secrets"], json!(["S1", "S2", "S3"]));
        assert_eq!(
            body["config"]["connection_test"],
            json!({"enabled": false, "command": "true", "timeout": 5})
        );
        assert_eq!(body["description"], Value::Null);
        assert!(body.get("status").is_none());
    }

    #[test]
    fn reports_what_the_console_cannot_read() {
        let form = form_of(&[("env_vars", "A=1\nnot a pair"), ("files", "[{")]);
        let mut errors = Errors::default();
        form.to_body(true, &mut errors);
        assert_eq!(errors.fields["env_vars"], ["line 2: write KEY=value"]);
        assert!(errors.fields["files"][0].starts_with("not a JSON list of files"));
    }

    #[test]
    fn files_api_errors_under_their_fields() {
        let mut errors = Errors::default();
        errors.add_api(&json!({"detail": [
            {"loc": ["body", "name"], "msg": "Field required"},
            {"loc": ["body", "config", "env_vars", "1BAD"], "msg": "bad name"},
            {"loc": ["body", "config", "secrets", 0], "msg": "bad secret"},
            {"loc": ["body", "config", "connection_test", "timeout"], "msg": "too big"},
            {"loc": ["body", "config", "files", 1, "mode"], "msg": "bad mode"},
            {"loc": ["body"], "msg": "whole body"},
        ]}));
        assert_eq!(errors.fields["name"], ["Field required"]);
        assert_eq!(errors.fields["env_vars"], ["1BAD: bad name"]);
        assert_eq!(errors.fields["secrets"], ["line 1: bad secret"]);
        assert_eq!(errors.fields["test_timeout"], ["too big"]);
        assert_eq!(errors.fields["files"], ["file 2: bad mode"]);
        assert_eq!(errors.general, ["whole body"]);
    }

    #[test]
    fn a_loaded_integration_round_trips_through_the_form() {
        let integration = json!({"name": "db", "integration_type": "postgres", "description": null, "status": "inactive",
            "tags": ["a", "b"], "revision": 3, "config": {"env_vars": {"A": "1"}, "secrets": ["S"],
            "files": [{"path": "~/.x", "content": "hi", "secret_ref": null, "mode": "0600", "description": null}],
            "context_prompt": "p", "connection_test": {"enabled": true, "command": "true", "timeout": 7}}});
        let form = IntegrationForm::from_json(&integration);
        assert_eq!(form.revision, "3");
        let mut errors = Errors::default();
        let body = form.to_body(true, &mut errors);
        assert!(errors.is_empty());
        assert_eq!(body["config"], integration["config"]);
        assert_eq!(body["status"], "inactive");
        assert_eq!(body["tags"], integration["tags"]);
    }
}
