//! Create (blank or from a template) and edit. A 422 re-renders the form
//! with what the user typed and each error beside its field.
use crate::console::api::Refusal;
use crate::console::api::encode;
use crate::console::form::{Errors, IntegrationForm, Warnings, render};
use crate::console::session::Session;
use crate::console::{Console, Fields, Posted, SignedIn, layout};
use crate::routes::INTEGRATIONS;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use patchbay_api_types::{IntegrationResponse, IntegrationTemplateResponse, IntegrationTemplateSummary};
use patchbay_domain::IntegrationConfig;

async fn templates(console: &Console, session: &Session) -> Vec<IntegrationTemplateSummary> {
    let reply = console.api.get("/api/v1/integration-templates", session).await;
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
        let template = console.api.get(&path, session).await.into::<IntegrationTemplateResponse>();
        let config = template.and_then(|t| {
            let config: IntegrationConfig = serde_json::from_value(t.config.clone())
                .map_err(|e| format!("template {chosen} has a config the console cannot read: {e}"))?;
            Ok((t, config))
        });
        match config {
            // The template's name is its title; the integration needs its own.
            Ok((template, config)) => IntegrationForm {
                integration_type: template.integration_type,
                description: template.description,
                tags: template.tags.join(", "),
                ..IntegrationForm::default()
            }
            .with_config(&config),
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
    if let Some(request) = form.to_create(&mut errors) {
        let reply = console.api.send(Method::POST, INTEGRATIONS, session, &request, None).await;
        if reply.status.is_success() {
            return match reply.into::<IntegrationResponse>() {
                Ok(created) => Redirect::to(&after_save(&created.id, &form, "created")).into_response(),
                Err(message) => layout::failure(session, "Integration not created", &message).into_response(),
            };
        }
        file_error(&mut errors, &form, &reply);
    }
    new_page(&console, session, &form, &errors, "").await
}

/// Where a saved form leads: the integration's page, or back to the form
/// when some of its text looks like a reference but is not one, so the
/// warnings stand beside the fields they are about.
fn after_save(id: &str, form: &IntegrationForm, notice: &str) -> String {
    if Warnings::of(form).is_empty() {
        format!("/integrations/{id}?notice={notice}")
    } else {
        format!("/integrations/{id}/edit?notice={notice}-warnings")
    }
}

/// Puts a refused write's reasons where they belong: 422s by field, a name
/// conflict beside the name, anything else at the top.
fn file_error(errors: &mut Errors, form: &IntegrationForm, reply: &crate::console::api::Reply) {
    match (reply.status, reply.refusal()) {
        (_, Refusal::Fields(list)) => errors.add_api(&list, &form.file_rows()),
        (StatusCode::CONFLICT, Refusal::Message(message)) => errors.add("name", message),
        (StatusCode::PRECONDITION_FAILED, _) => errors.general.push(
            "Someone changed this integration since you opened the form. Reload it to see their change, then edit again."
                .into(),
        ),
        (_, Refusal::Message(message)) => errors.general.push(message),
    }
}

fn edit_page(session: &Session, id: &str, form: &IntegrationForm, errors: &Errors, notice: &str) -> Response {
    let content = html! {
        p.crumbs { a href={ "/integrations/" (id) } { "← " (form.name) } }
        h1 { "Edit integration" }
        (layout::notice(Some(notice)))
        (render(form, errors, &format!("/integrations/{id}/edit"), "Save changes", true, layout::csrf(session)))
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, layout::page("Edit integration", session, "Integrations", content)).into_response()
}

pub async fn edit_form(
    State(console): State<Console>,
    user: SignedIn,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Fields::parse(query.unwrap_or_default().as_bytes());
    let session = &user.session;
    // The revision the form was filled from, sent back as `If-Match`.
    match super::integration(&console, session, &id).await {
        Ok((integration, revision)) => {
            let mut form = IntegrationForm::from_integration(&integration);
            form.revision = revision.map(|n| n.to_string()).unwrap_or_default();
            edit_page(session, &id, &form, &Errors::default(), params.get("notice"))
        }
        Err(page) => page,
    }
}

pub async fn update(State(console): State<Console>, Path(id): Path<String>, posted: Posted) -> Response {
    let session = &posted.user.session;
    let form = IntegrationForm::from_fields(&posted.fields);
    let mut errors = Errors::default();
    if let Some(request) = form.to_update(&mut errors) {
        let path = format!("{INTEGRATIONS}/{}", encode(&id));
        let if_match = form.revision.parse().ok();
        let reply = console.api.send(Method::PUT, &path, session, &request, if_match).await;
        if reply.status.is_success() {
            return Redirect::to(&after_save(&encode(&id), &form, "saved")).into_response();
        }
        file_error(&mut errors, &form, &reply);
    }
    edit_page(session, &id, &form, &errors, "")
}
