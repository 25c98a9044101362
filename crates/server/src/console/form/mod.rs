//! The integration form: what the user typed (kept verbatim across a 422),
//! the typed API body it becomes, and where each error belongs.
//!
//! The typed text becomes the JSON a client would send, and the API's own
//! parser (the one its handlers run) turns that into the typed request the
//! console sends: the form reports exactly the API's errors, at the same
//! fields, without a round trip, and its body cannot be one the API reads
//! differently.
mod errors;
mod files;
mod view;
mod warnings;

pub use errors::Errors;
pub use files::{FileRow, Source};
pub use view::render;
pub use warnings::Warnings;

use super::Fields;
use patchbay_api_types::{
    CreateIntegrationRequest, IntegrationResponse, UpdateIntegrationRequest, parse_create_request,
    parse_update_request,
};
use patchbay_domain::IntegrationConfig;
use serde_json::{Map, Value, json};

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
    pub files: Vec<FileRow>,
    pub context_prompt: String,
    pub test_enabled: bool,
    pub test_command: String,
    pub test_timeout: String,
    /// Seconds between scheduled tests; empty: only when asked.
    pub test_interval: String,
    /// The revision the edit started from (the API's `ETag`), sent as `If-Match`.
    pub revision: String,
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
            files: FileRow::from_fields(fields),
            context_prompt: fields.get("context_prompt").to_owned(),
            test_enabled: fields.get("test_enabled") == "on",
            test_command: fields.get("test_command").to_owned(),
            test_timeout: fields.get("test_timeout").to_owned(),
            test_interval: fields.get("test_interval").to_owned(),
            revision: fields.get("revision").to_owned(),
        }
    }

    /// A form filled from an integration. Its revision is not in the body
    /// (the API sends it as the `ETag`): the caller sets `revision`.
    pub fn from_integration(integration: &IntegrationResponse) -> Self {
        let form = Self {
            name: integration.name.clone(),
            integration_type: integration.integration_type.clone(),
            description: integration.description.clone().unwrap_or_default(),
            status: integration.status.clone(),
            tags: integration.tags.join(", "),
            ..Self::default()
        };
        form.with_config(&integration.config)
    }

    /// The form with a config's fields filled in (an integration's or a template's).
    pub fn with_config(mut self, config: &IntegrationConfig) -> Self {
        self.env_vars = config.env_vars.iter().map(|(k, v)| format!("{}={v}\n", k.as_str())).collect();
        self.secrets = config.secrets.iter().map(|s| format!("{}\n", s.as_str())).collect();
        self.files = config.files.iter().map(FileRow::from_spec).collect();
        self.context_prompt = config.context_prompt.clone().unwrap_or_default();
        if let Some(test) = &config.connection_test {
            self.test_enabled = test.enabled;
            self.test_command = test.command.clone();
            self.test_timeout = test.timeout.seconds().to_string();
            self.test_interval = test.interval_seconds.map(|s| s.to_string()).unwrap_or_default();
        }
        self
    }

    /// The create body, or `None` with the reasons in `errors`.
    pub fn to_create(&self, errors: &mut Errors) -> Option<CreateIntegrationRequest> {
        let (body, rows) = self.to_json(false, errors);
        let parsed = parse_create_request(&body).map_err(|e| errors.add_api(&e, &rows)).ok();
        parsed.filter(|_| errors.is_empty())
    }

    /// The update body (every field, status included), or `None` with the
    /// reasons in `errors`.
    pub fn to_update(&self, errors: &mut Errors) -> Option<UpdateIntegrationRequest> {
        let (body, rows) = self.to_json(true, errors);
        let patch = parse_update_request(&body).map_err(|e| errors.add_api(&e, &rows)).ok()?;
        errors.is_empty().then(|| UpdateIntegrationRequest {
            name: patch.name,
            integration_type: patch.integration_type,
            description: patch.description,
            config: patch.config,
            status: patch.status,
            tags: patch.tags,
        })
    }

    /// The page row of each file sent, in the order sent: where the API's
    /// errors about `files[i]` belong.
    pub fn file_rows(&self) -> Vec<usize> {
        files::to_send(&self.files).1
    }

    /// The body as a client would write it from these fields. What the
    /// console itself cannot read (a line without `=`) goes to `errors`.
    fn to_json(&self, with_status: bool, errors: &mut Errors) -> (Value, Vec<usize>) {
        let mut env_vars = Map::new();
        for (n, line) in self.env_vars.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            match line.split_once('=') {
                Some((key, value)) => {
                    env_vars.insert(key.trim().to_owned(), Value::String(value.to_owned()));
                }
                None => errors.add("env_vars", format!("line {}: write KEY=value", n + 1)),
            }
        }
        let secrets: Vec<&str> =
            self.secrets.split(['\n', ',']).map(str::trim).filter(|s| !s.is_empty()).collect();
        let (files, rows) = files::to_send(&self.files);
        let connection_test = if self.test_command.trim().is_empty() && !self.test_enabled {
            Value::Null
        } else {
            let timeout = self.test_timeout.trim();
            let timeout = match timeout.parse::<i64>() {
                Ok(n) => json!(n),
                Err(_) if timeout.is_empty() => json!(patchbay_domain::DEFAULT_TEST_TIMEOUT_SECS),
                Err(_) => json!(timeout),
            };
            let mut test =
                json!({"enabled": self.test_enabled, "command": self.test_command, "timeout": timeout});
            // Absent when empty, as a client without a schedule writes it.
            let interval = self.test_interval.trim();
            if !interval.is_empty() {
                test["interval_seconds"] =
                    interval.parse::<i64>().map_or_else(|_| json!(interval), |n| json!(n));
            }
            test
        };
        let optional = |s: &str| if s.trim().is_empty() { Value::Null } else { Value::String(s.to_owned()) };
        let tags: Vec<&str> = self.tags.split(',').map(str::trim).filter(|t| !t.is_empty()).collect();
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
        (body, rows)
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
    fn builds_the_typed_request_from_text_fields() {
        let form = form_of(&[
            ("name", "db"),
            ("integration_type", "postgres"),
            ("tags", " a, b ,,"),
            ("env_vars", "A=1\r\n\r\nB=x=y\r\n"),
            ("secrets", "S1\nS2, S3"),
            ("test_command", "true"),
        ]);
        let mut errors = Errors::default();
        let request = form.to_create(&mut errors).expect("a valid form");
        assert!(errors.is_empty());
        let body = serde_json::to_value(&request).unwrap();
        assert_eq!(body["tags"], json!(["a", "b"]));
        assert_eq!(body["config"]["env_vars"], json!({"A": "1", "B": "x=y"}));
        assert_eq!(body["config"]["secrets"], json!(["S1", "S2", "S3"]));
        assert_eq!(
            body["config"]["connection_test"],
            json!({"enabled": false, "command": "true", "timeout": 5})
        );
        assert_eq!(body["description"], Value::Null);
    }

    #[test]
    fn reports_the_apis_errors_and_what_the_console_cannot_read() {
        let form = form_of(&[
            ("name", "db"),
            ("integration_type", "custom"),
            ("env_vars", "A=1\nnot a pair"),
            ("test_command", "true"),
            ("test_timeout", "900"),
            ("test_interval", "0"),
            ("file_path", "~/.a"),
            ("file_source", "content"),
            ("file_content", "x"),
            ("file_mode", "0999"),
        ]);
        let mut errors = Errors::default();
        assert!(form.to_create(&mut errors).is_none());
        assert_eq!(errors.fields["env_vars"], ["line 2: write KEY=value"]);
        assert!(errors.fields["test_timeout"][0].contains("less than or equal to 300"), "{errors:?}");
        assert!(errors.fields["test_interval"][0].contains("greater than or equal to 1"), "{errors:?}");
        assert!(errors.rows[&0][0].starts_with("mode: "), "{errors:?}");
    }

    #[test]
    fn a_loaded_integration_round_trips_through_the_form() {
        let integration: IntegrationResponse = serde_json::from_value(json!({
            "id": "00000000-0000-0000-0000-000000000001", "organization_id": "acme",
            "name": "db", "integration_type": "postgres", "description": null, "status": "inactive",
            "tags": ["a", "b"], "created_at": "", "updated_at": "", "created_by": null,
            "config": {"env_vars": {"A": "1"}, "secrets": ["S"],
                "files": [{"path": "~/.x", "content": "\nhi\r\n", "secret_ref": null, "mode": "0600", "description": null},
                          {"path": "~/.y", "content": null, "secret_ref": "S", "mode": "0400", "description": "d"}],
                "context_prompt": "p", "connection_test": {"enabled": true, "command": "true", "timeout": 7,
                                                       "interval_seconds": 60}}}))
        .unwrap();
        let form = IntegrationForm::from_integration(&integration);
        assert_eq!(form.revision, "", "the body carries no revision: the ETag does");
        assert_eq!(form.test_interval, "60");
        let mut errors = Errors::default();
        let request = form.to_update(&mut errors).expect("a valid form");
        assert_eq!(request.config.as_ref(), Some(&integration.config));
        assert_eq!(request.status.map(|s| s.as_str()), Some("inactive"));
        assert_eq!(request.tags.as_deref(), Some(&integration.tags[..]));
    }
}
