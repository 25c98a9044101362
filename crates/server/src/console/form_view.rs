//! The integration form as HTML: every input labelled, each error beside
//! its field and linked to it with `aria-describedby`.
use super::form::{Errors, IntegrationForm};
use maud::{Markup, html};

/// A labelled input or textarea with its errors beside it.
fn field(errors: &Errors, id: &'static str, label: &str, hint: &str, control: Markup) -> Markup {
    let messages = errors.fields.get(id);
    html! {
        div.field.invalid[messages.is_some()] {
            label for=(id) { (label) }
            @if !hint.is_empty() { small.hint id={ (id) "-hint" } { (hint) } }
            (control)
            @if let Some(messages) = messages {
                ul.field-errors id={ (id) "-error" } role="alert" {
                    @for message in messages { li { (message) } }
                }
            }
        }
    }
}

/// The whole form. `editing` adds the status field and the revision.
pub fn render(
    form: &IntegrationForm,
    errors: &Errors,
    action: &str,
    submit: &str,
    editing: bool,
    csrf: Markup,
) -> Markup {
    let describe = |id: &str| -> String {
        let mut ids = format!("{id}-hint");
        if errors.fields.contains_key(id) {
            ids.push_str(&format!(" {id}-error"));
        }
        ids
    };
    html! {
        @if !errors.is_empty() {
            div.error role="alert" {
                p { "The integration was not saved: correct the fields marked below." }
                @for message in &errors.general { p { (message) } }
            }
        }
        form.integration method="post" action=(action) novalidate {
            (csrf)
            @if editing { input type="hidden" name="revision" value=(form.revision); }
            fieldset {
                legend { "Integration" }
                (field(errors, "name", "Name", "Unique in your organization.", html! {
                    input id="name" name="name" value=(form.name) aria-describedby=(describe("name")) aria-invalid[errors.fields.contains_key("name")];
                }))
                (field(errors, "integration_type", "Type", "For example postgres, github, custom.", html! {
                    input id="integration_type" name="integration_type" value=(form.integration_type) aria-describedby=(describe("integration_type"));
                }))
                (field(errors, "description", "Description", "", html! {
                    textarea id="description" name="description" rows="2" { (form.description) }
                }))
                @if editing {
                    (field(errors, "status", "Status", "", html! {
                        select id="status" name="status" {
                            @for status in ["active", "inactive", "deleted"] {
                                option value=(status) selected[form.status == status] { (status) }
                            }
                        }
                    }))
                }
                (field(errors, "tags", "Tags", "Comma-separated.", html! {
                    input id="tags" name="tags" value=(form.tags) aria-describedby=(describe("tags"));
                }))
            }
            fieldset {
                legend { "Configuration" }
                (field(errors, "env_vars", "Environment variables", "One KEY=value a line; {{secrets.NAME}} places a secret.", html! {
                    textarea.mono id="env_vars" name="env_vars" rows="5" aria-describedby=(describe("env_vars")) { (form.env_vars) }
                }))
                (field(errors, "secrets", "Secrets", "Names of vault secrets to export, one a line.", html! {
                    textarea.mono id="secrets" name="secrets" rows="3" aria-describedby=(describe("secrets")) { (form.secrets) }
                }))
                (field(errors, "files", "Files", r#"A JSON list: [{"path": "~/.pgpass", "secret_ref": "PGPASS", "mode": "0600"}]; "content" instead of "secret_ref" for plain text."#, html! {
                    textarea.mono id="files" name="files" rows="5" aria-describedby=(describe("files")) { (form.files) }
                }))
                (field(errors, "context_prompt", "Context prompt", "What the agent is told about this integration.", html! {
                    textarea id="context_prompt" name="context_prompt" rows="4" aria-describedby=(describe("context_prompt")) { (form.context_prompt) }
                }))
            }
            fieldset {
                legend { "Connection test" }
                div.field.check {
                    input id="test_enabled" name="test_enabled" type="checkbox" checked[form.test_enabled];
                    label for="test_enabled" { "Enabled" }
                }
                (field(errors, "test_command", "Command", "Run by a worker with the integration's environment; exit 0 passes.", html! {
                    input.mono id="test_command" name="test_command" value=(form.test_command) aria-describedby=(describe("test_command"));
                }))
                (field(errors, "test_timeout", "Timeout (seconds)", "From 1 to 300.", html! {
                    input id="test_timeout" name="test_timeout" inputmode="numeric" value=(form.test_timeout) aria-describedby=(describe("test_timeout"));
                }))
            }
            div.actions { button type="submit" { (submit) } }
        }
    }
}
