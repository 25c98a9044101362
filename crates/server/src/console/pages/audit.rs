//! The audit log (admins; the API refuses others): filters and paging,
//! each event with who (by email where the console knows it), a link to
//! what it is about, and its details as readable pairs.
use crate::console::api::encode;
use crate::console::session::Session;
use crate::console::{Console, Fields, SignedIn, layout};
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use patchbay_api_types::{AuditEventResponse, AuditPageResponse};
use serde_json::{Map, Value};

/// Filter fields, named as the API's query parameters.
const FILTERS: [(&str, &str, &str); 5] = [
    ("action", "Action", "e.g. integration.update"),
    ("actor", "Actor", "user id"),
    ("resource_id", "Resource id", ""),
    ("since", "Since", "2026-01-31T00:00:00Z"),
    ("until", "Until", "RFC 3339 time"),
];

pub async fn page(State(console): State<Console>, user: SignedIn, RawQuery(query): RawQuery) -> Response {
    let session = &user.session;
    let params = Fields::parse(query.unwrap_or_default().as_bytes());
    let filters: String = FILTERS
        .iter()
        .chain([("cursor", "", "")].iter())
        .filter(|(name, _, _)| !params.get(name).is_empty())
        .map(|(name, _, _)| format!("{name}={}&", encode(params.get(name))))
        .collect();
    let path = format!("/api/v1/audit-events?{filters}limit=50");
    let events: Result<AuditPageResponse, String> = console.api.get(&path, session).await.into();
    let next = |cursor: &str| {
        let kept: String = FILTERS
            .iter()
            .filter(|(name, _, _)| !params.get(name).is_empty())
            .map(|(name, _, _)| format!("{name}={}&", encode(params.get(name))))
            .collect();
        format!("/audit?{kept}cursor={}", encode(cursor))
    };
    let content = html! {
        h1 { "Audit log" }
        form.filters method="get" action="/audit" {
            @for (name, label, placeholder) in FILTERS {
                div { label for=(name) { (label) } input id=(name) name=(name) value=(params.get(name)) placeholder=(placeholder); }
            }
            div { button type="submit" { "Filter" } }
        }
        @match &events {
            Err(message) => (layout::error(message)),
            Ok(page) if page.events.is_empty() => p.empty { "No event matches." },
            Ok(page) => {
                table.list.audit {
                    thead { tr { th { "When" } th { "Who" } th { "Action" } th { "About" } th { "Outcome" } th { "Details" } } }
                    tbody { @for event in &page.events { tr {
                        td data-label="When" { (layout::when(&event.occurred_at)) }
                        td data-label="Who" { (actor(event, session)) }
                        td data-label="Action" { code { (event.action) } }
                        td data-label="About" { (resource(event)) }
                        td data-label="Outcome" { (layout::badge(&event.outcome)) }
                        td data-label="Details" { (details(event)) }
                    } } }
                }
                @if let Some(cursor) = &page.next_cursor { nav.pager { a href=(next(cursor)) rel="next" { "Older events →" } } }
            },
        }
    };
    layout::page("Audit log", session, "Audit log", content).into_response()
}

/// Who acted: the user id the token carried, with the email the console
/// knows for it (the signed-in user's own, when it is not the id itself),
/// and the role.
fn actor(event: &AuditEventResponse, session: &Session) -> Markup {
    let me = &session.actor;
    let mine = event.actor.is_some() && event.actor == me.user_id;
    let email = me.email.as_deref().filter(|email| mine && event.actor.as_deref() != Some(*email));
    html! {
        @match (&event.actor, email) {
            (Some(id), Some(email)) => { (email) div.muted { (id) } },
            (Some(id), None) => (id),
            (None, _) => span.muted { "unknown" },
        }
        @if let Some(role) = &event.actor_role { div.muted { (role) } }
    }
}

/// An integration's link, named when the event knows its name.
fn integration_link(id: &str, name: Option<&str>) -> Markup {
    html! { a href={ "/integrations/" (encode(id)) } { (name.unwrap_or(id)) } }
}

/// What the event is about, linked to its page where there is one.
fn resource(event: &AuditEventResponse) -> Markup {
    let detail = event.detail.as_object();
    let text = |key: &str| detail.and_then(|d| d.get(key)).and_then(Value::as_str);
    html! {
        @match (event.resource_type.as_str(), &event.resource_id) {
            ("integration", Some(id)) if uuid::Uuid::parse_str(id).is_ok() => {
                "integration " (integration_link(id, text("name")))
                @if let Some(n) = detail.and_then(|d| d.get("revision")).and_then(Value::as_i64) {
                    ", " a href={ "/integrations/" (encode(id)) "/revisions/" (n) } { "revision " (n) }
                }
            },
            ("secret", Some(name)) => { "secret " a href="/secrets" { code { (name) } } },
            (kind, Some(id)) => { (kind) " " code { (id) } },
            ("integration", None) => { "integration" @if let Some(name) = text("name") { " " (name) } },
            (kind, None) => (kind),
        }
    }
}

/// Details already shown with the resource.
const SHOWN: [&str; 2] = ["name", "revision"];

/// The event's details as a list of key/value pairs.
fn details(event: &AuditEventResponse) -> Markup {
    let empty = Map::new();
    let detail = event.detail.as_object().unwrap_or(&empty);
    let linked = event.resource_type == "integration"
        && event.resource_id.as_deref().is_some_and(|id| uuid::Uuid::parse_str(id).is_ok());
    let pairs: Vec<(&String, &Value)> =
        detail.iter().filter(|(key, _)| !(linked && SHOWN.contains(&key.as_str()))).collect();
    html! {
        @if let Some(request) = &event.request_id { div.muted { "request " code { (request) } } }
        @if !pairs.is_empty() {
            dl.detail { @for (key, value) in pairs { dt { (key.replace('_', " ")) } dd { (readable(key, value)) } } }
        }
    }
}

/// One detail value: text as text, lists joined, integrations linked.
fn readable(key: &str, value: &Value) -> Markup {
    html! {
        @match value {
            Value::Null => span.muted { "—" },
            Value::Bool(b) => (if *b { "yes" } else { "no" }),
            Value::String(s) => (s),
            Value::Number(n) => (n),
            Value::Array(items) if items.is_empty() => span.muted { "none" },
            Value::Array(items) if key == "integrations" => {
                @for (i, item) in items.iter().enumerate() {
                    @if i > 0 { ", " }
                    @match (item["id"].as_str(), item["name"].as_str()) {
                        (Some(id), name) => { (integration_link(id, name)) @if let Some(n) = item["revision"].as_i64() { " (rev " (n) ")" } },
                        _ => (compact(item)),
                    }
                }
            },
            Value::Array(items) => {
                @for (i, item) in items.iter().enumerate() { @if i > 0 { ", " } (compact(item)) }
            },
            Value::Object(_) => (compact(value)),
        }
    }
}

/// A nested value in one line: `key: value` pairs, strings bare.
fn compact(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Object(map) => {
            map.iter().map(|(k, v)| format!("{k}: {}", compact(v))).collect::<Vec<_>>().join(", ")
        }
        Value::Array(items) => items.iter().map(compact).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}
