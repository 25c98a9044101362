//! Webhooks: the organization's receivers of events, a form to add one
//! (whose secret the page shows once, right after), and each webhook's
//! deliveries. Everything goes through the API's `/api/v1/webhooks`, so
//! only admins see or change anything, and a URL the SSRF guard refuses
//! comes back as the API's 422 beside the field.
use crate::console::api::{Refusal, Reply, encode};
use crate::console::session::Session;
use crate::console::{Console, Fields, Posted, SignedIn, layout};
use axum::extract::{Path, RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use patchbay_api_types::{
    CreateWebhookRequest, CreatedWebhookResponse, DeliveryResponse, LocItem, WEBHOOK_EVENTS, WebhookResponse,
};
use patchbay_domain::Role;
use std::collections::BTreeMap;

const WEBHOOKS: &str = "/api/v1/webhooks";

/// The add form as it was filled in, and the API's refusals: by field
/// (`url`, `events`, `description`), or in a word for the whole form.
#[derive(Default)]
struct Form<'a> {
    url: &'a str,
    events: Vec<&'a str>,
    description: &'a str,
    errors: BTreeMap<String, Vec<String>>,
    refusal: Option<String>,
}

impl<'a> Form<'a> {
    fn posted(fields: &'a Fields) -> Self {
        Self {
            url: fields.get("url"),
            events: fields.all("events"),
            description: fields.get("description"),
            errors: BTreeMap::new(),
            refusal: None,
        }
    }

    fn refused(mut self, reply: &Reply) -> Self {
        match reply.refusal() {
            Refusal::Fields(list) => {
                for error in list {
                    let field = match error.loc.get(1) {
                        Some(LocItem::Key(key))
                            if ["url", "events", "description"].contains(&key.as_str()) =>
                        {
                            key
                        }
                        _ => "url",
                    };
                    self.errors.entry(field.to_owned()).or_default().push(error.msg);
                }
            }
            Refusal::Message(message) => self.refusal = Some(message),
        }
        self
    }

    fn field_errors(&self, field: &str) -> Markup {
        html! { @if let Some(messages) = self.errors.get(field) { ul.field-errors id={ (field) "-error" } role="alert" { @for m in messages { li { (m) } } } } }
    }
}

/// The list and the add form; `created`, right after an addition, shows
/// the new webhook's secret, which no page shows again.
async fn render(
    console: &Console,
    session: &Session,
    form: &Form<'_>,
    created: Option<&CreatedWebhookResponse>,
    notice: &str,
) -> Markup {
    let listed: Result<Vec<WebhookResponse>, String> = console.api.get(WEBHOOKS, session).await.into();
    let admin = session.actor.role == Role::Admin;
    html! {
        h1 { "Webhooks" }
        (layout::notice(Some(notice)))
        @if let Some(refusal) = &form.refusal { (layout::error(refusal)) }
        p.hint { "Each webhook receives the organization's events it names, as a signed POST: "
            code { "X-Patchbay-Signature: sha256=…" } " is the HMAC-SHA256 of the body under the webhook's secret. "
            "A receiver that does not answer 2xx gets the event again, with backoff." }
        @if let Some(created) = created {
            div.notice role="status" {
                p { "Webhook added. Its secret is shown this once: give it to the receiver, which checks each delivery's signature with it." }
                p { code { (created.secret) } }
            }
        }
        @match &listed {
            Err(message) => (layout::error(message)),
            Ok(webhooks) if webhooks.is_empty() => div.empty { p { "No webhooks yet." } },
            Ok(webhooks) => table.list {
                thead { tr { th { "URL" } th { "Events" } th { "Added" } } }
                tbody { @for webhook in webhooks { tr {
                    td data-label="URL" {
                        a href={ "/webhooks/" (encode(&webhook.id)) } { code { (webhook.url) } }
                        @if let Some(description) = &webhook.description { div.muted { (description) } }
                    }
                    td data-label="Events" { @for event in &webhook.events { code { (event) } " " } }
                    td data-label="Added" { (layout::when(&webhook.created_at)) @if let Some(by) = &webhook.created_by { div.muted { "by " (by) } } }
                } } }
            },
        }
        @if admin {
            h2 id="add" { "Add a webhook" }
            form method="post" action="/webhooks" autocomplete="off" {
                (layout::csrf(session))
                div.field.invalid[form.errors.contains_key("url")] {
                    label for="url" { "URL" }
                    small.hint id="url-hint" { "http or https. Addresses on loopback or private networks are refused unless the server allows them." }
                    input.mono id="url" name="url" value=(form.url) required aria-describedby={ "url-hint" @if form.errors.contains_key("url") { " url-error" } };
                    (form.field_errors("url"))
                }
                fieldset.invalid[form.errors.contains_key("events")] {
                    legend { "Events" }
                    @for event in WEBHOOK_EVENTS {
                        @let name = event.as_str();
                        div.field.check {
                            input type="checkbox" id={ "event-" (name) } name="events" value=(name) checked[form.events.contains(&name)];
                            label for={ "event-" (name) } { code { (name) } }
                        }
                    }
                    (form.field_errors("events"))
                }
                div.field.invalid[form.errors.contains_key("description")] {
                    label for="description" { "Description (optional)" }
                    input id="description" name="description" value=(form.description);
                    (form.field_errors("description"))
                }
                div.actions { button type="submit" { "Add webhook" } }
            }
        }
    }
}

