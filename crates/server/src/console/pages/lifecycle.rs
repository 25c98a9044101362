//! Deleting an integration (after a confirmation page) and bringing a
//! deleted one back. Both are the API's soft delete and status change, sent
//! with `If-Match` so that neither overrides a change made meanwhile.
use super::after_write;
use crate::console::api::encode;
use crate::console::{Console, Posted, SignedIn, layout};
use crate::routes::INTEGRATIONS;
use axum::extract::{Path, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use maud::html;
use patchbay_api_types::UpdateIntegrationRequest;
use patchbay_domain::IntegrationStatus;

/// "Delete this integration?", with what deleting means.
pub async fn confirm(State(console): State<Console>, user: SignedIn, Path(id): Path<String>) -> Response {
    let session = &user.session;
    let (integration, revision) = match super::integration(&console, session, &id).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let content = html! {
        p.crumbs { a href={ "/integrations/" (integration.id) } { "← " (integration.name) } }
        h1 { "Delete " (integration.name) "?" }
        p { "Agents and connection tests stop using it, and its name is free for a new integration. "
            "It is not erased: its history stays, and it can be restored from its page." }
        form.confirm method="post" action={ "/integrations/" (integration.id) "/delete" } {
            (layout::csrf(session))
            input type="hidden" name="revision" value=(revision.unwrap_or_default());
            div.buttons {
                button.danger type="submit" { "Delete " (integration.name) }
                a href={ "/integrations/" (integration.id) } { "Cancel" }
            }
        }
    };
    layout::page("Delete integration", session, "Integrations", content).into_response()
}

pub async fn delete(State(console): State<Console>, Path(id): Path<String>, posted: Posted) -> Response {
    let session = &posted.user.session;
    let path = format!("{INTEGRATIONS}/{}", encode(&id));
    let if_match = posted.fields.get("revision").parse().ok();
    let reply = console.api.call(Method::DELETE, &path, session, if_match).await;
    let next = format!("/integrations/{}?notice=deleted", encode(&id));
    after_write(&reply, session, &next, "The integration was not deleted")
}

/// Brings a deleted integration back, active.
pub async fn undelete(State(console): State<Console>, Path(id): Path<String>, posted: Posted) -> Response {
    let session = &posted.user.session;
    let path = format!("{INTEGRATIONS}/{}", encode(&id));
    let if_match = posted.fields.get("revision").parse().ok();
    let body = UpdateIntegrationRequest { status: Some(IntegrationStatus::Active), ..Default::default() };
    let reply = console.api.send(Method::PUT, &path, session, &body, if_match).await;
    let next = format!("/integrations/{}?notice=undeleted", encode(&id));
    after_write(&reply, session, &next, "The integration was not restored")
}
