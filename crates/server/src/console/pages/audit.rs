//! The audit log (admins; the API refuses others): filters and paging.
use crate::console::api::encode;
use crate::console::{Console, Fields, SignedIn, layout};
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use patchbay_api_types::AuditPageResponse;

/// Filter fields, named as the API's query parameters.
const FILTERS: [(&str, &str, &str); 5] = [
    ("action", "Action", "e.g. integration.update"),
    ("actor", "Actor", "user id or email"),
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
                table.list {
                    thead { tr { th { "When" } th { "Actor" } th { "Action" } th { "Resource" } th { "Outcome" } th { "Detail" } } }
                    tbody { @for event in &page.events { tr {
                        td data-label="When" { (layout::when(&event.occurred_at)) }
                        td data-label="Actor" { (event.actor.as_deref().unwrap_or("—")) @if let Some(role) = &event.actor_role { div.muted { (role) } } }
                        td data-label="Action" { code { (event.action) } }
                        td data-label="Resource" { (event.resource_type) @if let Some(id) = &event.resource_id { div.muted { code { (id) } } } }
                        td data-label="Outcome" { (layout::badge(&event.outcome)) }
                        td data-label="Detail" { code.detail { (event.detail.to_string()) } }
                    } } }
                }
                @if let Some(cursor) = &page.next_cursor { nav.pager { a href=(next(cursor)) rel="next" { "Older events →" } } }
            },
        }
    };
    layout::page("Audit log", session, "Audit log", content).into_response()
}
