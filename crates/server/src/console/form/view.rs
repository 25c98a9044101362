//! The integration form as HTML: every input labelled, each error beside
//! its field (or its file row) and linked to it with `aria-describedby`.
use super::{Errors, FileRow, IntegrationForm, Source, Warnings};
use crate::console::lines::textarea_text;
use maud::{Markup, html};
use patchbay_api_types::models::connection_test::MAX_TEST_INTERVAL_SECONDS;

/// The grammar of env var values and file contents, as the hints show it.
const REFERENCES: &str = "{{.secret.NAME}} inserts vault secret NAME, ${NAME} or {{.env.NAME}} another variable's value, $$ a literal $; any other text is kept as written.";

/// A labelled input or textarea with its errors beside it.
fn field(errors: &Errors, id: &'static str, label: &str, hint: &str, control: Markup) -> Markup {
    field_warned(errors, &[], id, label, hint, control)
}

/// A field that may also carry warnings (saved as typed, but suspicious).
fn field_warned(
    errors: &Errors,
    warnings: &[String],
    id: &'static str,
    label: &str,
    hint: &str,
    control: Markup,
) -> Markup {
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
            (warning_list(&format!("{id}-warning"), warnings))
        }
    }
}

fn warning_list(id: &str, warnings: &[String]) -> Markup {
    html! {
        @if !warnings.is_empty() {
            ul.field-warnings id=(id) {
                @for warning in warnings { li { (warning) } }
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
    let warnings = Warnings::of(form);
    let describe = |id: &str| -> String {
        let mut ids = format!("{id}-hint");
        if errors.fields.contains_key(id) {
            ids.push_str(&format!(" {id}-error"));
        }
        if id == "env_vars" && !warnings.env_vars.is_empty() {
            ids.push_str(" env_vars-warning");
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
                    textarea id="description" name="description" rows="2" { (textarea_text(&form.description)) }
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
                (field_warned(errors, &warnings.env_vars, "env_vars", "Environment variables", &format!("One KEY=value a line. {REFERENCES}"), html! {
                    textarea.mono id="env_vars" name="env_vars" rows="5" aria-describedby=(describe("env_vars")) { (textarea_text(&form.env_vars)) }
                }))
                (field(errors, "secrets", "Secrets", "Names of vault secrets to export as variables of the same name, one a line.", html! {
                    textarea.mono id="secrets" name="secrets" rows="3" aria-describedby=(describe("secrets")) { (textarea_text(&form.secrets)) }
                }))
                (field(errors, "context_prompt", "Context prompt", "What the agent is told about this integration.", html! {
                    textarea id="context_prompt" name="context_prompt" rows="4" aria-describedby=(describe("context_prompt")) { (textarea_text(&form.context_prompt)) }
                }))
            }
            (file_rows(&form.files, errors, &warnings))
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
                (field(errors, "test_interval", "Run every (seconds)", &format!("Empty: only when asked. From 1 to {MAX_TEST_INTERVAL_SECONDS}; 10 or more in production."), html! {
                    input id="test_interval" name="test_interval" inputmode="numeric" value=(form.test_interval) aria-describedby=(describe("test_interval"));
                }))
            }
            div.actions { button type="submit" { (submit) } }
        }
    }
}

/// The files fieldset: a row per file, and a spare blank row for a new one
/// (the script's "Add another file" copies it; without the script, save and
/// a new spare row appears).
fn file_rows(rows: &[FileRow], errors: &Errors, warnings: &Warnings) -> Markup {
    let spare = rows.last().is_none_or(|row| !row.is_blank());
    let blank = FileRow::default();
    let shown = rows.iter().chain(spare.then_some(&blank));
    html! {
        fieldset.files aria-describedby="files-hint" {
            legend { "Files" }
            small.hint id="files-hint" { "Written into the agent's home before it runs. A leading ~/ is the home itself. Text typed here may use references: " (REFERENCES) }
            @if let Some(messages) = errors.fields.get("files") {
                ul.field-errors role="alert" { @for message in messages { li { (message) } } }
            }
            @for (i, row) in shown.enumerate() {
                (file_row(i, row, errors.rows.get(&i), warnings.rows.get(&i).map_or(&[][..], Vec::as_slice)))
            }
            button.secondary type="button" data-add-file hidden { "Add another file" }
        }
    }
}

fn file_row(i: usize, row: &FileRow, messages: Option<&Vec<String>>, warnings: &[String]) -> Markup {
    let id = |name: &str| format!("{name}-{i}");
    html! {
        div.file-row.invalid[messages.is_some()] data-source=(row.source.as_str()) {
            div.file-head {
                div {
                    label for=(id("file_path")) { "Path" }
                    input.mono id=(id("file_path")) name="file_path" value=(row.path) placeholder="~/.pgpass";
                }
                div {
                    label for=(id("file_mode")) { "Mode" }
                    input.mono id=(id("file_mode")) name="file_mode" value=(row.mode) placeholder="0644" inputmode="numeric";
                }
                div {
                    label for=(id("file_source")) { "Content from" }
                    select id=(id("file_source")) name="file_source" {
                        option value="content" selected[row.source == Source::Content] { "text typed here" }
                        option value="secret" selected[row.source == Source::Secret] { "a vault secret" }
                    }
                }
            }
            div.file-content {
                label for=(id("file_content")) { "Content" }
                textarea.mono id=(id("file_content")) name="file_content" rows="4" spellcheck="false" { (textarea_text(&row.content)) }
                (row.endings.select(&id("file_endings"), "file_endings"))
            }
            div.file-secret {
                label for=(id("file_secret")) { "Secret name" }
                input.mono id=(id("file_secret")) name="file_secret" value=(row.secret_ref) placeholder="PGPASS";
            }
            div {
                label for=(id("file_description")) { "Description (optional)" }
                input id=(id("file_description")) name="file_description" value=(row.description);
            }
            input type="hidden" name="file_original" value=(row.original_field());
            div.field.check {
                input type="checkbox" id=(id("file_remove")) name="file_remove" value=(i) checked[row.remove];
                label for=(id("file_remove")) { "Remove this file" }
            }
            @if let Some(messages) = messages {
                ul.field-errors role="alert" { @for message in messages { li { (message) } } }
            }
            (warning_list(&id("file_warning"), warnings))
        }
    }
}
