//! What a tool shows of the API's answers: Markdown an LLM reads well and
//! the same facts as structured content. An integration is shown by its
//! names — env vars, secrets, files' paths, providers — and never by a
//! value: an env var's value may be a template over secrets, a file's
//! content may be a secret, so neither is copied here.
use patchbay_api_types::{ConnectionTestResponse, IntegrationResponse, IntegrationTemplateSummary};
use serde::Serialize;
use std::fmt::Write;

/// An integration as an agent needs it to use one.
#[derive(Debug, Clone, Serialize)]
pub struct IntegrationView {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub integration_type: String,
    pub description: Option<String>,
    pub status: String,
    pub tags: Vec<String>,
    /// The env vars it sets, by name.
    pub env_vars: Vec<String>,
    /// The vault secrets it sets as env vars, by name.
    pub secrets: Vec<String>,
    pub files: Vec<FileView>,
    pub dynamic_credentials: Vec<CredentialView>,
    pub connection_test: Option<TestView>,
    pub context_prompt: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileView {
    pub path: String,
    pub mode: Option<String>,
    pub description: Option<String>,
    /// The vault secret the content is read from, by name.
    pub secret: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CredentialView {
    pub provider: String,
    pub role: String,
    pub username_env: Option<String>,
    pub password_env: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TestView {
    pub command: String,
    pub timeout_seconds: u16,
    pub enabled: bool,
}

impl From<&IntegrationResponse> for IntegrationView {
    fn from(integration: &IntegrationResponse) -> Self {
        let config = &integration.config;
        Self {
            id: integration.id.clone(),
            name: integration.name.clone(),
            integration_type: integration.integration_type.clone(),
            description: integration.description.clone(),
            status: integration.status.clone(),
            tags: integration.tags.clone(),
            env_vars: config.env_vars.keys().map(ToString::to_string).collect(),
            secrets: config.secrets.iter().map(ToString::to_string).collect(),
            files: config
                .files
                .iter()
                .map(|file| FileView {
                    path: file.path.to_string(),
                    mode: file.mode.as_ref().map(ToString::to_string),
                    description: file.description.clone(),
                    secret: file.secret_ref.clone(),
                })
                .collect(),
            dynamic_credentials: config
                .dynamic_credentials
                .iter()
                .map(|entry| CredentialView {
                    provider: entry.provider.to_string(),
                    role: entry.role.to_string(),
                    username_env: entry.env.username.as_ref().map(ToString::to_string),
                    password_env: entry.env.password.as_ref().map(ToString::to_string),
                })
                .collect(),
            connection_test: config.connection_test.as_ref().map(|test| TestView {
                command: test.command.clone(),
                timeout_seconds: test.timeout.seconds(),
                enabled: test.enabled,
            }),
            context_prompt: config.context_prompt.clone().filter(|prompt| !prompt.is_empty()),
        }
    }
}

impl IntegrationView {
    /// Everything an agent needs to use the integration, as Markdown.
    pub fn markdown(&self) -> String {
        let mut text = format!("# {}\n\n", self.name);
        let _ = writeln!(text, "- Type: {}", self.integration_type);
        let _ = writeln!(text, "- Status: {}", self.status);
        if !self.tags.is_empty() {
            let _ = writeln!(text, "- Tags: {}", self.tags.join(", "));
        }
        if let Some(description) = &self.description {
            let _ = writeln!(text, "\n{description}");
        }
        text.push_str("\n## Environment\n\n");
        if self.env_vars.is_empty() && self.secrets.is_empty() && self.dynamic_credentials.is_empty() {
            text.push_str("It sets no environment variables.\n");
        }
        if !self.env_vars.is_empty() {
            let _ = writeln!(text, "- Environment variables: {}", self.env_vars.join(", "));
        }
        if !self.secrets.is_empty() {
            let _ = writeln!(
                text,
                "- Secrets, set as environment variables of the same names (values are never shown): {}",
                self.secrets.join(", ")
            );
        }
        for credential in &self.dynamic_credentials {
            let vars: Vec<String> =
                [("username", &credential.username_env), ("password", &credential.password_env)]
                    .into_iter()
                    .filter_map(|(what, name)| name.as_ref().map(|name| format!("{what} in {name}")))
                    .collect();
            let _ = writeln!(
                text,
                "- A database user made for each run by provider `{}` (role `{}`): {}",
                credential.provider,
                credential.role,
                vars.join(", ")
            );
        }
        if !self.files.is_empty() {
            text.push_str("\n## Files (in the home directory of the run)\n\n");
            for file in &self.files {
                let mut facts = Vec::new();
                if let Some(mode) = &file.mode {
                    facts.push(format!("mode {mode}"));
                }
                if let Some(secret) = &file.secret {
                    facts.push(format!("content from secret {secret}"));
                }
                let _ = write!(text, "- `{}`", file.path);
                if !facts.is_empty() {
                    let _ = write!(text, " ({})", facts.join(", "));
                }
                match &file.description {
                    Some(description) => {
                        let _ = writeln!(text, ": {description}");
                    }
                    None => text.push('\n'),
                }
            }
        }
        text.push_str("\n## Connection test\n\n");
        match &self.connection_test {
            Some(test) => {
                let state = if test.enabled { "" } else { " (disabled)" };
                let _ = writeln!(text, "`{}` (timeout {} s){state}", test.command, test.timeout_seconds);
            }
            None => text.push_str("None configured.\n"),
        }
        if let Some(prompt) = &self.context_prompt {
            let _ = write!(text, "\n## Context prompt\n\n{prompt}\n");
        }
        text
    }
}

/// One line of `list_integrations`.
#[derive(Debug, Clone, Serialize)]
pub struct ListedIntegration {
    pub name: String,
    #[serde(rename = "type")]
    pub integration_type: String,
    pub description: Option<String>,
    pub status: String,
    pub tags: Vec<String>,
    /// The newest connection test's status, `None` when never tested.
    pub last_test: Option<String>,
}

impl ListedIntegration {
    pub fn new(integration: &IntegrationResponse, last_test: Option<&ConnectionTestResponse>) -> Self {
        Self {
            name: integration.name.clone(),
            integration_type: integration.integration_type.clone(),
            description: integration.description.clone(),
            status: integration.status.clone(),
            tags: integration.tags.clone(),
            last_test: last_test.map(|test| test.status.clone()),
        }
    }
}

pub fn integrations_markdown(listed: &[ListedIntegration]) -> String {
    if listed.is_empty() {
        return "No integrations match.\n".to_owned();
    }
    let mut text = format!("{} integration(s):\n\n", listed.len());
    for integration in listed {
        let _ = write!(
            text,
            "- **{}** ({}, {})",
            integration.name, integration.integration_type, integration.status
        );
        if let Some(description) = &integration.description {
            let _ = write!(text, ": {description}");
        }
        if !integration.tags.is_empty() {
            let _ = write!(text, ". Tags: {}", integration.tags.join(", "));
        }
        let tested = integration.last_test.as_deref().unwrap_or("never tested");
        let _ = writeln!(text, ". Last test: {tested}.");
    }
    text
}

/// One template of `list_templates`.
#[derive(Debug, Clone, Serialize)]
pub struct TemplateView {
    pub template_id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub integration_type: String,
    pub description: String,
    pub category: String,
    pub tags: Vec<String>,
}

impl From<IntegrationTemplateSummary> for TemplateView {
    fn from(template: IntegrationTemplateSummary) -> Self {
        Self {
            template_id: template.template_id,
            name: template.name,
            integration_type: template.integration_type,
            description: template.description,
            category: template.category,
            tags: template.tags,
        }
    }
}

pub fn templates_markdown(templates: &[TemplateView]) -> String {
    if templates.is_empty() {
        return "No templates match.\n".to_owned();
    }
    let mut text = format!("{} template(s):\n\n", templates.len());
    for template in templates {
        let _ = writeln!(
            text,
            "- `{}`: **{}** ({}, category {}): {}{}",
            template.template_id,
            template.name,
            template.integration_type,
            template.category,
            template.description,
            if template.tags.is_empty() {
                String::new()
            } else {
                format!(". Tags: {}", template.tags.join(", "))
            }
        );
    }
    text
}

/// A connection test's outcome; its output is masked by the worker that ran it.
#[derive(Debug, Clone, Serialize)]
pub struct TestResult {
    pub integration: String,
    pub job_id: String,
    /// `passed`, `failed`, `timeout`, `error`; `queued` or `running` when
    /// the API answered before the test ended (`message` says why).
    pub status: String,
    pub exit_code: Option<i32>,
    pub duration_ms: Option<i64>,
    pub output: Option<String>,
    pub message: Option<String>,
}

impl From<ConnectionTestResponse> for TestResult {
    fn from(test: ConnectionTestResponse) -> Self {
        Self {
            integration: test.integration_name,
            job_id: test.job_id,
            status: test.status,
            exit_code: test.exit_code,
            duration_ms: test.duration_ms,
            output: test.output,
            message: test.message,
        }
    }
}

impl TestResult {
    pub fn markdown(&self) -> String {
        let mut text = format!("Connection test of {}: {}", self.integration, self.status);
        if let Some(code) = self.exit_code {
            let _ = write!(text, ", exit code {code}");
        }
        if let Some(ms) = self.duration_ms {
            let _ = write!(text, ", {ms} ms");
        }
        text.push_str(".\n");
        if let Some(message) = &self.message {
            let _ = writeln!(text, "\n{message}");
        }
        if let Some(output) = self.output.as_deref().filter(|output| !output.is_empty()) {
            let _ = write!(text, "\nOutput (secret values masked):\n\n```\n{}\n```\n", output.trim_end());
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn integration() -> IntegrationResponse {
        serde_json::from_value(json!({
            "id": "1", "organization_id": "acme", "name": "pg", "integration_type": "postgres",
            "description": "Main database", "status": "active", "tags": ["prod"],
            "created_at": "t", "updated_at": "t", "created_by": null,
            "config": {
                "env_vars": {"DATABASE_URL": "postgres://app:literal-password@db/app"},
                "secrets": ["DB_PASSWORD"],
                "files": [
                    {"path": "~/.pgpass", "content": "db:5432:*:app:hunter2", "secret_ref": null, "mode": "0600", "description": null},
                    {"path": "ca.pem", "content": null, "secret_ref": "CA_CERT", "mode": "0644", "description": "the CA"}
                ],
                "context_prompt": "Read-only queries.",
                "connection_test": {"enabled": true, "command": "psql -c 'select 1'", "timeout": 5}
            }
        }))
        .unwrap()
    }

    #[test]
    fn an_integration_is_shown_by_names_never_by_values() {
        let view = IntegrationView::from(&integration());
        let shown = format!("{}{}", view.markdown(), serde_json::to_string(&view).unwrap());
        for name in ["DATABASE_URL", "DB_PASSWORD", "~/.pgpass", "CA_CERT", "psql -c 'select 1'", "Read-only"]
        {
            assert!(shown.contains(name), "{name} in {shown}");
        }
        for value in ["literal-password", "hunter2"] {
            assert!(!shown.contains(value), "{value} in {shown}");
        }
    }
}
