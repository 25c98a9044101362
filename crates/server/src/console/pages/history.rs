//! A revision's changes, approving it for secret values, and restoring one
//! (admins; the API enforces it).
use super::after_write;
use crate::console::api::encode;
use crate::console::{Console, Fields, Posted, SignedIn, layout};
use crate::routes::INTEGRATIONS;
use axum::extract::{Path, RawQuery, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use maud::html;
use patchbay_api_types::{RevisionDiffResponse, RevisionResponse};
use patchbay_domain::Role;
use serde_json::Value;

/// A JSON value as people read it: strings bare, null as a dash.
fn shown(value: &Value) -> String {
    match value {
        Value::Null => "—".into(),
        Value::String(s) => s.clone(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

pub async fn diff(
    State(console): State<Console>,
    user: SignedIn,
    Path((id, n)): Path<(String, i64)>,
    RawQuery(query): RawQuery,
) -> Response {
    let session = &user.session;
    let params = Fields::parse(query.unwrap_or_default().as_bytes());
    let path = format!("{INTEGRATIONS}/{}/revisions/{n}/diff", encode(&id));
    let diff: RevisionDiffResponse = match console.api.get(&path, session).await.into() {
        Ok(diff) => diff,
        Err(message) => return layout::failure(session, "Revision not found", &message).into_response(),
    };
    let path = format!("{INTEGRATIONS}/{}/revisions/{n}", encode(&id));
    let revision: RevisionResponse = match console.api.get(&path, session).await.into() {
        Ok(revision) => revision,
        Err(message) => return layout::failure(session, "Revision not found", &message).into_response(),
    };
    let admin = session.actor.role == Role::Admin;
    let content = html! {
        p.crumbs { a href={ "/integrations/" (id) "#history-h" } { "← Integration" } }
        (layout::notice(Some(params.get("notice"))))
        h1 { "Revision " (diff.revision) }
        p { @match diff.previous { Some(p) => { "Changes since revision " (p) "." }, None => "The first revision: everything was added." } }
        @if diff.changes.is_empty() { p.muted { "No field changed." } } @else {
            table.list.diff {
                thead { tr { th { "Field" } th { "Change" } th { "Before" } th { "After" } } }
                tbody { @for change in &diff.changes { tr {
                    td data-label="Field" { code { (change.field) } }
                    td data-label="Change" { (change.change) }
                    td.old data-label="Before" { pre { (shown(&change.old)) } }
                    td.new data-label="After" { pre { (shown(&change.new)) } }
                } } }
            }
        }
        section aria-labelledby="approval-h" {
            h2 id="approval-h" { "Approval" }
            @match &revision.approval {
                Some(approval) if approval.kind == "written" => p { "Written by an admin (" (approval.by.as_deref().unwrap_or("—")) "): its connection test may receive secret values." },
                Some(approval) => p { "Approved by " (approval.by.as_deref().unwrap_or("an admin")) " on " (layout::when(&approval.at)) @if approval.revision != n { " (as revision " (approval.revision) ", whose config this revision keeps)" } ": its connection test may receive secret values." },
                None => {
                    p { "Not approved. A connection test of this revision runs only without secret values until an admin approves the changes above." }
                    @if admin {
                        form method="post" action={ "/integrations/" (id) "/revisions/" (n) "/approve" } {
                            (layout::csrf(session))
                            button type="submit" { "Approve revision " (n) }
                        }
                    }
                }
            }
        }
    };
    layout::page(&format!("Revision {n}"), session, "Integrations", content).into_response()
}

pub async fn restore(
    State(console): State<Console>,
    Path((id, n)): Path<(String, i64)>,
    posted: Posted,
) -> Response {
    let session = &posted.user.session;
    let path = format!("{INTEGRATIONS}/{}/revisions/{n}/restore", encode(&id));
    // `If-Match` with the revision the page showed: restoring over a change
    // made meanwhile is refused (412) rather than silently undoing it.
    let if_match = posted.fields.get("current").parse().ok();
    let reply = console.api.call(Method::POST, &path, session, if_match).await;
    let next = format!("/integrations/{}?notice=restored", encode(&id));
    after_write(&reply, session, &next, "The revision was not restored")
}

/// Approves the revision whose changes the admin was shown (the API checks
/// the role and records the approval in the audit log).
pub async fn approve(
    State(console): State<Console>,
    Path((id, n)): Path<(String, i64)>,
    posted: Posted,
) -> Response {
    let session = &posted.user.session;
    let path = format!("{INTEGRATIONS}/{}/revisions/{n}/approve", encode(&id));
    let reply = console.api.call(Method::POST, &path, session, None).await;
    let next = format!("/integrations/{}/revisions/{n}?notice=approved", encode(&id));
    after_write(&reply, session, &next, "The revision was not approved")
}