pub async fn page(State(console): State<Console>, user: SignedIn, RawQuery(query): RawQuery) -> Response {
    let params = Fields::parse(query.unwrap_or_default().as_bytes());
    let content = render(&console, &user.session, &Form::default(), None, params.get("notice")).await;
    layout::page("Webhooks", &user.session, "Webhooks", content).into_response()
}

/// Adds a webhook and shows its secret on the page this POST answers (a
/// redirect would have to carry it in a URL). A refusal shows the API's
/// reasons beside the fields, with what was typed.
pub async fn create(State(console): State<Console>, posted: Posted) -> Response {
    let session = &posted.user.session;
    let form = Form::posted(&posted.fields);
    let description = Some(form.description.trim()).filter(|d| !d.is_empty()).map(str::to_owned);
    let events = form.events.iter().map(|event| (*event).to_owned()).collect();
    let request = CreateWebhookRequest { url: form.url.to_owned(), events, description };
    let reply = console.api.send(Method::POST, WEBHOOKS, session, &request, None).await;
    let (status, form, created) = if reply.status.is_success() {
        let created: Result<CreatedWebhookResponse, String> = reply.into();
        match created {
            Ok(created) => (StatusCode::OK, Form::default(), Some(created)),
            Err(message) => {
                (StatusCode::INTERNAL_SERVER_ERROR, Form { refusal: Some(message), ..form }, None)
            }
        }
    } else {
        (reply.status, form.refused(&reply), None)
    };
    let content = render(&console, session, &form, created.as_ref(), "").await;
    (status, layout::page("Webhooks", session, "Webhooks", content)).into_response()
}

/// One webhook and its newest deliveries.
pub async fn detail(State(console): State<Console>, user: SignedIn, Path(id): Path<String>) -> Response {
    let session = &user.session;
    let path = format!("{WEBHOOKS}/{}", encode(&id));
    let reply = console.api.get(&path, session).await;
    let status = reply.status;
    let webhook: WebhookResponse = match reply.into() {
        Ok(webhook) => webhook,
        Err(message) => {
            let title =
                if status == StatusCode::NOT_FOUND { "Webhook not found" } else { "Webhook not shown" };
            return (status, layout::failure(session, title, &message)).into_response();
        }
    };
    let deliveries: Result<Vec<DeliveryResponse>, String> =
        console.api.get(&format!("{path}/deliveries"), session).await.into();
    let content = html! {
        p { a href="/webhooks" { "← Webhooks" } }
        h1 { code { (webhook.url) } }
        @if let Some(description) = &webhook.description { p { (description) } }
        p { "Events: " @for event in &webhook.events { code { (event) } " " } }
        p.muted { "Added " (layout::when(&webhook.created_at)) @if let Some(by) = &webhook.created_by { " by " (by) } }
        h2 { "Deliveries" }
        @match &deliveries {
            Err(message) => (layout::error(message)),
            Ok(list) if list.is_empty() => div.empty { p { "Nothing delivered yet: events arrive here within seconds of happening." } },
            Ok(list) => table.list {
                thead { tr { th { "Event" } th { "State" } th { "Attempts" } th { "Last answer" } th { "When" } } }
                tbody { @for delivery in list { tr {
                    td data-label="Event" { code { (delivery.event_type) } div.muted { (delivery.event_id) } }
                    td data-label="State" { (layout::badge(&delivery.state)) }
                    td data-label="Attempts" { (delivery.attempts) }
                    td data-label="Last answer" {
                        @if let Some(status) = delivery.last_status { "HTTP " (status) }
                        @if let Some(error) = &delivery.last_error { div.muted { (error) } }
                    }
                    td data-label="When" {
                        "queued " (layout::when(&delivery.created_at))
                        @if let Some(at) = &delivery.delivered_at { div.muted { "delivered " (layout::when(at)) } }
                        @else if let Some(at) = &delivery.next_attempt_at { div.muted { "next attempt " (layout::when(at)) } }
                    }
                } } }
            },
        }
        form method="post" action={ "/webhooks/" (encode(&webhook.id)) "/delete" } data-busy="Deleting…" {
            (layout::csrf(session))
            button.danger type="submit" { "Delete webhook" }
        }
    };
    layout::page("Webhook", session, "Webhooks", content).into_response()
}

/// Removes a webhook; a refusal is a page with the API's reason.
pub async fn delete(State(console): State<Console>, Path(id): Path<String>, posted: Posted) -> Response {
    let session = &posted.user.session;
    let reply = console.api.call(Method::DELETE, &format!("{WEBHOOKS}/{}", encode(&id)), session, None).await;
    if reply.status.is_success() {
        return Redirect::to("/webhooks?notice=webhook-deleted").into_response();
    }
    (reply.status, layout::failure(session, "Webhook not deleted", &reply.message())).into_response()
}
