//! Secrets: names and versions, which integrations use each, and a form to
//! set or rotate a value. A value is write-only: no page ever renders one.
use crate::console::api::encode;
use crate::console::api::{Refusal, Reply};
use crate::console::lines::LineEndings;
use crate::console::session::Session;
use crate::console::{Console, Fields, Posted, SignedIn, layout};
use crate::routes::INTEGRATIONS;
use axum::extract::{RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use patchbay_api_types::{IntegrationResponse, LocItem, PutSecretRequest, SecretResponse};
use std::collections::BTreeMap;

/// Integrations by the secret names they reference (as exported secrets or
/// as a file's source).
fn references(integrations: &[IntegrationResponse]) -> BTreeMap<String, Vec<&IntegrationResponse>> {
    let mut map: BTreeMap<String, Vec<&IntegrationResponse>> = BTreeMap::new();
    for integration in integrations {
        let config = &integration.config;
        let names = config.secrets.iter().map(|s| s.as_str().to_owned());
        let files = config.files.iter().filter_map(|f| f.secret_ref.clone());
        let mut names: Vec<String> = names.chain(files).collect();
        names.dedup();
        for name in names {
            map.entry(name).or_default().push(integration);
        }
    }
    map
}

/// Errors of the set form: by field (`name`, `value`, `description`).
#[derive(Default)]
struct FormErrors(BTreeMap<String, Vec<String>>);

impl FormErrors {
    fn from_reply(reply: &Reply) -> Self {
        let mut errors = Self::default();
        match reply.refusal() {
            Refusal::Fields(list) => {
                for error in list {
                    let field = match error.loc.last() {
                        Some(LocItem::Key(key))
                            if ["name", "value", "description"].contains(&key.as_str()) =>
                        {
                            key
                        }
                        _ => "name",
                    };
                    errors.0.entry(field.to_owned()).or_default().push(error.msg);
                }
            }
            Refusal::Message(message) => errors.0.entry("name".into()).or_default().push(message),
        }
        errors
    }
}

async fn render(
    console: &Console,
    session: &Session,
    (name, description, notice): (&str, &str, &str),
    errors: &FormErrors,
) -> Response {
    let secrets: Result<Vec<SecretResponse>, String> =
        console.api.get("/api/v1/secrets", session).await.into();
    let integrations: Vec<IntegrationResponse> = console
        .api
        .call(Method::GET, &format!("{INTEGRATIONS}?limit=1000"), session, None)
        .await
        .into()
        .unwrap_or_default();
    let used = references(&integrations);
    let writer = session.actor.role.can_write_integrations();
    let field_errors = |field: &str| {
        html! { @if let Some(messages) = errors.0.get(field) { ul.field-errors id={ (field) "-error" } role="alert" { @for m in messages { li { (m) } } } } }
    };
    let content = html! {
        h1 { "Secrets" }
        (layout::notice(Some(notice)))
        p.hint { "Values are encrypted in the vault and never shown: not here, not in the API's lists, not in the audit log." }
        @match &secrets {
            Err(message) => (layout::error(message)),
            Ok(secrets) if secrets.is_empty() => div.empty { p { "No secrets yet. Integrations name the secrets they need" @if writer { "; set each one's value below." } @else { ": a member or an admin sets their values." } } },
            Ok(secrets) => table.list {
                thead { tr { th { "Name" } th { "Version" } th { "Updated" } th { "Used by" } } }
                tbody { @for secret in secrets { tr {
                    td data-label="Name" { code { (secret.name) } @if let Some(d) = &secret.description { div.muted { (d) } } }
                    td data-label="Version" { (secret.version) }
                    td data-label="Updated" { (layout::when(&secret.updated_at)) @if let Some(by) = &secret.created_by { div.muted { "by " (by) } } }
                    td data-label="Used by" {
                        @match used.get(&secret.name) {
                            Some(list) => { @for i in list { a href={ "/integrations/" (i.id) } { (i.name) } " " } },
                            None => span.muted { "no integration" },
                        }
                        @if writer { " · " a href={ "/secrets?name=" (encode(&secret.name)) "#set" } { "Rotate" } }
                    }
                } } }
            },
        }
        @let missing: Vec<&String> = used.keys().filter(|n| secrets.as_ref().is_ok_and(|s| !s.iter().any(|s| &&s.name == n))).collect();
        @if !missing.is_empty() {
            p { "Referenced but not set: " @for name in &missing { code.missing { (name) } " " } }
        }
        @if writer {
            h2 id="set" { "Set or rotate a secret" }
            form.secret method="post" action="/secrets" autocomplete="off" {
                (layout::csrf(session))
                div.field.invalid[errors.0.contains_key("name")] {
                    label for="name" { "Name" }
                    input id="name" name="name" value=(name) required aria-describedby=[errors.0.contains_key("name").then_some("name-error")];
                    (field_errors("name"))
                }
                div.field.invalid[errors.0.contains_key("value")] {
                    label for="value" { "Value" }
                    small.hint id="value-hint" { "Saved exactly as typed or pasted, line breaks included: certificates, keys and kubeconfigs keep every line. Masked as you type." }
                    // A textarea, not a password input: an input drops line breaks.
                    textarea.mono.masked id="value" name="value" rows="6" required autocomplete="off" spellcheck="false" autocapitalize="off"
                        aria-describedby={ "value-hint" @if errors.0.contains_key("value") { " value-error" } } {}
                    div.value-options {
                        (LineEndings::Lf.select("line_endings", "line_endings"))
                        button.secondary type="button" data-reveal="value" aria-controls="value" aria-pressed="false" hidden { "Show value" }
                    }
                    (field_errors("value"))
                }
                div.field.invalid[errors.0.contains_key("description")] {
                    label for="description" { "Description (optional)" }
                    input id="description" name="description" value=(description);
                    (field_errors("description"))
                }
                div.actions { button type="submit" { "Save secret" } }
            }
        }
    };
    let status = if errors.0.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, layout::page("Secrets", session, "Secrets", content)).into_response()
}

pub async fn page(State(console): State<Console>, user: SignedIn, RawQuery(query): RawQuery) -> Response {
    let params = Fields::parse(query.unwrap_or_default().as_bytes());
    render(&console, &user.session, (params.get("name"), "", params.get("notice")), &FormErrors::default())
        .await
}

pub async fn set(State(console): State<Console>, posted: Posted) -> Response {
    let session = &posted.user.session;
    let (name, value, description) =
        (posted.fields.get("name"), posted.fields.get("value"), posted.fields.get("description"));
    if name.trim().is_empty() {
        let errors = FormErrors([("name".to_owned(), vec!["Enter the secret's name".to_owned()])].into());
        return render(&console, session, (name, description, ""), &errors).await;
    }
    // The browser sent every line break as CRLF; the chosen endings say
    // which the value really has (see `lines`).
    let value = LineEndings::parse(posted.fields.get("line_endings")).apply(value);
    let body =
        PutSecretRequest { value, description: (!description.is_empty()).then(|| description.to_owned()) };
    let path = format!("/api/v1/secrets/{}", encode(name));
    let reply = console.api.send(Method::PUT, &path, session, &body, None).await;
    if reply.status.is_success() {
        return Redirect::to("/secrets?notice=secret").into_response();
    }
    // The typed value is dropped: it is never sent back to the browser.
    render(&console, session, (name, description, ""), &FormErrors::from_reply(&reply)).await
}
