//! Create (blank or from a template) and edit. A 422 re-renders the form
//! with what the user typed and each error beside its field.
use crate::console::api::encode;
use crate::console::form::{Errors, IntegrationForm};
use crate::console::form_view::render;
use crate::console::session::Session;
use crate::console::{Console, Fields, Posted, SignedIn, layout};
use crate::routes::INTEGRATIONS;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use patchbay_api_types::IntegrationTemplateSummary;
use serde_json::Value;

async fn templates(console: &Console, session: &Session) -> Vec<IntegrationTemplateSummary> {
    let reply = console.api.call(Method::GET, "/api/v1/integration-templates", session, None).await;
    reply.into().unwrap_or_default()
}

async fn new_page(
    console: &Console,
    session: &Session,
    form: &IntegrationForm,
    errors: &Errors,
    chosen: &str,
) -> Response {
    let templates = templates(console, session).await;
    let content = html! {
        h1 { "New integration" }
        form.filters method="get" action="/integrations/new" {
            div {
                label for="template" { "Start from" }
                select id="template" name="template" {
                    option value="" { "a blank form" }
                    @for t in &templates {
                        option value=(t.template_id) selected[t.template_id == chosen] { (t.name) " (" (t.category) ")" }
                    }
                }
            }
            div { button type="submit" { "Use" } }
        }
        (render(form, errors, "/integrations/new", "Create integration", false, layout::csrf(session)))
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, layout::page("New integration", session, "Integrations", content)).into_response()
}

pub async fn new_form(State(console): State<Console>, user: SignedIn, RawQuery(query): RawQuery) -> Response {
    let session = &user.session;
    let params = Fields::parse(query.unwrap_or_default().as_bytes());
    let chosen = params.get("template");
    let mut errors = Errors::default();
    let form = if chosen.is_empty() {
        IntegrationForm {
            test_timeout: patchbay_domain::DEFAULT_TEST_TIMEOUT_SECS.to_string(),
            ..Default::default()
        }
    } else {
        let path = format!("/api/v1/integration-templates/{}", encode(chosen));
        match console.api.call(Method::GET, &path, session, None).await.into::<Value>() {
            Ok(template) => {
                let mut form = IntegrationForm::from_json(&template);
                // The template's name is its title; the integration needs its own.
                form.name = String::new();
                form
            }
            Err(message) => {
                errors.general.push(message);
                IntegrationForm::default()
            }
        }
    };
    new_page(&console, session, &form, &errors, chosen).await
}

pub async fn create(State(console): State<Console>, posted: Posted) -> Response {
    let session = &posted.user.session;
    let form = IntegrationForm::from_fields(&posted.fields);
    let mut errors = Errors::default();
    let body = form.to_body(false, &mut errors);
    if errors.is_empty() {
        let reply = console.api.call(Method::POST, INTEGRATIONS, session, Some(body)).await;
        if reply.status.is_success() {
            let id = reply.body["id"].as_str().unwrap_or_default();
            return Redirect::to(&format!("/integrations/{id}?notice=created")).into_response();
        }
        file_error(&mut errors, reply.status, &reply.body);
    }
    new_page(&console, session, &form, &errors, "").await
}

/// Puts a refused write's reasons where they belong: 422s by field, a name
/// conflict beside the name, anything else at the top.
fn file_error(errors: &mut Errors, status: StatusCode, body: &Value) {
    let message = body["detail"].as_str().map(str::to_owned);
    match (status, message) {
        (StatusCode::UNPROCESSABLE_ENTITY, _) => errors.add_api(body),
        (StatusCode::CONFLICT, Some(message)) => errors.add("name", message),
        (StatusCode::PRECONDITION_FAILED, _) => errors.general.push(
            "Someone changed this integration since you opened the form. Reload it to see their change, then edit again."
                .into(),
        ),
        (_, Some(message)) => errors.general.push(message),
        (status, None) => errors.general.push(format!("The API answered {status}")),
    }
}

fn edit_page(session: &Session, id: &str, form: &IntegrationForm, errors: &Errors) -> Response {
    let content = html! {
        p.crumbs { a href={ "/integrations/" (id) } { "← " (form.name) } }
        h1 { "Edit integration" }
        (render(form, errors, &format!("/integrations/{id}/edit"), "Save changes", true, layout::csrf(session)))
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, layout::page("Edit integration", session, "Integrations", content)).into_response()
}

pub async fn edit_form(State(console): State<Console>, user: SignedIn, Path(id): Path<String>) -> Response {
    let session = &user.session;
    let path = format!("{INTEGRATIONS}/{}", encode(&id));
    let reply = console.api.call(Method::GET, &path, session, None).await;
    // The revision the form was filled from, sent back as `If-Match`.
    let revision = reply.etag;
    match reply.into::<Value>() {
        Ok(integration) => {
            let mut form = IntegrationForm::from_json(&integration);
            form.revision = revision.map(|n| n.to_string()).unwrap_or_default();
            edit_page(session, &id, &form, &Errors::default())
        }
        Err(message) => layout::failure(session, "Integration not found", &message).into_response(),
    }
}

pub async fn update(State(console): State<Console>, Path(id): Path<String>, posted: Posted) -> Response {
    let session = &posted.user.session;
    let form = IntegrationForm::from_fields(&posted.fields);
    let mut errors = Errors::default();
    let body = form.to_body(true, &mut errors);
    if errors.is_empty() {
        let path = format!("{INTEGRATIONS}/{}", encode(&id));
        let if_match = form.revision.parse().ok();
        let reply = console.api.call_with(Method::PUT, &path, session, Some(body), if_match).await;
        if reply.status.is_success() {
            return Redirect::to(&format!("/integrations/{}?notice=saved", encode(&id))).into_response();
        }
        file_error(&mut errors, reply.status, &reply.body);
    }
    edit_page(session, &id, &form, &errors)
}
